"""Train a small CNN on MNIST: the whole training loop, written out with tinynet.

This is what `tinynet train` does, minus the checkpoints and the command line.
Without MNIST files or network it uses the 5,000 digits shipped with tinynet.

Run:  python demos/train_mnist_cnn.py        (TINYNET_DEMO_QUICK=1: a quick taste)
"""
import os
import time

import tinynet as tn
import tinynet.nn as nn
from tinynet.data import DataLoader, TensorDataset, load_dataset
from tinynet.models import reference_cnn

QUICK = os.environ.get("TINYNET_DEMO_QUICK") == "1"
EPOCHS = 1 if QUICK else 8

tn.manual_seed(0)                                   # one seed: init, shuffling, dropout

# Data: images float32 (N, 1, 28, 28) normalised to mean 0 / std 1, labels int64 (N,).
train_images, train_labels = load_dataset("mnist", train=True).to_arrays()
test_images, test_labels = load_dataset("mnist", train=False).to_arrays()
if QUICK:  # a taste only: 256 training and 200 test images
    train_images, train_labels = train_images[:256], train_labels[:256]
    test_images, test_labels = test_images[:200], test_labels[:200]
loader = DataLoader(TensorDataset(train_images, train_labels), batch_size=64, shuffle=True)
test_loader = DataLoader(TensorDataset(test_images, test_labels), batch_size=500)

# Model: tinynet's reference CNN (tinynet/models.py), the net `tinynet train` trains:
#   Conv2d(1, 8, 3, padding=1) - ReLU - MaxPool2d(2)     ->  8 x 14 x 14
#   Conv2d(8, 16, 3, padding=1) - ReLU - MaxPool2d(2)    -> 16 x 7 x 7
#   Flatten - Linear(784, 128) - ReLU - Dropout(0.5) - Linear(128, 10)   -> 10 class scores
# Dropout's 0.5 is the probability of DROPPING a unit, as in PyTorch.
model = reference_cnn(dropout=0.5)
loss_fn = nn.CrossEntropyLoss()                      # softmax + negative log-likelihood
optimizer = tn.optim.Adam(model.parameters(), lr=1e-3)
print(model)

for epoch in range(1, EPOCHS + 1):
    model.train()                                    # dropout on
    start, total, correct, seen = time.perf_counter(), 0.0, 0, 0
    for images, labels in loader:
        logits = model(images)                       # forward: records the tape
        loss = loss_fn(logits, labels)
        optimizer.zero_grad()                        # forget last step's gradients
        loss.backward()                              # replay the tape: every p.grad
        optimizer.step()                             # p -= lr * (Adam's step)
        total += loss.item() * len(labels)
        correct += int((logits.array.argmax(1) == labels.array).sum())
        seen += len(labels)

    model.eval()                                     # dropout off
    test_loss, test_correct = 0.0, 0
    with tn.no_grad():                               # no tape needed to evaluate
        for images, labels in test_loader:
            logits = model(images)
            test_loss += loss_fn(logits, labels).item() * len(labels)
            test_correct += int((logits.array.argmax(1) == labels.array).sum())
    n = len(test_labels)
    print(f"epoch {epoch}: train loss {total / seen:.4f} acc {correct / seen:.2%} | "
          f"test loss {test_loss / n:.4f} acc {test_correct / n:.2%} | "
          f"{seen / (time.perf_counter() - start):.0f} images/s")

tn.save(model.state_dict(), "mnist_cnn.npz")         # weights only; load_state_dict() reads them
print("saved the weights to mnist_cnn.npz")
