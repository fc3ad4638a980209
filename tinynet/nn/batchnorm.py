"""BatchNorm1d / BatchNorm2d: per-channel normalisation with learned scale and shift.

State (same names as PyTorch, so ``state_dict`` keys match key for key):
``weight`` (gamma, ones) and ``bias`` (beta, zeros) are Parameters;
``running_mean`` (zeros), ``running_var`` (ones) and ``num_batches_tracked`` (0)
are buffers, updated by every training-mode forward.
"""
from __future__ import annotations

import numbers
from typing import Any, Optional

import numpy as np

from ..tensor import Tensor
from . import functional as F
from .module import Module
from .parameter import Parameter
from .._names import type_name

__all__ = ["BatchNorm1d", "BatchNorm2d"]


class _BatchNorm(Module):
    _optional_state = ("num_batches_tracked",)  # PyTorch < 0.4.1 did not save it
    _expected: tuple[int, ...] = ()     # allowed input ndims
    _expected_text: str = ""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: Optional[float] = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 device: Any = None, dtype: Any = None, *, bias: bool = True) -> None:
        super().__init__()
        name = type(self).__name__
        if isinstance(num_features, bool) or not isinstance(num_features, (int, np.integer)) \
                or num_features <= 0:
            raise ValueError(f"{name}: num_features must be a positive int, got {num_features!r}")
        if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not eps > 0:
            raise ValueError(f"{name}: eps must be a positive number, got {eps!r}")
        if momentum is not None and (isinstance(momentum, bool)
                                     or not isinstance(momentum, numbers.Real)
                                     or not 0.0 <= momentum <= 1.0):
            raise ValueError(f"{name}: momentum must be a number in [0, 1] or None "
                             f"(cumulative average), got {momentum!r}")
        self.num_features = int(num_features)
        self.eps = eps
        self.momentum = momentum
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        c = self.num_features
        if self.affine:
            self.weight = Parameter(np.ones(c, np.float32))
            if bias:
                self.bias = Parameter(np.zeros(c, np.float32))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if self.track_running_stats:
            self.register_buffer("running_mean", np.zeros(c, np.float32))
            self.register_buffer("running_var", np.ones(c, np.float32))
            self.register_buffer("num_batches_tracked", np.array(0, np.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self._place(device, dtype)

    def reset_running_stats(self) -> None:
        """Running mean 0, running variance 1, batch count 0."""
        if self.track_running_stats:
            self.running_mean.array.fill(0)
            self.running_var.array.fill(1)
            self.num_batches_tracked.array.fill(0)
            for b in (self.running_mean, self.running_var, self.num_batches_tracked):
                b._bump_version()

    def reset_parameters(self) -> None:
        """Running stats reset; gamma 1, beta 0."""
        self.reset_running_stats()
        for p, v in ((self.weight, 1), (self.bias, 0)):
            if p is not None:
                p.array.fill(v)
                p._bump_version()

    def _check_input(self, input: Tensor) -> None:
        name = type(self).__name__
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: input must be a Tensor, got {type_name(input)}")
        if input.ndim not in self._expected:
            raise ValueError(f"{name}: expected {self._expected_text} input "
                             f"(got {input.ndim}D input of shape {input.shape})")
        if input.shape[1] != self.num_features:
            raise ValueError(f"{name}: expected {self.num_features} channels in dimension 1 "
                             f"(num_features), got input of shape {input.shape}")

    def forward(self, input: Tensor) -> Tensor:
        self._check_input(input)
        # Same logic as PyTorch: momentum=None means a cumulative average, 1/batches_seen.
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked.item())
        # batch statistics in training, and in eval only if no running stats are kept
        use_batch = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch, factor, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) input: statistics per channel C over N (and L).

    ``y = (x - mean) / sqrt(var + eps) * weight + bias``; training uses the batch's
    mean and biased variance and updates ``running_mean``/``running_var`` (unbiased)
    with ``momentum``; ``eval()`` uses the running ones.  Output: the input's shape.
    """

    _expected = (2, 3)
    _expected_text = "2D or 3D"


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) input: statistics per channel C over N, H, W.

    Same rule as :class:`BatchNorm1d`; used after convolutions.
    """

    _expected = (4,)
    _expected_text = "4D"
