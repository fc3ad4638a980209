"""Tensor and the tape: reverse-mode automatic differentiation in one file.

Read this file top to bottom:

1. **Grad mode** -- a switch (``no_grad``) that turns recording off.
2. **The tape** -- every operation whose input requires a gradient appends one
   :class:`Node` ("tape entry") to the graph: the op's name, its input tensors, and
   a ``backward`` rule that holds what the op saved for its gradient.  :func:`record`
   is the *only* way an entry is made; every op in tinynet ends with
   ``return record(name, out, inputs, backward)``.
3. **Tensor** -- a numpy array (``.array``) plus ``requires_grad``, ``.grad`` and the
   entry that produced it.  ``Tensor.backward()`` collects the entries reachable from
   the output and replays them newest first, so each entry sees the complete gradient
   of its output before it passes gradients on to its inputs.
4. **Arithmetic** -- ``+ - * / ** @``, each with its gradient rule: the first ops.  The
   others (``tinynet/ops/``, ``tinynet/nn/functional/``) look the same and are attached
   to Tensor as methods (``x.exp()``); the rules below use a few of them.

The chain rule in one line: if ``out = f(a, b)`` and ``g = dL/dout``, then
``dL/da = g * df/da`` and ``dL/db = g * df/db`` -- each ``backward`` below computes
exactly that, for its own ``f``, *with Tensor ops*.  So the backward pass is itself a
computation that can be recorded: ``backward(create_graph=True)`` records it, and its
gradients can be differentiated again (see docs/higher_order.md).

PyTorch's wider surface (other names, in-place methods, ``.to()``, dtype promotion...)
lives in ``tinynet/compat/``, attached to Tensor; error checks in ``_tape_checks.py``.
"""
from __future__ import annotations

import contextlib
import itertools
import weakref
from typing import Any, Callable, Optional, Sequence

import numpy as np

from ._names import type_name
from ._printing import tensor_repr
from ._tape_checks import (check_assigned_data, check_assigned_grad, check_leaf_gradient,
                           check_matmul_shapes, check_replayable, check_requires_grad,
                           check_rule_output, new_array, seed_gradient)

__all__ = ["Tensor", "Node", "record", "no_grad", "enable_grad", "is_grad_enabled",
           "unbroadcast", "backprop"]

# == 1. Grad mode ==============================================================
_grad_enabled = True


def is_grad_enabled() -> bool:
    """True when new operations are recorded on the tape."""
    return _grad_enabled


class no_grad(contextlib.ContextDecorator):
    """``with tinynet.no_grad():`` (or ``@tinynet.no_grad()``) -- nothing inside is recorded.

    Use it for evaluation and for parameter updates: no tape is built, so no memory
    is held for a backward pass that will never come.
    """
    mode = False

    def __init__(self) -> None:
        self._outer: list[bool] = []  # a stack: the same object may be entered recursively

    def __enter__(self) -> "no_grad":
        global _grad_enabled
        self._outer.append(_grad_enabled)
        _grad_enabled = self.mode
        return self

    def __exit__(self, *exc: Any) -> None:
        global _grad_enabled
        _grad_enabled = self._outer.pop()


class enable_grad(no_grad):
    """Turn recording back on inside a ``no_grad`` block."""
    mode = True


# == 2. The tape ===============================================================
# Every entry gets the next ticket number when it is recorded.  An op can only consume
# tensors that already exist, so an entry's inputs always hold smaller tickets than the
# entry itself: replaying entries by *descending* ticket is a valid reverse
# topological order, with no recursion needed.
_tickets = itertools.count()
_backward_passes = itertools.count(1)  # numbers each backward(), for Node.grad_pass

BackwardFn = Callable[["Tensor"], Sequence[Optional["Tensor"]]]


