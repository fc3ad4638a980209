"""tinynet.autograd.functional: vjp, jvp, vhp, hvp, jacobian, hessian.

Hessians and Hessian-vector products against closed forms; Jacobians, products and
Hessians against torch.autograd.functional where torch is installed.
"""
import numpy as np
import pytest

import tinynet as tn
from tinynet._tape_checks import FirstOrderOnlyError
from tinynet.autograd import functional as AF

rng = np.random.default_rng(0)


def t64(a, requires_grad=False):
    return tn.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


def ones(n):
    return t64(np.ones(n))


# -- closed forms ----------------------------------------------------------------------
def test_hessian_of_sum_of_fourth_powers_is_diag_12x2():
    x = t64([1.0, -2.0, 0.5])
    H = AF.hessian(lambda x: (x ** 3) @ x, x)  # f = sum x^4
    np.testing.assert_allclose(H.array, np.diag(12 * x.array ** 2), rtol=1e-12)
    assert H.shape == (3, 3) and not H.requires_grad


def test_hessian_of_a_quadratic_form_is_the_symmetric_part_of_A():
    A, b = rng.standard_normal((4, 4)), rng.standard_normal(4)
    x = t64(rng.standard_normal(4))
    f = lambda x: 0.5 * (x @ t64(A) @ x) + t64(b) @ x  # noqa: E731
    H = AF.hessian(f, x)
    np.testing.assert_allclose(H.array, (A + A.T) / 2, atol=1e-12)
    v = rng.standard_normal(4)
    value, Hv = AF.hvp(f, x, t64(v))
    np.testing.assert_allclose(Hv.array, (A + A.T) / 2 @ v, atol=1e-12)
    np.testing.assert_allclose(value.item(), 0.5 * x.array @ A @ x.array + b @ x.array)
    _, vH = AF.vhp(f, x, t64(v))
    np.testing.assert_allclose(vH.array, v @ (A + A.T) / 2, atol=1e-12)


def test_hessian_of_two_scalar_inputs_is_a_nested_tuple():
    x, y = t64(2.0), t64(3.0)
    H = AF.hessian(lambda x, y: x ** 2 * y + y ** 3, (x, y))
    # d2/dx2 = 2y, d2/dxdy = 2x, d2/dy2 = 6y
    got = [[H[i][j].item() for j in range(2)] for i in range(2)]
    assert got == [[6.0, 4.0], [4.0, 18.0]]


def test_hessian_and_hvp_of_log_sum_exp_are_diag_p_minus_ppT():
    x = rng.standard_normal(5)
    f = lambda x: (x.exp() @ ones(5)).log()  # noqa: E731
    p = np.exp(x) / np.exp(x).sum()
    H_true = np.diag(p) - np.outer(p, p)
    np.testing.assert_allclose(AF.hessian(f, t64(x)).array, H_true, atol=1e-12)
    v = rng.standard_normal(5)
    np.testing.assert_allclose(AF.hvp(f, t64(x), t64(v))[1].array, H_true @ v, atol=1e-12)
    np.testing.assert_allclose(AF.hessian(f, t64(x), outer_jacobian_strategy="forward-mode")
                               .array, H_true, atol=1e-12)


def test_logistic_regression_hessian_is_XT_diag_p1mp_X_over_n():
    X, y = rng.standard_normal((6, 3)), (rng.random(6) > 0.5).astype(np.float64)
    w = rng.standard_normal(3) * 0.3
    s = 2 * y - 1  # labels as +-1

    def loss(w):  # mean of log(1 + exp(-s * Xw))
        return (1 + (-t64(s) * (t64(X) @ w)).exp()).log() @ ones(6) / 6
    p = 1 / (1 + np.exp(-X @ w))
    H_true = X.T @ np.diag(p * (1 - p)) @ X / 6
    np.testing.assert_allclose(AF.hessian(loss, t64(w)).array, H_true, atol=1e-12)


def test_jvp_and_vjp_of_an_elementwise_function_are_the_derivative_times_v():
    x, v = rng.standard_normal(4), rng.standard_normal(4)
    f = lambda x: x.exp() * x  # f' = e^x (1 + x)  # noqa: E731
    out, jv = AF.jvp(f, t64(x), t64(v))
    np.testing.assert_allclose(jv.array, np.exp(x) * (1 + x) * v, rtol=1e-12)
    np.testing.assert_allclose(out.array, np.exp(x) * x)
    _, vj = AF.vjp(f, t64(x), t64(v))
    np.testing.assert_allclose(vj.array, np.exp(x) * (1 + x) * v, rtol=1e-12)


