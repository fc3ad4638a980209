"""MaxPool2d and AvgPool2d layers (the arithmetic is in ``functional/pooling.py``)."""
from __future__ import annotations

from typing import Any, Optional, Union

from .functional._args import pair
from .functional.pooling import avg_pool2d, check_unsupported, max_pool2d
from .module import Module

__all__ = ["MaxPool2d", "AvgPool2d"]

IntOrPair = Union[int, tuple[int, int]]


class _Pool2d(Module):
    def __init__(self, kernel_size: IntOrPair, stride: Optional[IntOrPair] = None,
                 padding: IntOrPair = 0) -> None:
        super().__init__()
        name = self._get_name()
        # stored as given (an int stays an int), so the repr matches PyTorch's
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self._k = pair(kernel_size, "kernel_size", 1, name)
        self._s = pair(self.stride, "stride", 1, name)
        self._p = pair(padding, "padding", 0, name)
        if any(2 * p > k for p, k in zip(self._p, self._k)):
            raise ValueError(f"{name}: padding {padding!r} must be at most half of "
                             f"kernel_size {kernel_size!r}")


class MaxPool2d(_Pool2d):
    """Max over each ``kernel_size`` window, moved by ``stride`` (default: kernel_size).

    Shapes: (N, C, H, W) -> (N, C, H_out, W_out), H_out = (H + 2 padding - kernel) // stride + 1.
    Padding counts as -inf. The gradient goes to the max of each window.
    PyTorch's ``dilation``, ``return_indices`` and ``ceil_mode`` are accepted at their
    defaults only (a ValueError otherwise).
    """

    def __init__(self, kernel_size: IntOrPair, stride: Optional[IntOrPair] = None,
                 padding: IntOrPair = 0, dilation: IntOrPair = 1,
                 return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__(kernel_size, stride, padding)
        check_unsupported(self._get_name(), padding, dilation=dilation, ceil_mode=ceil_mode,
                          return_indices=return_indices)
        self.dilation = dilation  # shown in the repr, as PyTorch does
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input: Any) -> Any:
        return max_pool2d(input, self._k, self._s, self._p)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(_Pool2d):
    """Mean over each ``kernel_size`` window, moved by ``stride`` (default: kernel_size).

    Shapes: as MaxPool2d. Zero padding is counted in the mean (PyTorch's default
    ``count_include_pad=True``).  PyTorch's ``ceil_mode``, ``count_include_pad`` and
    ``divisor_override`` are accepted where they change nothing (a ValueError otherwise).
    """

    def __init__(self, kernel_size: IntOrPair, stride: Optional[IntOrPair] = None,
                 padding: IntOrPair = 0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override: Optional[int] = None) -> None:
        super().__init__(kernel_size, stride, padding)
        check_unsupported(self._get_name(), padding, ceil_mode=ceil_mode,
                          count_include_pad=count_include_pad,
                          divisor_override=divisor_override)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Any) -> Any:
        return avg_pool2d(input, self._k, self._s, self._p)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
