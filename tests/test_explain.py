"""``tinynet explain conv2d`` and ``tinynet explain dropout``."""
import re

import numpy as np
import pytest

import tinynet as tn
from tinynet.cli import main
from tinynet.nn import functional as F
from tinynet.nn.functional.conv import conv2d

QUIZ = """\
O11 = X11*W11 + X12*W12 + X21*W21 + X22*W22
O12 = X12*W11 + X13*W12 + X22*W21 + X23*W22
O21 = X21*W11 + X22*W12 + X31*W21 + X32*W22
O22 = X22*W11 + X23*W12 + X32*W21 + X33*W22"""


def _explain(capsys, *argv):
    assert main(["explain", *argv]) == 0
    return capsys.readouterr().out


def test_quiz_case_prints_exactly_the_four_formulas(capsys):
    out = _explain(capsys, "conv2d", "--input", "3x3", "--kernel", "2x2")
    lines = out.splitlines()
    forward = [ln for ln in lines if ln.startswith("O")]
    assert "\n".join(forward) == QUIZ
    assert QUIZ in out  # consecutive, in this order
    assert "dL/dX11 = dL/dO11*W11" in lines
    assert "dL/dX22 = dL/dO11*W22 + dL/dO12*W21 + dL/dO21*W12 + dL/dO22*W11" in lines
    assert "dL/dX33 = dL/dO22*W22" in lines
    assert "dL/dW11 = dL/dO11*X11 + dL/dO12*X12 + dL/dO21*X21 + dL/dO22*X22" in lines
    assert "dL/dW22 = dL/dO11*X22 + dL/dO12*X23 + dL/dO21*X32 + dL/dO22*X33" in lines
    assert sum(ln.startswith("dL/dX") for ln in lines) == 9
    assert sum(ln.startswith("dL/dW") for ln in lines) == 4
    # the defaults are the quiz's sizes
    assert QUIZ in _explain(capsys, "conv2d")


_SYM = r"([A-Za-z/]+?)(\d\d|\[\d+,\d+\])"  # X12, dL/dO[1,10]
_TERM = re.compile(r"(?:([-\d.e]+)\*)?" + _SYM + r"\*" + _SYM)


def _idx(text):
    """'12' -> (0, 1); '[1,10]' -> (0, 9)."""
    if text.startswith("["):
        r, c = text[1:-1].split(",")
    else:
        r, c = text[0], text[1]
    return int(r) - 1, int(c) - 1


def _parse(lines, lhs_prefix):
    """{lhs index: [(coef, sym1, idx1, sym2, idx2)]} for the lines starting with lhs_prefix."""
    out = {}
    for ln in lines:
        if not ln.startswith(lhs_prefix):
            continue
        lhs, rhs = ln.split(" = ")
        terms = []
        if rhs != "0":
            for t in rhs.split(" + "):
                m = _TERM.fullmatch(t)
                assert m, t
                terms.append((float(m.group(1) or 1), m.group(2), _idx(m.group(3)),
                              m.group(4), _idx(m.group(5))))
        out[_idx(lhs[len(lhs_prefix):])] = terms
    return out


def _naive_conv(x, w, s, p):
    xp = np.pad(x, p)
    kh, kw = w.shape
    ho, wo = (xp.shape[0] - kh) // s + 1, (xp.shape[1] - kw) // s + 1
    return np.array([[np.sum(xp[i * s:i * s + kh, j * s:j * s + kw] * w) for j in range(wo)]
                     for i in range(ho)])


@pytest.mark.parametrize("inp, ker, stride, pad", [
    ((3, 3), (2, 2), 1, 0), ((4, 5), (3, 2), 2, 1), ((5, 5), (3, 3), 1, 2),
    ((4, 4), (1, 1), 3, 0), ((3, 11), (2, 2), 1, 0), ((2, 3), (3, 3), 2, 1),
])
def test_printed_formulas_match_conv2d_numerically(capsys, inp, ker, stride, pad):
    out = _explain(capsys, "conv2d", "--input", f"{inp[0]}x{inp[1]}",
                   "--kernel", f"{ker[0]}x{ker[1]}", "--stride", str(stride),
                   "--padding", str(pad))
    lines = out.splitlines()
    rng = np.random.default_rng(0)
    X, W = rng.standard_normal(inp), rng.standard_normal(ker)
    x = tn.tensor(X[None, None], requires_grad=True)
    w = tn.tensor(W[None, None], requires_grad=True)
    o = conv2d(x, w, stride=stride, padding=pad)
    O = o.array[0, 0]
    np.testing.assert_allclose(O, _naive_conv(X, W, stride, pad), atol=1e-12)
    G = rng.standard_normal(O.shape)
    o.backward(G[None, None])

    fwd = _parse(lines, "O")
    assert sorted(fwd) == [(k, l) for k in range(O.shape[0]) for l in range(O.shape[1])]
    for (k, l), terms in fwd.items():
        val = sum(c * X[ix] * W[iw] for c, sx, ix, sw, iw in terms)
        assert (terms == [] or {t[1] for t in terms} == {"X"}) and abs(val - O[k, l]) < 1e-12

    dx = _parse(lines, "dL/dX")
    assert len(dx) == X.size
    for ij, terms in dx.items():
        val = sum(c * G[io] * W[iw] for c, so, io, sw, iw in terms)
        assert val == pytest.approx(x.grad.array[0, 0][ij], abs=1e-12)
        assert all(t[1] == "dL/dO" and t[3] == "W" for t in terms)
    dw = _parse(lines, "dL/dW")
    assert len(dw) == W.size
    for ab, terms in dw.items():
        val = sum(c * G[io] * X[ix] for c, so, io, sx, ix in terms)
        assert val == pytest.approx(w.grad.array[0, 0][ab], abs=1e-12)


