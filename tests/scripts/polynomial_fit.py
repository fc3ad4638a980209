"""Fitting y = sin(x) with a third-order polynomial by hand, in the style of the older
"Learning PyTorch with Examples" tutorial: the weights are updated through ``.data`` and
their gradients reset with ``.grad.zero_()``, nothing from torch.optim.  The weights start
from fixed values (no random numbers), so PyTorch and tinynet can be compared line by line."""
import math

import torch

dtype = torch.float64
device = torch.device("cpu")

x = torch.linspace(-math.pi, math.pi, 2000, device=device, dtype=dtype)
y = torch.sin(x)

a = torch.tensor(0.1, device=device, dtype=dtype, requires_grad=True)
b = torch.tensor(0.2, device=device, dtype=dtype, requires_grad=True)
c = torch.tensor(-0.1, device=device, dtype=dtype, requires_grad=True)
d = torch.tensor(0.05, device=device, dtype=dtype, requires_grad=True)

learning_rate = 1e-6
for t in range(2000):
    y_pred = a + b * x + c * x ** 2 + d * x ** 3
    loss = (y_pred - y).pow(2).sum()
    if t % 250 == 249:
        print(t, loss.item())
    loss.backward()

    a.data -= learning_rate * a.grad.data
    b.data -= learning_rate * b.grad.data
    c.data -= learning_rate * c.grad.data
    d.data -= learning_rate * d.grad.data

    a.grad.zero_()
    b.grad.zero_()
    c.grad.zero_()
    d.grad.zero_()

print(f'Result: y = {a.item()} + {b.item()} x + {c.item()} x^2 + {d.item()} x^3')
