"""Tensor and the tape: reverse-mode automatic differentiation in one file.

Read this file top to bottom:

1. **Grad mode** -- a switch (``no_grad``) that turns recording off.
2. **The tape** -- every operation whose input requires a gradient appends one
   :class:`Node` ("tape entry") to the graph: the op's name, its input tensors,
   and a ``backward`` closure that holds exactly what the op saved for its
   gradient.  :func:`record` is the *only* way an entry is made; every op in
   tinynet (``+``, ``exp``, ``conv2d``, ``dropout``, ``cross_entropy`` ...) ends
   with ``return record(name, out, inputs, backward)``.
3. **Tensor** -- a numpy array plus ``requires_grad``, ``grad`` and the entry
   that produced it.  ``Tensor.backward()`` collects the entries reachable from
   the output and replays them newest first, so each entry sees the complete
   gradient of its output before it passes gradients on to its inputs.
4. **Arithmetic** -- ``+ - * / ** @`` with their gradient rules, as a first
   example of ops.  The other ops live in ``tinynet/ops/`` and look the same.

The chain rule in one line: if ``out = f(a, b)`` and ``g = dL/dout``, then
``dL/da = g * df/da`` and ``dL/db = g * df/db`` -- each ``backward`` below
computes exactly that, for its own ``f``.
"""
from __future__ import annotations

import contextlib
import functools
import itertools
import weakref
from typing import Any, Callable, Optional, Sequence, Union

import numpy as np

from ._names import type_name

__all__ = [
    "Tensor", "Node", "record", "no_grad", "enable_grad", "is_grad_enabled",
    "set_grad_enabled", "tensor_method", "unbroadcast",
]

# --------------------------------------------------------------------------
# 1. Grad mode
# --------------------------------------------------------------------------
_grad_enabled = True


def is_grad_enabled() -> bool:
    """True when new operations are recorded on the tape."""
    return _grad_enabled


class _GradMode(contextlib.ContextDecorator):
    """Context manager / decorator that sets recording on or off, then restores it."""

    def __init__(self, mode: bool) -> None:
        self.mode = bool(mode)
        self._prev: list[bool] = []

    def __enter__(self) -> "_GradMode":
        global _grad_enabled
        self._prev.append(_grad_enabled)
        _grad_enabled = self.mode
        return self

    def __exit__(self, *exc: Any) -> None:
        global _grad_enabled
        _grad_enabled = self._prev.pop()


class set_grad_enabled(_GradMode):
    """``set_grad_enabled(False)`` turns recording off now (as a call), for a ``with``
    block, or for every call of a function it decorates."""

    def __init__(self, mode: bool) -> None:
        global _grad_enabled
        super().__init__(mode)
        self._before = _grad_enabled
        _grad_enabled = self.mode  # a plain call takes effect at once, as in PyTorch

    def __enter__(self) -> "set_grad_enabled":
        global _grad_enabled
        _grad_enabled = self.mode  # again: the same object may be entered more than once
        return self

    def __exit__(self, *exc: Any) -> None:
        global _grad_enabled
        _grad_enabled = self._before

    def __call__(self, fn: Callable) -> Callable:
        global _grad_enabled
        _grad_enabled = self._before  # decorating is not a call: undo __init__'s switch
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with set_grad_enabled(mode):  # a fresh one per call: restores the caller's mode
                return fn(*args, **kwargs)
        return wrapper


class _NoArgGradMode(_GradMode):
    """Lets ``@no_grad`` be written without parentheses, as in PyTorch 2."""

    def __new__(cls, fn: Optional[Callable] = None) -> Any:
        if fn is None:
            return super().__new__(cls)
        if not callable(fn):
            raise TypeError(f"{cls.__name__}() takes no arguments; write `with "
                            f"tinynet.{cls.__name__}():` or use it as a decorator")
        return cls()(fn)  # ``@no_grad`` on ``fn``: same as ``@no_grad()``


class no_grad(_NoArgGradMode):
    """``with tinynet.no_grad():`` or ``@tinynet.no_grad`` -- nothing inside is recorded.

    Use it for evaluation and for parameter updates: no tape is built, so no
    memory is held for a backward pass that will never come.
    """

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(_NoArgGradMode):
    """Turn recording back on inside a ``no_grad`` block."""

    def __init__(self) -> None:
        super().__init__(True)


# --------------------------------------------------------------------------
# 2. The tape
# --------------------------------------------------------------------------
# Every entry gets the next ticket number when it is recorded.  An op can only
# consume tensors that already exist, so an entry's inputs always hold smaller
# tickets than the entry itself: replaying entries by *descending* ticket is a
# valid reverse topological order, with no recursion needed.
_tickets = itertools.count()
_backward_passes = itertools.count(1)  # numbers each backward(), for Node.grad_pass

BackwardFn = Callable[[np.ndarray], Sequence[Optional[np.ndarray]]]


