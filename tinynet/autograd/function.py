"""Your own op with its own gradient: ``tinynet.autograd.Function``, as in PyTorch.

Subclass it with two static methods and call ``MyOp.apply(...)``::

    class Cube(Function):
        @staticmethod
        def forward(ctx, x):            # runs under no_grad: nothing inside is recorded
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):           # g = dL/dout; return dL/dx, one per forward argument
            (x,) = ctx.saved_tensors
            return g * 3 * x ** 2

    y = Cube.apply(x)                   # one tape entry, "Cube"; y.grad_fn.name() == "CubeBackward"

``apply`` is ``record`` (tinynet/tensor.py) with the rule supplied by your class: the
entry's inputs are the Tensor arguments, and its rule calls your ``backward``.  The
rule runs in the same grad mode as every other rule, so a ``backward`` written with
Tensor ops is recorded by ``backward(create_graph=True)`` and can be differentiated
again; one written with numpy is first-order only (mark it ``@once_differentiable``).

Arguments that are not Tensors (numbers, flags) are passed through; their gradient
is ``None``.  ``backward`` returns one gradient per argument of ``forward`` (or a
single Tensor for a one-argument ``forward``), each of its input's exact shape.

A ``forward`` that returns a tuple of k Tensors records one entry per output; each
entry's rule calls ``backward`` with its own output's gradient and zeros for the
others (``backward`` is linear in the gradients, so the contributions add up).
"""
from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Optional

import numpy as np

from .._names import type_name
from ..tensor import Tensor, is_grad_enabled, no_grad, record
from .graph import _register_function_entry

__all__ = ["Function", "FunctionCtx", "once_differentiable"]


class FunctionCtx:
    """``ctx``: what ``forward`` leaves for ``backward``.

    Attributes:
        needs_input_grad: one bool per argument of ``forward``: whether it is a Tensor
            that requires grad (skip computing the others' gradients).
        saved_tensors: the tensors given to :meth:`save_for_backward`, in order.

    Anything else can be stored as a plain attribute (``ctx.scale = 2.0``).
    """

    def __init__(self, needs_input_grad: tuple) -> None:
        self.needs_input_grad = needs_input_grad
        self._saved: tuple = ()
        self._non_differentiable: list = []
        self.materialize_grads = True

    def save_for_backward(self, *tensors: Optional[Tensor]) -> None:
        """Keep tensors (inputs or outputs of ``forward``) for ``backward``.  Saving an
        input rather than a copy keeps it on the tape, which double backward needs."""
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, Tensor):
                raise TypeError(f"save_for_backward: argument {i} is {type_name(t)}; only "
                                f"Tensors (or None) can be saved -- store other values as "
                                f"attributes of ctx (ctx.name = value)")
        self._saved = tensors

    @property
    def saved_tensors(self) -> tuple:
        return self._saved

    def mark_non_differentiable(self, *outputs: Tensor) -> None:
        """Outputs of ``forward`` that get no gradient (e.g. indices): they do not require
        grad, and ``backward`` receives zeros for them."""
        self._non_differentiable.extend(id(t) for t in outputs)

    def set_materialize_grads(self, value: bool) -> None:
        """With False, ``backward`` gets None (not zeros) for outputs no gradient reached."""
        self.materialize_grads = bool(value)


def once_differentiable(backward: Callable) -> Callable:
    """Decorate a ``backward`` that computes with numpy: it runs under ``no_grad`` and
    ``backward(create_graph=True)`` through it says that it is first-order only."""
    @functools.wraps(backward)
    def wrapper(ctx: FunctionCtx, *grads: Any) -> Any:
        with no_grad():
            return backward(ctx, *grads)
    wrapper.once_differentiable = True  # type: ignore[attr-defined]
    return wrapper


