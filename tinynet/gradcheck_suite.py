"""The catalogue ``tinynet gradcheck`` runs: every op and layer against finite differences.

Each :class:`Case` is a function of some float64 leaf tensors (an op's inputs, or a
layer's input and parameters).  :func:`check_case` compares the tape's gradient of
``L = sum(out * w)`` (w random and fixed, so every output element matters) with
central differences ``(L(t + eps) - L(t - eps)) / (2 eps)`` for every element of
every leaf, with the same pass rule as :func:`tinynet.gradcheck`:
``|analytic - numeric| <= atol + rtol * |numeric|`` elementwise.

The reported error of a case is the worst, over its leaves, of
``max |analytic - numeric| / max(max |numeric|, max |analytic|, atol)`` -- relative to the leaf's
gradient scale, so elements whose true gradient is exactly 0 (a dropped unit, a dead
ReLU) don't blow it up.  Inputs are chosen away from kinks (ReLU at 0, ties in max) where the
derivative does not exist.

:func:`check_case_second_order` (``tinynet gradcheck --second-order``) does the same for the
second derivatives: the gradient of the recorded first derivatives, as ``gradgradcheck``.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Iterator, Optional, Sequence

import numpy as np

from . import nn
from .nn import functional as F
from .nn.functional.conv import conv2d
from .nn.functional.pooling import avg_pool2d, max_pool2d
from ._tape_checks import FirstOrderOnlyError
from .autograd import grad
from .gradcheck import numerical_gradient
from .random import get_rng_state, manual_seed, set_rng_state
from .tensor import Tensor

__all__ = ["Case", "CaseResult", "SecondOrderResult", "cases", "check_case",
           "check_case_second_order", "run_suite"]

EPS, ATOL, RTOL = 1e-6, 1e-5, 1e-3  # tinynet.gradcheck's defaults


@dataclass
class Case:
    """``fn()`` computes the output from ``leaves`` (float64 tensors requiring grad)."""
    group: str
    name: str
    shapes: str
    fn: Callable[[], Tensor]
    leaves: Sequence[Tensor]


@dataclass
class CaseResult:
    case: Case
    rel_error: float
    passed: bool
    detail: str
    seconds: float
    second: Optional["SecondOrderResult"] = None  # with run_suite(second_order=True)


def check_case(case: Case, seed: int = 0) -> CaseResult:
    """Run one case: analytic vs numeric gradient of every element of every leaf."""
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    _fresh_leaves(case)
    out = case.fn()
    w = rng.standard_normal(out.shape)
    (out * Tensor(w)).sum().backward()

    def loss() -> float:  # (not under no_grad: dropout would rightly warn there)
        return float(np.sum(case.fn().array * w))

    analytic = [np.zeros(t.shape) if t.grad is None else t.grad.array.reshape(t.shape)
                for t in case.leaves]
    worst, passed, detail = _compare_leaves(case.leaves, analytic, loss)
    return CaseResult(case, worst, passed, detail, time.perf_counter() - t0)


def _fresh_leaves(case: Case) -> None:
    for t in case.leaves:
        t.array = np.ascontiguousarray(t.array, dtype=np.float64)  # so reshape(-1) is a view
        t.grad = None


def _compare_leaves(leaves: Sequence[Tensor], analytic: Sequence[np.ndarray],
                    loss: Callable[[], float]) -> tuple[float, bool, str]:
    """(worst relative error, passed, what failed first) of ``analytic`` (one array per
    leaf) against central differences of ``loss``."""
    worst, passed, detail = 0.0, True, ""
    for k, (t, an) in enumerate(zip(leaves, analytic)):
        numeric = numerical_gradient(loss, t.array.reshape(-1), EPS)
        a = an.reshape(-1)
        err = np.abs(a - numeric)
        # relative to the leaf's largest gradient; at least atol, so a gradient that is
        # exactly 0 (a conv bias before batch norm) does not divide rounding noise by ~0
        scale = max(float(np.max(np.abs(numeric), initial=0.0)),
                    float(np.max(np.abs(a), initial=0.0)), ATOL)
        rel = float(np.max(err, initial=0.0)) / scale if np.all(np.isfinite(a)) else np.inf
        worst = max(worst, rel)
        bad = ~(err <= ATOL + RTOL * np.abs(numeric))
        if bad.any() and passed:
            i = int(np.argmax(np.where(bad, err, -1.0)))
            passed = False
            where = tuple(int(v) for v in np.unravel_index(i, t.shape))
            detail = (f"leaf {k} {_shape(t.shape)}, element {where}: backward "
                      f"{a[i]:.8g}, finite differences {numeric[i]:.8g}")
    return worst, passed, detail


@dataclass
class SecondOrderResult:
    """``status``: PASS, FAIL, or NUMPY_RULE (an entry's rule is first-order only)."""
    rel_error: float
    status: str
    detail: str
    numpy_ops: tuple


NUMPY_RULE = "numpy rule"


def check_case_second_order(case: Case, seed: int = 0) -> SecondOrderResult:
    """Second derivatives, as ``tinynet.autograd.gradgradcheck``: the first derivatives
    ``D(x) = grad(sum(out * w), leaves)`` are recorded (``create_graph=True``); the
    gradient of ``sum(D * w2)`` through that recording is compared with central
    differences of ``sum(D * w2)``.  An entry whose rule computes with numpy
    (first-order only) is reported as such, not as a failure."""
    rng = np.random.default_rng(seed + 1)
    _fresh_leaves(case)
    leaves = list(case.leaves)
    out = case.fn()
    numpy_ops = tuple(sorted({n.op for n in out.tape()
                              if getattr(n.backward, "numpy_only", False)}))
    w = Tensor(rng.standard_normal(out.shape))

    def first_derivatives(create_graph: bool) -> tuple:
        return grad(case.fn(), leaves, w, create_graph=create_graph, materialize_grads=True)
    try:
        ds = first_derivatives(True)
    except FirstOrderOnlyError as e:
        return SecondOrderResult(np.nan, NUMPY_RULE, str(e), numpy_ops)
    w2 = [rng.standard_normal(d.shape) for d in ds]
    recorded = [(d, Tensor(v)) for d, v in zip(ds, w2) if d.requires_grad]
    if recorded:  # a first derivative that is constant has a zero second derivative
        second = grad([d for d, _ in recorded], leaves, [v for _, v in recorded],
                      materialize_grads=True)
        analytic = [g.array for g in second]
    else:
        analytic = [np.zeros(t.shape) for t in leaves]

    def loss() -> float:
        return float(sum(np.sum(d.array * v) for d, v in zip(first_derivatives(False), w2)))
    worst, passed, detail = _compare_leaves(leaves, analytic, loss)
    return SecondOrderResult(worst, "PASS" if passed else "FAIL", detail, numpy_ops)


# --------------------------------------------------------------------------
# The catalogue
# --------------------------------------------------------------------------
def _shape(shape: Sequence[int]) -> str:
    return "(" + ",".join(str(n) for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _leaf(rng: np.random.Generator, *shape: int, low: Optional[float] = None,
          away: float = 0.0) -> Tensor:
    """A float64 leaf: N(0,1) values, or U(low, low+2); |value| >= away (off kinks)."""
    if low is not None:
        a = rng.uniform(low, low + 2.0, shape)
    else:
        a = rng.standard_normal(shape)
    if away:
        a = np.where(np.abs(a) < away, np.sign(a + 1e-12) * (away + np.abs(a)), a)
    return Tensor(a, requires_grad=True)


def _distinct(rng: np.random.Generator, *shape: int) -> Tensor:
    """Values at least 0.05 apart (no ties: max/min/pool have a unique winner)."""
    n = int(np.prod(shape))
    a = (rng.permutation(n) * 0.05 - n * 0.025).reshape(shape)
    return Tensor(a, requires_grad=True)


def _seeded(fn: Callable[[], Tensor], seed: int = 1) -> Callable[[], Tensor]:
    """Reseed before every call: a random op (dropout) then uses one fixed mask."""
    def run() -> Tensor:
        manual_seed(seed)
        return fn()
    return run


def cases() -> Iterator[Case]:
    """Every op and layer with the shapes it is checked at."""
    rng = np.random.default_rng(1234)
    L = lambda *s, **k: _leaf(rng, *s, **k)  # noqa: E731

    # -- core arithmetic (tinynet/tensor.py), with broadcasting ---------------
    a, b = L(3, 4), L(4)
    yield Case("tensor", "add (broadcast)", "(3,4)+(4,)", lambda: a + b, [a, b])
    a2, b2 = L(3, 1), L(1, 4)
    yield Case("tensor", "sub (broadcast)", "(3,1)-(1,4)", lambda: a2 - b2, [a2, b2])
    a3, b3 = L(2, 3, 4), L(3, 1)
    yield Case("tensor", "mul (broadcast)", "(2,3,4)*(3,1)", lambda: a3 * b3, [a3, b3])
    a4, b4 = L(3, 4), L(3, 4, low=0.5)
    yield Case("tensor", "div", "(3,4)/(3,4)", lambda: a4 / b4, [a4, b4])
    a5 = L(5)
    yield Case("tensor", "neg", "(5,)", lambda: -a5, [a5])
    a6, b6 = L(3, 4, low=0.5), L(3, 4)
    yield Case("tensor", "pow", "(3,4)**(3,4)", lambda: a6 ** b6, [a6, b6])
    a6s = L(2, 3, low=0.5)
    yield Case("tensor", "pow (scalar exponent)", "(2,3)**2.5", lambda: a6s ** 2.5, [a6s])
    m1, m2 = L(3, 4), L(4, 2)
    yield Case("tensor", "matmul", "(3,4)@(4,2)", lambda: m1 @ m2, [m1, m2])
    m3, m4 = L(2, 3, 4), L(4, 5)
    yield Case("tensor", "matmul (batched)", "(2,3,4)@(4,5)", lambda: m3 @ m4, [m3, m4])
    v1, m5 = L(4), L(4, 3)
    yield Case("tensor", "matmul (vector)", "(4,)@(4,3)", lambda: v1 @ m5, [v1, m5])

    # -- elementwise (tinynet/ops/elementwise.py) ------------------------------
    import tinynet as tn  # the public functions (tn.exp, tn.sum, ...), as a user calls them
    x = L(3, 4)
    pos = L(3, 4, low=0.3)
    off = L(3, 4, away=0.1)
    for name, fn, t in (("exp", tn.exp, x), ("log", tn.log, pos), ("sqrt", tn.sqrt, pos),
                        ("abs", tn.abs, off), ("tanh", tn.tanh, x), ("sigmoid", tn.sigmoid, x),
                        ("relu", tn.relu, off)):
        yield Case("elementwise", name, "(3,4)", (lambda f=fn, t=t: f(t)), [t])
    for name, fn, t in (("reciprocal", tn.reciprocal, off), ("rsqrt", tn.rsqrt, pos),
                        ("sign", tn.sign, off), ("sin", tn.sin, x), ("cos", tn.cos, x),
                        ("log1p", tn.log1p, pos), ("expm1", tn.expm1, x)):
        yield Case("elementwise", name, "(3,4)", (lambda f=fn, t=t: f(t)), [t])
    mask = Tensor(np.array([[True, False, False, True]]))
    yield Case("elementwise", "masked_fill", "(3,4) mask (1,4)",
               lambda: tn.masked_fill(x, mask, 0.5), [x])
    p, q = _distinct(rng, 3, 4), _distinct(rng, 3, 4)
    q.array = q.array + 0.01  # p and q never equal
    yield Case("elementwise", "maximum", "(3,4),(3,4)", lambda: tn.maximum(p, q), [p, q])
    yield Case("elementwise", "minimum", "(3,4),(3,4)", lambda: tn.minimum(p, q), [p, q])
    yield Case("elementwise", "where", "mask (1,4), (3,4), (4,)",
               lambda: tn.where(mask, p, q[0]), [p, q])
    c = _distinct(rng, 3, 4)
    yield Case("elementwise", "clip", "(3,4) to [-0.12, 0.13]",
               lambda: tn.clip(c, -0.12, 0.13), [c])

    # -- reductions (tinynet/ops/reduce.py) ------------------------------------
    r = L(2, 3, 4)
    rd = _distinct(rng, 2, 3, 4)
    yield Case("reduce", "sum", "(2,3,4) axis=1", lambda: tn.sum(r, axis=1), [r])
    yield Case("reduce", "sum (all)", "(2,3,4)", lambda: tn.sum(r), [r])
    yield Case("reduce", "mean", "(2,3,4) axis=(0,2) keepdims", lambda: tn.mean(r, axis=(0, 2),
                                                                             keepdims=True), [r])
    yield Case("reduce", "max", "(2,3,4) dim=2 values", lambda: tn.max(rd, 2).values, [rd])
    yield Case("reduce", "min", "(2,3,4) dim=0 values", lambda: tn.min(rd, 0).values, [rd])
    yield Case("reduce", "amax", "(2,3,4) dim=(0,2)", lambda: tn.amax(rd, (0, 2)), [rd])
    yield Case("reduce", "amin", "(2,3,4) dim=1", lambda: tn.amin(rd, 1), [rd])
    yield Case("reduce", "var", "(2,3,4) axis=1", lambda: tn.var(r, axis=1), [r])
    yield Case("reduce", "std", "(2,3,4) dim=(0,2) keepdim",
               lambda: tn.std(r, dim=(0, 2), keepdim=True), [r])
    rz = L(3, 4)
    rz.array[0, 1] = rz.array[2, 0] = rz.array[2, 3] = 0.0  # one zero in row 0, two in row 2
    yield Case("reduce", "prod (with zeros)", "(3,4) dim=1", lambda: tn.prod(rz, 1), [rz])
    yield Case("reduce", "cumsum", "(2,3,4) dim=-2", lambda: tn.cumsum(r, -2), [r])
    yield Case("reduce", "logsumexp", "(2,3,4) dim=-1", lambda: tn.logsumexp(r, dim=-1), [r])
    yield Case("reduce", "softmax", "(2,3,4) dim=1", lambda: tn.softmax(r, dim=1), [r])
    yield Case("reduce", "log_softmax", "(2,3,4) dim=-1", lambda: tn.log_softmax(r, dim=-1), [r])
    yield Case("reduce", "sort", "(2,3,4) dim=1 descending values",
               lambda: tn.sort(rd, 1, descending=True).values, [rd])
    yield Case("reduce", "topk", "(2,3,4) k=2 dim=-1 values", lambda: tn.topk(rd, 2).values, [rd])

    # -- shape ops (tinynet/ops/shape.py) --------------------------------------
    s = L(2, 3, 4)
    yield Case("shape", "reshape", "(2,3,4)->(6,4)", lambda: tn.reshape(s, 6, 4), [s])
    yield Case("shape", "transpose", "(2,3,4) 0<->2", lambda: tn.transpose(s, 0, 2), [s])
    yield Case("shape", "permute", "(2,3,4)->(1,2,0)", lambda: tn.permute(s, 1, 2, 0), [s])
    yield Case("shape", "flatten", "(2,3,4) from 1", lambda: tn.flatten(s, 1), [s])
    s1 = L(3, 1, 4)
    yield Case("shape", "squeeze/unsqueeze", "(3,1,4)",
               lambda: tn.unsqueeze(tn.squeeze(s1, 1), 0), [s1])
    yield Case("shape", "expand", "(3,1)->(2,3,5)", lambda: tn.expand(a2, 2, 3, 5), [a2])
    yield Case("shape", "getitem (slice)", "(2,3,4)[:, 1:, ::2]", lambda: s[:, 1:, ::2], [s])
    idx = np.array([0, 2, 2, 1])
    yield Case("shape", "getitem (repeated index)", "(2,3,4)[:, [0,2,2,1]]",
               lambda: s[:, idx], [s])
    c1, c2 = L(2, 3), L(2, 2)
    yield Case("shape", "cat", "(2,3),(2,2) dim=1", lambda: tn.cat([c1, c2], dim=1), [c1, c2])
    c3 = L(2, 3)
    yield Case("shape", "stack", "(2,3),(2,3) dim=0", lambda: tn.stack([c1, c3]), [c1, c3])
    yield Case("shape", "flip", "(2,3,4) dims (0,2)", lambda: tn.flip(s, (0, 2)), [s])
    yield Case("shape", "narrow", "(2,3,4) dim=2 start=1 length=2",
               lambda: tn.narrow(s, 2, 1, 2), [s])
    yield Case("shape", "chunk", "(2,3,4) 2 chunks dim=-1, rejoined in reverse",
               lambda: tn.cat(tn.chunk(s, 2, -1)[::-1], -1), [s])
    yield Case("shape", "split", "(2,3,4) [1,2] dim=1, rejoined in reverse",
               lambda: tn.cat(tn.split(s, [1, 2], 1)[::-1], 1), [s])
    yield Case("shape", "unbind", "(2,3,4) dim=1, restacked", lambda: tn.stack(tn.unbind(s, 1)),
               [s])
    gi = Tensor(np.array([[[0, 3, 3], [1, 1, 0], [2, 0, 3]]] * 2))
    yield Case("shape", "gather", "(2,3,4) dim=2 index (2,3,3)", lambda: tn.gather(s, 2, gi), [s])
    yield Case("shape", "index_select", "(2,3,4) dim=1 [2,0,2]",
               lambda: tn.index_select(s, 1, Tensor(np.array([2, 0, 2]))), [s])
    yield Case("shape", "pad", "(2,3,4) pad (1,2,0,1)", lambda: tn.pad(s, (1, 2, 0, 1)), [s])

    # -- conv2d (tinynet/nn/functional/conv.py) ---------------------------------
    for label, xs, ws, kw in (
            ("3x3", (2, 2, 5, 5), (3, 2, 3, 3), {}),
            ("stride 2, padding 1", (2, 2, 5, 5), (3, 2, 3, 3), dict(stride=2, padding=1)),
            ("2x3 kernel, stride (2,1), padding (1,0)", (1, 2, 5, 4), (2, 2, 2, 3),
             dict(stride=(2, 1), padding=(1, 0))),
            ("dilation 2", (1, 1, 6, 6), (2, 1, 2, 2), dict(dilation=2)),
            ("groups 2", (1, 4, 4, 4), (4, 2, 2, 2), dict(groups=2)),
            ("padding 'same', even kernel", (1, 1, 4, 5), (2, 1, 2, 2), dict(padding="same")),
            ("unbatched", (2, 4, 4), (2, 2, 3, 3), dict(padding=1))):
        cx, cw, cb = L(*xs), L(*ws), L(ws[0])
        shapes = f"x{_shape(xs)} w{_shape(ws)}" + "".join(
            f" {k}={_shape(v) if isinstance(v, tuple) else v}" for k, v in kw.items())
        yield Case("conv2d", f"conv2d {label}", shapes,
                   (lambda cx=cx, cw=cw, cb=cb, kw=kw: conv2d(cx, cw, cb, **kw)), [cx, cw, cb])

    # -- pooling (tinynet/nn/functional/pooling.py) -----------------------------
    px = _distinct(rng, 2, 2, 5, 5)
    yield Case("pooling", "max_pool2d 2x2", "(2,2,5,5) k=2", lambda: max_pool2d(px, 2), [px])
    yield Case("pooling", "max_pool2d overlapping", "(2,2,5,5) k=3 s=2 p=1",
               lambda: max_pool2d(px, 3, 2, 1), [px])
    yield Case("pooling", "avg_pool2d", "(2,2,5,5) k=2", lambda: avg_pool2d(px, 2), [px])
    yield Case("pooling", "avg_pool2d padded", "(2,2,5,5) k=3 s=2 p=1",
               lambda: avg_pool2d(px, 3, 2, 1), [px])

    # -- dropout with a fixed mask (tinynet/nn/functional/dropout.py) -----------
    dx = L(4, 5)
    yield Case("dropout", "dropout inverted (fixed mask)", "(4,5) p=0.3",
               _seeded(lambda: F.dropout(dx, 0.3)), [dx])
    yield Case("dropout", "dropout vanilla (fixed mask)", "(4,5) p=0.3",
               _seeded(lambda: F.dropout(dx, 0.3, inverted=False)), [dx])
    yield Case("dropout", "dropout eval (vanilla)", "(4,5) p=0.3",
               lambda: F.dropout(dx, 0.3, training=False, inverted=False), [dx])
    d2 = L(2, 3, 2, 2)
    yield Case("dropout", "dropout2d (fixed mask)", "(2,3,2,2) p=0.5",
               _seeded(lambda: F.dropout2d(d2, 0.5)), [d2])

    # -- batch norm (tinynet/nn/functional/batchnorm.py) ------------------------
    bx, bg, bb = L(4, 3), L(3), L(3)
    yield Case("batch_norm", "batch_norm train (N,C)", "(4,3)",
               lambda: F.batch_norm(bx, None, None, bg, bb, training=True), [bx, bg, bb])
    bx4 = L(2, 3, 2, 2)
    yield Case("batch_norm", "batch_norm train (N,C,H,W)", "(2,3,2,2)",
               lambda: F.batch_norm(bx4, None, None, bg, bb, training=True), [bx4, bg, bb])
    rm, rv = Tensor(rng.standard_normal(3)), Tensor(rng.uniform(0.5, 2.0, 3))
    yield Case("batch_norm", "batch_norm eval", "(2,3,2,2)",
               lambda: F.batch_norm(bx4, rm, rv, bg, bb, training=False), [bx4, bg, bb])

    # -- linear, activations, losses (tinynet/nn/functional/) -------------------
    lx, lw, lb = L(4, 5), L(3, 5), L(3)
    yield Case("linear", "linear", "x(4,5) W(3,5) b(3,)", lambda: F.linear(lx, lw, lb),
               [lx, lw, lb])
    lx3 = L(2, 4, 5)
    yield Case("linear", "linear (3-D input)", "x(2,4,5) W(3,5)", lambda: F.linear(lx3, lw),
               [lx3, lw])
    logits, target = L(5, 4), Tensor(np.array([0, 3, 1, 1, 2]))
    yield Case("loss", "cross_entropy", "(5,4)", lambda: F.cross_entropy(logits, target),
               [logits])
    yield Case("loss", "cross_entropy label_smoothing", "(5,4) s=0.1 sum",
               lambda: F.cross_entropy(logits, target, reduction="sum", label_smoothing=0.1),
               [logits])
    yield Case("loss", "nll_loss", "(5,4)",
               lambda: F.nll_loss(F.log_softmax(logits, dim=1), target), [logits])
    cw = np.array([0.5, 2.0, 1.5, 3.0])
    logits4, target4 = L(2, 4, 2, 3), Tensor(np.array([[[0, 3, -100], [1, 2, 2]]] * 2))
    yield Case("loss", "cross_entropy weight ignore_index", "(2,4,2,3) s=0.1",
               lambda: F.cross_entropy(logits4, target4, cw, label_smoothing=0.1), [logits4])
    probs = L(5, 4)
    yield Case("loss", "cross_entropy probabilities", "(5,4),(5,4) weight s=0.1",
               lambda: F.cross_entropy(logits, probs, cw, label_smoothing=0.1),
               [logits, probs])
    yield Case("loss", "nll_loss weight ignore_index", "(2,4,2,3)",
               lambda: F.nll_loss(logits4, target4, cw, reduction="sum"), [logits4])
    my, mt = L(3, 4), L(3, 4)
    yield Case("loss", "mse_loss", "(3,4),(3,4)", lambda: F.mse_loss(my, mt), [my, mt])
    yield Case("loss", "mse_loss none", "(3,4),(3,4)",
               lambda: F.mse_loss(my, mt, reduction="none"), [my, mt])

    # -- layers: the nn.Modules themselves, input and every parameter ----------
    yield from _layer_cases(rng)

    # -- composed ops: losses, activations, layers built from the ops above ----
    yield from _composed_cases(np.random.default_rng(4321))


def _layer_case(name: str, module: nn.Module, x: Tensor, seed: Optional[int] = None,
                group: str = "layers", pick: Optional[Callable] = None) -> Case:
    """``module(x)``, or ``pick(module(x))`` for a module that returns a tuple (RNNs)."""
    module.double()
    leaves = [x] + list(module.parameters())
    params = list(module.parameters())
    shapes = f"x{_shape(x.shape)}" + (f" + {len(params)} parameters "
                                      f"({sum(p.size for p in params)} values)" if params else "")
    run = (lambda: module(x)) if pick is None else (lambda: pick(module(x)))
    fn = run if seed is None else _seeded(run, seed)
    return Case(group, name, shapes, fn, leaves)


def _layer_cases(rng: np.random.Generator) -> Iterator[Case]:
    state = get_rng_state()  # layer init draws from tinynet's generator: don't disturb it
    manual_seed(0)
    try:
        x4 = _leaf(rng, 2, 2, 5, 5)
        layers = [
            ("nn.Linear(5, 3)", nn.Linear(5, 3), _leaf(rng, 4, 5), None),
            ("nn.Conv2d(2, 3, 3, padding=1)", nn.Conv2d(2, 3, 3, padding=1), x4, None),
            ("nn.BatchNorm2d(2) train", nn.BatchNorm2d(2), x4, None),
            ("nn.Dropout(0.25) (fixed mask)", nn.Dropout(0.25), _leaf(rng, 4, 5), 3),
            ("small CNN", nn.Sequential(
                nn.Conv2d(1, 2, 3, padding=1, bias=False), nn.BatchNorm2d(2), nn.ReLU(),
                nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.2), nn.Linear(2 * 3 * 3, 3)),
             _leaf(rng, 2, 1, 6, 6), 5),
        ]
    finally:
        set_rng_state(state)
    for name, module, x, seed in layers:
        yield _layer_case(name, module, x, seed)


def _composed_cases(rng: np.random.Generator) -> Iterator[Case]:
    """Losses, activations and layers composed of the ops above (their gradients are the
    ops' own, so these check the composition), and erf, a primitive of its own."""
    import tinynet as tn
    L = lambda *s, **k: _leaf(rng, *s, **k)  # noqa: E731

    x = L(3, 4)
    yield Case("special", "erf", "(3,4)", lambda: tn.erf(x), [x])
    off = L(3, 4, away=0.1)  # off the kink at 0
    for name, fn, t in (("leaky_relu", lambda: F.leaky_relu(off, 0.2), off),
                        ("elu", lambda: F.elu(off, 0.7), off), ("gelu", lambda: F.gelu(x), x),
                        ("gelu tanh", lambda: F.gelu(x, approximate="tanh"), x)):
        yield Case("activation", name, "(3,4)", fn, [t])

    prob, frac = L(3, 4, low=-0.9), L(3, 4, low=-0.9)
    for t in (prob, frac):
        t.array = (t.array + 1) * 0.4 + 0.05         # probabilities in [0.05, 0.85]
    z, w, pw = L(3, 4), Tensor(rng.uniform(0.5, 2, 4)), Tensor(rng.uniform(0.5, 3, 4))
    yield Case("loss", "binary_cross_entropy", "(3,4),(3,4) weight (4,)",
               lambda: F.binary_cross_entropy(prob, frac, w), [prob, frac])
    yield Case("loss", "binary_cross_entropy_with_logits", "(3,4),(3,4) weight pos_weight",
               lambda: F.binary_cross_entropy_with_logits(z, frac, w, pos_weight=pw),
               [z, frac])
    a, b = L(3, 4), L(3, 4)
    a.array = b.array + np.where(rng.random((3, 4)) < 0.5, -1, 1) * rng.uniform(0.1, 3, (3, 4))
    for name, fn in (("l1_loss", lambda: F.l1_loss(a, b)),
                     ("smooth_l1_loss", lambda: F.smooth_l1_loss(a, b, beta=1.05)),
                     ("huber_loss none", lambda: F.huber_loss(a, b, "none", delta=1.05))):
        yield Case("loss", name, "(3,4),(3,4)", fn, [a, b])
    logq, p = L(3, 4), L(3, 4, low=-0.9)
    p.array = (p.array + 1) * 0.4 + 0.05
    yield Case("loss", "kl_div batchmean", "(3,4),(3,4)",
               lambda: F.kl_div(logq, p, reduction="batchmean"), [logq, p])

    cx, cw, cb = L(2, 4, 3, 3), L(4, 1, 3, 2), L(2)
    yield Case("conv_transpose2d", "conv_transpose2d stride 2 padding 1 output_padding 1",
               "x(2,4,3,3) w(4,1,3,2) groups=2",
               lambda: F.conv_transpose2d(cx, cw, cb, stride=2, padding=1, output_padding=1,
                                          groups=2), [cx, cw, cb])
    ux = L(1, 2, 3, 4)
    yield Case("interpolate", "interpolate nearest", "(1,2,3,4) scale 1.5",
               lambda: F.interpolate(ux, scale_factor=1.5), [ux])
    ew = L(5, 3)
    idx = Tensor(np.array([[1, 2, 1], [4, 1, 0]]))
    # (no padding_idx: by design its row gets no gradient, which differences would see)
    yield Case("embedding", "embedding (repeated indices)", "w(5,3)[(2,3)]",
               lambda: F.embedding(idx, ew), [ew])

    state = get_rng_state()  # layer init draws from tinynet's generator: don't disturb it
    manual_seed(0)
    try:
        seq, step = L(3, 2, 2), L(2, 2)
        output, h_n, second = (lambda r: r[0]), (lambda r: r[1][0]), (lambda r: r[1])
        recurrent = [
            ("nn.RNN(2, 3, nonlinearity='relu')", nn.RNN(2, 3, nonlinearity="relu"), seq,
             output),
            ("nn.LSTM(2, 3, bidirectional=True)", nn.LSTM(2, 3, bidirectional=True), seq,
             output),
            ("nn.LSTM(2, 3, 2, proj_size=2) h_n", nn.LSTM(2, 3, 2, proj_size=2), seq, h_n),
            ("nn.GRU(2, 3, num_layers=2)", nn.GRU(2, 3, num_layers=2), seq, output),
            ("nn.RNNCell(2, 3)", nn.RNNCell(2, 3), step, None),
            ("nn.LSTMCell(2, 3) c'", nn.LSTMCell(2, 3), step, second),
            ("nn.GRUCell(2, 3)", nn.GRUCell(2, 3), step, None),
        ]
        tconv = nn.ConvTranspose2d(2, 3, 3, stride=2)
    finally:
        set_rng_state(state)
    for name, module, inp, pick in recurrent:
        yield _layer_case(name, module, inp, group="recurrent", pick=pick)
    yield _layer_case("nn.ConvTranspose2d(2, 3, 3, stride=2)", tconv, L(1, 2, 3, 3))


def run_suite(only: Optional[str] = None,
              progress: Optional[Callable[[CaseResult], None]] = None,
              second_order: bool = False) -> list[CaseResult]:
    """Check every case (or those whose group or name contains ``only``); with
    ``second_order``, also its second derivatives (:func:`check_case_second_order`).

    tinynet's random stream is saved and restored around the suite (dropout cases reseed).
    """
    state = get_rng_state()
    results = []
    try:
        for case in cases():
            if only and only.lower() not in (case.group + " " + case.name).lower():
                continue
            res = check_case(case)
            if second_order:
                t0 = time.perf_counter()
                res.second = check_case_second_order(case)
                res.seconds += time.perf_counter() - t0
            results.append(res)
            if progress is not None:
                progress(res)
    finally:
        set_rng_state(state)
    return results