class Node:
    """One tape entry: ``out = op(*inputs)`` and how to send ``dL/dout`` back to the inputs.

    Attributes:
        seq: ticket number (creation order).
        op: the op's name, e.g. ``"mul"``.
        inputs: the input Tensors, in the order ``backward`` returns their gradients.
        backward: ``backward(g) -> (dL/dinput for each input)``; a closure over what
            the forward saved.  Set to ``None`` once released after a backward.
        versions: each input's (and the output's) version when recorded, to catch
            in-place changes to saved data.
        grad: the gradient dL/dout that flowed through this entry in the last backward.
        grad_pass: the number of that backward, so that a tape shows only the gradients
            of the backward that went through its own output.
        output: a weak reference to the output Tensor (``node.output()`` is None once
            nothing else holds it).
    """

    __slots__ = ("seq", "op", "inputs", "backward", "vboxes", "versions", "grad",
                 "grad_pass", "out_shape", "out_dtype", "retained", "output", "__weakref__")

    def __init__(self, op: str, inputs: tuple["Tensor", ...], backward: BackwardFn,
                 out: "Tensor") -> None:
        self.seq = next(_tickets)
        self.op = op
        self.inputs = inputs
        self.backward: Optional[BackwardFn] = backward
        # list comprehensions, not tuple(generator): this runs once per recorded op
        self.vboxes = [t._vbox for t in inputs]
        self.vboxes.append(out._vbox)
        self.versions = [b[0] for b in self.vboxes]
        self.grad: Optional[np.ndarray] = None
        self.grad_pass = 0
        self.out_shape = out.array.shape
        self.out_dtype = out.array.dtype
        self.retained: Optional[weakref.ref] = None
        # the output, without keeping it alive: the tape view shows its values while
        # the user (or a later entry's inputs) still holds it
        self.output = weakref.ref(out)

    def __repr__(self) -> str:
        return f"<Node #{self.seq} {self.op} -> {self.out_shape}>"


def record(op: str, out: np.ndarray, inputs: Sequence["Tensor"], backward: BackwardFn,
           view_of: Optional["Tensor"] = None) -> "Tensor":
    """Wrap an op's numpy result in a Tensor and, if needed, append a tape entry.

    ``backward(g)`` receives ``g = dL/dout`` (shape of ``out``) and returns one
    gradient per input, each of that input's shape, or ``None`` for an input that
    needs none.  An entry is made only when grad mode is on and some input
    requires a gradient; otherwise the closure is dropped at once.

    ``view_of``: the op returns a view of this input's memory (reshape, slicing...);
    the two then share one version counter, so an in-place change to either is seen.
    """
    t = Tensor.__new__(Tensor)
    # numpy returns scalars, not 0-d arrays, from ufuncs on 0-d input; keep .data an array
    t.array = out if type(out) is np.ndarray else np.asarray(out)
    t.grad = None
    t._vbox = view_of._vbox if view_of is not None else [0]
    if _grad_enabled:
        for i in inputs:  # a plain loop: any(<generator>) costs ~1 us more per op
            if i.requires_grad:
                t.requires_grad = True
                t._node = Node(op, tuple(inputs), backward, t)
                return t
    t.requires_grad = False
    t._node = None
    return t


