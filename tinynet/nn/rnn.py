"""Recurrent layers: RNN, LSTM, GRU and their one-step Cells, as in PyTorch.

Each is a loop over time of existing ops (``linear``, ``sigmoid``, ``tanh``, ``*``, ``+``,
indexing, ``stack``), so the tape records every step and autodiff needs nothing new:
backpropagation through time is just ``backward()`` on the unrolled graph.

One step, with x_t the input and h the hidden state (W_i* and W_h* are the rows of
``weight_ih`` and ``weight_hh`` for each gate, b_i* and b_h* of the biases)::

    RNN   h' = tanh(W_ih x_t + b_ih + W_hh h + b_hh)          (or relu)
    LSTM  i, f, g, o = split(W_ih x_t + b_ih + W_hh h + b_hh)  input, forget, cell, output
          c' = sigmoid(f) * c + sigmoid(i) * tanh(g);   h' = sigmoid(o) * tanh(c')
          (with proj_size > 0: h' = W_hr h', a smaller hidden state)
    GRU   r = sigmoid(W_ir x_t + b_ir + W_hr h + b_hr)        reset
          z = sigmoid(W_iz x_t + b_iz + W_hz h + b_hz)        update
          n = tanh(W_in x_t + b_in + r * (W_hn h + b_hn))     new
          h' = (1 - z) * n + z * h

The input projections ``W_ih x_t + b_ih`` of a whole sequence are one matrix product
before the loop; only ``W_hh h`` must wait for the previous step.
"""
from __future__ import annotations

import math
import numbers
import warnings
from typing import Any, Optional

import numpy as np

from ..ops.elementwise import relu, sigmoid, tanh
from ..ops.shape import cat, stack
from ..tensor import Tensor
from .._names import type_name
from . import init
from .functional.dropout import dropout as _dropout
from .functional.linear import linear
from .module import Module
from .parameter import Parameter

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


# --------------------------------------------------------------------------
# One time step (shared by the layers and the cells).  ``xp`` is the input's projection
# W_ih x + b_ih (batch, gates * H); the result is the new hidden state (and cell state).
# --------------------------------------------------------------------------
def _rnn_step(xp: Tensor, h: Tensor, w_hh: Tensor, b_hh: Optional[Tensor],
              nonlinearity: str) -> Tensor:
    pre = xp + linear(h, w_hh, b_hh)
    return tanh(pre) if nonlinearity == "tanh" else relu(pre)


def _lstm_step(xp: Tensor, h: Tensor, c: Tensor, w_hh: Tensor, b_hh: Optional[Tensor],
               w_hr: Optional[Tensor] = None) -> tuple[Tensor, Tensor]:
    i, f, g, o = (xp + linear(h, w_hh, b_hh)).chunk(4, -1)
    c = sigmoid(f) * c + sigmoid(i) * tanh(g)
    h = sigmoid(o) * tanh(c)
    return (h if w_hr is None else linear(h, w_hr)), c


def _gru_step(xp: Tensor, h: Tensor, w_hh: Tensor, b_hh: Optional[Tensor]) -> Tensor:
    xr, xz, xn = xp.chunk(3, -1)
    hr, hz, hn = linear(h, w_hh, b_hh).chunk(3, -1)
    r = sigmoid(xr + hr)
    z = sigmoid(xz + hz)
    n = tanh(xn + r * hn)
    return n + z * (h - n)  # = (1 - z) n + z h, as PyTorch computes it


