"""Derivatives of a whole function: PyTorch's ``torch.autograd.functional``.

Each takes ``func`` (Tensors in, Tensors out) and ``inputs`` (a Tensor or a tuple of
Tensors) and returns derivatives in the same structure:

=========================  ===============================================  ================
call                       returns                                          costs
=========================  ===============================================  ================
``vjp(f, x, v)``           ``(f(x), v^T J)``                                one backward
``jvp(f, x, v)``           ``(f(x), J v)``                                  two backwards
``vhp(f, x, v)``           ``(f(x), v^T H)``  (f scalar)                    two backwards
``hvp(f, x, v)``           ``(f(x), H v)``    (f scalar)                    three backwards
``jacobian(f, x)``         ``J`` of shape ``out.shape + x.shape``           one per output element
``hessian(f, x)``          ``H`` of shape ``x.shape + x.shape`` (f scalar)  one per element of x
=========================  ===============================================  ================

J is the Jacobian ``d out / d x`` and H the Hessian of a scalar ``f``.  Only
reverse mode exists here, so forward-mode products (``jvp``, ``hvp``) use the
**double-vjp trick**: ``g(u) = J^T u`` is linear in ``u``; record it (``create_graph``)
for a ``u`` that requires grad, then ``d(g . v)/du = J v``.  That differentiates the
backward pass, so every op in ``func`` needs a gradient rule written with Tensor ops.

``create_graph=True`` keeps the results on the tape (differentiable again);
``strict=True`` raises where an output does not depend on an input instead of
returning zeros.  ``vectorize`` is accepted for PyTorch's signatures and changes
nothing (it is a speed option: tinynet loops over the rows).
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Sequence

import numpy as np

from .._names import type_name
from .._tape_checks import FirstOrderOnlyError
from ..ops.shape import stack
from ..tensor import Tensor, enable_grad
from . import grad as _grad

__all__ = ["vjp", "jvp", "vhp", "hvp", "jacobian", "hessian"]


# -- the plumbing PyTorch's versions share ------------------------------------------
def _as_tuple(x: Any, what: str, fn: str) -> tuple[bool, tuple]:
    """(was it a tuple, the Tensors as a tuple)."""
    is_tuple = isinstance(x, (tuple, list))
    xs = tuple(x) if is_tuple else (x,)
    for i, t in enumerate(xs):
        if not isinstance(t, Tensor):
            where = f"{what}[{i}]" if is_tuple else what
            raise TypeError(f"{fn}: {where} is {type_name(t)}; expected a Tensor or a "
                            f"tuple of Tensors")
    return is_tuple, xs


def _untuple(xs: Any, is_tuple: Any) -> Any:
    """Undo :func:`_as_tuple`; ``is_tuple`` may be a pair for nested results."""
    if isinstance(is_tuple, tuple):
        outer, inner = is_tuple
        if not inner:
            xs = tuple(x[0] for x in xs)
        return xs if outer else xs[0]
    return xs if is_tuple else xs[0]


def _prepare(inputs: tuple, create_graph: bool) -> tuple:
    """Inputs to differentiate with respect to: fresh leaves, or (when the result must
    stay differentiable with respect to the caller's tensors) views on the tape."""
    out = []
    for x in inputs:
        if create_graph and x.requires_grad:
            out.append(x.reshape(x.shape))  # PyTorch's view_as: keeps the tape back to x
        else:
            out.append(x.detach().requires_grad_())
    return tuple(out)


def _finish(xs: tuple, create_graph: bool) -> tuple:
    """Results leave the tape unless ``create_graph``."""
    if create_graph:
        return xs
    return tuple(None if x is None else x.detach() for x in xs)


def _check_v(v: Any, refs: tuple, is_tuple: bool, fn: str, of: str) -> tuple:
    _, vs = _as_tuple(v, "v", fn)
    if len(vs) != len(refs):
        raise RuntimeError(f"{fn}: v has {len(vs)} Tensor(s) but the {of} has {len(refs)}")
    for i, (a, b) in enumerate(zip(vs, refs)):
        if a.shape != b.shape:
            where = f"entry {i} of v" if is_tuple else "v"
            raise RuntimeError(f"{fn}: {where} has shape {tuple(a.shape)}, but the {of}"
                               f"{f' {i}' if is_tuple else ''} has shape {tuple(b.shape)}")
    return tuple(x.detach() for x in vs)


def _check_requires_grad(xs: tuple, what: str, strict: bool) -> None:
    if not strict:
        return
    for i, x in enumerate(xs):
        if x is None or not x.requires_grad:
            raise RuntimeError(f"The {what} {i} of the user-provided function does not depend "
                               f"on its inputs (it does not require grad). This is not "
                               f"allowed in strict mode.")


def _autograd_grad(outputs: Sequence[Optional[Tensor]], inputs: tuple,
                   grad_outputs: Optional[Sequence[Any]] = None, create_graph: bool = False,
                   retain_graph: Optional[bool] = None) -> tuple:
    """``grad`` over the outputs that are on the tape; None for inputs none of them reach."""
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    keep = [(o, g) for o, g in zip(outputs, grad_outputs) if o is not None and o.requires_grad]
    if not keep:
        return (None,) * len(inputs)
    return _grad([o for o, _ in keep], inputs, [g for _, g in keep], retain_graph=retain_graph,
                 create_graph=create_graph, allow_unused=True)


_INDEPENDENT = {
    "back": "The output of the user-provided function is independent of input {i}.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in "
                  "the grad_outputs when using the double backward trick to compute forward "
                  "mode gradients.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry "
                         "{i} in the grad_jacobian.",
}


def _zeros_for_none(grads: tuple, refs: tuple, strict: bool, stage: str) -> tuple:
    out = []
    for i, (g, ref) in enumerate(zip(grads, refs)):
        if g is None:
            if strict:
                raise RuntimeError(_INDEPENDENT[stage].format(i=i)
                                   + " This is not allowed in strict mode.")
            g = Tensor._wrap(np.zeros_like(ref.array))
        out.append(g)
    return tuple(out)


def _zeros_requiring_grad(refs: tuple) -> tuple:
    """The ``u`` of the double-vjp trick: any finite value works, g(u) is linear."""
    return tuple(Tensor(np.zeros_like(r.array), requires_grad=True) for r in refs)


def _recorded(fn: str, compute: Callable[[], Any]) -> Any:
    """Run a step that records a backward pass; say why, if an op's rule cannot be."""
    try:
        return compute()
    except FirstOrderOnlyError as e:
        raise FirstOrderOnlyError(f"{fn} differentiates the backward pass of func, so every "
                                  f"op in it needs a gradient rule written with Tensor ops. "
                                  f"{e}") from None


def _single_element(out: Any, is_tuple: bool, fn: str) -> Tensor:
    if is_tuple:
        raise RuntimeError(f"The function given to {fn} should return a single Tensor, "
                           f"got a tuple of {len(out)}")
    if out.array.size != 1:
        raise RuntimeError(f"The Tensor returned by the function given to {fn} should contain "
                           f"a single element (a scalar), but it has shape {tuple(out.shape)}: "
                           f"{fn} is defined for a scalar function; for a vector-valued one, "
                           f"take it of each output element, or use jacobian")
    return out


# -- the products --------------------------------------------------------------------
def vjp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``(func(inputs), v^T J)``: the vector-Jacobian product, one backward pass.

    ``v`` has the outputs' shapes (it may be omitted for a single-element output).
    """
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "vjp")
        inputs = _prepare(inputs, create_graph)
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided "
                                              "function", "vjp")
        _check_requires_grad(outputs, "output", strict)
        if v is not None:
            v = _check_v(v, outputs, is_outputs_tuple, "vjp", "output")
        elif len(outputs) != 1 or outputs[0].array.size != 1:
            raise RuntimeError("The vector v can only be None if the user-provided function "
                               "returns a single Tensor with a single element.")
    res = _autograd_grad(outputs, inputs, v, create_graph=create_graph)
    res = _zeros_for_none(res, inputs, strict, "back")
    return (_untuple(_finish(outputs, create_graph), is_outputs_tuple),
            _untuple(_finish(res, create_graph), is_inputs_tuple))


def jvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``(func(inputs), J v)``: the Jacobian-vector product, by the double-vjp trick.

    ``v`` has the inputs' shapes (it may be omitted for a single-element input).
    """
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jvp")
        inputs = _prepare(inputs, create_graph)
        if v is not None:
            v = _check_v(v, inputs, is_inputs_tuple, "jvp", "input")
        elif len(inputs) != 1 or inputs[0].array.size != 1:
            raise RuntimeError("The vector v can only be None if the input to the "
                               "user-provided function is a single Tensor with a single "
                               "element.")
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided "
                                              "function", "jvp")
        _check_requires_grad(outputs, "output", strict)
        u = _zeros_requiring_grad(outputs)
        g = _recorded("jvp", lambda: _autograd_grad(outputs, inputs, u, create_graph=True))
        _check_requires_grad(g, "gradient of input", strict)
    res = _autograd_grad(g, u, v, create_graph=create_graph)  # d(g(u) . v)/du = J v
    res = _zeros_for_none(res, outputs, strict, "back_trick")
    return (_untuple(_finish(outputs, create_graph), is_outputs_tuple),
            _untuple(_finish(res, create_graph), is_outputs_tuple))


