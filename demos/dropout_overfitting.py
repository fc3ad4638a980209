"""Dropout against overfitting: the same CNN, same seed, with and without dropout.

Trained on only 1,000 digits, the network without dropout soon classifies every
training image correctly, while on unseen test images its loss, after a minimum,
rises again: it has learnt the training set by heart and grows over-confident.
Dropout (each hidden unit zeroed with probability p while training) makes that
harder, so the gap between training and test accuracy narrows and the test loss
stays lower.  `tinynet compare-dropout` is this script with files and a plot.

Run:  python demos/dropout_overfitting.py   (TINYNET_DEMO_QUICK=1 for a quick version)
"""
import os

import tinynet as tn
from tinynet.models import build_cnn, describe_cnn
from tinynet.training import Run, fit, load_data, make_optimizer

QUICK = os.environ.get("TINYNET_DEMO_QUICK") == "1"
EPOCHS = 2 if QUICK else 30

tn.manual_seed(0)
data = load_data("mnist", train_size=200 if QUICK else 1000)   # a small, balanced subset
print(data.describe())
start = tn.get_rng_state()          # both runs start from here: same initial weights

results = {}
for name, p, conv_p in (("no dropout", 0.0, 0.0), ("dropout", 0.5, 0.25)):
    tn.set_rng_state(start)
    config = {"model": {"channels": [8, 16], "hidden": 256, "dropout": p, "conv_dropout": conv_p},
              "optimizer": {"name": "adam", "lr": 1e-3}, "batch_size": 64}
    model = build_cnn(config["model"])
    run = Run(config, model, make_optimizer(config["optimizer"], model.parameters()))
    print(f"training {name}: {describe_cnn(config['model'])}")
    # eval_train: measure training accuracy with dropout switched off, as on the test set
    fit(run, data, EPOCHS, eval_train=True, progress=False, log=None)
    results[name] = run.history

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
          f"{100 * gap:.1f} points, test loss {h['test_loss'][-1]:.4f} "
          f"(lowest {min(h['test_loss']):.4f})")