def test_large_indices_use_brackets(capsys):
    out = _explain(capsys, "conv2d", "--input", "2x11", "--kernel", "1x2")
    assert "O[1,10] = X[1,10]*W[1,1] + X[1,11]*W[1,2]" in out.splitlines()


def test_padding_drops_zero_terms_and_shows_the_padded_grid(capsys):
    out = _explain(capsys, "conv2d", "--input", "2x2", "--kernel", "2x2", "--padding", "1")
    lines = out.splitlines()
    assert "O11 = X11*W22" in lines
    assert "O22 = X11*W11 + X12*W12 + X21*W21 + X22*W22" in lines
    assert "O33 = X22*W11" in lines
    grid = [ln.split() for ln in lines if ln.startswith("    ")]
    assert grid == [["0"] * 4, ["0", "X11", "X12", "0"], ["0", "X21", "X22", "0"], ["0"] * 4]


@pytest.mark.parametrize("argv, msg", [
    (["--input", "3y3"], "HxW"),
    (["--input", "0x3"], "positive"),
    (["--kernel", "abc"], "HxW"),
    (["--input", "40x40"], "too large"),
    (["--kernel", "4x4"], "larger than the padded input"),
    (["--stride", "0"], "--stride"),
    (["--padding", "-1"], "--padding"),
])
def test_explain_conv2d_user_errors(capsys, argv, msg):
    assert main(["explain", "conv2d", *argv]) == 2
    err = capsys.readouterr().err
    assert msg in err and len(err.strip().splitlines()) == 1


def _block(out, title):
    """The array printed under a line ending with ``title`` (until the next blank-ish line)."""
    lines = out.splitlines()
    i = next(k for k, ln in enumerate(lines) if ln.rstrip().endswith(title))
    rows = []
    for ln in lines[i + 1:]:
        if not ln.startswith("    "):
            break
        rows.append([float(v) for v in ln.replace("[", " ").replace("]", " ").split()])
    return np.array(rows)


@pytest.mark.parametrize("p, seed", [(0.5, 0), (0.2, 7), (0.75, 3)])
def test_explain_dropout_worked_example_is_the_real_mask(capsys, p, seed):
    state = tn.get_rng_state()
    out = _explain(capsys, "dropout", "--p", str(p), "--seed", str(seed))
    assert tn.get_rng_state() == state  # the caller's random stream is untouched
    Y = np.arange(1.0, 9.0).reshape(2, 4)
    tn.manual_seed(seed)
    D = (F.dropout(tn.tensor(Y), p, inverted=False).array != 0).astype(float)
    G = _block(out, "dL/dH =")
    np.testing.assert_array_equal(_block(out, "Y ="), Y)
    np.testing.assert_array_equal(_block(out, "D ="), D)
    np.testing.assert_allclose(_block(out, "H = D ⊙ Y ="), D * Y)
    np.testing.assert_allclose(_block(out, "dL/dY = dL/dH ⊙ D ="), G * D)
    np.testing.assert_allclose(_block(out, "H = D ⊙ Y / (1-p) ="), D * Y / (1 - p), rtol=1e-3)
    np.testing.assert_allclose(_block(out, "dL/dY = dL/dH ⊙ D / (1-p) ="), G * D / (1 - p),
                               rtol=1e-3)
    assert f"1 - p = {1 - p:g}" in out
    for rule in ("H = D ⊙ Y", "dL/dY = dL/dH ⊙ D", "H = (1-p) Y", "E[D ⊙ Y / (1-p)] = Y",
                 "DROPPING", "Phi(keep)"):
        assert rule in out


@pytest.mark.parametrize("argv, msg", [(["--p", "1.5"], "between 0 and 1"),
                                       (["--p", "-0.1"], "between 0 and 1"),
                                       (["--seed", "-1"], "--seed")])
def test_explain_dropout_user_errors(capsys, argv, msg):
    assert main(["explain", "dropout", *argv]) == 2
    assert msg in capsys.readouterr().err


def test_explain_needs_a_topic(capsys):
    with pytest.raises(SystemExit) as e:
        main(["explain"])
    assert e.value.code == 2


def test_conv2d_terms_forward_and_backward_agree():
    from tinynet.cli.explain import conv2d_terms
    c = conv2d_terms(4, 3, 2, 2, stride=1, padding=1)
    assert c.forward.shape == (5, 4, 4, 3, 2, 2)
    np.testing.assert_array_equal(c.forward, c.dx)
    np.testing.assert_array_equal(c.forward, c.dw)
    assert set(np.unique(c.forward)) == {0.0, 1.0}
