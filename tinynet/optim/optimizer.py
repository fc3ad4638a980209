"""Optimizer: the base class of SGD, Adam and AdamW.

An optimizer holds *parameter groups* -- dicts ``{'params': [p, ...], 'lr': ..., ...}``
whose hyperparameters apply to their parameters -- and a per-parameter ``state``
dict (momentum buffers, moment estimates).  ``step()`` reads each ``p.grad`` and
changes ``p.array`` in place with plain numpy: an update is not part of the model,
so nothing is recorded on the tape.

``state_dict()`` format (as in PyTorch; parameters are numbered 0, 1, 2, ... across
all groups in order)::

    {'state': {0: {'step': 3, 'exp_avg': ndarray, ...}, 1: {...}},
     'param_groups': [{'lr': 0.001, 'betas': (0.9, 0.999), ..., 'params': [0, 1]}]}
"""
from __future__ import annotations

import copy
import math
import numbers
import warnings
from typing import Any, Callable, Iterable, Optional, Union

import numpy as np

from ..tensor import Tensor, enable_grad
from .._names import type_name

ParamsT = Union[Iterable[Tensor], Iterable[dict[str, Any]]]


def check_number(opt: str, name: str, value: Any, low: float = 0.0,
                 high: Optional[float] = None) -> None:
    """Raise unless ``low <= value`` (and ``value < high`` when given) for a real number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{opt}: {name} must be a number, got {type_name(value)}")
    if high is None and not low <= value:  # written this way so NaN fails too
        raise ValueError(f"{opt}: invalid {name}={value!r} (expected {name} >= {low})")
    if high is not None and not low <= value < high:
        raise ValueError(f"{opt}: invalid {name}={value!r} (expected {low} <= {name} < {high})")


def check_bool(opt: str, name: str, value: Any) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{opt}: {name} must be True or False, got {value!r}")


def _pkey(k: Any) -> str:
    # parameter indices may come back as strings from a JSON-based format; compare as text
    return str(int(k)) if isinstance(k, (int, np.integer)) else str(k)


class Optimizer:
    """Base class: parameter groups, ``zero_grad``, ``step``, ``state_dict``.

    Subclasses give ``defaults`` (hyperparameters), ``_check_group(group)`` (validation),
    ``_state_keys(group)`` (names of the per-parameter state) and ``_update(group, params)``
    (the update rule for the parameters of ``group`` that have a gradient).
    """

    def __init__(self, params: ParamsT, defaults: dict[str, Any]) -> None:
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(f"{name}: params must be an iterable of Tensors or of "
                            f"param-group dicts, got a single Tensor; wrap it in a list: [p]")
        if isinstance(params, dict):
            raise TypeError(f"{name}: params must be an iterable of Tensors or of "
                            f"param-group dicts, got a dict; wrap it in a list: [{{...}}]")
        if isinstance(params, (set, frozenset)):
            raise TypeError(f"{name}: params must be an ordered collection (a list), not a "
                            f"set: a set's order changes between runs, and so would the state")
        try:
            groups = list(params)
        except TypeError:
            raise TypeError(f"{name}: params must be an iterable of Tensors or of param-group "
                            f"dicts, got {type_name(params)}") from None
        if not groups:
            raise ValueError(f"{name} got an empty parameter list; pass model.parameters() "
                             f"of a model that has parameters")
        self.defaults = dict(defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}  # keyed by the parameter (identity hash)
        self.param_groups: list[dict[str, Any]] = []
        self._opt_called = False  # lets an LR scheduler warn if it steps first
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    # -- hooks for subclasses ------------------------------------------------
    def _check_group(self, group: dict[str, Any]) -> None:
        """Validate a group's hyperparameters (raise ValueError/TypeError)."""

    def _check_torch_options(self, group: dict[str, Any]) -> None:
        """A group dict may carry PyTorch options that tinynet does not implement: refuse
        those that would change the update, instead of silently ignoring them."""
        name = type(self).__name__
        if group.get("maximize", False):
            raise ValueError(f"{name}: maximize={group['maximize']!r} is not supported; "
                             f"minimise the negated objective instead (loss = -objective)")
        decoupled = getattr(self, "_decoupled", None)  # Adam / AdamW only
        wanted = group.get("decoupled_weight_decay", decoupled)
        if decoupled is not None and bool(wanted) != decoupled:
            raise ValueError(f"{name}: decoupled_weight_decay={wanted!r} is not supported; "
                             f"use {'AdamW' if wanted else 'Adam'} instead")

    def _state_keys(self, group: dict[str, Any]) -> set[str]:
        """The names in ``state[p]`` for a parameter of ``group`` once it has been stepped."""
        return set()

    def _check_state_number(self, key: str, value: Any) -> str:
        """Why a number loaded into the per-parameter state is unusable ('' if it is fine):
        it must be finite (as a float: 10**400 is not)."""
        try:
            finite = math.isfinite(value)
        except OverflowError:
            finite = False
        return "" if finite else "must be a finite number"

    def _update(self, group: dict[str, Any], params: list[Tensor]) -> None:
        raise NotImplementedError

    # -- parameter groups --------------------------------------------------------
    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group ``{'params': [...], hyperparameter: value, ...}``; missing
        hyperparameters take the optimizer's defaults."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(f"{name}: a parameter group must be a dict like "
                            f"{{'params': [...], 'lr': 0.1}}, got {type_name(param_group)}")
        if "params" not in param_group:
            raise ValueError(f"{name}: parameter group has no 'params' key")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(f"{name}: a group's params must be a list, not a set (its order "
                            f"changes between runs)")
        else:
            params = list(params)
        if params and all(isinstance(p, tuple) and len(p) == 2 and isinstance(p[0], str)
                          for p in params):  # model.named_parameters(), as torch 2.x accepts
            params = [p for _, p in params]
        gi = len(self.param_groups)
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(f"{name}: can only optimize Tensors, but param_groups[{gi}] "
                                f"params[{i}] is a {type_name(p)}")
            # a frozen parameter (requires_grad=False) is allowed, as in PyTorch: it never
            # gets a gradient, so step() skips it
            if not p.is_leaf:
                raise ValueError(f"{name}: can't optimize a non-leaf tensor (param_groups[{gi}] "
                                 f"params[{i}] was computed by an op); optimize the leaf "
                                 f"it came from, or use .detach().requires_grad_()")
        ids = [id(p) for p in params]
        if len(set(ids)) != len(ids):
            raise ValueError(f"{name}: param_groups[{gi}] lists the same parameter twice")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if seen.intersection(ids):
            raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        group = {"params": params}
        group.update((k, v) for k, v in param_group.items() if k != "params")
        for k, v in self.defaults.items():
            group.setdefault(k, v)
        self._check_torch_options(group)
        self._check_group(group)
        self.param_groups.append(group)

    # -- the training-loop calls -----------------------------------------------
    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients: ``p.grad = None`` (default) or fill them with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none:
                    p.grad = None
                elif p.grad is not None:
                    p.grad.array.fill(0)

    def step(self, closure: Optional[Callable[[], Any]] = None) -> Any:
        """Update every parameter that has a ``.grad``; returns ``closure()``'s loss if given.

        Parameters whose grad is None (unused in the forward) are skipped.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self._opt_called = True
        stepped = False
        for group in self.param_groups:
            params = [p for p in group["params"] if p.grad is not None]
            if params:
                stepped = True
                self._update(group, params)
        if not stepped:
            warnings.warn(f"{type(self).__name__}.step(): no parameter has a gradient, so "
                          f"nothing changed; call loss.backward() before optimizer.step()",
                          UserWarning, stacklevel=2)
        return loss

    @staticmethod
    def _grad(p: Tensor) -> np.ndarray:
        """``p.grad`` as an array of p's shape and dtype (no upcast of float32 params)."""
        g = p.grad.array
        if g.shape != p.array.shape:
            raise ValueError(f"optimizer.step(): a parameter of shape {p.array.shape} has a "
                             f"grad of shape {g.shape}")
        if g.dtype != p.array.dtype:
            g = g.astype(p.array.dtype)
        return g

    # -- checkpoints ---------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """``{'state': {index: {name: value}}, 'param_groups': [{..., 'params': [indices]}]}``.

        Arrays are copies: later steps do not change a state dict already taken.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {}
        for group in self.param_groups:
            for p in group["params"]:
                if p in self.state:
                    state[index[id(p)]] = {k: (v.copy() if isinstance(v, np.ndarray) else v)
                                           for k, v in self.state[p].items()}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyperparameters and state saved by :meth:`state_dict`.

        Parameters are matched by position, so build the optimizer over the same
        parameters in the same order.  Keys may be ints or their string form.
        Everything is checked before anything changes.
        """
        name = type(self).__name__
        if not isinstance(state_dict, dict) or set(state_dict) != {"state", "param_groups"}:
            got = sorted(map(str, state_dict)) if isinstance(state_dict, dict) else \
                type_name(state_dict)
            raise ValueError(f"{name}.load_state_dict: expected a dict with keys 'state' and "
                             f"'param_groups' (from optimizer.state_dict()), got {got}")
        saved_groups, saved_state = state_dict["param_groups"], state_dict["state"]
        if not isinstance(saved_groups, (list, tuple)) or not isinstance(saved_state, dict):
            raise ValueError(f"{name}.load_state_dict: 'param_groups' must be a list and "
                             f"'state' a dict")
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"{name}.load_state_dict: the state dict has {len(saved_groups)} "
                             f"parameter groups, this optimizer has {len(self.param_groups)}")
        new_groups, id_map = [], {}
        for gi, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if not isinstance(saved, dict) or not isinstance(saved.get("params"), (list, tuple)):
                raise ValueError(f"{name}.load_state_dict: param_groups[{gi}] must be a dict "
                                 f"with a 'params' list of indices")
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"{name}.load_state_dict: param_groups[{gi}] has "
                                 f"{len(saved['params'])} parameters in the state dict but "
                                 f"{len(group['params'])} in this optimizer")
            missing = sorted(set(self.defaults) - set(saved))
            if missing:
                raise ValueError(f"{name}.load_state_dict: param_groups[{gi}] lacks "
                                 f"hyperparameters {missing}; was it saved from a different "
                                 f"optimizer?")
            new = {"params": group["params"]}
            new.update((k, copy.deepcopy(v)) for k, v in saved.items() if k != "params")
            self._check_torch_options(new)
            self._check_group(new)
            new_groups.append(new)
            for k, p in zip(saved["params"], group["params"]):
                id_map[_pkey(k)] = (p, new)
        new_state: dict[Tensor, dict[str, Any]] = {}
        for k, st in saved_state.items():
            if _pkey(k) not in id_map:
                raise ValueError(f"{name}.load_state_dict: 'state' has an entry for parameter "
                                 f"{k!r}, which no parameter group lists")
            p, group = id_map[_pkey(k)]
            if not isinstance(st, dict):
                raise ValueError(f"{name}.load_state_dict: state[{k!r}] must be a dict")
            expected = self._state_keys(group)
            if set(st) != expected:
                raise ValueError(f"{name}.load_state_dict: state[{k!r}] has keys "
                                 f"{sorted(st)}, {name} expects {sorted(expected)}; was it "
                                 f"saved from a different optimizer or settings?")
            new_state[p] = {}
            for sk, v in st.items():
                if isinstance(v, Tensor):
                    v = v.array
                ok = (v.dtype.kind in "biuf" if isinstance(v, np.ndarray)
                      else isinstance(v, numbers.Real) and not isinstance(v, bool))
                if not ok:  # e.g. step='x' would only fail later, inside step()
                    raise ValueError(f"{name}.load_state_dict: state[{k!r}][{sk!r}] must be a "
                                     f"number or a real array, got {v!r:.60}")
                if not isinstance(v, np.ndarray):
                    problem = self._check_state_number(sk, v)
                    if problem:  # step=10**400 would only fail inside step(): beta ** step
                        raise ValueError(f"{name}.load_state_dict: state[{k!r}][{sk!r}] "
                                         f"{problem}, got {v!r:.40}")
                if isinstance(v, np.ndarray):
                    if v.shape != p.array.shape:
                        raise ValueError(f"{name}.load_state_dict: state[{k!r}][{sk!r}] has "
                                         f"shape {v.shape}, but its parameter has shape "
                                         f"{p.array.shape}")
                    # a copy in the parameter's dtype, as the update rules assume
                    v = np.array(v, dtype=p.array.dtype if v.dtype.kind == "f" else v.dtype)
                new_state[p][sk] = v
        self.param_groups[:] = new_groups
        self.state = new_state

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines + [")"])
