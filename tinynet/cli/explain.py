"""``tinynet explain conv2d|dropout``: the quiz's math, derived by running the real ops.

    tinynet explain conv2d --input 3x3 --kernel 2x2 [--stride S] [--padding P]
    tinynet explain dropout [--p P] [--seed S]

Nothing printed is a hand-written formula.  For conv2d, each output is bilinear in
the input X and the kernel W::

    O_kl = sum_{ij, ab} C[kl, ij, ab] * X_ij * W_ab

and the coefficient tensor C is read off by running ``tinynet.nn.functional.conv2d``
on one-hot inputs: the forward with X = e_ij and W = e_ab gives C[:, ij, ab], the
backward with dL/dO = e_kl gives dO_kl/dX (with W = e_ab) and dO_kl/dW (with
X = e_ij).  The three must agree -- a small proof that conv2d's backward is the
transpose of its forward.  For dropout, the mask D is read off the real backward.

Indices start at 1, as in the course.  When every size (input, kernel, output) is at
most 9 they are written together (``X12``: row 1, column 2); otherwise with brackets
(``X[1,10]``).
"""
from __future__ import annotations

import argparse
import math
import re
from typing import NamedTuple

import numpy as np

from ..nn.functional.conv import conv2d
from ..nn.functional.dropout import dropout
from ..random import get_rng_state, manual_seed, set_rng_state
from ..tensor import Tensor, no_grad
from . import CLIError

__all__ = ["ConvTerms", "conv2d_terms", "explain_conv2d", "explain_dropout",
           "register", "run"]


class ConvTerms(NamedTuple):
    """Coefficients of a single-channel conv2d: ``O_kl = sum C[k,l,i,j,a,b] X_ij W_ab``.

    ``forward``, ``dx`` and ``dw`` hold the same tensor C, of shape (Ho, Wo, H, W, kh, kw),
    measured three ways: by conv2d's forward, by its backward to X, by its backward to W.
    """
    forward: np.ndarray
    dx: np.ndarray
    dw: np.ndarray


def conv2d_terms(h: int, w: int, kh: int, kw: int, stride: int = 1,
                 padding: int = 0) -> ConvTerms:
    """Measure C for an h x w input and a kh x kw kernel by running conv2d (float64)."""
    hw, kk = h * w, kh * kw
    eye_x = np.eye(hw).reshape(hw, 1, h, w)         # batch of one-hot images e_ij
    eye_w = np.eye(kk).reshape(kk, 1, kh, kw)       # bank of one-hot filters e_ab
    with no_grad():
        o = conv2d(Tensor(eye_x), Tensor(eye_w), stride=stride, padding=padding).array
    ho, wo = o.shape[2:]
    # o[ij, ab, k, l] = C[kl, ij, ab]
    fwd = o.reshape(h, w, kh, kw, ho, wo).transpose(4, 5, 0, 1, 2, 3)

    # backward: a one-hot upstream gradient dL/dO = e_kl for every output (k, l).  To do
    # all of them in one backward pass, `groups` keeps the one-hot cases apart: with
    # groups=G, filter group g sees only input channel g (one channel per case).
    ko = ho * wo
    g_kl = np.eye(ko).reshape(ko, ho, wo)           # g_kl[m] = e_(k,l), m = k*wo + l

    # dO_kl/dX with W = e_ab: sample m gets dL/dO = e_(k,l)=m; channel ab holds W = e_ab
    x = Tensor(np.zeros((ko, kk, h, w)), requires_grad=True)
    out = conv2d(x, Tensor(eye_w), stride=stride, padding=padding, groups=kk)  # (ko, kk, ho, wo)
    out.backward(np.repeat(g_kl[:, None], kk, axis=1))
    dx = x.grad.array.reshape(ho, wo, kk, h, w).transpose(0, 1, 3, 4, 2).reshape(ho, wo, h, w, kh, kw)

    # dO_kl/dW with X = e_ij: channel ij holds X = e_ij; its ko filters get dL/dO = e_kl each
    wt = Tensor(np.zeros((hw * ko, 1, kh, kw)), requires_grad=True)
    out = conv2d(Tensor(eye_x.reshape(1, hw, h, w)), wt, stride=stride, padding=padding,
                 groups=hw)                                                # (1, hw*ko, ho, wo)
    out.backward(np.tile(g_kl, (hw, 1, 1))[None])
    dw = wt.grad.array.reshape(h, w, ho, wo, kh, kw).transpose(2, 3, 0, 1, 4, 5)
    return ConvTerms(fwd, dx, dw)


