"""Checkpoints: ``save(obj, path)`` and ``load(path)`` -- no pickle, so loading never runs code.

A checkpoint is an ordinary ``.npz`` (zip) archive that ``np.load`` can open:

* ``a0.npy``, ``a1.npy``, ... -- the arrays, numbered in the order they were met
  (member names never come from user keys, so any key is safe);
* ``__index__.npy`` -- a uint8 array of UTF-8 JSON describing the structure::

    {"format": "tinynet-checkpoint", "version": 1, "root": <node>}

  where a node is ``null``/``true``/``false``/an int/a float/a string (itself;
  JSON ints are unbounded, so a PCG64 state's 128-bit ints survive), or
  ``{"dict": [[key, node], ...]}`` (keys str or int, order kept),
  ``{"list": [...]}``, ``{"tuple": [...]}``, ``{"array": "a3"}``, or
  ``{"scalar": "a4"}`` (a numpy scalar such as ``np.float32(1.5)``).

Tensors are saved as their arrays and come back as numpy arrays
(``Module.load_state_dict`` accepts arrays).  Dtypes and shapes come back exactly.

As ``torch.save`` / ``torch.load``, both take a path or an open binary file object
(``io.BytesIO``, ``open(name, "wb")``).  What PyTorch would pickle -- a whole Module or
optimizer -- is refused: save its ``state_dict()``.
"""
from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import zipfile
from pathlib import Path
from typing import Any, BinaryIO, Union

import numpy as np

from .tensor import Tensor
from ._atomic import atomic_open
from ._files import NotRegularFileError, open_regular
from ._names import type_name
from ._npz import DEFAULT_MAX_BYTES, BoundedNpz, NpzError, PickledArrayError

__all__ = ["save", "load", "CheckpointError"]

FORMAT, VERSION = "tinynet-checkpoint", 1
_INDEX = "__index__"
_ARRAY_KINDS = "biufcSU"  # bool, ints, floats, complex, bytes/str -- never object


class CheckpointError(ValueError):
    """The file exists but is not a readable tinynet checkpoint (truncated, foreign...)."""


def _as_path(path: Any, fn: str) -> Path:
    if isinstance(path, (str, os.PathLike)):
        with contextlib.suppress(TypeError):  # a PathLike that gives bytes
            return Path(path)
    raise TypeError(f"{fn}: path must be a str or pathlib.Path (or an open binary file), "
                    f"got {type_name(path)}")


def _file_object(f: Any, mode: str, fn: str) -> bool:
    """True if ``f`` is an open file object for ``mode`` ('read' or 'write'); a text-mode
    file is refused (a checkpoint is binary)."""
    if not callable(getattr(f, mode, None)) or isinstance(f, (str, os.PathLike)):
        return False
    if isinstance(f, io.TextIOBase):
        raise TypeError(f"{fn}: the file object is open in text mode; open it in binary mode "
                        f"({'rb' if mode == 'read' else 'wb'})")
    return True


def _whole_object_hint(obj: Any) -> str:
    """What to save instead of an object that PyTorch would pickle (a Module, an optimizer)."""
    name = "model" if callable(getattr(obj, "parameters", None)) else \
        "optimizer" if hasattr(obj, "param_groups") else "obj"
    return (f"PyTorch would pickle it, and tinynet's checkpoints never hold code: save "
            f"{name}.state_dict() instead, and restore it with "
            f"{name}.load_state_dict(load(f))")


# --------------------------------------------------------------------------
# save
# --------------------------------------------------------------------------
def _encode(obj: Any, where: str, arrays: list, active: set) -> Any:
    """The JSON node for ``obj``; arrays are appended to ``arrays`` as (member, array)."""
    if isinstance(obj, Tensor):
        obj = obj.array
    if isinstance(obj, (np.ndarray, np.generic)):
        if obj.dtype.kind not in _ARRAY_KINDS:
            raise TypeError(f"save: {where} is a numpy array of dtype {obj.dtype}; checkpoints "
                            f"hold only bool, numeric and string arrays (no pickled objects)")
        member = f"a{len(arrays)}"
        arrays.append((member, np.asarray(obj)))
        return {"array" if isinstance(obj, np.ndarray) else "scalar": member}
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (dict, list, tuple)):
        if id(obj) in active:
            raise ValueError(f"save: {where} contains itself (a circular reference)")
        active.add(id(obj))
        if isinstance(obj, dict):
            items = []
            for k, v in obj.items():
                if isinstance(k, np.integer):
                    k = int(k)
                if isinstance(k, bool) or not isinstance(k, (str, int)):
                    raise TypeError(f"save: {where} has a key {k!r} of type {type_name(k)}; "
                                    f"dict keys must be str or int")
                items.append([k, _encode(v, f"{where}[{k!r}]", arrays, active)])
            node = {"dict": items}
        else:
            node = {"list" if isinstance(obj, list) else "tuple":
                    [_encode(v, f"{where}[{i}]", arrays, active) for i, v in enumerate(obj)]}
        active.discard(id(obj))
        return node
    if callable(getattr(obj, "state_dict", None)):
        raise TypeError(f"save: cannot save a whole {type_name(obj)} ({where}); "
                        f"{_whole_object_hint(obj)}")
    raise TypeError(f"save: cannot store {type_name(obj)!r} at {where}; checkpoints hold "
                    f"dicts, lists, tuples, numpy arrays, Tensors, numbers, strings and None")


