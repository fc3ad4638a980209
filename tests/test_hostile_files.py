"""Files built to hurt: compressed bombs, lying headers, FIFOs, crafted checkpoints.

Each file is built here, byte by byte where it must lie.  Memory is measured in a child
process (``VmHWM``) that also runs under an address-space limit, so a regression
fails the test instead of exhausting the machine.
"""
from __future__ import annotations

import gzip
import json
import os
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path

import numpy as np
import pytest

from tinynet import CheckpointError
from tinynet.data import DatasetError, read_idx
from tinynet.serialization import load, save

ROOT = Path(__file__).resolve().parent.parent
RSS_LIMIT_MB = 200


# --------------------------------------------------------------------------
# Building zip archives that lie
# --------------------------------------------------------------------------
def npy_header(shape: tuple, descr: str = "<f8") -> bytes:
    """An .npy version 1.0 header for an array of ``shape`` (no data)."""
    text = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape!r}, }}"
    text += " " * (-(10 + len(text) + 1) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin1")


def craft_zip(path: Path, members: list[tuple]) -> Path:
    """A zip file.  Each member is (name, data, deflate?, size the directory declares), or
    (name, packed bytes, zip method number, declared size, CRC) for data packed elsewhere."""
    local, central = b"", b""
    for name, data, how, declared, *crc in members:
        if how is True or how is False:
            c = zlib.compressobj(9, zlib.DEFLATED, -15)
            packed, method = (c.compress(data) + c.flush(), 8) if how else (data, 0)
            crc = zlib.crc32(data)
        else:
            packed, method, crc = data, how, crc[0]
        raw_name = name.encode()
        offset = len(local)
        local += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, crc,
                             len(packed), declared, len(raw_name), 0) + raw_name + packed
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21,
                               crc, len(packed), declared, len(raw_name), 0, 0, 0, 0, 0,
                               offset) + raw_name
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members),
                      len(central), len(local), 0)
    path.write_bytes(local + central + end)
    return path


def index_member(root) -> tuple[str, bytes, bool, int]:
    doc = json.dumps({"format": "tinynet-checkpoint", "version": 1, "root": root}).encode()
    data = npy_header((len(doc),), "|u1") + doc
    return ("__index__.npy", data, False, len(data))


GIB = 1024 ** 3
BIG_SHAPE = (3 * 2 ** 26,)  # float64: 1.5 GiB, under the 2 GiB cap


def bomb(path: Path, honest_directory: bool) -> Path:
    """A few-kB checkpoint whose array declares 1.5 GiB: 1 MB of real zeros, deflated."""
    data = npy_header(BIG_SHAPE) + bytes(1 << 20)
    declared = len(data) if honest_directory else len(npy_header(BIG_SHAPE)) + 12 * 2 ** 27
    return craft_zip(path, [index_member({"array": "a0"}), ("a0.npy", data, True, declared)])


# bz2.compress(npy_header((300 << 17,)) + bytes(300 << 20), 9): 346 bytes that inflate to a
# real 300 MiB array (bzip2 has no useful bound on its expansion; numpy never writes it)
BZ2_BOMB = bytes.fromhex(
    "425a68393141592653593dbee31b057e41dfa0e01040e4797401034220af45dd0a08000008200094865351"
    "a8d3268cd47a206231ea4fd208aa9ea643040600100087e050055512022802aa89afdc11401249208f1c"
    "da81dab0e472417273d9c5fd5f6c0478778dd759fa7a80e384be618ae51d592a69b61a4f3285826dee52"
    "092e55a8bd90824000924909fcc50564994d6438278b7c057e390003000000208000c20135190a8096a4"
    "2a025cc50564994d6438278b7c057e390003000000208000c20135190a8096a42a025cc50564994d6438"
    "278b7c057e390003000000208000c20135190a8096a42a025cc50564994d6438278b7c057e3900030000"
    "00208000c20135190a8096a42a025cc50564994d6438278b7c057e390003000000208000c20135190a80"
    "96a42a025cc50564994d6639cb685c04b06900130000000400208000c33014a698940a46c4940a478bb9"
    "229c28484a09997980")
BZ2_BOMB_SIZE, BZ2_BOMB_CRC = 128 + (300 << 20), 1167974748