def _scalar_and_gradient(func: Callable, inputs: Any, v: Any, create_graph: bool,
                         strict: bool, fn: str) -> tuple:
    """The shared start of vhp and hvp: f(x) and its recorded gradient."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", fn)
    inputs = _prepare(inputs, create_graph)
    if v is not None:
        v = _check_v(v, inputs, is_inputs_tuple, fn, "input")
    elif len(inputs) != 1 or inputs[0].array.size != 1:
        raise RuntimeError("The vector v can only be None if the input to the user-provided "
                           "function is a single Tensor with a single element.")
    out = func(*inputs)
    is_outputs_tuple, outputs = _as_tuple(out, "outputs of the user-provided function", fn)
    _check_requires_grad(outputs, "output", strict)
    out = _single_element(out, is_outputs_tuple, fn)
    jac = _recorded(fn, lambda: _autograd_grad(outputs, inputs, create_graph=True))
    _check_requires_grad(jac, "jacobian", strict)
    return is_inputs_tuple, inputs, v, out, jac


def vhp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``(func(inputs), v^T H)`` for a scalar ``func``: the gradient of ``grad(f) . v``."""
    with enable_grad():
        is_inputs_tuple, inputs, v, out, jac = _scalar_and_gradient(
            func, inputs, v, create_graph, strict, "vhp")
    res = _recorded("vhp", lambda: _autograd_grad(jac, inputs, v, create_graph=create_graph))
    res = _zeros_for_none(res, inputs, strict, "double_back")
    return _finish((out,), create_graph)[0], _untuple(_finish(res, create_graph),
                                                      is_inputs_tuple)