def _write_npz(f: Any, members: list[tuple[str, np.ndarray]]) -> None:
    """The same archive ``np.savez`` writes, but to an open file (no '.npz' appended)."""
    with zipfile.ZipFile(f, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, arr in members:
            with zf.open(name + ".npy", mode="w", force_zip64=True) as member:
                np.lib.format.write_array(member, arr, allow_pickle=False)


def save(obj: Any, path: Union[str, os.PathLike, BinaryIO]) -> None:
    """Write ``obj`` (nested dicts/lists/tuples of arrays, Tensors, numbers, strings, None)
    to exactly ``path``, or to an open binary file object.

    A path is written under a temporary name in the same directory and then
    renamed over ``path`` in one step: a crash or an error never leaves a
    half-written checkpoint, and an existing file is untouched unless saving succeeds.
    A file object is written from its current position.
    """
    to_file = _file_object(path, "write", "save")
    if not to_file:
        path = _as_path(path, "save")
    arrays: list[tuple[str, np.ndarray]] = []
    root = _encode(obj, "obj", arrays, set())  # unsupported objects fail before any writing
    index = json.dumps({"format": FORMAT, "version": VERSION, "root": root}).encode("utf-8")
    members = [(_INDEX, np.frombuffer(index, dtype=np.uint8))] + arrays
    if to_file:
        _write_npz(path, members)
        return
    directory = path.parent
    if not directory.is_dir():
        raise FileNotFoundError(errno.ENOENT, f"save: directory '{directory}' does not exist",
                                str(path))
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "save: path is a directory, not a file name",
                                str(path))
    with atomic_open(path, "wb") as f:
        _write_npz(f, members)


# --------------------------------------------------------------------------
# load
# --------------------------------------------------------------------------
def _decode(node: Any, npz: Any, path: Path) -> Any:
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, dict) and len(node) == 1:
        (tag, val), = node.items()
        if tag == "dict" and isinstance(val, list):
            out = {}
            for item in val:
                if not (isinstance(item, list) and len(item) == 2
                        and isinstance(item[0], (str, int)) and not isinstance(item[0], bool)):
                    break
                out[item[0]] = _decode(item[1], npz, path)
            else:
                return out
        elif tag in ("list", "tuple") and isinstance(val, list):
            items = [_decode(v, npz, path) for v in val]
            return items if tag == "list" else tuple(items)
        elif tag in ("array", "scalar") and isinstance(val, str):
            if val not in npz.files or val == _INDEX:
                if val in npz.others:
                    raise CheckpointError(f"load: '{path}' is corrupt: its array '{val}' is "
                                          f"a member that is not an .npy array")
                raise CheckpointError(f"load: '{path}' is corrupt: its index names an array "
                                      f"'{val}' that the archive does not hold")
            try:
                arr = npz.read(val)
            except PickledArrayError:
                raise CheckpointError(f"load: '{path}' holds a pickled object array "
                                      f"('{val}'); refused, since loading never unpickles "
                                      f"(code could run)") from None
            if tag == "array":
                return arr
            if arr.ndim == 0:
                return arr[()]
    raise CheckpointError(f"load: '{path}' is corrupt: malformed index entry "
                          f"{json.dumps(node)[:80]}")


def _sniff(f: Any, path: Any) -> None:
    """Name what a file is when it is not a zip archive at all (reads its first bytes,
    then goes back to where it was)."""
    start = f.tell()
    head = f.read(8)
    f.seek(start)
    if head.startswith(b"PK\x03\x04"):
        return
    if not head:
        what = "the file is empty"
    elif head.startswith(b"\x93NUMPY"):
        what = "it is a plain .npy array file (np.save), not a checkpoint archive"
    elif head[:1] == b"\x80":
        what = "it looks like a pickle (pickle.dump / torch.save); tinynet never unpickles"
    else:
        what = "it is not a zip/npz archive"
    raise CheckpointError(f"load: '{path}' is not a tinynet checkpoint: {what}")