def unbroadcast(g: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``g`` down to ``shape``: the gradient of numpy broadcasting.

    Broadcasting copies an input along new leading axes and along axes of size 1;
    each copy contributed to the loss, so their gradients add up.
    """
    if g.shape == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and g.shape[lead + i] != 1)
    g = g.sum(axis=axes, keepdims=True) if axes else g
    return g.reshape(shape)


_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2, "c": 3}


def _operands(a: "Tensor", b: "Tensor") -> tuple[np.ndarray, np.ndarray]:
    """The arrays of ``a`` and ``b``, converted so a binary op gives PyTorch's result dtype.

    numpy widens float32 with an int64 array, or with a 0-d float64 array, to float64;
    PyTorch keeps float32: a float operand beats an integer one whatever their sizes,
    and a 0-d tensor only sets the dtype if it is of a higher kind (bool < int < float)
    than the tensors with dimensions.  Same dtypes (the usual case) pass through.
    """
    x, y = a.array, b.array
    if x.dtype == y.dtype:
        return x, y
    kx, ky = _KIND_RANK.get(x.dtype.kind, 4), _KIND_RANK.get(y.dtype.kind, 4)
    if kx != ky:
        dt = x.dtype if kx > ky else y.dtype          # the higher kind wins
    elif (x.ndim == 0) != (y.ndim == 0):
        dt = y.dtype if x.ndim == 0 else x.dtype      # a 0-d operand does not widen
    else:
        return x, y                                   # numpy's promotion is PyTorch's
    return (x if x.dtype == dt else x.astype(dt)), (y if y.dtype == dt else y.astype(dt))


def _collect(root: Node) -> list[Node]:
    """All tape entries that ``root`` depends on, oldest first (iterative DFS)."""
    seen = {id(root)}
    stack, found = [root], [root]
    while stack:
        node = stack.pop()
        for inp in node.inputs:
            n = inp._node
            if n is not None and id(n) not in seen:
                seen.add(id(n))
                stack.append(n)
                found.append(n)
    found.sort(key=lambda n: n.seq)
    return found


# --------------------------------------------------------------------------
# 3. Tensor
# --------------------------------------------------------------------------
Number = Union[int, float, bool, np.number]


def tensor_method(fn: Callable) -> Callable:
    """Attach a function from ``tinynet/ops`` to Tensor, so ``exp(x)`` is also ``x.exp()``.

    The method is ``fn`` itself; the function returned (``tinynet.exp``) first checks
    that its first argument is a Tensor, so ``tinynet.exp(ndarray)`` fails clearly.
    """
    setattr(Tensor, fn.__name__, fn)

    @functools.wraps(fn)
    def checked(x: Any, *args: Any, **kwargs: Any) -> Any:
        if not isinstance(x, Tensor):
            raise TypeError(f"{fn.__name__}: expected a Tensor, got {type_name(x)}; "
                            f"wrap arrays and numbers with tinynet.tensor(...)")
        return fn(x, *args, **kwargs)
    return checked


class Tensor:
    """An n-d array that remembers how it was computed.

    Attributes:
        data: the numpy array.
        requires_grad: whether gradients should flow to (or through) this tensor.
        grad: dL/dself as a numpy array of ``data``'s shape, after a backward
            reaches it (leaves, and non-leaves that called ``retain_grad()``).
    """

    __slots__ = ("array", "requires_grad", "grad", "_node", "_vbox", "_name", "__weakref__")
    __array_ufunc__ = None  # make ``ndarray + Tensor`` call Tensor.__radd__

    def __init__(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> None:
        if isinstance(data, Tensor):
            data = data.array
        arr = np.array(data, dtype=dtype, copy=True)
        if dtype is None:
            if arr.dtype == np.float64 and not isinstance(data, np.ndarray) \
                    and not isinstance(data, np.floating):
                arr = arr.astype(np.float32)  # Python floats become float32, as in PyTorch
            elif arr.dtype.kind == "O" or arr.dtype.kind in "USV":
                raise TypeError(f"tensor: cannot make a tensor from {type_name(data)} "
                                f"(got numpy dtype {arr.dtype}); pass numbers or arrays")
            elif arr.dtype.kind == "i" and arr.dtype != np.int64:
                arr = arr.astype(np.int64)
        self.array: np.ndarray = arr
        self.grad: Optional[np.ndarray] = None
        self._node: Optional[Node] = None
        self._vbox = [0]
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # -- wrapping ---------------------------------------------------------
    @staticmethod
    def _lift(x: Any, like: "Tensor") -> "Tensor":
        """Turn a Python number or numpy array into a constant Tensor for an op with ``like``."""
        if isinstance(x, Tensor):
            return x
        if isinstance(x, (bool, int, float)):
            # keep float32 float32: numpy treats Python scalars as "weak" types, so a
            # float tensor's dtype wins (checked first: np.result_type costs ~2 us)
            dt = like.array.dtype
            if dt.kind not in "fc":
                dt = np.result_type(dt, x)
            t = Tensor.__new__(Tensor)
            t.array, t.grad, t._node, t._vbox, t.requires_grad = np.asarray(x, dt), None, None, [0], False
            return t
        if isinstance(x, (np.ndarray, np.number, list, tuple)):
            t = Tensor.__new__(Tensor)
            t.array, t.grad, t._node, t._vbox, t.requires_grad = np.asarray(x), None, None, [0], False
            return t
        raise TypeError(f"unsupported operand type: Tensor and {type_name(x)}")

    # -- simple properties ------------------------------------------------
    @property
    def data(self) -> "Tensor":
        """A tensor sharing this one's memory, off the tape (PyTorch's ``.data``):
        in-place changes through it are neither recorded nor version-checked."""
        t = Tensor.__new__(Tensor)
        t.array, t.grad, t._node, t._vbox, t.requires_grad = self.array, None, None, [0], False
        return t

    @data.setter
    def data(self, value: "Tensor") -> None:
        if not isinstance(value, Tensor):
            raise TypeError(f"data: expected a Tensor, got {type_name(value)}")
        self.array = value.array

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """``np.asarray(t)``: the array (a copy only if a dtype asks for one)."""
        return self.array if dtype is None else self.array.astype(dtype)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.array.shape

    @property
    def ndim(self) -> int:
        return self.array.ndim

    @property
    def dtype(self) -> np.dtype:
        return self.array.dtype

    @property
    def size(self) -> "_Size":
        """The number of elements (an int, as numpy's ``size``) that can also be called as
        PyTorch's method: ``x.size()`` is the shape, ``x.size(0)`` one dimension."""
        return _Size(self.array.size, self.array.shape)

    @property
    def is_leaf(self) -> bool:
        """True for tensors made by the user (not by a recorded op)."""
        return self._node is None

    @property
    def grad_fn(self) -> Optional[Node]:
        """The tape entry that produced this tensor (None for leaves)."""
        return self._node

    @property
    def _version(self) -> int:
        """Bumped by every in-place change; the tape compares it at backward time."""
        return self._vbox[0]

    def _bump_version(self) -> None:
        """Call after changing ``.data`` in place (optimizers do)."""
        self._vbox[0] += 1

    def __len__(self) -> int:
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self.array)

    def __iter__(self) -> Any:
        """The rows ``self[0], self[1], ...`` (without this, Python's fallback iteration
        would stop silently on a 0-d tensor instead of failing)."""
        if self.array.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(len(self.array)))

    def numpy(self) -> np.ndarray:
        """The underlying array (shared memory, like torch's ``.numpy()``)."""
        if self.requires_grad:
            raise RuntimeError("numpy(): this tensor requires grad; call .detach().numpy() "
                               "so the tape is not bypassed by accident")
        return self.array

    def item(self) -> Number:
        """The single element as a Python number."""
        if self.array.size != 1:
            raise ValueError(f"item(): only one-element tensors can be converted, "
                             f"got shape {self.array.shape}")
        return self.array.item()

    def tolist(self) -> Any:
        return self.array.tolist()

    def detach(self) -> "Tensor":
        """A tensor sharing this data, cut off from the tape."""
        t = Tensor.__new__(Tensor)
        t.array, t.grad, t._node, t._vbox, t.requires_grad = self.array, None, None, self._vbox, False
        return t

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Start (or stop) tracking gradients for this leaf tensor; returns self."""
        if requires_grad and self.array.dtype.kind not in "fc":
            raise TypeError(f"only floating-point tensors can require gradients, "
                            f"got dtype {self.array.dtype}; make it with dtype=float32")
        if not requires_grad and self._node is not None:
            raise RuntimeError("requires_grad_(False): only leaf tensors can stop requiring "
                               "grad; use .detach() for a non-leaf")
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> "Tensor":
        """Keep ``.grad`` on this non-leaf tensor after backward (leaves always keep it)."""
        if self._node is not None:
            self._node.retained = weakref.ref(self)
        elif not self.requires_grad:
            raise RuntimeError("retain_grad(): this tensor does not require grad")
        return self

    def __repr__(self) -> str:
        body = np.array2string(self.array, separator=", ", prefix="tensor(")
        extra = []
        if self.array.dtype not in (np.float32, np.int64, np.bool_):
            extra.append(f"dtype={self.array.dtype}")
        if self._node is not None:
            extra.append(f"grad_fn=<{self._node.op}>")
        elif self.requires_grad:
            extra.append("requires_grad=True")
        return "tensor(" + body + "".join(", " + e for e in extra) + ")"

    def __bool__(self) -> bool:
        if self.array.size != 1:
            raise ValueError(f"the truth value of a tensor with {self.array.size} elements is "
                             f"ambiguous; use .any() or .all()")
        return bool(self.array)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __format__(self, spec: str) -> str:
        """``f"{loss:.4f}"``: a 0-d tensor formats as its number, as in PyTorch."""
        if self.array.ndim == 0:
            return format(self.array.item(), spec)
        return object.__format__(self, spec)

    __hash__ = object.__hash__  # == is elementwise, so hash by identity

    # -- backward: replay the tape ----------------------------------------
    def backward(self, gradient: Any = None, retain_graph: Optional[bool] = None,
                 create_graph: bool = False, *, grad: Any = None) -> None:
        """Fill ``.grad`` of every leaf this tensor depends on with dL/dleaf.

        ``gradient`` (or ``grad=``) is dL/dself; it may be omitted for a one-element
        output (then 1).  Gradients are *added* to existing ``.grad`` values, as in
        PyTorch -- call ``zero_grad()`` between steps.  Afterwards the buffers the
        entries saved are released, unless ``retain_graph=True``.  The backward pass
        itself is not recorded, so ``create_graph=True`` (higher-order gradients) is
        not supported.
        """
        if create_graph:
            raise NotImplementedError("backward(create_graph=True): tinynet does not record "
                                      "the backward pass, so higher-order gradients are not "
                                      "available")
        if grad is None:
            grad = gradient
        elif gradient is not None:
            raise TypeError("backward(): pass the gradient once, as gradient= or grad=")
        if not self.requires_grad:
            raise RuntimeError("backward(): this tensor does not require grad and has no "
                               "tape entry; did you create its inputs with requires_grad=True "
                               "(or run the forward inside no_grad())?")
        if grad is None:
            if self.array.size != 1:
                raise RuntimeError(f"backward(): grad can be implicitly created only for "
                                   f"one-element outputs; this output has shape "
                                   f"{self.array.shape}, so pass grad= of that shape")
            g = np.ones_like(self.array)
        else:
            g = np.asarray(grad.array if isinstance(grad, Tensor) else grad)
            if g.dtype != self.array.dtype:
                if g.dtype.kind not in ("biufc" if self.array.dtype.kind == "c" else "biuf"):
                    # (numpy would turn None into nan and silently drop imaginary parts)
                    raise TypeError(f"backward(): grad must hold real numbers, got "
                                    f"{type_name(grad)} of dtype {g.dtype}")
                g = g.astype(self.array.dtype)
            if g.shape != self.array.shape:
                raise ValueError(f"backward(): grad has shape {g.shape}, expected the "
                                 f"output's shape {self.array.shape}")
        if self._node is None:  # a leaf: dL/dself is the given grad
            _accumulate(self, g)
            return

        order = _collect(self._node)

        def entry(node: Node) -> str:  # for errors: numbered as the rows of self.tape()
            return f"entry #{order.index(node)} '{node.op}' (numbered as in .tape())"

        pending: dict[int, np.ndarray] = {id(self._node): g}
        this_pass = next(_backward_passes)
        for node in reversed(order):
            g = pending.pop(id(node), None)
            if g is None:  # no gradient reaches this entry (all paths returned None)
                continue
            if node.backward is None:
                raise RuntimeError(
                    f"backward(): trying to go back through the tape a second time "
                    f"({entry(node)}): its saved buffers were released by the first "
                    f"backward; pass retain_graph=True to the first backward if you need two")
            for box, v in zip(node.vboxes, node.versions):
                if box[0] != v:
                    raise RuntimeError(
                        f"backward(): a tensor used by {entry(node)} was "
                        f"modified in place after the op recorded it (version {v} -> {box[0]}), "
                        f"so the gradient could be wrong (tinynet checks every input and the "
                        f"output, not only what the op saved); make a copy instead of changing it")
            node.grad, node.grad_pass = g, this_pass
            kept = node.retained() if node.retained is not None else None
            if kept is not None:  # retain_grad(): accumulate like a leaf (in its dtype)
                _accumulate(kept, g)
            in_grads = node.backward(g)
            if not retain_graph:
                node.backward = None  # drop the closure and everything it saved
            if len(in_grads) != len(node.inputs):  # zip() would silently drop the rest
                raise RuntimeError(f"backward(): {entry(node)} must return a "
                                   f"tuple with one gradient (or None) per input, for its "
                                   f"{len(node.inputs)} inputs")
            for inp, ig in zip(node.inputs, in_grads):
                if ig is None or not inp.requires_grad:
                    continue
                if inp._node is None:
                    _accumulate(inp, ig)  # checks the shape too
                else:
                    if ig.shape != inp.array.shape:  # a broken backward rule: fail here,
                        # before numpy broadcasting hides it in a later entry
                        raise RuntimeError(
                            f"backward(): a gradient of shape {ig.shape} reached a tensor "
                            f"of shape {inp.array.shape} from {entry(node)}; "
                            f"the op's backward must return each input's exact shape")
                    key = id(inp._node)
                    prev = pending.get(key)
                    pending[key] = ig if prev is None else prev + ig

    def tape(self, names: Any = None) -> "Any":
        """The recorded entries of this output, oldest first, printable as a table.

        ``names`` labels leaves: a Module (its parameter names), or a dict such as
        ``dict(model.named_parameters(), input=x)``.  See :mod:`tinynet.tape_view`.
        """
        from .tape_view import TapeView
        return TapeView(self, names)

    # -- in-place ops (allowed only where no gradient can be corrupted) -----
    def _check_inplace(self, name: str, source: Any = None) -> None:
        if _grad_enabled and self.requires_grad:
            raise RuntimeError(
                f"{name}: a tensor that requires grad cannot be changed in place while "
                f"recording; do it inside `with tinynet.no_grad():` (as optimizers do)")
        if _grad_enabled and isinstance(source, Tensor) and source.requires_grad:
            # in-place ops are not recorded, so its gradient would be lost without a word
            raise RuntimeError(
                f"{name}: the value written in place requires grad, and tinynet does not "
                f"record in-place ops; write the out-of-place form (e.g. x = x + y)")

    def _inplace(self, name: str, fn: Callable[[np.ndarray], None],
                 source: Any = None) -> "Tensor":
        self._check_inplace(name, source)
        if not self.array.flags.writeable:  # numpy would say only "output array is read-only"
            raise RuntimeError(f"{name}: this tensor's memory is read-only (e.g. a view made by "
                               f"expand(), whose elements share memory); change a copy instead")
        fn(self.array)
        self._vbox[0] += 1
        return self

    def add_(self, other: Any, alpha: Number = 1) -> "Tensor":
        return self._update("add_", "+", np.add, other, alpha)

    def sub_(self, other: Any, alpha: Number = 1) -> "Tensor":
        return self._update("sub_", "-", np.add, other, -alpha)

    def mul_(self, other: Any) -> "Tensor":
        return self._update("mul_", "*", np.multiply, other)

    def div_(self, other: Any) -> "Tensor":
        return self._update("div_", "/", np.divide, other)

    def _update(self, name: str, sym: str, ufunc: np.ufunc, other: Any,
                alpha: Number = 1) -> "Tensor":
        """self = self (ufunc) alpha * other, in place; the result must fit self's dtype."""
        o = other.array if isinstance(other, Tensor) else other
        if alpha != 1:
            o = o * alpha
        result = np.result_type(self.array.dtype, o)
        if ufunc is np.divide and result.kind not in "fc":
            result = np.dtype(np.float64)  # true division: ints give a float
        if not np.can_cast(result, self.array.dtype, "same_kind"):  # as torch: no truncating
            raise TypeError(f"{name}: the result ({result}) cannot be stored in place in a "
                            f"tensor of dtype {self.array.dtype} (as in PyTorch); write "
                            f"x = x {sym} y, or convert x first (e.g. x.float())")
        return self._inplace(name, lambda d: ufunc(d, o, out=d, casting="unsafe"), other)

    def zero_(self) -> "Tensor":
        return self._inplace("zero_", lambda d: d.fill(0))

    def fill_(self, value: Number) -> "Tensor":
        return self._inplace("fill_", lambda d: d.fill(value))

    def copy_(self, src: Any) -> "Tensor":
        s = src.array if isinstance(src, Tensor) else np.asarray(src)
        try:
            fits = np.broadcast_shapes(s.shape, self.array.shape) == self.array.shape
        except ValueError:  # not broadcastable at all
            fits = False
        if not fits:
            raise ValueError(f"copy_: source shape {s.shape} does not fit {self.array.shape}")
        return self._inplace("copy_", lambda d: np.copyto(d, s, casting="unsafe"), src)

    # ``x += y``: in place, as PyTorch (other names for ``x`` see the change, and a
    # parameter updated by ``p -= lr * p.grad`` in a loop over parameters really changes).
    # While recording, a leaf that requires grad is an error (as PyTorch), and where the
    # result needs a gradient (x a result of an op, or y requiring grad) x gets the
    # out-of-place op instead: the same values and gradients, with nothing saved on the
    # tape changed and no gradient lost.
    def _iop(self, other: Any, op: Callable, inplace: Callable) -> "Tensor":
        if _grad_enabled and not (self.requires_grad and self._node is None) and (
                self.requires_grad or (isinstance(other, Tensor) and other.requires_grad)):
            return op(self, other)
        return inplace(self, other)

    def __iadd__(self, other: Any) -> "Tensor":
        return self._iop(other, Tensor.__add__, Tensor.add_)

    def __isub__(self, other: Any) -> "Tensor":
        return self._iop(other, Tensor.__sub__, Tensor.sub_)

    def __imul__(self, other: Any) -> "Tensor":
        return self._iop(other, Tensor.__mul__, Tensor.mul_)

    def __itruediv__(self, other: Any) -> "Tensor":  # true division: a float even of ints
        return self._iop(other, Tensor.__truediv__, Tensor.div_)

    def __setitem__(self, idx: Any, value: Any) -> None:
        v = value.array if isinstance(value, Tensor) else value
        self._inplace("__setitem__", lambda d: d.__setitem__(_index(idx), v), value)

    # ----------------------------------------------------------------------
    # 4. Arithmetic: each forward beside its backward
    # ----------------------------------------------------------------------
    def __add__(self, other: Any) -> "Tensor":
        a, b = self, Tensor._lift(other, self)
        x, y = _operands(a, b)
        out = x + y

        def backward(g):  # d(a+b)/da = 1, d(a+b)/db = 1
            return unbroadcast(g, a.shape), unbroadcast(g, b.shape)
        return record("add", out, (a, b), backward)

    def __radd__(self, other: Any) -> "Tensor":
        return Tensor._lift(other, self).__add__(self)

    def __sub__(self, other: Any) -> "Tensor":
        a, b = self, Tensor._lift(other, self)
        x, y = _operands(a, b)
        out = x - y

        def backward(g):  # d(a-b)/da = 1, d(a-b)/db = -1
            return unbroadcast(g, a.shape), unbroadcast(-g, b.shape)
        return record("sub", out, (a, b), backward)

    def __rsub__(self, other: Any) -> "Tensor":
        return Tensor._lift(other, self).__sub__(self)

    def __mul__(self, other: Any) -> "Tensor":
        a, b = self, Tensor._lift(other, self)
        x, y = _operands(a, b)
        out = x * y

        def backward(g):  # d(ab)/da = b, d(ab)/db = a
            return (unbroadcast(g * y, a.shape) if a.requires_grad else None,
                    unbroadcast(g * x, b.shape) if b.requires_grad else None)
        return record("mul", out, (a, b), backward)

    def __rmul__(self, other: Any) -> "Tensor":
        return Tensor._lift(other, self).__mul__(self)

    def __truediv__(self, other: Any) -> "Tensor":
        a, b = self, Tensor._lift(other, self)
        x, y = _operands(a, b)
        out = x / y

        def backward(g):  # d(a/b)/da = 1/b, d(a/b)/db = -a/b^2
            return (unbroadcast(g / y, a.shape) if a.requires_grad else None,
                    unbroadcast(-g * out / y, b.shape) if b.requires_grad else None)
        return record("div", out, (a, b), backward)

    def __rtruediv__(self, other: Any) -> "Tensor":
        return Tensor._lift(other, self).__truediv__(self)

    def __neg__(self) -> "Tensor":
        a = self

        def backward(g):  # d(-a)/da = -1
            return (-g,)
        return record("neg", -a.array, (a,), backward)

    def __pow__(self, other: Any) -> "Tensor":
        a, b = self, Tensor._lift(other, self)
        x, y = _operands(a, b)
        out = x ** y

        def backward(g):  # d(a^b)/da = b a^(b-1), d(a^b)/db = a^b ln a
            ga = gb = None
            with np.errstate(divide="ignore", invalid="ignore"):
                if a.requires_grad:
                    # b = 0: a^0 = 1 is constant, so 0 (also at a = 0, where 0 * 0^-1 is nan)
                    ga = unbroadcast(np.where(y == 0, 0, g * y * x ** (y - 1)), a.shape)
                if b.requires_grad:
                    # a = 0, b >= 0: the limit of a^b ln a is 0; elsewhere (a < 0 too) the
                    # formula, nan or inf included, as PyTorch
                    gb = unbroadcast(np.where((x == 0) & (y >= 0), 0, g * out * np.log(x)),
                                     b.shape)
            return ga, gb
        return record("pow", out, (a, b), backward)

    def __rpow__(self, other: Any) -> "Tensor":
        return Tensor._lift(other, self).__pow__(self)

    def __matmul__(self, other: Any) -> "Tensor":
        a, b = self, Tensor._lift(other, self)
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError("matmul: both operands need at least one dimension, got shapes "
                             f"{a.shape} and {b.shape}")
        if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
            raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not line up "
                             f"({a.shape[-1]} != {b.shape[-2 if b.ndim > 1 else 0]})")
        try:
            out = a.array @ b.array
        except ValueError:  # numpy's message speaks of "remapped shapes"
            raise ValueError(f"matmul: the batch dimensions of shapes {a.shape} and {b.shape} "
                             f"do not broadcast") from None

        def backward(g):  # C = AB:  dA = G B^T,  dB = A^T G
            if a.ndim == 2 and b.ndim == 2:  # plain matrices (the common case): the formula
                return (g @ b.array.T if a.requires_grad else None,
                        a.array.T @ g if b.requires_grad else None)
            # a 1-D operand acts as a row (left) or column (right) matrix
            A = a.array if a.ndim > 1 else a.array[None, :]
            B = b.array if b.ndim > 1 else b.array[:, None]
            G = g if b.ndim > 1 else g[..., None]
            G = G if a.ndim > 1 else G[..., None, :]
            ga = unbroadcast(G @ B.swapaxes(-1, -2), A.shape).reshape(a.shape) \
                if a.requires_grad else None
            gb = unbroadcast(A.swapaxes(-1, -2) @ G, B.shape).reshape(b.shape) \
                if b.requires_grad else None
            return ga, gb
        return record("matmul", out, (a, b), backward)

    def __rmatmul__(self, other: Any) -> "Tensor":
        return Tensor._lift(other, self).__matmul__(self)

    # comparisons: results are boolean tensors outside the tape
    def _compare(self, other: Any, fn: Callable) -> "Tensor":
        o = other.array if isinstance(other, Tensor) else other
        t = Tensor.__new__(Tensor)
        t.array, t.grad, t._node, t._vbox, t.requires_grad = np.asarray(fn(self.array, o)), None, None, [0], False
        return t

    def __lt__(self, o: Any) -> "Tensor":
        return self._compare(o, np.less)

    def __le__(self, o: Any) -> "Tensor":
        return self._compare(o, np.less_equal)

    def __gt__(self, o: Any) -> "Tensor":
        return self._compare(o, np.greater)

    def __ge__(self, o: Any) -> "Tensor":
        return self._compare(o, np.greater_equal)

    def __eq__(self, o: Any) -> "Tensor":  # type: ignore[override]
        return self._compare(o, np.equal)

    def __ne__(self, o: Any) -> "Tensor":  # type: ignore[override]
        return self._compare(o, np.not_equal)

    # logical operators on bool (and integer) tensors: ``~mask``, ``a & b``, ``a | b``, ``a ^ b``
    def _logical(self, o: Any, fn: Callable, sym: str) -> "Tensor":
        for v in (self, o):
            dt = (v.array if isinstance(v, Tensor) else np.asarray(v)).dtype
            if dt.kind not in "biu":
                raise TypeError(f"{sym}: only bool and integer tensors, got dtype {dt}; "
                                f"compare first (x > 0) to get a bool mask")
        return self._compare(o, fn)

    def __and__(self, o: Any) -> "Tensor":
        return self._logical(o, np.bitwise_and, "&")

    def __or__(self, o: Any) -> "Tensor":
        return self._logical(o, np.bitwise_or, "|")

    def __xor__(self, o: Any) -> "Tensor":
        return self._logical(o, np.bitwise_xor, "^")

    __rand__, __ror__, __rxor__ = __and__, __or__, __xor__

    def __invert__(self) -> "Tensor":
        return self._logical(True, lambda d, _: np.invert(d), "~")