# --------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------
def _check_int(layer: str, name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{layer}: {name} should be of type int, got: {type_name(value)}")
    if value < minimum:
        raise ValueError(f"{layer}: {name} must be "
                         + ("greater than zero" if minimum == 1 else f">= {minimum}")
                         + f", got {value}")
    return int(value)


def _check_tensor(layer: str, what: str, t: Any, like: Tensor) -> Tensor:
    if not isinstance(t, Tensor):
        raise TypeError(f"{layer}: {what} must be a Tensor, got {type_name(t)}"
                        + ("; tinynet has no PackedSequence: pad the batch to one length"
                           if type(t).__name__ == "PackedSequence" else ""))
    if t.dtype != like.dtype:
        raise TypeError(f"{layer}: {what} dtype {t.dtype} does not match the weights' dtype "
                        f"{like.dtype}; convert the {what} (x.to({str(like.dtype)!r})) or the "
                        f"model (model.float() / model.double())")
    return t


# --------------------------------------------------------------------------
# The layers: a whole sequence, several layers, one or two directions
# --------------------------------------------------------------------------
class RNNBase(Module):
    """The shared machinery of RNN, LSTM and GRU (PyTorch's class of the same name).

    Shapes (L = sequence length, N = batch, D = 2 if bidirectional else 1, H_out =
    proj_size or hidden_size):

    * input: (L, N, input_size), (N, L, input_size) with ``batch_first``, or unbatched
      (L, input_size);
    * h_0 (and c_0 for LSTM): (D * num_layers, N, H_out) (c_0: hidden_size), or
      (D * num_layers, H_out) unbatched; zeros when not given (``batch_first`` does not
      apply to them, as in PyTorch);
    * output: (L, N, D * H_out) (batch first if ``batch_first``): the last layer's hidden
      state at every step, the two directions side by side; h_n (and c_n): like h_0.

    Parameters, named as PyTorch's so a state_dict maps key for key, for each layer k
    and direction (suffix ``_reverse`` for the backward one): ``weight_ih_l{k}``
    (gates * hidden_size, layer input), ``weight_hh_l{k}`` (gates * hidden_size, H_out),
    ``bias_ih_l{k}``, ``bias_hh_l{k}`` (gates * hidden_size,) and, for an LSTM with
    proj_size, ``weight_hr_l{k}`` (proj_size, hidden_size).  Init as PyTorch: every
    parameter U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).  ``dropout`` applies to the
    outputs of every layer but the last, in training mode.
    """

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, device: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        name = {"RNN_TANH": "RNN", "RNN_RELU": "RNN"}.get(mode, mode)
        self.mode = mode
        self.input_size = _check_int(name, "input_size", input_size, 0)
        self.hidden_size = _check_int(name, "hidden_size", hidden_size, 1)
        self.num_layers = _check_int(name, "num_layers", num_layers, 1)
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) \
                or not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout should be a number in range [0, 1] representing "
                             f"the probability of an element being zeroed, got {dropout!r}")
        if dropout > 0 and self.num_layers == 1:
            warnings.warn(f"dropout option adds dropout after all but last recurrent layer, so "
                          f"non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", UserWarning,
                          stacklevel=3)
        if isinstance(proj_size, bool) or not isinstance(proj_size, (int, np.integer)) \
                or proj_size < 0:
            raise ValueError(f"{name}: proj_size should be a positive integer or zero to "
                             f"disable projections, got {proj_size!r}")
        if proj_size >= self.hidden_size:
            raise ValueError(f"{name}: proj_size has to be smaller than hidden_size "
                             f"({proj_size} >= {self.hidden_size})")
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        self.proj_size = int(proj_size)

        gates, H = _GATES[mode] * self.hidden_size, self.hidden_size
        out = self.proj_size or H
        directions = 2 if self.bidirectional else 1
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else out * directions
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = {"weight_ih": (gates, layer_input), "weight_hh": (gates, out)}
                if self.bias:
                    shapes.update(bias_ih=(gates,), bias_hh=(gates,))
                if self.proj_size:
                    shapes["weight_hr"] = (self.proj_size, H)
                names = []
                for kind, shape in shapes.items():
                    setattr(self, kind + suffix, Parameter(np.empty(shape, dtype=np.float32)))
                    names.append(kind + suffix)
                self._flat_weights_names += names
                self._all_weights.append(names)
        self.reset_parameters()
        self._place(device, dtype)

    def reset_parameters(self) -> None:
        """Draw fresh initial values: U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -stdv, stdv)

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters of each layer and direction, in PyTorch's order."""
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self) -> None:
        """PyTorch packs the weights into one buffer for cuDNN; on the CPU (and in tinynet)
        there is nothing to pack, so this does nothing, as torch's CPU version."""

    def _params(self, layer: int, direction: int) -> tuple[Optional[Tensor], ...]:
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        return tuple(getattr(self, kind + suffix, None)
                     for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh", "weight_hr"))

    # -- forward -------------------------------------------------------------------
    def _name(self) -> str:
        return self._get_name()

    def _check_hidden(self, what: str, h: Any, shape: tuple[int, ...], batched: bool,
                      like: Tensor) -> Tensor:
        h = _check_tensor(self._name(), what, h, like)
        if batched and h.ndim != 3:
            raise ValueError(f"For batched 3-D input, {what} should also be 3-D but got "
                             f"{h.ndim}-D tensor")
        if not batched and h.ndim != 2:
            raise ValueError(f"For unbatched 2-D input, {what} should also be 2-D but got "
                             f"{h.ndim}-D tensor")
        if not batched:
            h = h.unsqueeze(1)
        if h.shape != shape:
            raise ValueError(f"{self._name()}: expected {what} of size "
                             f"{shape if batched else (shape[0], shape[2])}, got "
                             f"{h.shape if batched else (h.shape[0], h.shape[2])}")
        return h

    def forward(self, input: Any, hx: Any = None) -> Any:
        name = self._name()
        weight = self.weight_ih_l0
        x = _check_tensor(name, "input", input, weight)
        if x.ndim not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {x.ndim}D tensor "
                             f"instead")
        batched = x.ndim == 3
        if not batched:
            x = x.unsqueeze(1)                       # (L, 1, input_size)
        elif self.batch_first:
            # time first inside; a copy, not a strided view: numpy's matmul does not use
            # BLAS for a strided 3-D array, and the input projection would crawl
            x = x.transpose(0, 1).contiguous()
        L, N, F = x.shape
        if F != self.input_size:
            raise ValueError(f"{name}: input.size(-1) must be equal to input_size. Expected "
                             f"{self.input_size}, got {F}")
        if L == 0:
            raise ValueError(f"{name}: Expected sequence length to be larger than 0 in RNN")
        directions = 2 if self.bidirectional else 1
        out_size = self.proj_size or self.hidden_size
        h_shape = (self.num_layers * directions, N, out_size)
        c_shape = (self.num_layers * directions, N, self.hidden_size)
        h0 = c0 = None
        if self.mode == "LSTM":
            if hx is not None:
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise TypeError(f"LSTM: hx must be a tuple (h_0, c_0) of two Tensors, "
                                    f"got {type_name(hx)}")
                h0 = self._check_hidden("hx[0]", hx[0], h_shape, batched, weight)
                c0 = self._check_hidden("hx[1]", hx[1], c_shape, batched, weight)
        elif hx is not None:
            h0 = self._check_hidden("hx", hx, h_shape, batched, weight)
        if h0 is None:
            h0 = Tensor(np.zeros(h_shape, dtype=weight.dtype))
        if self.mode == "LSTM" and c0 is None:
            c0 = Tensor(np.zeros(c_shape, dtype=weight.dtype))

        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                k = layer * directions + direction
                seq, h, c = self._run(x, layer, direction, h0[k], None if c0 is None else c0[k])
                outputs.append(seq)
                h_n.append(h)
                c_n.append(c)
            x = outputs[0] if directions == 1 else cat(outputs, dim=2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = _dropout(x, self.dropout, True)
        output, h_n = x, stack(h_n)
        c_n = stack(c_n) if self.mode == "LSTM" else None
        if not batched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
            c_n = c_n.squeeze(1) if c_n is not None else None
        elif self.batch_first:
            output = output.transpose(0, 1)
        return (output, (h_n, c_n)) if self.mode == "LSTM" else (output, h_n)

    def _run(self, x: Tensor, layer: int, direction: int, h: Tensor,
             c: Optional[Tensor]) -> tuple[Tensor, Tensor, Optional[Tensor]]:
        """One layer in one direction over the sequence x (L, N, F): (outputs, h, c)."""
        w_ih, w_hh, b_ih, b_hh, w_hr = self._params(layer, direction)
        xp = linear(x, w_ih, b_ih)              # every step's input projection at once
        steps = range(x.shape[0] - 1, -1, -1) if direction else range(x.shape[0])
        outputs = []
        for t in steps:
            if self.mode == "LSTM":
                h, c = _lstm_step(xp[t], h, c, w_hh, b_hh, w_hr)
            elif self.mode == "GRU":
                h = _gru_step(xp[t], h, w_hh, b_hh)
            else:
                h = _rnn_step(xp[t], h, w_hh, b_hh, "tanh" if self.mode == "RNN_TANH" else "relu")
            outputs.append(h)
        if direction:
            outputs.reverse()                   # the output at step t belongs at position t
        return stack(outputs), h, c

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)`` (or relu), for
    every layer and direction.  ``RNN(input_size, hidden_size, num_layers=1,
    nonlinearity='tanh', bias=True, batch_first=False, dropout=0.0, bidirectional=False,
    device=None, dtype=None)``; ``output, h_n = rnn(input, h_0=None)``.  Shapes and
    parameters: see :class:`RNNBase`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        if len(args) > 3:  # PyTorch's positional order: nonlinearity comes 4th
            nonlinearity, args = args[3], args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' "
                             f"or 'relu'.")
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU",
                         *args, **kwargs)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory.  ``LSTM(input_size, hidden_size, num_layers=1, bias=True,
    batch_first=False, dropout=0.0, bidirectional=False, proj_size=0, device=None,
    dtype=None)``; ``output, (h_n, c_n) = lstm(input, (h_0, c_0))`` (both optional).
    Gates in PyTorch's order i, f, g, o (rows of ``weight_ih``).  See :class:`RNNBase`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Gated recurrent unit.  ``GRU(input_size, hidden_size, num_layers=1, bias=True,
    batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None)``;
    ``output, h_n = gru(input, h_0=None)``.  Gates in PyTorch's order r, z, n.  See
    :class:`RNNBase`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if "proj_size" in kwargs:
            raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")
        super().__init__("GRU", *args, **kwargs)