def hvp(func: Callable, inputs: Any, v: Any = None, create_graph: bool = False,
        strict: bool = False) -> tuple:
    """``(func(inputs), H v)`` for a scalar ``func``, by the double-vjp trick on its
    gradient (PyTorch's method; H is symmetric for smooth f, so this equals vhp)."""
    with enable_grad():
        is_inputs_tuple, inputs, v, out, jac = _scalar_and_gradient(
            func, inputs, v, create_graph, strict, "hvp")
        u = _zeros_requiring_grad(inputs)
        back = _recorded("hvp", lambda: _autograd_grad(jac, inputs, u, create_graph=True))
        _check_requires_grad(back, "hessian", strict)
    res = _autograd_grad(back, u, v, create_graph=create_graph)
    res = _zeros_for_none(res, inputs, strict, "double_back_trick")
    return _finish((out,), create_graph)[0], _untuple(_finish(res, create_graph),
                                                      is_inputs_tuple)


# -- whole matrices --------------------------------------------------------------------
def _assemble(pieces: list, shape: tuple, axis: int, create_graph: bool, like: Tensor) -> Tensor:
    """Stack the rows (or columns) of a Jacobian and give it its final shape."""
    if not pieces:
        return Tensor._wrap(np.zeros(shape, dtype=like.dtype))
    if create_graph:  # through the tape, so the Jacobian can be differentiated again
        return (pieces[0] if len(pieces) == 1 else stack(pieces, axis)).reshape(shape)
    return Tensor._wrap(np.stack([p.array for p in pieces], axis).reshape(shape))


