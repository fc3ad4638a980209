"""Names that ``torch`` has and tinynet's own namespace does not need (served to scripts by
``tinynet run``, see :data:`tinynet.compat.torch_import.NAMES`)."""
from __future__ import annotations

from typing import Any

from .. import __version__ as _tinynet_version
from ..tensor import Tensor

__all__ = ["is_tensor", "version"]

# what ``torch.__version__`` reads under ``tinynet run``: tinynet's version, marked as such
# (a PEP 440 local version, so scripts that parse it still can)
version = f"{_tinynet_version}+tinynet"


def is_tensor(obj: Any) -> bool:
    """``torch.is_tensor(obj)``: whether ``obj`` is a Tensor."""
    return isinstance(obj, Tensor)
