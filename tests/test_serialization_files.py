"""``save`` / ``load`` with open file objects, as ``torch.save(obj, f)`` / ``torch.load(f)``,
and the refusal of what PyTorch would pickle (a whole Module or optimizer)."""
import io

import numpy as np
import pytest

import tinynet
import tinynet.nn as nn
from tinynet.serialization import CheckpointError


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _model(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.ReLU(), lib.nn.Linear(4, 2))


def test_state_dict_through_a_bytes_buffer_as_torch(torch):
    """The same script lines work on both: save to a buffer, rewind, load into a new model."""
    x = np.linspace(-1, 1, 6).reshape(2, 3).astype(np.float32)
    outputs = []
    for lib in (tinynet, torch):
        model = _model(lib)
        buffer = io.BytesIO()
        lib.save(model.state_dict(), buffer)
        buffer.seek(0)
        restored = _model(lib)
        with lib.no_grad():
            for p in restored.parameters():
                p.mul_(0)
        restored.load_state_dict(lib.load(buffer))
        outputs.append(np.asarray(restored(lib.tensor(x)).detach()))
        assert np.array_equal(outputs[-1], np.asarray(model(lib.tensor(x)).detach()))


def test_open_files_and_positions(tmp_path):
    path = tmp_path / "ck.pt"
    with open(path, "wb") as f:
        f.write(b"header")  # written from the current position
        tinynet.save({"epoch": 3, "w": tinynet.arange(4)}, f)
    with open(path, "rb") as f:
        f.read(6)
        ck = tinynet.load(f, map_location="cpu")
    assert ck["epoch"] == 3 and ck["w"].tolist() == [0, 1, 2, 3]
    with open(tmp_path / "plain.pt", "wb") as f:
        tinynet.save([1.5, "a"], f)
    assert tinynet.load(tmp_path / "plain.pt") == [1.5, "a"]  # a path reads it back too


class _Stream(io.RawIOBase):
    """A read-only stream that cannot seek (a pipe, a network response)."""

    def __init__(self, data):
        self._data = io.BytesIO(data)

    def readable(self):
        return True

    def readinto(self, b):
        return self._data.readinto(b)


def test_load_from_an_unseekable_stream():
    b = io.BytesIO()
    tinynet.save({"a": np.ones(3)}, b)
    np.testing.assert_array_equal(tinynet.load(_Stream(b.getvalue()))["a"], np.ones(3))


def test_file_object_errors(tmp_path):
    with open(tmp_path / "t.txt", "w") as f:
        with pytest.raises(TypeError, match=r"text mode; open it in binary mode \(wb\)"):
            tinynet.save({}, f)
    with open(tmp_path / "t.txt", "r") as f:
        with pytest.raises(TypeError, match=r"text mode; open it in binary mode \(rb\)"):
            tinynet.load(f)
    with pytest.raises(CheckpointError, match=r"'<BytesIO>' is not a tinynet checkpoint: "
                                              r"it looks like a pickle"):
        tinynet.load(io.BytesIO(b"\x80\x04junk"))
    with pytest.raises(CheckpointError, match="empty"):
        tinynet.load(io.BytesIO())
    named = tmp_path / "broken.pt"
    named.write_bytes(b"PK\x03\x04broken")
    with open(named, "rb") as f:
        with pytest.raises(CheckpointError, match="broken.pt"):
            tinynet.load(f)


def test_whole_module_or_optimizer_is_refused_in_one_line(tmp_path):
    model = nn.Linear(2, 2)
    with pytest.raises(TypeError, match=r"cannot save a whole Linear \(obj\); .*save "
                                        r"model.state_dict\(\) instead") as info:
        tinynet.save(model, tmp_path / "m.pt")
    assert "\n" not in str(info.value)
    opt = tinynet.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match=r"SGD \(obj\['optimizer'\]\).*optimizer.state_dict\(\)"):
        tinynet.save({"model": model.state_dict(), "optimizer": opt}, io.BytesIO())
    assert not (tmp_path / "m.pt").exists()
    buffer = io.BytesIO()  # what to do instead works
    tinynet.save({"model": model.state_dict(), "optimizer": opt.state_dict()}, buffer)
    buffer.seek(0)
    assert set(tinynet.load(buffer)) == {"model", "optimizer"}


@pytest.mark.parametrize("where", [None, "cpu", tinynet.device("cpu"), {"cuda:0": "cpu"},
                                   lambda storage, loc: storage])
def test_map_location_forms_that_mean_the_cpu(tmp_path, where):
    tinynet.save({"a": 1}, tmp_path / "c.pt")
    assert tinynet.load(tmp_path / "c.pt", map_location=where) == {"a": 1}


def test_map_location_to_a_gpu_is_refused(tmp_path):
    tinynet.save({"a": 1}, tmp_path / "c.pt")
    for where in ("cuda", {"cpu": "cuda:0"}, tinynet.device("cuda")):
        with pytest.raises(ValueError, match="runs on the CPU only"):
            tinynet.load(tmp_path / "c.pt", map_location=where)