def bz2_bomb(path: Path) -> Path:
    return craft_zip(path, [index_member({"array": "a0"}),
                            ("a0.npy", BZ2_BOMB, 12, BZ2_BOMB_SIZE, BZ2_BOMB_CRC)])


def run_child(code: str, *args: str, env_extra: dict | None = None, timeout: float = 60):
    """Run ``code`` in a fresh Python under a 1.5 GiB address-space limit; the last line
    of its stdout is its peak RSS in MB (peak_mb())."""
    prelude = textwrap.dedent("""
        import resource, sys
        resource.setrlimit(resource.RLIMIT_AS, (3 * 2 ** 29, 3 * 2 ** 29))
        def peak_mb():  # VmHWM: this process's peak RSS (ru_maxrss may count the parent's)
            status = open("/proc/self/status").read()
            return int(status.split("VmHWM:")[1].split()[0]) // 1024
    """)
    env = dict(os.environ, PYTHONPATH=str(ROOT), **(env_extra or {}))
    return subprocess.run([sys.executable, "-c", prelude + textwrap.dedent(code), *args],
                          capture_output=True, text=True, timeout=timeout, env=env)


@pytest.mark.parametrize("kind", ["directory-claims-1.5GiB", "header-claims-1.5GiB",
                                  "bzip2-300MiB"])
def test_a_compressed_bomb_checkpoint_is_refused_within_a_little_memory(tmp_path, kind):
    if kind.startswith("bzip2"):
        path = bz2_bomb(tmp_path / "bomb.npz")
    else:
        path = bomb(tmp_path / "bomb.npz", honest_directory=kind.startswith("header"))
    assert path.stat().st_size < 8000
    child = run_child("""
        import tinynet
        try:
            tinynet.load(sys.argv[1])
        except tinynet.CheckpointError as e:
            print("refused:", e)
        print(peak_mb())
    """, str(path))
    assert child.returncode == 0, child.stderr
    lines = child.stdout.splitlines()
    assert lines[0].startswith("refused:") and str(path) in lines[0], child.stdout
    assert {"d": "deflate", "h": "zip directory", "b": "compression method"}[kind[0]] \
        in lines[0]
    assert int(lines[-1]) < RSS_LIMIT_MB, child.stdout


def test_evaluate_and_train_refuse_a_bomb_within_a_little_memory(tmp_path):
    bz2_bomb(tmp_path / "bomb.npz")
    (tmp_path / "run").mkdir()
    bz2_bomb(tmp_path / "run" / "model.npz")
    # the command line in a child, from the folder that holds the files
    code = textwrap.dedent("""
        import resource, sys, os
        resource.setrlimit(resource.RLIMIT_AS, (3 * 2 ** 29, 3 * 2 ** 29))
        os.chdir(sys.argv[1])
        from tinynet.cli import main
        codes = [main(["evaluate", "--checkpoint", "bomb.npz", "--no-download"]),
                 main(["train", "--resume", "bomb.npz", "--no-download", "--quiet"]),
                 main(["train", "--out", "run", "--epochs", "1", "--no-download", "--quiet"])]
        print(codes)
        status = open("/proc/self/status").read()
        print(int(status.split("VmHWM:")[1].split()[0]) // 1024)
    """)
    env = dict(os.environ, PYTHONPATH=str(ROOT), TINYNET_DATA=str(tmp_path / "no-data"))
    child = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True,
                           text=True, timeout=60, env=env)
    assert child.stdout.splitlines()[0] == "[2, 2, 2]", child.stdout + child.stderr
    assert "Traceback" not in child.stderr
    errors = [ln for ln in child.stderr.splitlines() if ln.startswith("tinynet: error")]
    assert len(errors) == 3 and all("bomb.npz" in e or "model.npz" in e for e in errors), \
        child.stderr
    assert int(child.stdout.splitlines()[-1]) < RSS_LIMIT_MB


def test_a_checkpoint_larger_than_max_bytes_needs_a_larger_bound(tmp_path):
    save({"w": np.zeros(300_000)}, tmp_path / "c.npz")  # 2.4 MB
    with pytest.raises(CheckpointError, match=r"max_bytes=1,000,000"):
        load(tmp_path / "c.npz", max_bytes=1_000_000)
    assert load(tmp_path / "c.npz", max_bytes=3_000_000)["w"].shape == (300_000,)
    with pytest.raises(TypeError, match="max_bytes"):
        load(tmp_path / "c.npz", max_bytes=-1)