def jacobian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode") -> Any:
    """The Jacobian of ``func`` at ``inputs``: ``J[i][j]`` of shape
    ``outputs[i].shape + inputs[j].shape`` (without the tuple levels a Tensor
    input or output does not have).

    ``strategy="reverse-mode"`` does one backward per output element;
    ``"forward-mode"`` one Jacobian-vector product per input element (double-vjp).
    """
    if strategy not in ("reverse-mode", "forward-mode"):
        raise ValueError(f'Expected strategy to be either "forward-mode" or "reverse-mode", '
                         f'got {strategy!r}')
    with enable_grad():
        is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "jacobian")
        inputs = _prepare(inputs, create_graph)
        is_outputs_tuple, outputs = _as_tuple(func(*inputs), "outputs of the user-provided "
                                              "function", "jacobian")
        _check_requires_grad(outputs, "output", strict)
        if strategy == "reverse-mode":
            jac = _reverse_jacobian(outputs, inputs, create_graph, strict)
        else:
            jac = _forward_jacobian(outputs, inputs, create_graph, strict)
    jac = tuple(_finish(row, create_graph) for row in jac)
    return _untuple(jac, (is_outputs_tuple, is_inputs_tuple))


def _independent(i: int, j: int) -> RuntimeError:
    return RuntimeError(f"Output {i} of the user-provided function is independent of input "
                        f"{j}. This is not allowed in strict mode.")


def _reverse_jacobian(outputs: tuple, inputs: tuple, create_graph: bool, strict: bool) -> list:
    jac = []
    for i, out in enumerate(outputs):
        rows: list = [[] for _ in inputs]  # rows[j][k] = d out.flat[k] / d inputs[j]
        for k in range(out.array.size):
            seed = np.zeros_like(out.array)
            seed.flat[k] = 1
            vj = _autograd_grad((out,), inputs, (Tensor._wrap(seed),), retain_graph=True,
                                create_graph=create_graph)
            for j, (g, x) in enumerate(zip(vj, inputs)):
                if g is None:
                    if strict:
                        raise _independent(i, j)
                    g = Tensor._wrap(np.zeros_like(x.array))
                elif strict and create_graph and not g.requires_grad:
                    raise RuntimeError(f"The jacobian of the user-provided function is "
                                       f"independent of input {j}. This is not allowed in "
                                       f"strict mode when create_graph=True.")
                rows[j].append(g)
        jac.append(tuple(_assemble(rows[j], out.shape + x.shape, 0, create_graph, x)
                         for j, x in enumerate(inputs)))
    return jac


def _forward_jacobian(outputs: tuple, inputs: tuple, create_graph: bool, strict: bool) -> list:
    u = _zeros_requiring_grad(outputs)
    g = _recorded("jacobian (forward-mode)",
                  lambda: _autograd_grad(outputs, inputs, u, create_graph=True))
    cols: list = [[[] for _ in inputs] for _ in outputs]  # cols[i][j][k] = d out_i / d x_j.flat[k]
    for j, x in enumerate(inputs):
        if g[j] is None and strict:
            raise _independent(0, j)
        for k in range(x.array.size):
            e = np.zeros_like(x.array)
            e.flat[k] = 1
            # J e_k by the double-vjp trick: d(g(u)_j . e_k)/du
            jv = _autograd_grad((g[j],), u, (Tensor._wrap(e),), retain_graph=True,
                                create_graph=create_graph)
            for i, (c, out) in enumerate(zip(jv, outputs)):
                if c is None:
                    if strict:
                        raise _independent(i, j)
                    c = Tensor._wrap(np.zeros_like(out.array))
                cols[i][j].append(c)
    return [tuple(_assemble(cols[i][j], out.shape + x.shape, -1, create_graph, x)
                  for j, x in enumerate(inputs)) for i, out in enumerate(outputs)]


def hessian(func: Callable, inputs: Any, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode") -> Any:
    """The Hessian of a scalar ``func``: ``H[i][j]`` of shape ``inputs[i].shape +
    inputs[j].shape`` -- the Jacobian of the (recorded) gradient."""
    is_inputs_tuple, inputs = _as_tuple(inputs, "inputs", "hessian")

    def scalar_func(*xs: Tensor) -> Tensor:
        out = func(*xs)
        is_tuple, outs = _as_tuple(out, "outputs of the user-provided function", "hessian")
        _check_requires_grad(outs, "output", strict)
        return _single_element(out, is_tuple, "hessian").reshape(())

    def gradient(*xs: Tensor) -> tuple:
        return _recorded("hessian", lambda: jacobian(scalar_func, xs, create_graph=True,
                                                     strict=strict))

    res = jacobian(gradient, inputs, create_graph=create_graph, strict=strict,
                   vectorize=vectorize, strategy=outer_jacobian_strategy)
    return _untuple(res, (is_inputs_tuple, is_inputs_tuple))
