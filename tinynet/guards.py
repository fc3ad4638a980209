"""Guard rails: catch the common training mistakes early, with the fix in one line.

* :func:`warn_dropout_in_no_grad` -- dropout running in training mode inside
  ``no_grad()`` is almost always an evaluation loop that forgot ``model.eval()``
  (accuracy then comes out randomly lower).  Called by ``F.dropout`` only on that
  path; warns once per call site.
* :func:`check_finite` -- stop training the moment the loss becomes NaN or infinite,
  naming the epoch and batch, instead of silently training on garbage.

(The third guard, ``optimizer.step()`` with no gradients, lives in
``tinynet/optim/optimizer.py``.)
"""
from __future__ import annotations

import math
import os
import sys
import warnings
from typing import Any

import numpy as np

__all__ = ["DropoutInNoGradWarning", "warn_dropout_in_no_grad", "check_finite",
           "NonFiniteLossError"]

_PKG_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_warned_sites: set[tuple[str, int]] = set()


class DropoutInNoGradWarning(UserWarning):
    """Dropout ran in training mode inside ``no_grad()``.

    Silence it, e.g. for Monte-Carlo dropout on purpose, with
    ``warnings.filterwarnings("ignore", category=DropoutInNoGradWarning)``.
    """


class NonFiniteLossError(FloatingPointError):
    """The training loss became NaN or infinite."""


def _user_frame() -> tuple[Any, int]:
    """The first stack frame outside the tinynet package, and its ``stacklevel``."""
    frame, level = sys._getframe(1), 1
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PKG_DIR):
        frame, level = frame.f_back, level + 1
    return frame, level


def warn_dropout_in_no_grad(name: str = "dropout") -> None:
    """Warn (once per call site in user code) that dropout is active inside ``no_grad()``.

    Only called on the rare path "training mode and grad mode off", so it costs nothing
    in a normal training or evaluation loop.
    """
    frame, level = _user_frame()
    site = (frame.f_code.co_filename, frame.f_lineno) if frame is not None else ("?", 0)
    if site in _warned_sites:
        return
    _warned_sites.add(site)
    warnings.warn(f"Dropout is active inside no_grad() ({name} in training mode): did you "
                  f"forget model.eval()? Call model.eval() before evaluating "
                  f"(or pass training=False to F.{name}).",
                  DropoutInNoGradWarning, stacklevel=level)


def check_finite(loss: Any, epoch: int, batch: int) -> float:
    """Return the loss as a float, or raise :class:`NonFiniteLossError` if it is NaN/inf.

    ``loss``: a one-element Tensor, numpy value or float.  ``epoch``/``batch`` are
    printed as given (pass them 1-based, as the progress bar shows them).
    """
    data = np.asarray(getattr(loss, "data", loss), dtype=np.float64)
    if data.size != 1:
        raise ValueError(f"check_finite: the loss must have one element, got shape "
                         f"{data.shape}")
    value = float(data.reshape(-1)[0])
    if not math.isfinite(value):
        raise NonFiniteLossError(
            f"the loss became {value} at epoch {epoch}, batch {batch}: training stopped; "
            f"lower the learning rate (--lr) or check the inputs for NaN/inf")
    return value