def test_a_stored_member_whose_sizes_disagree_is_refused(tmp_path):
    data = npy_header((4,)) + bytes(32)
    path = craft_zip(tmp_path / "c.npz", [index_member({"array": "a0"}),
                                          ("a0.npy", data, False, len(data) + 1000)])
    with pytest.raises(CheckpointError, match="stored uncompressed"):
        load(path)


def test_an_array_member_that_is_not_npy_is_refused(tmp_path):
    # np.load gives bytes for a member without the .npy suffix: tn.load used to return them
    path = craft_zip(tmp_path / "c.npz", [index_member({"w": {"array": "a0"}}.get("w")),
                                          ("a0", b"raw bytes, no array", False, 19)])
    with pytest.raises(CheckpointError, match="not an .npy array"):
        load(path)
    # a member named .npy that is no .npy inside
    path = craft_zip(tmp_path / "d.npz", [index_member({"array": "a0"}),
                                          ("a0.npy", b"raw bytes, no array", False, 19)])
    with pytest.raises(CheckpointError, match="not an .npy array"):
        load(path)


# --------------------------------------------------------------------------
# IDX files
# --------------------------------------------------------------------------
def gzip_of_zeros(path: Path, header: bytes, zeros: int) -> Path:
    """header + ``zeros`` zero bytes, gzip-compressed in a stream (never all in memory)."""
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    with open(path, "wb") as f:
        f.write(c.compress(header))
        block = bytes(1 << 20)
        for _ in range(zeros >> 20):
            f.write(c.compress(block))
        f.write(c.flush())
    return path