class _Size(int):
    """``Tensor.size``: the element count (numpy's meaning, an int) that can also be called
    as PyTorch's ``size()`` (the shape) or ``size(dim)`` (one dimension)."""

    def __new__(cls, n: int, shape: tuple[int, ...]) -> "_Size":
        obj = super().__new__(cls, n)
        obj._shape = shape
        return obj

    def __call__(self, dim: Any = None) -> Any:
        if dim is None:
            return self._shape
        n = len(self._shape)
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
            raise TypeError(f"size(): dim must be an int, got {type_name(dim)}")
        if not -max(n, 1) <= dim < max(n, 1) or n == 0:
            raise IndexError(f"size(): dim {dim} is out of range for a tensor with {n} dims")
        return self._shape[dim]


def _accumulate(leaf: Tensor, g: np.ndarray) -> None:
    """leaf.grad += g (the first time: a fresh copy in the leaf's dtype)."""
    if g.shape != leaf.array.shape:  # a backward rule broke its contract: fail loudly
        raise RuntimeError(f"backward(): a gradient of shape {g.shape} reached a leaf of "
                           f"shape {leaf.array.shape}; the op's backward must return each "
                           f"input's exact shape")
    if leaf.grad is None:
        if leaf.array.dtype.kind not in "fc":  # e.g. ``int_tensor.requires_grad = True``
            raise RuntimeError(f"backward(): a gradient reached a tensor of dtype "
                               f"{leaf.array.dtype}; only floating-point tensors can require "
                               f"gradients (use requires_grad_(), which checks this)")
        leaf.grad = np.array(g, dtype=leaf.array.dtype, copy=True)
    else:
        leaf.grad += g


