"""PyTorch's autograd API: gradients without touching ``.grad``, and of gradients.

``grad(outputs, inputs)`` returns dL/dinputs as a tuple; with ``create_graph=True`` the
backward pass is recorded, so the gradients it returns can be differentiated again
(Hessian-vector products, gradient penalties, Newton steps).  ``gradgradcheck`` checks
such second derivatives against finite differences.

Also here: ``Function`` (your own op with its own gradient, function.py),
``functional`` (vjp, jvp, hvp, vhp, jacobian, hessian; functional.py), and PyTorch's
graph walk on tape entries, ``grad_fn.next_functions`` and ``grad_fn.name()`` (graph.py).
"""
from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import numpy as np

from .._names import type_name
from ..gradcheck import gradcheck
from ..tensor import Tensor, backprop
from .function import Function, FunctionCtx, once_differentiable
from .graph import AccumulateGrad

__all__ = ["grad", "gradcheck", "gradgradcheck", "Function", "FunctionCtx",
           "once_differentiable", "AccumulateGrad", "functional"]

Tensors = Union[Tensor, Sequence[Tensor]]


def _as_tuple(x: Tensors, what: str) -> tuple:
    xs = (x,) if isinstance(x, Tensor) else tuple(x)
    for i, t in enumerate(xs):
        if not isinstance(t, Tensor):
            raise TypeError(f"grad(): {what}[{i}] is {type_name(t)}, expected a Tensor")
    return xs


def grad(outputs: Tensors, inputs: Tensors, grad_outputs: Any = None,
         retain_graph: Optional[bool] = None, create_graph: bool = False,
         allow_unused: Optional[bool] = None, materialize_grads: bool = False) -> tuple:
    """The gradients of ``outputs`` with respect to ``inputs``, as a tuple of Tensors.

    ``grad_outputs`` is dL/doutput for each output (it may be omitted for one-element
    outputs).  ``.grad`` of the inputs is left alone.  With ``create_graph=True`` the
    result carries its own tape.  An input that the outputs do not depend on is an
    error unless ``allow_unused=True`` (then its gradient is None, or zeros with
    ``materialize_grads=True``).
    """
    outs, ins = _as_tuple(outputs, "outputs"), _as_tuple(inputs, "inputs")
    if grad_outputs is None:
        grad_outputs = [None] * len(outs)
    elif isinstance(grad_outputs, (Tensor, np.ndarray)):
        grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outs):
        raise RuntimeError(f"grad(): grad_outputs has {len(grad_outputs)} entries but "
                           f"there are {len(outs)} outputs")
    seeds = []
    for i, (out, g) in enumerate(zip(outs, grad_outputs)):
        if not out.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not "
                               f"have a grad_fn")
        if g is None:
            if out.array.size != 1:
                raise RuntimeError(f"grad can be implicitly created only for scalar outputs "
                                   f"(output {i} has shape {out.shape}); pass grad_outputs")
            g = Tensor._wrap(np.ones_like(out.array))
        elif not isinstance(g, Tensor):
            g = Tensor._wrap(np.asarray(g, dtype=out.dtype))
        if g.shape != out.shape:
            raise RuntimeError(f"grad(): grad_outputs[{i}] has shape {g.shape}, expected "
                               f"output {i}'s shape {out.shape}")
        seeds.append(g)
    for t in ins:
        if not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    found = backprop(outs, seeds, retain_graph=create_graph if retain_graph is None
                     else retain_graph, create_graph=create_graph, inputs=ins)
    for i, (t, g) in enumerate(zip(ins, found)):
        if g is None:
            if not (allow_unused or materialize_grads):
                raise RuntimeError(f"One of the differentiated Tensors (inputs[{i}]) appears "
                                   f"to not have been used in the graph. Set "
                                   f"allow_unused=True if this is the desired behavior.")
            if materialize_grads:
                found[i] = Tensor._wrap(np.zeros_like(t.array))
    return tuple(found)


def gradgradcheck(fn: Any, inputs: Sequence[Tensor], eps: float = 1e-6, atol: float = 1e-5,
                  rtol: float = 1e-3, seed: int = 0, **kwargs: Any) -> bool:
    """Check ``fn``'s second derivatives against finite differences; True or raise.

    The first derivatives ``grad(sum(fn(x) * w), x, create_graph=True)`` (w random and
    fixed) are themselves a function of x: ``gradcheck`` compares the recorded backward
    of that function (the second derivatives) with finite differences of it.
    """
    from ..ops.shape import cat

    def first_derivatives(*xs: Tensor) -> Tensor:
        out = fn(*xs)
        w = np.random.default_rng(seed + 1).standard_normal(out.shape)
        wanted = [x for x in xs if x.requires_grad]
        gs = grad(out, wanted, Tensor._wrap(w.astype(out.dtype)), create_graph=True,
                  materialize_grads=True)
        return cat([g.reshape(-1) for g in gs])
    return gradcheck(first_derivatives, inputs, eps=eps, atol=atol, rtol=rtol, seed=seed,
                     **kwargs)


from . import functional  # noqa: E402  (it uses grad, above)
