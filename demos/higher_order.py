"""Gradients of gradients, and your own ops: what docs/higher_order.md explains, at scale.

1. d/dx and d2/dx2 of x^3 at 3, and the tape of the recorded backward pass.
2. A Hessian-vector product for 200,000 parameters, whose Hessian would take 320 GB.
3. Newton's method against gradient descent on a logistic regression.
4. PyTorch's tutorial: fit sin(x) with a + b P3(c + d x), P3 a custom Function.
5. A straight-through estimator learns 1-bit weights that plain sign() cannot.

Run:  python demos/higher_order.py        (TINYNET_DEMO_QUICK=1 for a shorter run)
"""
import os
import time

import numpy as np

import tinynet as tn
from tinynet.autograd import Function, grad
from tinynet.autograd.functional import hessian, hvp

QUICK = os.environ.get("TINYNET_DEMO_QUICK") == "1"


def f64(a, requires_grad=False):
    return tn.tensor(np.asarray(a, dtype=np.float64), requires_grad=requires_grad)


# 1. The backward pass, recorded ------------------------------------------------------------
print("1. y = x^3 at x = 3")
x = f64(3.0, requires_grad=True)
(g,) = grad(x ** 3, x, create_graph=True)      # 3x^2, computed by ops that were recorded
(h,) = grad(g, x)                               # 6x
print(f"   dy/dx = {g.item()}, d2y/dx2 = {h.item()}; the tape of dy/dx:")
print("   " + str(g.tape(names={"x": x})).replace("\n", "\n   "))

# 2. A Hessian-vector product without the Hessian -------------------------------------------
n = 200_000
print(f"\n2. H v for f(w) = log(sum(exp(w))), {n:,} parameters "
      f"(the Hessian would be {n * n * 8 / 1e9:,.0f} GB)")
rng = np.random.default_rng(0)
w, v = f64(rng.standard_normal(n)), f64(rng.standard_normal(n))
ones = tn.ones(n, dtype=tn.float64)
t0 = time.perf_counter()
_, Hv = hvp(lambda w: (w.exp() @ ones).log(), w, v)
took = time.perf_counter() - t0
p = np.exp(w.array - w.array.max())
p /= p.sum()
exact = p * v.array - p * (p @ v.array)          # H = diag(p) - p p^T
print(f"   {took * 1e3:.0f} ms; largest difference from the closed form "
      f"{np.max(np.abs(Hv.array - exact)):.1e}")

# 3. Newton's method against gradient descent -------------------------------------------------
print("\n3. logistic regression, 200 points, 3 weights: steps until |grad| < 1e-9")
feats = rng.standard_normal((200, 2))
X = f64(np.hstack([np.ones((200, 1)), feats]))
s = f64(np.sign(feats @ [1.0, -2.0] + rng.standard_normal(200)))
mean = tn.full((200,), 1 / 200, dtype=tn.float64)


def loss(w):  # mean log(1 + exp(-s x.w))
    return (1 + (-s * (X @ w)).exp()).log() @ mean


def minimize(step_fn, limit):
    w = tn.zeros(3, dtype=tn.float64, requires_grad=True)
    for k in range(limit):
        (g,) = grad(loss(w), w)
        if np.linalg.norm(g.array) < 1e-9:
            return k, loss(w).item()
        with tn.no_grad():
            w -= tn.tensor(step_fn(w, g))
    return None, loss(w).item()


newton_steps, newton_loss = minimize(
    lambda w, g: np.linalg.solve(hessian(loss, w).array, g.array), 50)
# gradient descent with the best fixed step for this loss: 1 / (largest eigenvalue of H)
lr = 1 / np.linalg.eigvalsh(hessian(loss, tn.zeros(3, dtype=tn.float64)).array).max()
limit = 300 if QUICK else 5000
gd_steps, gd_loss = minimize(lambda w, g: lr * g.array, limit)
print(f"   Newton:           {newton_steps} steps (loss {newton_loss:.9f})")
print(f"   gradient descent: {gd_steps if gd_steps else f'more than {limit}'} steps with "
      f"lr = 1/L = {lr:.2f} (loss {gd_loss:.9f})")


# 4. PyTorch's tutorial: a custom Function in a model --------------------------------------
class LegendreP3(Function):
    """P3(x) = (5x^3 - 3x) / 2, with its own gradient 1.5 (5x^2 - 1)."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 0.5 * (5 * x ** 3 - 3 * x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * 1.5 * (5 * x ** 2 - 1)


print("\n4. fit sin(x) on [-pi, pi] with y = a + b P3(c + d x) (PyTorch's autograd tutorial)")
xs = f64(np.linspace(-np.pi, np.pi, 2000))
ys = f64(np.sin(xs.array))
a, b, c, d = (f64(v0, requires_grad=True) for v0 in (0.0, -1.0, 0.0, 0.3))
steps = 300 if QUICK else 2000
for t in range(steps):
    r = a + b * LegendreP3.apply(c + d * xs) - ys
    sq = (r * r).sum()
    if t % (steps // 4) == steps // 4 - 1:
        print(f"   step {t + 1:4d}: sum of squared errors {sq.item():.2f}")
    sq.backward()
    with tn.no_grad():
        for prm in (a, b, c, d):
            prm -= 5e-6 * prm.grad
            prm.grad = None
print(f"   y = {a.item():.2g} + {b.item():.3f} P3({c.item():.2g} + {d.item():.3f} x)")


# 5. A straight-through estimator -------------------------------------------------------------
class SignSTE(Function):
    """sign(x) forward; the gradient passes straight through where |x| <= 1."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return tn.sign(x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * tn.tensor((np.abs(x.array) <= 1).astype(x.dtype))


print("\n5. learn 32 weights of +-1 from 400 labelled points (y = sign(x . w_true))")
w_true = np.sign(rng.standard_normal(32))
Xb = f64(rng.standard_normal((400, 32)))
yb = f64(np.sign(Xb.array @ w_true))
avg = tn.full((400,), 1 / 400, dtype=tn.float64)
for name, binarize in (("sign()", tn.sign), ("SignSTE", SignSTE.apply)):
    latent = f64(rng.uniform(-0.1, 0.1, 32), requires_grad=True)
    for _ in range(100 if QUICK else 300):
        margin = yb * (Xb @ binarize(latent)) / np.sqrt(32)
        risk = (1 + (-margin).exp()).log() @ avg
        risk.backward()
        with tn.no_grad():
            latent -= 0.5 * latent.grad
            latent.grad = None
    agree = np.mean(np.sign(latent.array) == w_true)
    print(f"   {name:8s} {agree:6.1%} of the signs recovered (its gradient is "
          f"{'zero: nothing moves' if name == 'sign()' else 'passed straight through'})")
