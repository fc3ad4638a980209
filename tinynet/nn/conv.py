"""Conv2d: a 2-D convolution layer (the arithmetic is in ``functional/conv.py``)."""
from __future__ import annotations

from typing import Any, Union

import numpy as np

from . import init
from .functional._args import pair
from .functional.conv import conv2d
from .module import Module, _check_input
from .parameter import Parameter
from .._names import type_name

__all__ = ["Conv2d"]

IntOrPair = Union[int, tuple[int, int]]


def check_channels(name: str, in_channels: Any, out_channels: Any, groups: Any) -> None:
    """Channel counts and groups are positive ints, and groups divides both counts."""
    for what, v in (("in_channels", in_channels), ("out_channels", out_channels),
                    ("groups", groups)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise TypeError(f"{name}: {what} must be an int, got {type_name(v)}")
        if v <= 0:
            raise ValueError(f"{name}: {what} must be a positive int, got {v}")
    for what, v in (("in_channels", in_channels), ("out_channels", out_channels)):
        if v % groups:
            raise ValueError(f"{name}: {what} must be divisible by groups (got {what}={v}, "
                             f"groups={groups})")


def check_image_input(layer: Module, input: Any) -> None:
    """``input`` is (N, C, H, W) or unbatched (C, H, W) with the layer's C channels."""
    name = type(layer).__name__
    _check_input(name, input)
    if input.ndim not in (3, 4) or input.shape[-3] != layer.in_channels:
        c = layer.in_channels
        raise ValueError(f"{name}({layer.extra_repr()}): expected input of shape "
                         f"(N, {c}, H, W) or unbatched ({c}, H, W), got {input.shape}")


def conv_repr(layer: Module) -> str:
    """PyTorch's repr of a convolution's arguments: the non-default ones only."""
    s = (f"{layer.in_channels}, {layer.out_channels}, kernel_size={layer.kernel_size}, "
         f"stride={layer.stride}")
    for what, default in (("padding", (0, 0)), ("dilation", (1, 1)),
                          ("output_padding", (0, 0)), ("groups", 1)):
        value = getattr(layer, what, default)
        if value != default:
            s += f", {what}={value}"
    return s + (", bias=False" if layer.bias is None else "")


class Conv2d(Module):
    """2-D convolution (cross-correlation, as in every DL framework).

    Shapes: input (N, C_in, H, W) or unbatched (C_in, H, W) -> output (N, C_out, H_out, W_out),
    ``H_out = (H + 2 padding - dilation (kernel - 1) - 1) // stride + 1`` (same for W).
    weight (C_out, C_in / groups, kH, kW), bias (C_out,). ``padding`` may be an int, a
    pair, ``'valid'`` (no padding) or ``'same'`` (output size = input size; stride 1 only).
    Init as PyTorch: kaiming_uniform_(a=sqrt(5)) weight, bias U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    with fan_in = C_in / groups * kH * kW.  Padding is with zeros: PyTorch's
    ``padding_mode='zeros'`` is accepted, its other modes raise a ValueError.  ``device``
    may only be the CPU; ``dtype`` is float32 (the default) or float64.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrPair,
                 stride: IntOrPair = 1, padding: Union[str, IntOrPair] = 0,
                 dilation: IntOrPair = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        if padding_mode != "zeros":
            raise ValueError(f"Conv2d: padding_mode={padding_mode!r} is not supported; tinynet "
                             f"pads with zeros only (padding_mode='zeros')")
        check_channels("Conv2d", in_channels, out_channels, groups)
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = pair(kernel_size, "kernel_size", 1, "Conv2d")
        self.stride = pair(stride, "stride", 1, "Conv2d")
        self.dilation = pair(dilation, "dilation", 1, "Conv2d")
        self.groups = int(groups)
        self.padding_mode = padding_mode
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Conv2d: padding must be an int, a pair, 'same' or 'valid', "
                                 f"got {padding!r}")
            if padding == "same" and self.stride != (1, 1):
                raise ValueError("Conv2d: padding='same' is not supported for strided "
                                 f"convolutions (stride={self.stride})")
            self.padding: Union[str, tuple[int, int]] = padding
        else:
            self.padding = pair(padding, "padding", 0, "Conv2d")

        kh, kw = self.kernel_size
        self.weight = Parameter(np.empty((self.out_channels, self.in_channels // self.groups,
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

    def forward(self, input: Any) -> Any:
        check_image_input(self, input)
        return conv2d(input, self.weight, self.bias, self.stride, self.padding,
                      self.dilation, self.groups)

    def extra_repr(self) -> str:
        return conv_repr(self)
