"""XOR with a two-layer network and binary cross-entropy: the smallest problem a linear
model cannot solve, and a training loop to read top to bottom.

    python demos/xor.py

The four points (0,0) (0,1) (1,0) (1,1) with labels 0 1 1 0 are not separable by a line;
one hidden layer of tanh units is enough.  The network outputs one logit per point, and
``nn.BCEWithLogitsLoss`` is binary cross-entropy on sigmoid(logit), computed stably.
"""
import tinynet as tn
import tinynet.nn as nn

tn.manual_seed(0)
x = tn.tensor([[0., 0.], [0., 1.], [1., 0.], [1., 1.]])
y = tn.tensor([[0.], [1.], [1.], [0.]])

model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
loss_fn = nn.BCEWithLogitsLoss()
optimizer = tn.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)

for step in range(301):
    logits = model(x)                  # forward: records the tape
    loss = loss_fn(logits, y)          # -mean(y log p + (1 - y) log(1 - p)), p = sigmoid
    optimizer.zero_grad()
    loss.backward()                    # replays the tape: every parameter's .grad
    optimizer.step()
    if step % 100 == 0:
        print(f"step {step:3d}  loss {loss.item():.4f}")

with tn.no_grad():
    p = tn.sigmoid(model(x))
for point, prob in zip(x.tolist(), p.array.ravel()):
    print(f"{point} -> {prob:.3f}")
assert ((p.array > 0.5) == (y.array > 0.5)).all(), "XOR not learned"
print(loss.tape(model))                # the recorded ops of the last step
