"""A 2x2 convolution of a 3x3 image, by hand and by tinynet.nn.Conv2d.

The quiz: X is 3x3, W is 2x2, stride 1, no padding, so the output O is 2x2.
Each output is the kernel laid over one 2x2 window of X, multiplied elementwise
and summed (deep-learning "convolution" is cross-correlation: W is not flipped).

Run:  python demos/conv_by_hand.py
"""
import numpy as np

import tinynet as tn
import tinynet.nn as nn

# 1. The formulas, written out by sliding the kernel over X.
print("O = X * W for a 3x3 X and a 2x2 W (stride 1, no padding):\n")
formulas = {}
for i in (1, 2):                       # output row
    for j in (1, 2):                   # output column
        terms = [(f"X{i + a}{j + b}", f"W{1 + a}{1 + b}") for a in (0, 1) for b in (0, 1)]
        formulas[(i, j)] = terms
        print(f"  O{i}{j} = " + " + ".join(x + w for x, w in terms))

# 2. Numbers: evaluate the formulas with plain Python arithmetic.
X = np.array([[1., 2., 3.],
              [4., 5., 6.],
              [7., 8., 9.]], dtype=np.float32)
W = np.array([[1., 0.],
              [-1., 2.]], dtype=np.float32)


def value(name: str) -> float:
    """'X23' -> X[1, 2]; 'W11' -> W[0, 0] (the names count from 1, numpy from 0)."""
    array = X if name[0] == "X" else W
    return float(array[int(name[1]) - 1, int(name[2]) - 1])


def show(v: float) -> str:
    return f"({v:g})" if v < 0 else f"{v:g}"


by_hand = np.zeros((2, 2), dtype=np.float32)
print(f"\nwith X = {X.tolist()} and W = {W.tolist()}:\n")
for (i, j), terms in formulas.items():
    by_hand[i - 1, j - 1] = sum(value(x) * value(w) for x, w in terms)
    products = " + ".join(f"{show(value(x))}*{show(value(w))}" for x, w in terms)
    print(f"  O{i}{j} = {products} = {by_hand[i - 1, j - 1]:g}")

# 3. The same with the library's layer: Conv2d(1 channel in, 1 out, kernel 2x2).
conv = nn.Conv2d(1, 1, kernel_size=2, bias=False)
with tn.no_grad():
    conv.weight.copy_(W.reshape(1, 1, 2, 2))       # (out_channels, in_channels, kH, kW)
image = tn.tensor(X.reshape(1, 1, 3, 3), requires_grad=True)   # (N, C, H, W)
out = conv(image)
print("\nnn.Conv2d gives", out.detach().numpy()[0, 0].tolist())
assert np.allclose(out.detach().numpy()[0, 0], by_hand), "the formulas and Conv2d disagree"

# 4. Gradients: with L = O11 + O12 + O21 + O22, dL/dWab is the sum of the X entries
#    that Wab multiplies in the four formulas, and dL/dXkl sums the W entries that touch Xkl.
out.sum().backward()
dW = np.zeros((2, 2), dtype=np.float32)
for terms in formulas.values():
    for x, w in terms:
        dW[int(w[1]) - 1, int(w[2]) - 1] += value(x)
print("dL/dW by hand   ", dW.tolist())
print("dL/dW by backward", conv.weight.grad[0, 0].tolist())
assert np.allclose(conv.weight.grad[0, 0], dW), "the weight gradient disagrees"
print("dL/dX by backward", image.grad[0, 0].tolist(), "(the centre X22 is in all four windows)")
print("\nOK: the four formulas match tinynet.nn.Conv2d, forward and backward.")
