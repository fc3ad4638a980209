"""Type names for error messages."""
from __future__ import annotations


def type_name(obj: object) -> str:
    """The name of ``obj``'s type as an error message should show it: ``list``,
    ``ndarray``, ``Tensor`` for tinynet's own, but ``torch.Tensor`` for a foreign class of
    the same name -- "expected a Tensor, got Tensor" would say nothing."""
    cls = type(obj)
    if cls.__module__.split(".")[0] in ("builtins", "numpy", "tinynet"):
        return cls.__name__
    return f"{cls.__module__}.{cls.__qualname__}"
