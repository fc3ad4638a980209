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
