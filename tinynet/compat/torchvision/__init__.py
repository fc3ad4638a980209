"""The part of torchvision that MNIST teaching scripts use, served by tinynet.

Under ``tinynet run``, ``import torchvision`` gives this package:

* ``datasets.MNIST`` and ``datasets.FashionMNIST`` -- tinynet's own loaders
  (:mod:`tinynet.data`), with torchvision's arguments and folder layout;
* ``transforms.ToTensor``, ``Normalize``, ``Compose`` and ``Lambda``.

An image handed to a transform is a uint8 numpy array (28, 28), where torchvision gives a
PIL image; ``ToTensor`` takes both.
"""
from . import datasets, transforms

__all__ = ["datasets", "transforms"]
