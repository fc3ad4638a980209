"""The training step of a saved model, to draw: ``tinynet graph --checkpoint PATH``.

The model is rebuilt from the checkpoint's own configuration with its trained weights,
as ``tinynet evaluate`` does (:func:`tinynet.training.model_from_checkpoint`), and runs
one forward and backward, in training mode as the demo does, on the first images of its
dataset's test split.
"""
from __future__ import annotations

import numpy as np

from ..random import generator, manual_seed
from ..tensor import Tensor

__all__ = ["checkpoint_step"]


def checkpoint_step(path: str, batch_size: int = 4, seed: int = 0) -> tuple[Tensor, dict, str]:
    """Loss (after its backward), leaf names and a line saying what was drawn.

    The batch is the first ``batch_size`` test images of the checkpoint's dataset; when
    they are not on this machine (nothing is downloaded), a random batch, and the line
    says so.  ``seed`` fixes the dropout masks.  Raises TrainingError (one line) for a
    file that is not a usable checkpoint.
    """
    from ..models import describe_cnn
    from ..nn.functional import cross_entropy
    from ..training import TrainingError, load_test_split, model_from_checkpoint
    model, ckpt = model_from_checkpoint(path)
    cfg, net = ckpt["config"], ckpt["config"]["model"]
    manual_seed(seed)
    try:
        images, labels, where = load_test_split(cfg["dataset"], download=False, verbose=False)
        images, labels = images[:batch_size], labels[:batch_size]
        batch = f"{len(labels)} {cfg['dataset']} test images ({where})"
    except TrainingError as e:
        side = net["image_size"]
        images = generator().standard_normal((batch_size, net["in_channels"], side, side),
                                             dtype=np.float32)
        labels = generator().integers(0, net["num_classes"], batch_size)
        batch = f"a random batch of {batch_size} (no {cfg['dataset']} test images found: {e})"
    model.train()
    x = Tensor(images)
    loss = cross_entropy(model(x), Tensor(labels))
    loss.backward()
    epochs = ckpt["epoch"]
    what = f"{describe_cnn(net)}, trained {epochs} epoch{'s' * (epochs != 1)}; {batch}"
    return loss, dict(model.named_parameters(), input=x), what