def _seekable(f: Any) -> bool:
    try:
        return bool(f.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def _cpu_location(map_location: Any) -> bool:
    """Whether ``map_location`` keeps everything on the CPU: None, 'cpu', a cpu device, a
    dict mapping to those, or a function (PyTorch's ``lambda storage, loc: storage``; here
    every storage is already in main memory)."""
    if map_location is None or callable(map_location) and not isinstance(map_location, type):
        return True
    if isinstance(map_location, dict):
        return all(_cpu_location(v) for v in map_location.values())
    return str(map_location).split(":")[0] == "cpu"


def load(path: Union[str, os.PathLike, BinaryIO], map_location: Any = None, *,
         weights_only: Any = None, max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """Read a checkpoint written by :func:`save`, from a path or an open binary file object.

    ``map_location`` (``None`` or ``"cpu"``) and ``weights_only`` are accepted so that
    PyTorch code runs unchanged: tinynet runs on the CPU, and a checkpoint never holds
    code, so it is always loaded "weights only".

    Arrays and Tensors come back as numpy arrays (same dtype and shape), numpy
    scalars as numpy scalars, tuples as tuples; everything else as saved.  Nothing in
    the file can run code (object arrays are refused, never unpickled), and nothing in
    it can make ``load`` use much more memory than the data it really holds: each
    array's declared size is checked against the zip directory before it is read, and
    a file whose arrays add up to more than ``max_bytes`` (2 GiB) needs a larger bound.

    Raises FileNotFoundError if ``path`` does not exist, and :class:`CheckpointError`
    (a ValueError) naming the file if it is truncated, corrupt, too large, not a
    checkpoint, or not a regular file (a FIFO, say, which would block a plain open).
    """
    from_file = _file_object(path, "read", "load")
    if not from_file:
        path = _as_path(path, "load")
    if not _cpu_location(map_location):
        raise ValueError(f"load: map_location={map_location!r} is not supported; tinynet runs "
                         f"on the CPU only (map_location=None or 'cpu')")
    if weights_only is not None and not isinstance(weights_only, (bool, np.bool_)):
        raise TypeError(f"load: weights_only must be True or False, got {weights_only!r}")
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, (int, np.integer)) \
            or max_bytes < 0:
        raise TypeError(f"load: max_bytes must be an int >= 0, got {max_bytes!r}")
    if from_file:
        source = path if _seekable(path) else io.BytesIO(path.read())  # zip reading seeks
        path = getattr(path, "name", None) or f"<{type(path).__name__}>"  # for messages
        opened = contextlib.nullcontext(source)  # the caller's file: the caller closes it
    else:
        try:
            opened = open_regular(path)
        except FileNotFoundError:
            raise FileNotFoundError(errno.ENOENT, "load: no such checkpoint file",
                                    str(path)) from None
        except IsADirectoryError:
            raise IsADirectoryError(errno.EISDIR, "load: path is a directory, not a "
                                    "checkpoint file", str(path)) from None
        except NotRegularFileError as e:
            raise CheckpointError(f"load: {e}") from None
    with opened as f:
        _sniff(f, path)
        try:
            with BoundedNpz(f, max_bytes=int(max_bytes)) as npz:
                return _read_index_and_decode(npz, path)
        except CheckpointError:
            raise
        except NpzError as e:
            raise CheckpointError(f"load: '{path}' is corrupt or oversized: {e}") from None
        except MemoryError:
            raise CheckpointError(f"load: '{path}' holds arrays too large for this "
                                  f"machine's memory") from None
        except Exception as e:  # zipfile/npy/JSON errors from a damaged file
            raise CheckpointError(f"load: '{path}' is truncated or corrupt "
                                  f"({type_name(e)}: {e})") from e


def _read_index_and_decode(npz: BoundedNpz, path: Any) -> Any:
    if _INDEX not in npz.files:
        raise CheckpointError(f"load: '{path}' is not a tinynet checkpoint: the archive "
                              f"has no {_INDEX} (an .npz or zip written by something "
                              f"else?)")
    raw = npz.read(_INDEX)
    if raw.dtype != np.uint8 or raw.ndim != 1:
        raise CheckpointError(f"load: '{path}' is corrupt: {_INDEX} is not a byte array")
    try:
        index = json.loads(raw.tobytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CheckpointError(f"load: '{path}' is corrupt: unreadable index "
                              f"({e})") from None
    if not isinstance(index, dict) or index.get("format") != FORMAT or "root" not in index:
        raise CheckpointError(f"load: '{path}' is not a tinynet checkpoint: its index "
                              f"has no '{FORMAT}' format marker")
    if index.get("version") != VERSION:
        raise CheckpointError(f"load: '{path}' has checkpoint format version "
                              f"{index.get('version')!r}; this tinynet reads version "
                              f"{VERSION}")
    return _decode(index["root"], npz, path)
