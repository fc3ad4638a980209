"""Learning-rate schedules: change each group's ``lr`` once per epoch, as PyTorch does.

Call ``scheduler.step()`` after ``optimizer.step()``, once per epoch.  Building a
scheduler counts as epoch 0 (``last_epoch == 0``) and sets the first lr.
The values follow PyTorch's recursive ("chainable") formulas, so they match it
to rounding.  A scheduler's ``state_dict()`` holds its counters only; the lrs
themselves are restored by ``optimizer.load_state_dict``.
"""
from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

from .optimizer import Optimizer, check_number
from .._names import type_name


def _check_positive_int(owner: str, name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be an int, got {type_name(value)}")
    if value <= 0:
        raise ValueError(f"{owner}: {name} must be > 0, got {value}")


class LRScheduler:
    """Base class: ``step()``, ``get_last_lr()``, ``last_epoch``, ``state_dict()``.

    Subclasses implement ``get_lr()``: the new lr of every group at ``last_epoch``.
    """

    _initial = False  # True only while __init__ takes the first step

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1) -> None:
        name = type(self).__name__
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{name}: expected a tinynet.optim optimizer, got "
                            f"{type_name(optimizer)}")
        if isinstance(last_epoch, bool) or not isinstance(last_epoch, numbers.Integral) \
                or last_epoch < -1:
            raise ValueError(f"{name}: last_epoch must be an int >= -1, got {last_epoch!r}")
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise ValueError(f"{name}: resuming with last_epoch={last_epoch} needs "
                                     f"'initial_lr' in param_groups[{i}]; load the optimizer's "
                                     f"state dict first, or use last_epoch=-1")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = int(last_epoch)
        self._step_count = 0
        self._initial = True
        try:
            self.step()
        finally:
            self._initial = False

    def get_lr(self) -> list[float]:
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and write the new lrs into the optimizer's groups."""
        if self._step_count == 1 and not self.optimizer._opt_called:
            warnings.warn(f"{type(self).__name__}.step() was called before optimizer.step(), "
                          f"so the first learning rate was skipped; call optimizer.step() "
                          f"first, then scheduler.step()", UserWarning, stacklevel=2)
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list[float]:
        """The lr of each group as set by the latest ``step()``."""
        return list(self._last_lr)

    def state_dict(self) -> dict[str, Any]:
        """Counters and settings (everything except the optimizer)."""
        return {k: (list(v) if isinstance(v, list) else v) for k, v in self.__dict__.items()
                if k not in ("optimizer", "_initial")}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore counters and settings saved by :meth:`state_dict`."""
        name = type(self).__name__
        mine = set(self.state_dict())
        if not isinstance(state_dict, dict) or set(state_dict) != mine:
            got = sorted(map(str, state_dict)) if isinstance(state_dict, dict) else \
                type_name(state_dict)
            raise ValueError(f"{name}.load_state_dict: expected keys {sorted(mine)}, got {got}; "
                             f"was it saved from a different scheduler?")
        for k in ("base_lrs", "_last_lr"):
            if len(state_dict[k]) != len(self.optimizer.param_groups):
                raise ValueError(f"{name}.load_state_dict: {k} has {len(state_dict[k])} "
                                 f"entries, the optimizer has {len(self.optimizer.param_groups)} "
                                 f"parameter groups")
        self.__dict__.update({k: (list(v) if isinstance(v, (list, tuple)) else v)
                              for k, v in state_dict.items()})


class StepLR(LRScheduler):
    """Multiply each lr by ``gamma`` every ``step_size`` epochs:
    ``lr = base_lr * gamma ** (epoch // step_size)``."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 last_epoch: int = -1) -> None:
        _check_positive_int("StepLR", "step_size", step_size)
        check_number("StepLR", "gamma", gamma)
        self.step_size, self.gamma = int(step_size), gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        lrs = [group["lr"] for group in self.optimizer.param_groups]
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return lrs
        return [lr * self.gamma for lr in lrs]


class CosineAnnealingLR(LRScheduler):
    """Cosine decay from base_lr to ``eta_min`` over ``T_max`` epochs (then back up):
    ``lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2``.

    Computed recursively from the current lr, as in PyTorch (so a lr changed by
    hand between steps is carried along).
    """

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0,
                 last_epoch: int = -1) -> None:
        _check_positive_int("CosineAnnealingLR", "T_max", T_max)
        check_number("CosineAnnealingLR", "eta_min", eta_min, low=float("-inf"))
        self.T_max, self.eta_min = int(T_max), eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        groups, e, T, lo = self.optimizer.param_groups, self.last_epoch, self.T_max, self.eta_min
        if self._initial:
            return [group["lr"] for group in groups]
        if (e - 1 - T) % (2 * T) == 0:  # at the bottom the ratio below is 0/0: step back up
            return [group["lr"] + (base - lo) * (1 - math.cos(math.pi / T)) / 2
                    for base, group in zip(self.base_lrs, groups)]
        return [(1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T))
                * (group["lr"] - lo) + lo for group in groups]