class Node:
    """One tape entry: ``out = op(*inputs)`` and how to send ``dL/dout`` back to the inputs.

    Attributes:
        seq: ticket number (creation order).
        op: the op's name, e.g. ``"mul"``.
        inputs: the input Tensors, in the order ``backward`` returns their gradients.
        backward: the gradient rule ``backward(g) -> (dL/dinput for each input)``, a
            closure over what the forward saved; ``None`` once released by a backward.
        versions: each input's (and the output's) version counter when recorded, to
            catch in-place changes to saved data.
        grad: the gradient dL/dout (a Tensor) that flowed through this entry in the
            last backward; ``grad_pass`` numbers that backward.
        output: a weak reference to the output (``node.output()`` is None once freed).
    """

    __slots__ = ("seq", "op", "inputs", "backward", "vboxes", "versions", "grad",
                 "grad_pass", "out_shape", "out_dtype", "retained", "output", "__weakref__")

    def __init__(self, op: str, inputs: tuple["Tensor", ...], backward: BackwardFn,
                 out: "Tensor") -> None:
        self.seq = next(_tickets)
        self.op = op
        self.inputs = inputs
        self.backward: Optional[BackwardFn] = backward
        self.vboxes = [t._vbox for t in inputs]
        self.vboxes.append(out._vbox)
        self.versions = [b[0] for b in self.vboxes]
        self.grad: Optional[Tensor] = None
        self.grad_pass = 0
        self.out_shape, self.out_dtype = out.array.shape, out.array.dtype
        self.retained: Optional[weakref.ref] = None  # set by Tensor.retain_grad()
        self.output = weakref.ref(out)

    def __repr__(self) -> str:
        return f"<Node #{self.seq} {self.op} -> {self.out_shape}>"


def record(op: str, out: np.ndarray, inputs: Sequence["Tensor"], backward: BackwardFn,
           view_of: Optional["Tensor"] = None) -> "Tensor":
    """Wrap an op's numpy result in a Tensor and, if needed, append a tape entry.

    ``backward(g)`` receives ``g = dL/dout`` (a Tensor of ``out``'s shape) and returns
    one gradient per input, each a Tensor of that input's shape, or ``None`` for an
    input that needs none.  An entry is made only when grad mode is on and some input
    requires a gradient; otherwise the rule is dropped at once.

    ``view_of``: the op returns a view of this input's memory (reshape, slicing...);
    the two then share one version counter, so an in-place change to either is seen.
    """
    t = Tensor._wrap(out, view_of._vbox if view_of is not None else None)
    if _grad_enabled:
        for i in inputs:  # a plain loop: any(<generator>) costs ~1 us more per op
            if i.requires_grad:
                t.requires_grad = True
                t._node = Node(op, tuple(inputs), backward, t)
                break
    return t