def idx_header(dims: tuple, code: int = 8) -> bytes:
    return bytes([0, 0, code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)


def test_a_gzip_of_zeros_is_refused_after_its_header_within_a_little_memory(tmp_path):
    # 300 kB of gzip holding 300 MB of zeros: the old reader inflated all of it first
    zeros = gzip_of_zeros(tmp_path / "train-images-idx3-ubyte.gz", b"", 300 << 20)
    # a valid header declaring 1.5 GiB, followed by 1 MB of zeros
    liar = gzip_of_zeros(tmp_path / "liar-idx3-ubyte.gz", idx_header((2_000_000, 28, 28)),
                         1 << 20)
    child = run_child("""
        from tinynet.data import DatasetError, read_idx
        for path in sys.argv[1:]:
            try:
                read_idx(path)
            except DatasetError as e:
                print("refused:", e)
        print(peak_mb())
    """, str(zeros), str(liar))
    assert child.returncode == 0, child.stderr
    lines = child.stdout.splitlines()
    assert "bad IDX magic" in lines[0] and "gzip file can hold" in lines[1], child.stdout
    assert int(lines[-1]) < RSS_LIMIT_MB, child.stdout


def test_a_huge_sparse_idx_file_is_refused_without_reading_it(tmp_path, capsys,
                                                              no_network_no_data):
    data = tmp_path / "data"
    data.mkdir()
    images = data / "train-images-idx3-ubyte"
    n = 128_000_000  # 100 GB of 28x28 images, all but the header a hole in the file
    images.write_bytes(idx_header((n, 28, 28)))
    os.truncate(images, 16 + n * 784)
    (data / "train-labels-idx1-ubyte").write_bytes(idx_header((n,), 8))
    with pytest.raises(DatasetError, match="max_bytes"):
        read_idx(images)
    from tinynet.cli import main
    assert main(["train", "--data-dir", str(data), "--no-download", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1 and "max_bytes" in err, err


def test_idx_max_bytes_is_a_parameter(tmp_path):
    path = tmp_path / "x-idx1-ubyte.gz"
    path.write_bytes(gzip.compress(idx_header((1000,)) + bytes(1000)))
    assert read_idx(path, max_bytes=1000).shape == (1000,)
    with pytest.raises(DatasetError, match="max_bytes=999"):
        read_idx(path, max_bytes=999)


# --------------------------------------------------------------------------
# Crafted checkpoints: well-formed files with configurations out of range
# --------------------------------------------------------------------------
OFFLINE = ["--quiet", "--no-download"]


@pytest.fixture(scope="module")
def good_checkpoint(tmp_path_factory):
    """One epoch on 20 embedded digits (an empty default data folder and no download:
    offline; a --data-dir without the files would be an error)."""
    from tinynet.cli import main
    tmp = tmp_path_factory.mktemp("good")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TINYNET_DATA", str(tmp / "empty"))
        assert main(["train", "--epochs", "1", "--train-size", "20", "--batch-size", "20",
                     "--out", str(tmp / "run"), *OFFLINE]) == 0
    return tmp / "run" / "model.npz"


def _with_model(ckpt: dict, **model) -> dict:
    """A self-consistent checkpoint: the config's network and weights that fit it."""
    from tinynet.models import build_cnn, cnn_config
    ckpt["config"]["model"] = cfg = cnn_config(ckpt["config"]["model"], **model)
    ckpt["model"] = dict(build_cnn(cfg).state_dict())
    return ckpt


def _set(path: str, value):
    def change(ckpt):
        *parents, last = path.split(".")
        d = ckpt
        for p in parents:
            d = d[p]
        d[last] = value
        return ckpt
    return change


def _adam_step(value):
    def change(ckpt):
        ckpt["optimizer"]["state"][0]["step"] = value
        return ckpt
    return change


CRAFTED = {
    "augment=10**6": (_set("config.augment", 10 ** 6), "augment"),
    "hidden=10**9": (_set("config.model.hidden", 10 ** 9), "hidden"),
    "lr=10**400": (_set("config.optimizer.lr", 10 ** 400), "bad lr"),
    "lr=nan": (_set("config.optimizer.lr", float("nan")), "bad lr"),
    "lr_decay=1e200": (_set("config.optimizer.lr_decay", 1e200), "lr_decay"),
    "momentum=5 (sgd)": (lambda c: _set("config.optimizer", {"name": "sgd", "lr": 0.1,
                                                             "momentum": 5})(c), "momentum"),
    "adam step=10**400": (_adam_step(10 ** 400), "'step'"),
    "56-pixel images": (lambda c: _with_model(c, image_size=56), "image_size"),
    "3-channel images": (lambda c: _with_model(c, in_channels=3), "in_channels"),
    "5 classes": (lambda c: _with_model(c, num_classes=5), "num_classes"),
    "history of inf": (_set("history.test_loss", [float("inf")]), "history"),
    "weight 1e300 (float64)": (
        lambda c: c["model"].update({"fc2.bias": np.full(10, 1e300)}) or c, "fc2.bias"),
}


@pytest.mark.parametrize("command", ["resume", "evaluate"])
@pytest.mark.parametrize("name", list(CRAFTED))
def test_a_crafted_checkpoint_is_one_line_naming_the_field(name, command, good_checkpoint,
                                                          tmp_path, capsys,
                                                          no_network_no_data):
    from tinynet.cli import main
    change, field = CRAFTED[name]
    if command == "evaluate" and name == "adam step=10**400":
        pytest.skip("evaluate reads no optimizer state")
    bad = tmp_path / "bad" / "model.npz"
    bad.parent.mkdir()
    save(change(load(good_checkpoint)), bad)
    before = bad.read_bytes()
    argv = (["train", "--resume", str(bad), "--epochs", "2"] if command == "resume"
            else ["evaluate", "--checkpoint", str(bad)])
    assert main(argv + ["--no-download"] + (["--quiet"] if command == "resume" else [])) == 2
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 1 and "Traceback" not in err, err
    assert field in lines[0] and str(bad) in lines[0], lines[0]
    assert bad.read_bytes() == before


def test_load_state_dict_refuses_a_value_that_overflows_the_parameter_dtype():
    import tinynet.nn as nn
    layer = nn.Linear(2, 3)
    before = layer.weight.array.copy()
    state = {"weight": np.full((3, 2), 1e300), "bias": np.zeros(3)}
    with pytest.raises(RuntimeError, match=r'"weight" does not fit its dtype float32.*inf'):
        layer.load_state_dict(state)
    assert np.array_equal(layer.weight.array, before)  # nothing was copied
    state["weight"] = np.full((3, 2), 1e30)  # fits float32: fine, as are inf and nan
    state["bias"] = np.array([np.inf, -np.inf, np.nan])
    layer.load_state_dict(state)
    assert layer.weight.array[0, 0] == np.float32(1e30)
    bn = nn.BatchNorm1d(2)
    with pytest.raises(RuntimeError, match="num_batches_tracked"):
        bn.load_state_dict({**bn.state_dict(), "num_batches_tracked": np.array(np.nan)})
