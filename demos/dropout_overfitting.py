"""Dropout against overfitting: the same CNN, same seed, with and without dropout.

Trained on only 1,000 digits, the network without dropout soon classifies every
training image correctly, while on unseen test images its loss, after a minimum,
rises again: it has learnt the training set by heart and grows over-confident.
Dropout (each hidden unit zeroed with probability p while training) makes that
harder, so the gap between training and test accuracy narrows and the test loss
stays lower.  `tinynet compare-dropout` is this experiment with files and a plot.

Run:  python demos/dropout_overfitting.py   (TINYNET_DEMO_QUICK=1 for a quick version)
"""
import os

import tinynet as tn
import tinynet.nn as nn
from tinynet.data import DataLoader, TensorDataset
from tinynet.models import describe_cnn, reference_cnn
from tinynet.training import load_data

QUICK = os.environ.get("TINYNET_DEMO_QUICK") == "1"
EPOCHS = 2 if QUICK else 30

tn.manual_seed(0)
# images float32 (N, 1, 28, 28), labels int64 (N,); a small class-balanced training subset
data = load_data("mnist", train_size=200 if QUICK else 1000)
print(data.describe())
loader = DataLoader(TensorDataset(data.x_train, data.y_train), batch_size=64, shuffle=True)
loss_fn = nn.CrossEntropyLoss()


def evaluate(model, images, labels):
    """Mean loss and accuracy on a whole split, with dropout off and no tape."""
    model.eval()                                     # dropout off: every unit, unscaled
    with tn.no_grad():
        logits = model(tn.tensor(images))
        loss = loss_fn(logits, tn.tensor(labels)).item()
    accuracy = float((logits.numpy().argmax(axis=1) == labels).mean())
    return loss, accuracy


start = tn.get_rng_state()          # both runs start from here: same initial weights
results = {}
for name, p, conv_p in (("no dropout", 0.0, 0.0), ("dropout", 0.5, 0.25)):
    tn.set_rng_state(start)
    model = reference_cnn(dropout=p, conv_dropout=conv_p)  # tinynet/models.py
    optimizer = tn.optim.Adam(model.parameters(), lr=1e-3)
    print(f"training {name}: {describe_cnn({'dropout': p, 'conv_dropout': conv_p})}")
    history = {"train_acc": [], "test_acc": [], "test_loss": []}
    for epoch in range(EPOCHS):
        model.train()                                # dropout on: a fresh mask every step
        for images, labels in loader:
            loss = loss_fn(model(images), labels)    # forward: records the tape
            optimizer.zero_grad()
            loss.backward()                          # dropped units pass no gradient back
            optimizer.step()
        # training accuracy measured like the test accuracy (dropout off), so the gap
        # between them compares like with like
        _, train_acc = evaluate(model, data.x_train, data.y_train)
        test_loss, test_acc = evaluate(model, data.x_test, data.y_test)
        history["train_acc"].append(train_acc)
        history["test_acc"].append(test_acc)
        history["test_loss"].append(test_loss)
    results[name] = history

# Side by side: the run without dropout reaches 100% on its training images while
# its test loss stops falling and creeps up; the run with dropout keeps improving.
print(f"\n{'':7}{'no dropout':^33}|{'dropout':^33}")
print(f"{'epoch':7}" + "  train acc  test acc  test loss |" * 2)
for i in sorted(set(range(0, EPOCHS, 3)) | {EPOCHS - 1}):  # every third epoch and the last
    print(f"{i + 1:5d}  " + "".join(
        f"{100 * h['train_acc'][i]:10.1f}% {100 * h['test_acc'][i]:8.1f}% "
        f"{h['test_loss'][i]:10.4f} |" for h in results.values()))

print("\nat the end:")
for name, h in results.items():
    gap = h["train_acc"][-1] - h["test_acc"][-1]
    print(f"  {name:10}: test accuracy {100 * h['test_acc'][-1]:.1f}%, train-test gap "
          f"{100 * gap:.1f} points, test loss {h['test_loss'][-1]:.4f}")