def _namer(*sizes: int):
    compact = max(sizes) <= 9

    def name(sym: str, r: int, c: int) -> str:
        return f"{sym}{r + 1}{c + 1}" if compact else f"{sym}[{r + 1},{c + 1}]"
    return name


def _sum(terms: list[tuple[float, str]]) -> str:
    if not terms:
        return "0"
    parts = []
    for coef, text in terms:
        parts.append(text if coef == 1 else f"{coef:g}*{text}")
    return " + ".join(parts)


def explain_conv2d(h: int, w: int, kh: int, kw: int, stride: int = 1,
                   padding: int = 0) -> str:
    """The forward and backward of conv2d written out as sums of products."""
    c = conv2d_terms(h, w, kh, kw, stride, padding)
    for name, other in (("dL/dX", c.dx), ("dL/dW", c.dw)):
        if not np.allclose(c.forward, other, atol=1e-12):
            bad = np.argwhere(~np.isclose(c.forward, other, atol=1e-12))[0]
            raise RuntimeError(f"explain conv2d: the backward ({name}) disagrees with the "
                               f"forward at C{tuple(int(v) for v in bad)}: conv2d is broken")
    C = np.round(c.forward, 12)
    ho, wo = C.shape[:2]
    nm = _namer(h, w, kh, kw, ho, wo)
    out = [f"conv2d: input X {h}x{w}, kernel W {kh}x{kw}, stride {stride}, padding {padding}"
           f" -> output O {ho}x{wo}",
           f"  output size: ({h} + 2*{padding} - {kh}) // {stride} + 1 = {ho} rows, "
           f"({w} + 2*{padding} - {kw}) // {stride} + 1 = {wo} columns",
           "  (every coefficient below was measured by running tinynet.nn.functional.conv2d",
           "  on one-hot X, W and dL/dO; indices start at 1)"]
    if padding:
        out += [f"  padding {padding}: X gets a border of zeros, {padding} wide; a product with "
                f"a padded zero is 0,", "  so those terms are left out. Padded X:"]
        grid = [["0"] * (w + 2 * padding) for _ in range(h + 2 * padding)]
        for i in range(h):
            for j in range(w):
                grid[i + padding][j + padding] = nm("X", i, j)
        width = max(len(s) for row in grid for s in row)
        out += ["    " + " ".join(s.rjust(width) for s in row) for row in grid]
    out += ["", "forward:"]
    for k in range(ho):
        for l in range(wo):
            terms = [(C[k, l, i, j, a, b], f"{nm('X', i, j)}*{nm('W', a, b)}")
                     for a in range(kh) for b in range(kw) for i in range(h) for j in range(w)
                     if C[k, l, i, j, a, b]]
            out.append(f"{nm('O', k, l)} = {_sum(terms)}")
    out += ["", "backward (given dL/dO; chain rule dL/dX_ij = sum_kl dL/dO_kl * dO_kl/dX_ij):"]
    for i in range(h):
        for j in range(w):
            terms = [(C[k, l, i, j, a, b], f"dL/d{nm('O', k, l)}*{nm('W', a, b)}")
                     for k in range(ho) for l in range(wo) for a in range(kh) for b in range(kw)
                     if C[k, l, i, j, a, b]]
            out.append(f"dL/d{nm('X', i, j)} = {_sum(terms)}")
    out.append("")
    for a in range(kh):
        for b in range(kw):
            terms = [(C[k, l, i, j, a, b], f"dL/d{nm('O', k, l)}*{nm('X', i, j)}")
                     for k in range(ho) for l in range(wo) for i in range(h) for j in range(w)
                     if C[k, l, i, j, a, b]]
            out.append(f"dL/d{nm('W', a, b)} = {_sum(terms)}")
    out += ["", "with a bias b added to every output: dL/db = sum of all dL/dO_kl."]
    if stride == 1:
        out += ["As whole arrays: dL/dW is X correlated with dL/dO; dL/dX is dL/dO, padded",
                f"with {kh - 1}x{kw - 1} zeros, correlated with W rotated by 180 degrees"
                + (" (then the padding's rows/columns cut off)." if padding else ".")]
    return "\n".join(out)


def _fmt(a: np.ndarray) -> str:
    return np.array2string(a, precision=3, suppress_small=True,
                           floatmode="maxprec").replace("\n", "\n    ")