# --------------------------------------------------------------------------
# The cells: one time step, for loops written by hand
# --------------------------------------------------------------------------
class RNNCellBase(Module):
    """One step of a recurrent layer.  Input (N, input_size) or unbatched (input_size,);
    hidden state (N, hidden_size) or (hidden_size,), zeros when not given.  Parameters
    ``weight_ih`` (gates * hidden_size, input_size), ``weight_hh`` (gates * hidden_size,
    hidden_size), ``bias_ih``, ``bias_hh`` (gates * hidden_size,); init as PyTorch:
    U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool, gates: int,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__()
        name = self._get_name()
        self.input_size = _check_int(name, "input_size", input_size, 0)
        self.hidden_size = _check_int(name, "hidden_size", hidden_size, 1)
        self.bias = bool(bias)
        rows = gates * self.hidden_size
        self.weight_ih = Parameter(np.empty((rows, self.input_size), dtype=np.float32))
        self.weight_hh = Parameter(np.empty((rows, self.hidden_size), dtype=np.float32))
        if self.bias:
            self.bias_ih = Parameter(np.empty(rows, dtype=np.float32))
            self.bias_hh = Parameter(np.empty(rows, dtype=np.float32))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()
        self._place(device, dtype)

    def reset_parameters(self) -> None:
        """Draw fresh initial values: U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch."""
        stdv = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -stdv, stdv)

    def _input(self, input: Any) -> tuple[Tensor, bool]:
        """The input as (N, input_size), and whether it came unbatched."""
        name = self._get_name()
        x = _check_tensor(name, "input", input, self.weight_ih)
        if x.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {x.ndim}D instead")
        if x.shape[-1] != self.input_size:
            raise ValueError(f"{name}: input has inconsistent input_size: got {x.shape[-1]} "
                             f"expected {self.input_size}")
        return (x if x.ndim == 2 else x.unsqueeze(0)), x.ndim == 1

    def _hidden(self, h: Any, which: int, x: Tensor, unbatched: bool) -> Tensor:
        """A given hidden (or cell) state, checked, as (N, hidden_size); zeros if None."""
        name = self._get_name()
        if h is None:
            return Tensor(np.zeros((x.shape[0], self.hidden_size), dtype=x.dtype))
        h = _check_tensor(name, f"hidden{which}", h, self.weight_ih)
        if h.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {h.ndim}D instead")
        if h.ndim != (1 if unbatched else 2):
            raise ValueError(f"{name}: for {'an unbatched' if unbatched else 'a batched'} "
                             f"input, hidden{which} should be {1 if unbatched else 2}-D, got "
                             f"shape {h.shape}")
        h = h if h.ndim == 2 else h.unsqueeze(0)
        if h.shape[0] != x.shape[0]:
            raise ValueError(f"{name}: Input batch size {x.shape[0]} doesn't match "
                             f"hidden{which} batch size {h.shape[0]}")
        if h.shape[1] != self.hidden_size:
            raise ValueError(f"{name}: hidden{which} has inconsistent hidden_size: got "
                             f"{h.shape[1]}, expected {self.hidden_size}")
        return h

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s


class RNNCell(RNNCellBase):
    """``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)`` (or relu): ``h' = cell(input, h=None)``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", device: Any = None, dtype: Any = None) -> None:
        if nonlinearity not in ("tanh", "relu"):  # (PyTorch only fails at the first call)
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}. Select from 'tanh' or "
                             f"'relu'.")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Any, hx: Any = None) -> Tensor:
        x, unbatched = self._input(input)
        h = self._hidden(hx, 0, x, unbatched)
        h = _rnn_step(linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh, self.bias_hh,
                      self.nonlinearity)
        return h.squeeze(0) if unbatched else h


class LSTMCell(RNNCellBase):
    """One LSTM step: ``h', c' = cell(input, (h, c))`` (the pair optional: zeros)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input: Any, hx: Any = None) -> tuple[Tensor, Tensor]:
        x, unbatched = self._input(input)
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(f"LSTMCell: hx must be a tuple (h, c) of two Tensors, got "
                            f"{type_name(hx)}")
        h, c = (None, None) if hx is None else hx
        h, c = self._hidden(h, 0, x, unbatched), self._hidden(c, 1, x, unbatched)
        h, c = _lstm_step(linear(x, self.weight_ih, self.bias_ih), h, c, self.weight_hh,
                          self.bias_hh)
        return (h.squeeze(0), c.squeeze(0)) if unbatched else (h, c)


class GRUCell(RNNCellBase):
    """One GRU step: ``h' = cell(input, h=None)``; gates r, z, n as in :class:`GRU`."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 device: Any = None, dtype: Any = None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input: Any, hx: Any = None) -> Tensor:
        x, unbatched = self._input(input)
        h = self._hidden(hx, 0, x, unbatched)
        h = _gru_step(linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh, self.bias_hh)
        return h.squeeze(0) if unbatched else h