def _index(idx: Any) -> Any:
    """Let tensors be used as indices (integer arrays and boolean masks)."""
    if isinstance(idx, Tensor):
        return idx.array
    if isinstance(idx, tuple):
        return tuple(i.array if isinstance(i, Tensor) else i for i in idx)
    return idx


def _to_dtypes(name: str, args: Sequence[Any], kwargs: dict[str, Any],
               keywords: set[str]) -> list[np.dtype]:
    """The dtypes that PyTorch-style ``.to(...)`` arguments ask for, in order.

    tinynet runs on the CPU only: ``"cpu"`` (or ``"cpu:0"``) asks for nothing and any
    other device is an error; a Tensor stands for its dtype, as in ``x.to(other)``, and
    a torch dtype for numpy's dtype of the same name.
    """
    unknown = set(kwargs) - keywords
    if unknown:
        raise TypeError(f"{name}: unexpected keyword {sorted(unknown)[0]!r}")
    dtypes = []
    for arg in list(args) + [kwargs.get("device"), kwargs.get("dtype")]:
        is_device = isinstance(arg, str) or type(arg).__name__ == "device"  # torch.device
        if arg is None or (is_device and str(arg).split(":")[0] == "cpu"):
            continue
        if type(arg).__module__ == "torch" and type(arg).__name__ == "dtype":
            try:  # torch.float64 -> numpy's float64
                dtypes.append(np.dtype(str(arg).rpartition(".")[2]))
            except TypeError:
                raise ValueError(f"{name}: {arg} has no numpy equivalent") from None
            continue
        try:
            dtypes.append(np.dtype(arg.dtype if isinstance(arg, Tensor) else arg))
        except (TypeError, ValueError):  # ValueError: e.g. a torch tensor
            raise ValueError(f"{name}: tinynet runs on the CPU only; got {arg!r} (expected "
                             f"'cpu' or a dtype)") from None
    return dtypes