# == 3. Tensor =================================================================
class Tensor:
    """An n-d array that remembers how it was computed.

    Attributes:
        array: the numpy array.
        requires_grad: whether gradients should flow to (or through) this tensor.
        grad: dL/dself, a Tensor of the same shape, after a backward reaches it
            (leaves, and non-leaves that called ``retain_grad()``); else None.
        data: PyTorch's ``.data``: this tensor's memory, off the tape.
    """

    __slots__ = ("array", "requires_grad", "_grad", "_node", "_vbox", "_name", "__weakref__")
    __array_ufunc__ = None  # make ``ndarray + Tensor`` call Tensor.__radd__

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> None:
        if isinstance(data, Tensor):
            data = data.array
        self.array: np.ndarray = new_array(data, dtype)  # a copy; floats become float32
        self._grad: Optional[Tensor] = None
        self._node: Optional[Node] = None
        self._vbox = [0]  # the version counter, a list so that views can share it
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _wrap(array: Any, vbox: Optional[list] = None) -> "Tensor":
        """A constant Tensor around ``array`` (no copy): how ops make their results."""
        t = Tensor.__new__(Tensor)
        # numpy returns scalars, not 0-d arrays, from ufuncs on 0-d input: keep an array
        t.array = array if type(array) is np.ndarray else np.asarray(array)
        t._grad, t._node, t.requires_grad = None, None, False
        t._vbox = [0] if vbox is None else vbox
        return t

    @staticmethod
    def _lift(x: Any, like: "Tensor") -> "Tensor":
        """A Python number or numpy array as a constant Tensor, for an op with ``like``."""
        if isinstance(x, Tensor):
            return x
        if isinstance(x, (bool, int, float)):
            # a number takes a float tensor's dtype (numpy's "weak" scalars)
            dt = like.array.dtype
            return Tensor._wrap(np.asarray(x, dt if dt.kind in "fc" else np.result_type(dt, x)))
        if isinstance(x, (np.ndarray, np.number, list, tuple)):
            return Tensor._wrap(np.asarray(x))
        raise TypeError(f"unsupported operand type: Tensor and {type_name(x)}")

    @staticmethod
    def _promote(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The arrays of a binary op, as they should meet (compat/promotion.py sets
        PyTorch's rules: float32 stays float32 beside an int64 array)."""
        return x, y

    # -- backward: replay the tape ----------------------------------------------
    def backward(self, gradient: Any = None, retain_graph: Optional[bool] = None,
                 create_graph: bool = False) -> None:
        """Add dL/dleaf to ``.grad`` of every leaf this tensor depends on.

        ``gradient`` is dL/dself (it may be omitted for a one-element output: then 1).
        Gradients *add up* across calls, as in PyTorch: zero them between steps.  The
        entries release what they saved unless ``retain_graph=True``.  With
        ``create_graph=True`` the backward pass is recorded too, so the ``.grad`` it
        makes can be differentiated again.
        """
        g = Tensor._wrap(seed_gradient(self, gradient))  # dL/dself: 1 for a scalar loss
        backprop([self], [g], retain_graph=create_graph if retain_graph is None
                 else retain_graph, create_graph=create_graph)

    # == 4. Arithmetic: each forward beside its gradient rule ==================
    def __add__(self, other: Any) -> "Tensor":
        a, b = self, Tensor._lift(other, self)
        x, y = Tensor._promote(a.array, b.array)

        def backward(g):  # d(a+b)/da = 1, d(a+b)/db = 1
            return unbroadcast(g, a.shape), unbroadcast(g, b.shape)
        return record("add", x + y, (a, b), backward)

    def __sub__(self, other: Any) -> "Tensor":
        a, b = self, Tensor._lift(other, self)
        x, y = Tensor._promote(a.array, b.array)

        def backward(g):  # d(a-b)/da = 1, d(a-b)/db = -1
            return unbroadcast(g, a.shape), unbroadcast(-g, b.shape)
        return record("sub", x - y, (a, b), backward)

    def __mul__(self, other: Any) -> "Tensor":
        a, b = self, Tensor._lift(other, self)
        x, y = Tensor._promote(a.array, b.array)

        def backward(g):  # d(ab)/da = b, d(ab)/db = a
            return (unbroadcast(g * b, a.shape) if a.requires_grad else None,
                    unbroadcast(g * a, b.shape) if b.requires_grad else None)
        return record("mul", x * y, (a, b), backward)

    def __truediv__(self, other: Any) -> "Tensor":
        a, b = self, Tensor._lift(other, self)
        x, y = Tensor._promote(a.array, b.array)

        def backward(g):  # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
            return (unbroadcast(g / b, a.shape) if a.requires_grad else None,
                    unbroadcast(-g * a / (b * b), b.shape) if b.requires_grad else None)
        return record("div", x / y, (a, b), backward)

    def __neg__(self) -> "Tensor":
        a = self
        return record("neg", -a.array, (a,), lambda g: (-g,))  # d(-a)/da = -1

    def __pow__(self, other: Any) -> "Tensor":
        a, b = self, Tensor._lift(other, self)
        x, y = Tensor._promote(a.array, b.array)

        def backward(g):  # d(a^b)/da = b a^(b-1), d(a^b)/db = a^b ln a
            ga = gb = None
            if a.requires_grad:  # where b = 0, a^b = 1 is constant: 0 (a^(b-1) = a^-1 is
                # nan at a = 0, so take the exponent from b + 1 there: b * a^0 = 0)
                ga = unbroadcast(g * b * a ** (b + Tensor._wrap(y == 0) - 1), a.shape)
            if b.requires_grad:  # at a = 0, b >= 0 the limit of a^b ln a is 0: log(1) there
                ln_a = (a + Tensor._wrap((x == 0) & (y >= 0))).log()
                gb = unbroadcast(g * a ** b * ln_a, b.shape)
            return ga, gb
        with np.errstate(divide="ignore", invalid="ignore"):
            out = x ** y
        return record("pow", out, (a, b), backward)

    def __matmul__(self, other: Any) -> "Tensor":
        a, b = self, Tensor._lift(other, self)
        check_matmul_shapes(a.shape, b.shape)
        out = a.array @ b.array

        def backward(g):  # C = AB:  dA = G B^T,  dB = A^T G
            if a.ndim == 2 and b.ndim == 2:  # plain matrices (the common case): the formula
                return (g @ b.mT if a.requires_grad else None,
                        a.mT @ g if b.requires_grad else None)
            # a 1-D operand acts as a row (left) or column (right) matrix
            A = a if a.ndim > 1 else a.reshape(1, -1)
            B = b if b.ndim > 1 else b.reshape(-1, 1)
            G = g.reshape(g.shape[:-1] + (1,) + g.shape[-1:]) if a.ndim == 1 else g
            G = G.reshape(G.shape + (1,)) if b.ndim == 1 else G
            ga = unbroadcast(G @ B.mT, A.shape).reshape(a.shape) if a.requires_grad else None
            gb = unbroadcast(A.mT @ G, B.shape).reshape(b.shape) if b.requires_grad else None
            return ga, gb
        return record("matmul", out, (a, b), backward)

    def broadcast_to(self, shape: Sequence[int]) -> "Tensor":
        """Copies along new leading axes and axes of size 1 (numpy's broadcasting)."""
        a, shape = self, tuple(shape)
        out = np.broadcast_to(a.array, shape)  # a read-only view: its copies share memory
        return record("broadcast_to", out, (a,), lambda g: (unbroadcast(g, a.shape),),
                      view_of=a)

    # -- what else a Tensor tells you -----------------------------------------
    shape = property(lambda self: self.array.shape)
    ndim = property(lambda self: self.array.ndim)
    dtype = property(lambda self: self.array.dtype)
    is_leaf = property(lambda self: self._node is None, doc="Made by the user, not by an op.")
    grad_fn = property(lambda self: self._node, doc="The tape entry that made this tensor.")
    _version = property(lambda self: self._vbox[0], doc="Bumped by every in-place change.")

    @property
    def grad(self) -> Optional["Tensor"]:
        """dL/dself: a Tensor of this shape and dtype, or None (assignable, as PyTorch)."""
        return self._grad

    @grad.setter
    def grad(self, value: Optional["Tensor"]) -> None:
        self._grad = check_assigned_grad(self, value, Tensor)

    @property
    def data(self) -> "Tensor":
        """This tensor's memory as a new Tensor off the tape: changes through it are
        neither recorded nor version-checked (``w.data -= lr * w.grad``)."""
        return Tensor._wrap(self.array)

    @data.setter
    def data(self, value: "Tensor") -> None:
        self.array = check_assigned_data(value, Tensor).array

    def detach(self) -> "Tensor":
        """A tensor sharing this memory (and its version counter), cut off from the tape."""
        return Tensor._wrap(self.array, self._vbox)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Start (or stop) tracking gradients for this leaf tensor; returns self."""
        self.requires_grad = check_requires_grad(self, requires_grad)
        return self

    def retain_grad(self) -> "Tensor":
        """Keep ``.grad`` on this non-leaf tensor after backward (leaves always keep it)."""
        if self._node is not None:
            self._node.retained = weakref.ref(self)
        elif not self.requires_grad:
            raise RuntimeError("retain_grad(): this tensor does not require grad")
        return self

    def __repr__(self) -> str:
        return tensor_repr(self)


# ``2 * x`` calls ``x.__rmul__(2)``: lift the number to a Tensor and compute ``2 * x``
for _name in ("add", "sub", "mul", "truediv", "pow", "matmul"):
    setattr(Tensor, f"__r{_name}__", lambda self, other, _f=f"__{_name}__":
            getattr(Tensor._lift(other, self), _f)(self))


def unbroadcast(g: Tensor, shape: Sequence[int]) -> Tensor:
    """Sum ``g`` down to ``shape``: the gradient of broadcasting.

    Broadcasting copies an input along new leading axes and along axes of size 1; each
    copy contributed to the loss, so their gradients add up.  (Its own gradient is
    broadcasting back.)
    """
    shape = tuple(shape)
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    out = g.array.sum(axis=axes, keepdims=True).reshape(shape) if axes else \
        g.array.reshape(shape)
    return record("unbroadcast", out, (g,), lambda gg: (gg.broadcast_to(g.shape),))


# == 5. backward(), step by step ===============================================
def _collect(roots: Sequence[Node]) -> list[Node]:
    """All tape entries that ``roots`` depend on, oldest first (iterative DFS)."""
    seen = {id(r) for r in roots}
    stack, found = list(roots), list(roots)
    while stack:
        for inp in stack.pop().inputs:
            n = inp._node
            if n is not None and id(n) not in seen:
                seen.add(id(n))
                stack.append(n)
                found.append(n)
    found.sort(key=lambda n: n.seq)
    return found


def backprop(outputs: Sequence[Tensor], grads: Sequence[Tensor], retain_graph: bool,
             create_graph: bool, inputs: Optional[Sequence[Tensor]] = None) -> list:
    """Replay the tape from ``outputs`` (seeded with ``grads``), newest entry first.

    Without ``inputs``: each leaf's gradient is added to its ``.grad``.  With
    ``inputs``: their gradients are returned (None where none arrives), ``.grad`` is
    left alone (``tinynet.autograd.grad``).  The rules run under ``no_grad()`` unless
    ``create_graph``, when the backward pass is recorded like any forward.
    """
    wanted = {id(t): i for i, t in enumerate(inputs)} if inputs is not None else None
    found: list = [None] * len(inputs) if inputs is not None else []
    pending: dict[int, Tensor] = {}  # id(entry) -> dL/d(its output), summed over paths
    roots = []
    for out, g in zip(outputs, grads):
        if out._node is None:
            _deliver(out, g, wanted, found, create_graph)
        else:
            roots.append(out._node)
            _add(pending, out._node, g)
    order = _collect(roots) if roots else []
    this_pass = next(_backward_passes)
    global _grad_enabled
    outer, _grad_enabled = _grad_enabled, create_graph  # record the rules only if asked
    try:
        for node in reversed(order):
            g = pending.pop(id(node), None)
            if g is None:  # no gradient reaches this entry
                continue
            check_replayable(node, order, create_graph)  # not released, not modified
            node.grad, node.grad_pass = g, this_pass
            if wanted is not None and id(node.output()) in wanted:
                found[wanted[id(node.output())]] = g
            if node.retained is not None and node.retained() is not None and wanted is None:
                _accumulate(node.retained(), g, create_graph)  # retain_grad(): like a leaf
            in_grads = node.backward(g)  # the gradient rule: dL/d(each input)
            check_rule_output(node, in_grads, order)
            if not retain_graph:
                node.backward = None  # drop the rule and everything it saved
            for inp, ig in zip(node.inputs, in_grads):
                if ig is None or not inp.requires_grad:
                    continue
                if inp._node is None:
                    _deliver(inp, ig, wanted, found, create_graph)
                else:
                    _add(pending, inp._node, ig)
    finally:
        _grad_enabled = outer
    return found


def _add(pending: dict, node: Node, g: Tensor) -> None:
    prev = pending.get(id(node))
    pending[id(node)] = g if prev is None else prev + g


def _deliver(leaf: Tensor, g: Tensor, wanted: Optional[dict], found: list,
             create_graph: bool) -> None:
    """A gradient reached a leaf: into its ``.grad``, or into ``found`` if it is wanted."""
    if wanted is None:
        _accumulate(leaf, g, create_graph)
    elif id(leaf) in wanted:
        i = wanted[id(leaf)]
        found[i] = g if found[i] is None else found[i] + g


def _accumulate(t: Tensor, g: Tensor, create_graph: bool) -> None:
    """t.grad += g (the first time: a fresh copy in t's dtype, unless recording)."""
    if g.array.shape != t.array.shape or t.array.dtype.kind not in "fc":
        check_leaf_gradient(t, g)  # raises: a broken rule, or an integer tensor
    if create_graph:  # keep g's own tape: the gradient can be differentiated again
        t._grad = g if t._grad is None else t._grad + g
    elif t._grad is None:
        t._grad = Tensor._wrap(np.array(g.array, dtype=t.array.dtype, copy=True))
    elif t._grad.requires_grad:  # a recorded gradient stays as it was recorded
        t._grad = Tensor._wrap(t._grad.array + g.array)
    else:
        t._grad.array += g.array
