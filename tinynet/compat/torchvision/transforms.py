"""torchvision's basic transforms: ``ToTensor``, ``Normalize``, ``Compose``, ``Lambda``.

``Compose([ToTensor(), Normalize(mean, std)])`` is what the MNIST examples apply to every
image.  A dataset whose transform is only that can apply it to all images at once
(:func:`batch_transform`), with the same float32 arithmetic, so a DataLoader over it does not
run Python per image.
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import numpy as np

from ...tensor import Tensor
from ..._names import type_name

__all__ = ["ToTensor", "Normalize", "Compose", "Lambda", "batch_transform"]


class ToTensor:
    """An image (H, W) or (H, W, C) -- a numpy array or a PIL image -- as a Tensor (C, H, W);
    uint8 pixels become float32 in [0, 1] (pixel / 255), other dtypes are kept."""

    def __call__(self, pic: Any) -> Tensor:
        if isinstance(pic, Tensor) or not (isinstance(pic, np.ndarray) or _is_pil(pic)):
            raise TypeError(f"ToTensor: pic should be a PIL Image or ndarray, got "
                            f"{type_name(pic)}")
        arr = np.asarray(pic)
        if _is_pil(pic) and pic.mode == "1":  # PIL's 1-bit images: 0 or 255, as torchvision
            arr = arr.astype(np.uint8) * 255
        if arr.ndim not in (2, 3):
            raise ValueError(f"ToTensor: pic should be 2 or 3 dimensional, got {arr.ndim} "
                             f"dimensions")
        return Tensor(_to_tensor(arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)))

    def __repr__(self) -> str:
        return "ToTensor()"


def _to_tensor(chw: np.ndarray) -> np.ndarray:
    """(..., C, H, W) uint8 -> float32 / 255 (as torchvision: ``img.float().div(255)``)."""
    if chw.dtype != np.uint8:
        return np.array(chw)
    return chw.astype(np.float32) / np.float32(255)


def _is_pil(obj: Any) -> bool:
    return type(obj).__module__.startswith("PIL.")


class Normalize:
    """``(x - mean) / std`` per channel of a float tensor image (..., C, H, W); ``mean`` and
    ``std`` are sequences with one value per channel (or one for all)."""

    def __init__(self, mean: Sequence[float], std: Sequence[float], inplace: bool = False) -> None:
        self.mean, self.std, self.inplace = mean, std, inplace

    def _stats(self, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
        mean = np.asarray(self.mean, dtype=dtype)
        std = np.asarray(self.std, dtype=dtype)
        if (std == 0).any():
            raise ValueError(f"Normalize: std evaluated to zero after conversion to {dtype}, "
                             f"leading to division by zero")
        if mean.ndim <= 1:
            mean = mean.reshape(-1, 1, 1)
        if std.ndim <= 1:
            std = std.reshape(-1, 1, 1)
        return mean, std

    def __call__(self, tensor: Any) -> Tensor:
        if not isinstance(tensor, Tensor):
            raise TypeError(f"Normalize: input should be a Tensor, got {type_name(tensor)}")
        if tensor.dtype.kind != "f":
            raise TypeError(f"Normalize: input should be a float tensor, got {tensor.dtype}")
        if tensor.ndim < 3:
            raise ValueError(f"Normalize: expected a tensor image of size (..., C, H, W), "
                             f"got shape {tensor.shape}")
        mean, std = self._stats(tensor.dtype)
        if max(mean.shape[0], std.shape[0]) not in (1, tensor.shape[-3]):
            raise ValueError(f"Normalize: {mean.shape[0]} means for an image of "
                             f"{tensor.shape[-3]} channels")
        return (tensor - Tensor(mean, dtype=mean.dtype)) / Tensor(std, dtype=std.dtype)

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean}, std={self.std})"


class Compose:
    """Apply ``transforms`` one after the other."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        self.transforms = list(transforms)

    def __call__(self, img: Any) -> Any:
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        return "Compose(\n" + "".join(f"    {t}\n" for t in self.transforms) + ")"


class Lambda:
    """Apply a user function, ``Lambda(lambda x: x.view(-1))``."""

    def __init__(self, lambd: Callable) -> None:
        if not callable(lambd):
            raise TypeError(f"Lambda: argument lambd should be callable, got "
                            f"{type_name(lambd)!r}")
        self.lambd = lambd

    def __call__(self, img: Any) -> Any:
        return self.lambd(img)

    def __repr__(self) -> str:
        return "Lambda()"


def batch_transform(transform: Any) -> Optional[Callable[[np.ndarray], np.ndarray]]:
    """For ``ToTensor()`` optionally followed by ``Normalize``s (alone or in a Compose):
    a function from uint8 images (N, H, W) to what the transform gives each image, stacked
    (N, 1, H, W).  None for any other transform (it then runs image by image)."""
    steps = transform.transforms if type(transform) is Compose else [transform]
    if not steps or type(steps[0]) is not ToTensor or any(
            type(s) is not Normalize for s in steps[1:]):
        return None

    def apply(images: np.ndarray) -> np.ndarray:
        x = _to_tensor(images[:, None])
        for norm in steps[1:]:
            mean, std = norm._stats(x.dtype)
            if max(mean.shape[0], std.shape[0]) not in (1, x.shape[1]):
                raise ValueError(f"Normalize: {mean.shape[0]} means for an image of "
                                 f"{x.shape[1]} channels")
            x = (x - mean) / std
        return x
    return apply