def _pct(fraction: float) -> str:
    """0.3 -> '30%'; 0.7612 -> '76.1%' (one decimal only when needed)."""
    text = f"{100 * fraction:.1f}"
    return (text[:-2] if text.endswith(".0") else text) + "%"


def explain_dropout(p: float = 0.5, seed: int = 0) -> str:
    """Dropout's forward and backward rules, with a worked example from a seeded mask."""
    keep = 1.0 - p
    y_np = np.arange(1.0, 9.0).reshape(2, 4)
    gh = np.round(np.arange(1, 9).reshape(2, 4) * 0.1, 1)

    def run(inverted: bool) -> tuple[np.ndarray, np.ndarray]:
        manual_seed(seed)
        y = Tensor(y_np, requires_grad=True)
        h = dropout(y, p, training=True, inverted=inverted)
        h.backward(gh)
        return h.array.copy(), y.grad.array.copy()

    state = get_rng_state()  # the example must not disturb the caller's random stream
    try:
        h_inv, gy_inv = run(True)
        h_van, gy_van = run(False)
    finally:
        set_rng_state(state)
    # vanilla: dL/dY = dL/dH ⊙ D, so D = dL/dY / dL/dH (dL/dH has no zeros)
    d = np.round(gy_van / gh).astype(int)
    # the course's Gaussian mask randn() < keep keeps a unit with probability Phi(keep)
    gaussian_keeps = 0.5 * (1.0 + math.erf(keep / math.sqrt(2.0)))
    out = [
        f"dropout with p = {p:g}",
        "  p is the probability of DROPPING a unit (tinynet and PyTorch): in training,",
        f"  about {_pct(p)} of the units are zeroed and {_pct(keep)} are kept.",
        "  The course writes dropout with the probability of KEEPING a unit instead;",
        f"  its keep = {keep:g} is this same dropout.",
        "",
        "mask: D_ij ~ Bernoulli(1 - p), drawn fresh for every forward in training mode:",
        f"  D_ij = 1 (kept) with probability 1 - p = {keep:g}, 0 (dropped) with probability "
        f"p = {p:g}.",
        "  Draw it from UNIFORM numbers: D = (rand(shape) >= p).",
        "  The course's mask np.random.randn(*x.shape) < keep draws GAUSSIAN numbers, so it",
        f"  keeps a unit with probability Phi(keep) = Phi({keep:g}) = {_pct(gaussian_keeps)}, "
        f"not keep = {_pct(keep)}.",
        "",
        "                vanilla (course quiz)     inverted (tinynet/PyTorch default)",
        "train forward   H = D ⊙ Y                 H = D ⊙ Y / (1-p)",
        "train backward  dL/dY = dL/dH ⊙ D         dL/dY = dL/dH ⊙ D / (1-p)",
        "eval forward    H = (1-p) Y               H = Y (untouched)",
        "",
        "  ⊙ is the elementwise product. The backward follows from dH_ij/dY_ij = D_ij (times",
        "  1/(1-p) if inverted): a dropped unit passes no gradient back.",
        "  Why inverted leaves evaluation untouched: E[D_ij] = 1-p, so E[D ⊙ Y / (1-p)] = Y;",
        "  the training output already has the right scale. Vanilla must scale by (1-p) at",
        "  evaluation instead, so that H matches E[D ⊙ Y] = (1-p) Y.",
        "",
        f"worked example (tinynet.manual_seed({seed}); the real F.dropout forward and backward;",
        "D read off the backward):",
        "Y =\n    " + _fmt(y_np),
        "D =\n    " + _fmt(d),
        "dL/dH =\n    " + _fmt(gh),
        "",
        "vanilla (F.dropout(Y, p, inverted=False)):",
        "  H = D ⊙ Y =\n    " + _fmt(h_van),
        "  dL/dY = dL/dH ⊙ D =\n    " + _fmt(gy_van),
        f"inverted (F.dropout(Y, p)): scale 1/(1-p) = {1 / keep:g}" if keep > 0 else
        "inverted (F.dropout(Y, p)): p = 1 drops everything",
        "  H = D ⊙ Y / (1-p) =\n    " + _fmt(h_inv),
        "  dL/dY = dL/dH ⊙ D / (1-p) =\n    " + _fmt(gy_inv),
    ]
    return "\n".join(out)



# --------------------------------------------------------------------------
# The command
# --------------------------------------------------------------------------
MAX_SIDE = 16  # larger grids print thousands of lines and teach nothing more
MAX_ELEMENTS = 2 ** 26  # largest array conv2d_terms may need (float64: 512 MiB)


