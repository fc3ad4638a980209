"""tinynet.save / tinynet.load: exact round trips, atomic writes, clear errors, no pickle."""
import json
import math
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest

import tinynet
from tinynet.serialization import CheckpointError, load, save


def _nested():
    rng = np.random.default_rng(0)
    return {
        "f16": rng.standard_normal((2, 3)).astype(np.float16),
        "f32": rng.standard_normal((4,)).astype(np.float32),
        "f64_3d": rng.standard_normal((2, 3, 4)),
        "i8": np.array([-128, 0, 127], dtype=np.int8),
        "u8": np.arange(10, dtype=np.uint8),
        "i64": np.array([[2 ** 62, -(2 ** 62)]], dtype=np.int64),
        "bool": np.array([True, False, True]),
        "c64": np.array([1 + 2j, -3j], dtype=np.complex64),
        "zero_d": np.array(3.5, dtype=np.float32),
        "empty": np.zeros((0, 3), dtype=np.float32),
        "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        "strided": np.arange(20.0)[::3],
        "labels": np.array(["cat", "dog", "éléphant"]),
        "tensor": tinynet.tensor([[1.0, 2.0]]),
        "np_scalars": [np.float32(1.25), np.int64(-7), np.bool_(True)],
        "numbers": [0, -1, 2 ** 128 + 1, -(2 ** 100), 1.5, -0.0, 1e-300, float("inf"), True,
                    False, None],
        "text": ["", "a/b/c", "..", "ünï ☃", "__index__", "a0"],
        "tuple": (0.9, 0.999),
        "nested": {"a/b": {"": [{"deep": np.ones(2)}], 7: "int key", -1: [[], {}, ()]}},
        "__index__": "a user key with the index's name",
        0: "int key at the top",
    }


def _assert_same(a, b, where="obj"):
    assert type(a) is type(b) or (isinstance(a, tinynet.Tensor) and type(b) is np.ndarray), \
        f"{where}: {type(a).__name__} became {type(b).__name__}"
    if isinstance(a, tinynet.Tensor):
        a = a.array
    if isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and np.shape(a) == np.shape(b), where
        assert np.array_equal(a, b), where
    elif isinstance(a, dict):
        assert list(a) == list(b), where  # keys, their types and their order
        for k in a:
            _assert_same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float):
        assert a == b and math.copysign(1, a) == math.copysign(1, b), where
    else:
        assert a == b, where


@pytest.mark.parametrize("as_path", [str, Path])
def test_round_trip_is_exact(tmp_path, as_path):
    obj = _nested()
    path = tmp_path / "model.ckpt"
    save(obj, as_path(path))
    out = load(as_path(path))
    _assert_same(obj, out)
    assert math.isnan(load_nan(tmp_path))
    # the exact name: nothing appended
    assert sorted(os.listdir(tmp_path)) == ["model.ckpt", "nan.ckpt"]


def load_nan(tmp_path):
    save(float("nan"), tmp_path / "nan.ckpt")
    return load(tmp_path / "nan.ckpt")


def test_rng_state_round_trip_gives_the_same_draws(tmp_path):
    tinynet.manual_seed(123)
    tinynet.random.generator().random(5)
    save({"rng": tinynet.get_rng_state()}, tmp_path / "rng")
    expect = tinynet.random.generator().random(4)
    tinynet.set_rng_state(load(tmp_path / "rng")["rng"])
    assert np.array_equal(tinynet.random.generator().random(4), expect)


def test_file_is_a_plain_npz_with_a_json_index(tmp_path):
    save({"w": np.ones((2, 2), np.float32), "k": [1, "x"]}, tmp_path / "c")
    with np.load(tmp_path / "c", allow_pickle=False) as z:
        assert sorted(z.files) == ["__index__", "a0"]
        index = json.loads(z["__index__"].tobytes())
        assert index["format"] == "tinynet-checkpoint" and index["version"] == 1
        assert index["root"] == {"dict": [["w", {"array": "a0"}],
                                          ["k", {"list": [1, "x"]}]]}
        assert z["a0"].dtype == np.float32


def test_saved_arrays_are_a_snapshot(tmp_path):
    a = np.zeros(3)
    save({"a": a}, tmp_path / "c")
    a[:] = 1
    assert np.array_equal(load(tmp_path / "c")["a"], np.zeros(3))


# -- atomic writes ---------------------------------------------------------------------------
def _old_file(tmp_path):
    path = tmp_path / "ck.npz"
    save({"old": np.arange(3)}, path)
    return path, path.read_bytes()


