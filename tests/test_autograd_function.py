"""tinynet.autograd.Function: your own op with its own gradient rule, as in PyTorch."""
import numpy as np
import pytest

import tinynet as tn
import tinynet.nn as nn
import tinynet.nn.functional as F
from tinynet._tape_checks import FirstOrderOnlyError
from tinynet.autograd import Function, once_differentiable


class LegendreP3(Function):
    """P3(x) = (5x^3 - 3x) / 2, PyTorch's tutorial example; P3'(x) = 1.5 (5x^2 - 1)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 0.5 * (5 * x ** 3 - 3 * x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 1.5 * (5 * x ** 2 - 1)


class MulConstant(Function):
    @staticmethod
    def forward(ctx, x, c):
        ctx.c = c  # anything that is not a Tensor is kept as an attribute
        return x * c

    @staticmethod
    def backward(ctx, g):
        return g * ctx.c, None


def t64(a, requires_grad=False):
    return tn.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


# -- the basics ---------------------------------------------------------------------------
def test_first_and_second_derivatives_of_legendre_p3():
    x = t64([-0.5, 0.25, 2.0], requires_grad=True)
    y = LegendreP3.apply(x)
    np.testing.assert_allclose(y.array, 0.5 * (5 * x.array ** 3 - 3 * x.array))
    (g,) = tn.autograd.grad(y, x, t64(np.ones(3)), create_graph=True)
    np.testing.assert_allclose(g.array, 1.5 * (5 * x.array ** 2 - 1))
    assert g.requires_grad  # the backward used Tensor ops: it was recorded
    (h,) = tn.autograd.grad(g, x, t64(np.ones(3)))
    np.testing.assert_allclose(h.array, 15 * x.array)
    assert tn.gradcheck(LegendreP3.apply, [x])
    assert tn.autograd.gradgradcheck(LegendreP3.apply, [x])


def test_one_tape_entry_named_after_the_class():
    x = t64([1.0, 2.0], requires_grad=True)
    y = LegendreP3.apply(x) * 2
    tape = y.tape()
    assert [n.op for n in tape] == ["LegendreP3", "mul"]
    assert "LegendreP3" in str(tape)
    assert y.grad_fn.next_functions[0][0].name() == "LegendreP3Backward"
    assert "grad_fn=<LegendreP3Backward>" in repr(LegendreP3.apply(x))


def test_name_matches_torch():
    torch = pytest.importorskip("torch")

    class LegendreP3(torch.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2
    ours = globals()["LegendreP3"].apply(t64([1.0], requires_grad=True))
    theirs = LegendreP3.apply(torch.ones(1, requires_grad=True))
    assert ours.grad_fn.name() == theirs.grad_fn.name() == "LegendreP3Backward"


def test_non_tensor_arguments_get_no_gradient_and_needs_input_grad_says_which():
    x = t64([1.0, 2.0], requires_grad=True)
    y = MulConstant.apply(x, 3.0)
    y.backward(t64([1.0, 1.0]))
    assert x.grad.array.tolist() == [3.0, 3.0]
    z = MulConstant.apply(x, c=2.0)  # keywords bind to forward's names
    assert z.array.tolist() == [2.0, 4.0]
    seen = {}

    class Peek(MulConstant):
        @staticmethod
        def forward(ctx, x, c):
            seen["needs"] = ctx.needs_input_grad
            return x * c
    Peek.apply(x, t64(2.0))
    assert seen["needs"] == (True, False)


def test_no_entry_when_nothing_requires_grad_or_under_no_grad():
    x = t64([1.0, 2.0])
    assert LegendreP3.apply(x).grad_fn is None
    with tn.no_grad():
        y = LegendreP3.apply(t64([1.0], requires_grad=True))
    assert y.grad_fn is None and not y.requires_grad


def test_a_saved_output_stays_on_the_tape_so_double_backward_sees_it():
    class Exp(Function):
        @staticmethod
        def forward(ctx, x):
            out = x.exp()
            ctx.save_for_backward(out)  # the output, as PyTorch's docs do for exp
            return out

        @staticmethod
        def backward(ctx, g):
            (out,) = ctx.saved_tensors
            return g * out
    x = t64([0.5, -1.0], requires_grad=True)
    (g,) = tn.autograd.grad(Exp.apply(x), x, t64([1.0, 1.0]), create_graph=True)
    (h,) = tn.autograd.grad(g, x, t64([1.0, 1.0]))
    np.testing.assert_allclose(h.array, np.exp(x.array))  # 0 if out were a constant
    assert tn.autograd.gradgradcheck(Exp.apply, [x])


def test_several_outputs_and_mark_non_differentiable():
    class SplitMax(Function):
        """(2x, 3x, argmax(x)) -- the index is not differentiable."""
        @staticmethod
        def forward(ctx, x):
            idx = tn.tensor(np.argmax(x.array))
            ctx.mark_non_differentiable(idx)
            return x * 2, x * 3, idx

        @staticmethod
        def backward(ctx, g2, g3, gi):
            assert gi.array.shape == ()  # zeros for the index's gradient
            return g2 * 2 + g3 * 3
    x = t64([1.0, 5.0, 2.0], requires_grad=True)
    a, b, i = SplitMax.apply(x)
    assert a.requires_grad and b.requires_grad and not i.requires_grad and i.item() == 1
    (a + b).backward(t64(np.ones(3)), retain_graph=True)
    np.testing.assert_allclose(x.grad.array, [5.0, 5.0, 5.0])  # 2 + 3
    x.grad = None
    a.backward(t64(np.ones(3)))  # only a: backward gets zeros for b
    np.testing.assert_allclose(x.grad.array, [2.0, 2.0, 2.0])


def test_straight_through_estimator_passes_the_gradient_inside_minus1_1():
    class SignSTE(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return tn.sign(x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * tn.tensor((np.abs(x.array) <= 1).astype(x.dtype))
    x = t64([-2.0, -0.5, 0.3, 1.5], requires_grad=True)
    y = SignSTE.apply(x)
    assert y.array.tolist() == [-1.0, -1.0, 1.0, 1.0]
    y.backward(t64([1.0, 2.0, 3.0, 4.0]))
    assert x.grad.array.tolist() == [0.0, 2.0, 3.0, 0.0]


# -- a whole training step ------------------------------------------------------------------
class LinearFunction(Function):
    """y = x W^T + b, PyTorch's "Extending torch.autograd" example."""

    @staticmethod
    def forward(ctx, x, weight, bias):
        ctx.save_for_backward(x, weight)
        return x @ weight.mT + bias

    @staticmethod
    def backward(ctx, g):
        x, weight = ctx.saved_tensors
        gx = g @ weight if ctx.needs_input_grad[0] else None
        gw = g.mT @ x if ctx.needs_input_grad[1] else None
        gb = g.sum(0) if ctx.needs_input_grad[2] else None
        return gx, gw, gb