def _size(text: str, what: str) -> tuple[int, int]:
    """Parse ``HxW`` (or ``N`` for NxN) into two positive ints."""
    m = re.fullmatch(r"\s*(\d+)\s*(?:[xX×*]\s*(\d+)\s*)?", text)
    if not m:
        raise CLIError(f"explain conv2d: --{what} must look like HxW with positive integers "
                       f"(e.g. 3x3), got {text!r}")
    h = int(m.group(1))
    w = int(m.group(2)) if m.group(2) is not None else h
    if h < 1 or w < 1:
        raise CLIError(f"explain conv2d: --{what} sizes must be positive, got {text!r}")
    if h > MAX_SIDE or w > MAX_SIDE:
        raise CLIError(f"explain conv2d: --{what} {h}x{w} is too large to print; use at most "
                       f"{MAX_SIDE}x{MAX_SIDE}")
    return h, w


def _run_conv2d(args: argparse.Namespace) -> int:
    h, w = _size(args.input, "input")
    kh, kw = _size(args.kernel, "kernel")
    if args.stride < 1:
        raise CLIError(f"explain conv2d: --stride must be >= 1, got {args.stride}")
    if not 0 <= args.padding <= MAX_SIDE:
        raise CLIError(f"explain conv2d: --padding must be between 0 and {MAX_SIDE}, "
                       f"got {args.padding}")
    if kh > h + 2 * args.padding or kw > w + 2 * args.padding:
        raise CLIError(f"explain conv2d: kernel {kh}x{kw} is larger than the padded input "
                       f"{h + 2 * args.padding}x{w + 2 * args.padding}; use a smaller "
                       f"--kernel or more --padding")
    # conv2d_terms runs all one-hot cases at once; its largest arrays (im2col of the dL/dX
    # pass, output of the dL/dW pass) grow with the square of the number of outputs
    ho = (h + 2 * args.padding - kh) // args.stride + 1
    wo = (w + 2 * args.padding - kw) // args.stride + 1
    hw, kk, ko = h * w, kh * kw, ho * wo
    if max(kk * kk * ko * ko, hw * ko * ko, hw * kk * ko) > MAX_ELEMENTS:
        raise CLIError(f"explain conv2d: input {h}x{w}, kernel {kh}x{kw}, padding "
                       f"{args.padding} gives {ho}x{wo} outputs: working them out would "
                       f"take more than {MAX_ELEMENTS * 8 >> 20} MiB; use a smaller --input, "
                       f"--kernel or --padding")
    print(explain_conv2d(h, w, kh, kw, args.stride, args.padding))
    return 0


def _run_dropout(args: argparse.Namespace) -> int:
    if not 0.0 <= args.p <= 1.0:
        raise CLIError(f"explain dropout: --p is the probability of DROPPING a unit and must "
                       f"be between 0 and 1, got {args.p}")
    if args.seed < 0:
        raise CLIError(f"explain dropout: --seed must be >= 0, got {args.seed}")
    print(explain_dropout(args.p, args.seed))
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "explain", help="work through conv2d's or dropout's math, derived from the real ops",
        description="Print the forward and backward formulas of an op, derived by running "
                    "tinynet's implementation on one-hot inputs.")
    sub = parser.add_subparsers(dest="what", metavar="OP", parser_class=type(parser))
    sub.required = True
    pc = sub.add_parser("conv2d", help="each output of a single-channel conv2d as a sum of "
                                       "products, and dL/dX, dL/dW")
    pc.add_argument("--input", default="3x3", metavar="HxW", help="input size (default 3x3)")
    pc.add_argument("--kernel", default="2x2", metavar="HxW", help="kernel size (default 2x2)")
    pc.add_argument("--stride", type=int, default=1, help="stride (default 1)")
    pc.add_argument("--padding", type=int, default=0, help="zero padding (default 0)")
    pc.set_defaults(func=_run_conv2d)
    pd = sub.add_parser("dropout", help="dropout's rules and a worked example from a "
                                        "seeded mask, inverted and vanilla")
    pd.add_argument("--p", type=float, default=0.5,
                    help="probability of DROPPING a unit (default 0.5; keep = 1 - p)")
    pd.add_argument("--seed", type=int, default=0, help="seed of the mask (default 0)")
    pd.set_defaults(func=_run_dropout)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Dispatch to the chosen explanation (argparse sets ``func`` to it)."""
    return {"conv2d": _run_conv2d, "dropout": _run_dropout}[args.what](args)