def test_failure_while_encoding_keeps_the_old_file(tmp_path):
    path, before = _old_file(tmp_path)
    with pytest.raises(TypeError, match=r"obj\['model'\]\['layers'\]\[1\]\['fn'\]"):
        save({"model": {"layers": [{"w": np.ones(2)}, {"fn": print}]}}, path)
    with pytest.raises(TypeError, match=r"obj\['x'\] is a numpy array of dtype object"):
        save({"x": np.array([{}, 1], dtype=object)}, path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ck.npz"]


def test_failure_mid_write_keeps_the_old_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path, before = _old_file(tmp_path)
    real = np.lib.format.write_array
    calls = []

    def failing(*args, **kw):
        calls.append(1)
        if len(calls) == 3:  # the index and one array are already in the temp file
            raise OSError("disk full (simulated)")
        return real(*args, **kw)

    monkeypatch.setattr(np.lib.format, "write_array", failing)
    with pytest.raises(OSError, match="disk full"):
        save({"a": np.ones(1000), "b": np.ones(1000), "c": np.ones(5)}, path)
    assert len(calls) == 3
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ck.npz"]
    monkeypatch.undo()
    save({"new": 1}, path)  # and a later save works and replaces it
    assert load(path) == {"new": 1}
    assert os.listdir(tmp_path) == ["ck.npz"]


def test_save_argument_errors(tmp_path):
    with pytest.raises(TypeError, match="dict keys must be str or int"):
        save({(1, 2): 3}, tmp_path / "c")
    with pytest.raises(TypeError, match="dict keys must be str or int"):
        save({True: 3}, tmp_path / "c")
    loop = {"a": []}
    loop["a"].append(loop)
    with pytest.raises(ValueError, match="circular"):
        save(loop, tmp_path / "c")
    with pytest.raises(TypeError, match="path must be a str or pathlib.Path"):
        save({}, 123)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save({}, tmp_path / "no_such_dir" / "c")
    with pytest.raises(IsADirectoryError):
        save({}, tmp_path)
    assert os.listdir(tmp_path) == []


# -- loading what is not a checkpoint ------------------------------------------------------
def test_missing_file_names_it(tmp_path):
    path = tmp_path / "nope.ckpt"
    with pytest.raises(FileNotFoundError, match="nope.ckpt"):
        load(path)


def _write(path, data):
    Path(path).write_bytes(data)
    return path


def _foreign_files(tmp_path):
    good = tmp_path / "good.ckpt"
    save({"w": np.arange(100.0), "b": np.ones(3)}, good)
    raw = good.read_bytes()
    files = {
        "truncated": (_write(tmp_path / "trunc.ckpt", raw[: len(raw) // 2]), "truncated or corrupt"),
        "truncated_head": (_write(tmp_path / "head.ckpt", raw[:3]), "not a zip"),
        "random": (_write(tmp_path / "rand.ckpt",
                          np.random.default_rng(0).bytes(500)), "not a zip"),
        "empty": (_write(tmp_path / "empty.ckpt", b""), "empty"),
        "pickle": (_write(tmp_path / "p.pt", pickle.dumps({"w": [1, 2]})), "pickle"),
    }
    np.save(tmp_path / "plain.npy", np.ones(3))
    files["npy"] = (tmp_path / "plain.npy", "plain .npy")
    with open(tmp_path / "foreign.npz", "wb") as f:
        np.savez(f, w=np.ones(3))
    files["foreign_npz"] = (tmp_path / "foreign.npz", "no __index__")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as zf:
        zf.writestr("readme.txt", "hello")
    files["zip"] = (tmp_path / "other.zip", "no __index__")
    return files


@pytest.mark.parametrize("kind", ["truncated", "truncated_head", "random", "empty", "pickle",
                                  "npy", "foreign_npz", "zip"])
def test_foreign_or_damaged_files_give_a_clear_error(tmp_path, kind):
    path, match = _foreign_files(tmp_path)[kind]
    with pytest.raises(CheckpointError, match=match) as info:
        load(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


def _crafted(path, index, **arrays):
    raw = np.frombuffer(json.dumps(index).encode(), dtype=np.uint8)
    with open(path, "wb") as f:
        np.savez(f, __index__=raw, **arrays)  # np.savez may pickle object arrays; load must not
    return path


def test_object_array_in_a_crafted_file_is_refused(tmp_path):
    index = {"format": "tinynet-checkpoint", "version": 1, "root": {"array": "a0"}}
    path = _crafted(tmp_path / "evil.ckpt", index, a0=np.array([{"x": 1}, None], dtype=object))
    with pytest.raises(CheckpointError, match="pickled object array") as info:
        load(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("index,match", [
    ({"format": "tinynet-checkpoint", "version": 99, "root": 1}, "format version 99"),
    ({"format": "something-else", "version": 1, "root": 1}, "format marker"),
    ({"format": "tinynet-checkpoint", "version": 1, "root": {"array": "a7"}}, "does not hold"),
    ({"format": "tinynet-checkpoint", "version": 1, "root": {"exec": "rm -rf"}}, "malformed"),
    ({"format": "tinynet-checkpoint", "version": 1, "root": [1, 2]}, "malformed"),
    ({"format": "tinynet-checkpoint", "version": 1, "root": {"dict": [[1.5, 2]]}}, "malformed"),
])
def test_bad_index_is_a_clear_error(tmp_path, index, match):
    path = _crafted(tmp_path / "bad.ckpt", index, a0=np.ones(2))
    with pytest.raises(CheckpointError, match=match) as info:
        load(path)
    assert str(path) in str(info.value)


def test_load_of_a_directory_or_bad_path_type(tmp_path):
    with pytest.raises(IsADirectoryError):
        load(tmp_path)
    with pytest.raises(TypeError, match="path must be"):
        load(None)


def test_save_through_a_symlink_updates_its_target_and_keeps_the_link(tmp_path):
    target = tmp_path / "runs" / "model.npz"
    target.parent.mkdir()
    save({"a": np.arange(3)}, target)
    link = tmp_path / "latest.npz"
    link.symlink_to(target)
    save({"a": np.arange(5)}, link)
    assert link.is_symlink()
    np.testing.assert_array_equal(load(target)["a"], np.arange(5))
    assert not [p for p in target.parent.iterdir() if p.name.endswith(".part")]


def test_save_over_a_file_keeps_its_permissions(tmp_path):
    path = tmp_path / "model.npz"
    save({"a": 1}, path)
    os.chmod(path, 0o640)
    save({"a": 2}, path)
    assert os.stat(path).st_mode & 0o777 == 0o640
    assert load(path)["a"] == 2
