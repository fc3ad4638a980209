"""The checks ``backward()`` makes, and the errors it reports, kept out of the lesson.

Each names the tape entry at fault the way ``output.tape()`` numbers its rows.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from ._names import type_name


def seed_gradient(out: Any, gradient: Any) -> np.ndarray:
    """dL/dout to start from, as an array: 1 for a one-element output, else the given
    gradient (a Tensor, an array or a list) in the output's shape and dtype."""
    if not out.requires_grad:
        raise RuntimeError("backward(): this tensor does not require grad and has no "
                           "tape entry; did you create its inputs with requires_grad=True "
                           "(or run the forward inside no_grad())?")
    if gradient is None:
        if out.array.size != 1:
            raise RuntimeError(f"backward(): grad can be implicitly created only for "
                               f"one-element outputs; this output has shape {out.shape}, "
                               f"so pass a gradient of that shape")
        return np.ones_like(out.array)
    g = np.asarray(gradient)
    if g.dtype.kind not in ("biufc" if out.dtype.kind == "c" else "biuf"):
        # (numpy would turn None into nan and silently drop imaginary parts)
        raise TypeError(f"backward(): the gradient must hold real numbers, got "
                        f"{type_name(gradient)} of dtype {g.dtype}")
    if g.shape != out.shape:
        raise ValueError(f"backward(): the gradient has shape {g.shape}, expected the "
                         f"output's shape {out.shape}")
    return g if g.dtype == out.dtype else g.astype(out.dtype)


def entry_name(node: Any, order: list) -> str:
    """How errors name an entry: numbered as the rows of ``output.tape()``."""
    return f"entry #{order.index(node)} '{node.op}' (numbered as in .tape())"


def check_replayable(node: Any, order: list, create_graph: bool) -> None:
    """The entry still has its rule, nothing it saw changed since, and (when the backward
    is recorded) its rule is written with Tensor ops."""
    if node.backward is None:
        raise RuntimeError(
            f"backward(): trying to go back through the tape a second time "
            f"({entry_name(node, order)}): its saved buffers were released by the first "
            f"backward; pass retain_graph=True to the first backward if you need two")
    for box, v in zip(node.vboxes, node.versions):
        if box[0] != v:
            raise RuntimeError(
                f"backward(): a tensor used by {entry_name(node, order)} was modified in "
                f"place after the op recorded it (version {v} -> {box[0]}), so the gradient "
                f"could be wrong; make a copy instead of changing it")
    if create_graph and getattr(node.backward, "numpy_only", False):
        why = getattr(node.backward, "first_order_reason",
                      "its gradient rule computes with numpy arrays (@numpy_rule), "
                      "outside the tape")
        raise FirstOrderOnlyError(
            f"backward(create_graph=True): {entry_name(node, order)} cannot be "
            f"differentiated twice: {why}, so the backward through it "
            f"cannot be recorded. Without create_graph it works; for higher derivatives, "
            f"use ops whose rules are Tensor ops, or write this step as a "
            f"tinynet.autograd.Function whose backward uses Tensor ops")


class FirstOrderOnlyError(RuntimeError):
    """``backward(create_graph=True)`` reached an entry whose rule cannot be recorded."""


def check_rule_output(node: Any, in_grads: Sequence[Any], order: list) -> None:
    """One gradient (or None) per input, each of its input's exact shape."""
    if type(in_grads) not in (tuple, list) or len(in_grads) != len(node.inputs):
        raise RuntimeError(f"backward(): {entry_name(node, order)} must return a tuple with "
                           f"one gradient (or None) per input, for its {len(node.inputs)} "
                           f"inputs")
    for inp, ig in zip(node.inputs, in_grads):
        if ig is not None and inp.requires_grad and ig.array.shape != inp.array.shape:
            # fail here, before broadcasting hides it in a later entry
            raise RuntimeError(
                f"backward(): a gradient of shape {ig.shape} reached a tensor of shape "
                f"{inp.shape} from {entry_name(node, order)}; the op's backward must return "
                f"each input's exact shape")


def check_leaf_gradient(t: Any, g: Any) -> None:
    """A gradient arriving at a tensor's ``.grad`` fits it."""
    if g.shape != t.shape:  # a gradient rule broke its contract: fail loudly
        raise RuntimeError(f"backward(): a gradient of shape {g.shape} reached a tensor of "
                           f"shape {t.shape}; the op's backward must return each input's "
                           f"exact shape")
    if t.array.dtype.kind not in "fc":  # e.g. ``int_tensor.requires_grad = True``
        raise RuntimeError(f"backward(): a gradient reached a tensor of dtype {t.dtype}; "
                           f"only floating-point tensors can require gradients")


def new_array(data: Any, dtype: Any) -> np.ndarray:
    """A copy of ``data`` as a Tensor holds it: Python floats become float32 and ints
    int64, as in PyTorch (numpy arrays keep their dtype); strings and objects refused."""
    arr = np.array(data, dtype=dtype, copy=True)
    if dtype is None:
        if arr.dtype == np.float64 and not isinstance(data, (np.ndarray, np.floating)):
            arr = arr.astype(np.float32)
        elif arr.dtype.kind in "OUSV":
            raise TypeError(f"tensor: cannot make a tensor from {type_name(data)} "
                            f"(got numpy dtype {arr.dtype}); pass numbers or arrays")
        elif arr.dtype.kind == "i" and arr.dtype != np.int64:
            arr = arr.astype(np.int64)
    return arr


def check_assigned_grad(t: Any, value: Any, tensor_type: type) -> Any:
    """``t.grad = value``: None, or a Tensor of t's shape and dtype (as PyTorch)."""
    if value is not None:
        if not isinstance(value, tensor_type):
            raise TypeError(f"assigned grad expected to be a Tensor or None but got "
                            f"{type_name(value)}")
        if value.shape != t.shape or value.dtype != t.dtype:
            raise RuntimeError(f"assigned grad has shape {value.shape} and dtype "
                               f"{value.dtype}, but this tensor has shape {t.shape} "
                               f"and dtype {t.dtype}")
    return value


def check_assigned_data(value: Any, tensor_type: type) -> Any:
    """``t.data = value``: a Tensor."""
    if not isinstance(value, tensor_type):
        raise TypeError(f"data: expected a Tensor, got {type_name(value)}")
    return value


def check_requires_grad(t: Any, requires_grad: Any) -> bool:
    """``t.requires_grad_(flag)``: only floating-point tensors, and only leaves can stop."""
    if requires_grad and t.array.dtype.kind not in "fc":
        raise TypeError(f"only floating-point tensors can require gradients, "
                        f"got dtype {t.array.dtype}; make it with dtype=float32")
    if not requires_grad and t._node is not None:
        raise RuntimeError("requires_grad_(False): only leaf tensors can stop requiring "
                           "grad; use .detach() for a non-leaf")
    return bool(requires_grad)


def check_matmul_shapes(a: tuple, b: tuple) -> None:
    """``a @ b``: the inner dimensions line up and the batch dimensions broadcast."""
    if len(a) == 0 or len(b) == 0 or a[-1] != b[-2 if len(b) > 1 else 0]:
        raise ValueError(f"matmul: shapes {a} and {b} do not line up (the last dimension "
                         f"of the first must equal the second's rows)")
    try:
        if len(a) > 2 or len(b) > 2:
            np.broadcast_shapes(a[:-2], b[:-2])
    except ValueError:
        raise ValueError(f"matmul: the batch dimensions of shapes {a} and {b} do not "
                         f"broadcast") from None