def test_v_may_be_omitted_for_single_elements():
    x = t64(3.0)
    assert AF.vjp(lambda x: x ** 3, x)[1].item() == 27.0
    assert AF.jvp(lambda x: x ** 3, x)[1].item() == 27.0
    assert AF.hvp(lambda x: x ** 3, x)[1].item() == 18.0
    assert AF.vhp(lambda x: x ** 3, x)[1].item() == 18.0


def test_create_graph_keeps_the_result_differentiable_with_respect_to_the_input():
    x = t64([1.0, 2.0], requires_grad=True)
    H = AF.hessian(lambda x: (x ** 3) @ x, x, create_graph=True)  # diag(12 x^2)
    assert H.requires_grad
    H.sum().backward()  # d/dx sum(12 x^2) = 24 x
    np.testing.assert_allclose(x.grad.array, [24.0, 48.0])
    x.grad = None
    _, Hv = AF.hvp(lambda x: (x ** 3) @ x, x, ones(2), create_graph=True)
    (g,) = tn.autograd.grad(Hv @ ones(2), x)
    np.testing.assert_allclose(g.array, [24.0, 48.0])
    _, Hv = AF.hvp(lambda x: (x ** 3) @ x, x, ones(2))
    assert not Hv.requires_grad and x.grad is None  # nothing leaks to .grad


def test_results_are_off_the_tape_and_leave_grad_alone():
    x = t64([1.0, 2.0], requires_grad=True)
    out, vj = AF.vjp(lambda x: x * x, x, ones(2))
    J = AF.jacobian(lambda x: x * x, x)
    assert not out.requires_grad and not vj.requires_grad and not J.requires_grad
    assert x.grad is None


# -- structure and the strict flag -------------------------------------------------------
def test_jacobian_structure_follows_tuple_inputs_and_outputs():
    a, b = t64(rng.standard_normal((2, 3))), t64(rng.standard_normal(3))
    J = AF.jacobian(lambda a, b: (a * b, b.exp()), (a, b))
    assert [[J[i][j].shape for j in range(2)] for i in range(2)] == \
        [[(2, 3, 2, 3), (2, 3, 3)], [(3, 2, 3), (3, 3)]]
    np.testing.assert_array_equal(J[1][0].array, 0)  # b.exp() does not depend on a
    assert AF.jacobian(lambda a: (a, a), a)[0].shape == (2, 3, 2, 3)
    assert AF.jacobian(lambda a, b: a * b, (a, b))[1].shape == (2, 3, 3)


def test_strict_raises_where_an_output_does_not_depend_on_an_input():
    a, b = t64([1.0, 2.0]), t64([3.0, 4.0])
    f = lambda a, b: a * 2  # noqa: E731
    assert AF.vjp(f, (a, b), ones(2))[1][1].array.tolist() == [0.0, 0.0]
    with pytest.raises(RuntimeError, match="independent of input 1.*strict mode"):
        AF.vjp(f, (a, b), ones(2), strict=True)
    with pytest.raises(RuntimeError, match="Output 0 .* independent of input 1"):
        AF.jacobian(f, (a, b), strict=True)
    with pytest.raises(RuntimeError, match="does not depend on its inputs"):
        AF.jacobian(lambda a: t64([1.0]), a, strict=True)


# -- bad input ----------------------------------------------------------------------------
def test_hessian_of_a_non_scalar_function_says_so():
    with pytest.raises(RuntimeError, match=r"single element \(a scalar\).*shape \(3,\)"):
        AF.hessian(lambda x: x * x, t64([1.0, 2.0, 3.0]))
    with pytest.raises(RuntimeError, match="should return a single Tensor"):
        AF.hessian(lambda x: (x @ x, x @ x), t64([1.0, 2.0]))
    with pytest.raises(RuntimeError, match="hvp should contain a single element"):
        AF.hvp(lambda x: x * x, t64([1.0, 2.0]), ones(2))