class MyLinear(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(tn.randn(n_out, n_in, dtype=tn.float64) * 0.5)
        self.bias = nn.Parameter(tn.zeros(n_out, dtype=tn.float64))

    def forward(self, x):
        return LinearFunction.apply(x, self.weight, self.bias)


def test_a_function_layer_trains_and_its_gradients_match_the_built_in_layer():
    tn.manual_seed(0)
    custom = nn.Sequential(MyLinear(3, 8), nn.Tanh(), nn.Linear(8, 1, dtype=np.float64))
    plain = nn.Sequential(nn.Linear(3, 8, dtype=np.float64), nn.Tanh(),
                          nn.Linear(8, 1, dtype=np.float64))
    plain.load_state_dict(custom.state_dict())
    rng = np.random.default_rng(0)
    X = t64(rng.standard_normal((32, 3)))
    Y = t64(np.sin(X.array @ np.array([1.0, -2.0, 0.5]))[:, None])

    for model in (custom, plain):
        model.zero_grad()
        F.mse_loss(model(X), Y).backward()
    assert "LinearFunction" in str(F.mse_loss(custom(X), Y).tape())
    for (name, p), q in zip(custom.named_parameters(), plain.parameters()):
        np.testing.assert_allclose(p.grad.array, q.grad.array, rtol=1e-12, err_msg=name)

    opt = tn.optim.SGD(custom.parameters(), lr=0.3, momentum=0.9)
    losses = []
    for _ in range(30):
        opt.zero_grad()
        loss = F.mse_loss(custom(X), Y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


# -- wrong gradients name the Function and the input -----------------------------------------
def _returning(value_fn):
    class Bad(Function):
        @staticmethod
        def forward(ctx, x, n=2):
            return x * n

        @staticmethod
        def backward(ctx, g):
            return value_fn(g)
    return Bad


def test_the_wrong_number_of_gradients_names_the_function():
    x = t64([1.0, 2.0, 3.0], requires_grad=True)
    bad = _returning(lambda g: (g, g, g))
    with pytest.raises(RuntimeError, match=r"Bad.backward returned 3 gradient\(s\), but "
                                           r"forward took 2 argument\(s\)"):
        bad.apply(x, 2).backward(t64(np.ones(3)))
    # trailing Nones are fine, and a single Tensor stands for a 1-tuple (as in PyTorch)
    _returning(lambda g: (g * 2, None, None)).apply(x, 2).backward(t64(np.ones(3)))
    _returning(lambda g: g * 2).apply(x).backward(t64(np.ones(3)))
    assert x.grad.array.tolist() == [4.0, 4.0, 4.0]
    with pytest.raises(RuntimeError, match="returned 1 gradient.*forward took 2"):
        _returning(lambda g: g * 2).apply(x, 3).backward(t64(np.ones(3)))


def test_a_gradient_of_the_wrong_shape_names_the_function_and_the_argument():
    x = t64([1.0, 2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"Bad.backward returned a gradient of shape \(2,\) "
                                           r"for argument 'x' \(input 0\), which has shape "
                                           r"\(3,\)"):
        _returning(lambda g: (g.reshape(3, 1)[0:2].reshape(2), None)).apply(x, 2).backward(
            t64(np.ones(3)))


def test_other_wrong_gradients():
    x = t64([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=r"for argument 'n' \(input 1\), which is not a "
                                           r"Tensor \(float\); return None there"):
        _returning(lambda g: (g, g)).apply(x, 2.0).backward(t64(np.ones(2)))
    with pytest.raises(TypeError, match=r"returned ndarray for argument 'x'.*must be Tensors"):
        _returning(lambda g: (g.array, None)).apply(x, 2).backward(t64(np.ones(2)))


def test_misuse_of_function_itself():
    with pytest.raises(RuntimeError, match="call LegendreP3.apply"):
        LegendreP3()

    class NoBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x
    with pytest.raises(NotImplementedError, match="NoBackward must define both"):
        NoBackward.apply(t64([1.0]))

    class ReturnsArray(LegendreP3):
        @staticmethod
        def forward(ctx, x):
            return x.array
    with pytest.raises(TypeError, match="ReturnsArray.forward must return a Tensor"):
        ReturnsArray.apply(t64([1.0]))

    class SavesArray(LegendreP3):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x.array)
            return x
    with pytest.raises(TypeError, match="only Tensors .* can be saved"):
        SavesArray.apply(t64([1.0]))


def test_once_differentiable_works_once_and_says_so_at_create_graph():
    class NumpyCube(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        @once_differentiable
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return tn.tensor(g.array * 3 * x.array ** 2)
    x = t64([1.0, 2.0], requires_grad=True)
    NumpyCube.apply(x).backward(t64([1.0, 1.0]))
    assert x.grad.array.tolist() == [3.0, 12.0]
    with pytest.raises(FirstOrderOnlyError, match=r"entry #0 'NumpyCube'.*NumpyCube.backward "
                                                  r"is marked @once_differentiable"):
        NumpyCube.apply(x).backward(t64([1.0, 1.0]), create_graph=True)


def test_an_in_place_change_to_a_viewed_input_is_caught():
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x.detach()  # shares x's memory

        @staticmethod
        def backward(ctx, g):
            return g
    x = t64([1.0, 2.0], requires_grad=True)
    y = Identity.apply(x) * x
    with tn.no_grad():
        x.mul_(2)
    with pytest.raises(RuntimeError, match="modified in place"):
        y.backward(t64([1.0, 1.0]))
