"""ConvTranspose2d: the transposed convolution layer of decoders and autoencoders
(the arithmetic is in ``functional/conv_transpose.py``)."""
from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import numpy as np

from . import init
from .conv import check_channels, check_image_input, conv_repr
from .functional._args import pair
from .functional.conv_transpose import conv_transpose2d
from .module import Module
from .parameter import Parameter

__all__ = ["ConvTranspose2d"]

IntOrPair = Union[int, tuple[int, int]]


class ConvTranspose2d(Module):
    """Transposed 2-D convolution: each input pixel spreads through the kernel into the
    output, so a stride of s makes the image about s times larger (the adjoint of Conv2d).

    Shapes: input (N, C_in, H, W) or unbatched (C_in, H, W) -> (N, C_out, H_out, W_out),
    ``H_out = (H - 1) stride - 2 padding + dilation (kernel - 1) + output_padding + 1``.
    weight (C_in, C_out / groups, kH, kW) (in before out, unlike Conv2d), bias (C_out,).
    ``forward(input, output_size=None)``: an ``output_size`` (H_out, W_out) picks the
    output_padding that gives it, as PyTorch.  Init as PyTorch: kaiming_uniform_(a=sqrt(5))
    with fan_in = C_out / groups * kH * kW (the weight's dim 1), bias U(+-1/sqrt(fan_in)).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrPair,
                 stride: IntOrPair = 1, padding: IntOrPair = 0, output_padding: IntOrPair = 0,
                 groups: int = 1, bias: bool = True, dilation: IntOrPair = 1,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        name = "ConvTranspose2d"
        if padding_mode != "zeros":
            raise ValueError(f'{name}: Only "zeros" padding mode is supported for '
                             f"ConvTranspose2d, got padding_mode={padding_mode!r}")
        check_channels(name, in_channels, out_channels, groups)
        if isinstance(padding, str):
            raise ValueError(f"{name}: padding must be an int or a pair of ints (PyTorch's "
                             f"'same' and 'valid' are for Conv2d), got {padding!r}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = pair(kernel_size, "kernel_size", 1, name)
        self.stride = pair(stride, "stride", 1, name)
        self.padding = pair(padding, "padding", 0, name)
        self.output_padding = pair(output_padding, "output_padding", 0, name)
        self.dilation = pair(dilation, "dilation", 1, name)
        self.groups = int(groups)
        self.padding_mode = padding_mode
        self.transposed = True
        for d in range(2):  # (PyTorch only fails at the first forward)
            if not (self.output_padding[d] < self.stride[d]
                    or self.output_padding[d] < self.dilation[d]):
                raise ValueError(f"{name}: output padding must be smaller than either stride "
                                 f"or dilation, but got output_padding={self.output_padding}, "
                                 f"stride={self.stride}, dilation={self.dilation}")
        kh, kw = self.kernel_size
        self.weight = Parameter(np.empty((self.in_channels, self.out_channels // self.groups,
                                          kh, kw), dtype=np.float32))
        if bias:
            self.bias = Parameter(np.empty(self.out_channels, dtype=np.float32))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()
        self._place(device, dtype)

    def reset_parameters(self) -> None:
        """Draw fresh initial values (PyTorch's default init)."""
        init.default_layer_init_(self.weight, self.bias)

    def _output_padding(self, input: Any, output_size: Optional[Sequence[int]]
                        ) -> tuple[int, int]:
        """The output_padding that makes the output ``output_size`` (PyTorch's rule)."""
        if output_size is None:
            return self.output_padding
        size = [int(s) for s in output_size]
        lead = input.ndim - 2
        if len(size) == lead + 2:
            size = size[lead:]
        if len(size) != 2:
            raise ValueError(f"ConvTranspose2d: for {input.ndim}D input, output_size must "
                             f"have 2 or {lead + 2} elements (got {len(output_size)})")
        lo = [(input.shape[lead + d] - 1) * self.stride[d] - 2 * self.padding[d]
              + self.dilation[d] * (self.kernel_size[d] - 1) + 1 for d in range(2)]
        hi = [lo[d] + self.stride[d] - 1 for d in range(2)]
        if any(not lo[d] <= size[d] <= hi[d] for d in range(2)):
            raise ValueError(f"ConvTranspose2d: requested an output size of {size}, but valid "
                             f"sizes range from {lo} to {hi} (for an input of "
                             f"{tuple(input.shape[lead:])})")
        return size[0] - lo[0], size[1] - lo[1]

    def forward(self, input: Any, output_size: Optional[Sequence[int]] = None) -> Any:
        check_image_input(self, input)
        return conv_transpose2d(input, self.weight, self.bias, self.stride, self.padding,
                                self._output_padding(input, output_size), self.groups,
                                self.dilation)

    def extra_repr(self) -> str:
        return conv_repr(self)