def test_v_must_fit():
    x = t64([1.0, 2.0])
    with pytest.raises(RuntimeError, match="v can only be None"):
        AF.vjp(lambda x: x * x, x)
    with pytest.raises(RuntimeError, match=r"v has shape \(3,\), but the output has shape"):
        AF.vjp(lambda x: x * x, x, ones(3))
    with pytest.raises(RuntimeError, match=r"v has shape \(3,\), but the input has shape"):
        AF.jvp(lambda x: x * x, x, ones(3))
    with pytest.raises(TypeError, match=r"inputs\[0\] is list"):
        AF.jacobian(lambda x: x, [[1.0]])
    with pytest.raises(ValueError, match="forward-mode"):
        AF.jacobian(lambda x: x, x, strategy="sideways")


def _square_sum_numpy_rule(x):
    """sum(x^2) as one entry whose gradient rule computes with numpy: first order only."""
    from tinynet.ops._arrays import numpy_rule
    from tinynet.tensor import record
    return record("sq_sum", np.asarray((x.array ** 2).sum()), (x,),
                  numpy_rule(lambda g: (2 * g * x.array,)))


def test_a_first_order_only_rule_says_which_product_and_which_entry():
    x = t64([1.0, 2.0])
    # first order only needs the rules to run: fine
    np.testing.assert_allclose(AF.vjp(_square_sum_numpy_rule, x)[1].array, [2.0, 4.0])
    np.testing.assert_allclose(AF.jacobian(_square_sum_numpy_rule, x).array, [2.0, 4.0])
    with pytest.raises(FirstOrderOnlyError, match="hvp differentiates the backward pass"
                                                  ".*'sq_sum'"):
        AF.hvp(_square_sum_numpy_rule, x, ones(2))


# -- against PyTorch ---------------------------------------------------------------------
def _to_np(x):
    if isinstance(x, tuple):
        return tuple(_to_np(t) for t in x)
    return x.detach().numpy() if hasattr(x, "detach") and not isinstance(x, tn.Tensor) \
        else x.array


def _close(a, b):
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for x, y in zip(a, b):
            _close(x, y)
    else:
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("strategy", ["reverse-mode", "forward-mode"])
def test_jacobian_matches_torch(strategy):
    torch = pytest.importorskip("torch")
    a, b, c = rng.standard_normal((2, 3)), rng.uniform(0.5, 2.0, (3,)), np.array([1, .5, -1])

    def fn(lib):  # the same function in both libraries (same names: exp, log, tensor)
        return lambda a, b: (lib.exp(a * b) / b - a, (a @ b) * (lib.log(b) @ lib.tensor(c)))
    ours = AF.jacobian(fn(tn), (t64(a), t64(b)), strategy=strategy)
    theirs = torch.autograd.functional.jacobian(fn(torch), (torch.tensor(a), torch.tensor(b)))
    _close(_to_np(ours), _to_np(theirs))
    ours = AF.jacobian(lambda a: tn.exp(a) @ t64(b), t64(a), strategy=strategy)
    theirs = torch.autograd.functional.jacobian(lambda a: torch.exp(a) @ torch.tensor(b),
                                                torch.tensor(a))
    _close(_to_np(ours), _to_np(theirs))


def test_products_and_hessian_match_torch():
    torch = pytest.importorskip("torch")
    A = rng.standard_normal((3, 3))
    x, v, w = rng.standard_normal(3), rng.standard_normal(3), rng.standard_normal(3)

    def f(lib):
        M = t64(A) if lib is tn else torch.tensor(A)
        return lambda x: ((M @ x).exp() @ x) * (x @ x)
    tx, tv = torch.tensor(x), torch.tensor(v)
    for ours, theirs in (
            (AF.hessian(f(tn), t64(x)), torch.autograd.functional.hessian(f(torch), tx)),
            (AF.hvp(f(tn), t64(x), t64(v)), torch.autograd.functional.hvp(f(torch), tx, tv)),
            (AF.vhp(f(tn), t64(x), t64(v)), torch.autograd.functional.vhp(f(torch), tx, tv)),
            (AF.jvp(lambda x: (t64(A) @ x).exp() * x, t64(x), t64(v)),
             torch.autograd.functional.jvp(lambda x: torch.exp(torch.tensor(A) @ x) * x, tx,
                                           tv)),
            (AF.vjp(lambda x: (t64(A) @ x).exp() * x, t64(x), t64(w)),
             torch.autograd.functional.vjp(lambda x: torch.exp(torch.tensor(A) @ x) * x, tx,
                                           torch.tensor(w)))):
        _close(_to_np(tuple(ours) if isinstance(ours, tuple) else ours),
               _to_np(tuple(theirs) if isinstance(theirs, tuple) else theirs))