class Function:
    """Base class for an op defined by its ``forward`` and ``backward`` (static methods).

    Use it as ``MyOp.apply(*args)``; never instantiate it.  See the module docstring.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise RuntimeError(f"{type(self).__name__}: a Function is not instantiated; call "
                           f"{type(self).__name__}.apply(...)")

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any) -> Any:
        raise NotImplementedError("a Function subclass must define forward(ctx, ...)")

    @staticmethod
    def backward(ctx: FunctionCtx, *grads: Tensor) -> Any:
        raise NotImplementedError("a Function subclass must define backward(ctx, *grads)")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward`` under ``no_grad`` and record one tape entry per output."""
        if cls.forward is Function.forward or cls.backward is Function.backward:
            raise NotImplementedError(f"{cls.__name__} must define both forward(ctx, ...) "
                                      f"and backward(ctx, *grads) as static methods")
        args = _bind(cls, args, kwargs)
        ctx = FunctionCtx(tuple(isinstance(a, Tensor) and a.requires_grad for a in args))
        with no_grad():
            result = cls.forward(ctx, *args)
        single = isinstance(result, Tensor)
        outs = (result,) if single else result
        if not isinstance(outs, tuple) or not any(isinstance(o, Tensor) for o in outs):
            raise TypeError(f"{cls.__name__}.forward must return a Tensor or a tuple of "
                            f"Tensors, got {type_name(result)}")
        inputs = tuple(a for a in args if isinstance(a, Tensor))
        recording = is_grad_enabled() and any(ctx.needs_input_grad)
        diff = [isinstance(o, Tensor) and o.dtype.kind in "fc"
                and id(o) not in ctx._non_differentiable for o in outs]
        final = []
        for k, o in enumerate(outs):
            if not isinstance(o, Tensor):
                final.append(o)
            elif recording and diff[k]:
                shared = next((t for t in inputs if np.may_share_memory(t.array, o.array)),
                              None)  # a view of an input: share its version counter
                t = record(cls.__name__, o.array, inputs,
                           _rule(cls, ctx, args, outs, diff, k), view_of=shared)
                _register_function_entry(t._node, cls)
                final.append(t)
            else:
                final.append(o.detach())
        # a saved output must be the recorded one, so double backward sees it depends on x
        swap = {id(o): f for o, f in zip(outs, final) if isinstance(o, Tensor)}
        ctx._saved = tuple(swap.get(id(t), t) if t is not None else None for t in ctx._saved)
        return final[0] if single else tuple(final)


def _bind(cls: type, args: tuple, kwargs: dict) -> tuple:
    """``apply``'s arguments as positional ones, keyword ones bound by ``forward``'s names."""
    if not kwargs:
        return args
    try:
        params = list(inspect.signature(cls.forward).parameters)
        bound = inspect.signature(cls.forward).bind(None, *args, **kwargs)
    except TypeError as e:
        raise TypeError(f"{cls.__name__}.apply: {e}") from None
    last = max(params.index(n) for n in bound.arguments)
    bound.apply_defaults()
    return tuple(bound.arguments[n] for n in params[1:last + 1])


def _arg_label(cls: type, i: int) -> str:
    """``argument 'x' (input 0)`` -- the name from forward's signature where it has one."""
    try:
        params = list(inspect.signature(cls.forward).parameters.values())[1:]
    except (TypeError, ValueError):
        params = []
    if i < len(params) and params[i].kind in (params[i].POSITIONAL_ONLY,
                                              params[i].POSITIONAL_OR_KEYWORD):
        return f"argument '{params[i].name}' (input {i})"
    return f"input {i}"


def _rule(cls: type, ctx: FunctionCtx, args: tuple, outs: tuple, diff: list,
          k: int) -> Callable:
    """The gradient rule of output k's entry: ``cls.backward`` with that output's gradient."""
    def rule(g: Tensor) -> tuple:
        grads: list = [None] * len(outs)
        grads[k] = g
        if ctx.materialize_grads:
            for j, o in enumerate(outs):
                if j != k and isinstance(o, Tensor):
                    grads[j] = Tensor._wrap(np.zeros_like(o.array))
        result = cls.backward(ctx, *grads)
        return _check_gradients(cls, args, result)
    if getattr(cls.backward, "once_differentiable", False):
        rule.numpy_only = True  # type: ignore[attr-defined]
        rule.first_order_reason = (f"{cls.__name__}.backward is marked "  # type: ignore
                                   f"@once_differentiable (it runs under no_grad)")
    return rule


def _check_gradients(cls: type, args: tuple, result: Any) -> tuple:
    """One gradient per argument of forward (None for non-Tensors), each of its input's
    exact shape; returned as the entry's rule returns them: one per Tensor input."""
    grads = result if isinstance(result, (tuple, list)) else (result,)
    n = len(args)
    if len(grads) < n or any(g is not None for g in grads[n:]):
        raise RuntimeError(
            f"{cls.__name__}.backward returned {len(grads)} gradient(s), but forward took "
            f"{n} argument(s): return one per argument, in order (None for an argument "
            f"that needs no gradient)")
    out = []
    for i, (a, g) in enumerate(zip(args, grads)):
        if not isinstance(a, Tensor):
            if g is not None:
                raise RuntimeError(f"{cls.__name__}.backward returned a gradient for "
                                   f"{_arg_label(cls, i)}, which is not a Tensor "
                                   f"({type_name(a)}); return None there")
            continue
        if g is not None and not isinstance(g, Tensor):
            raise TypeError(f"{cls.__name__}.backward returned {type_name(g)} for "
                            f"{_arg_label(cls, i)}; gradients must be Tensors (or None)")
        if g is not None and g.shape != a.shape:
            raise RuntimeError(f"{cls.__name__}.backward returned a gradient of shape "
                               f"{tuple(g.shape)} for {_arg_label(cls, i)}, which has shape "
                               f"{tuple(a.shape)}; each gradient must have its input's shape")
        out.append(g if a.requires_grad else None)
    return tuple(out)
