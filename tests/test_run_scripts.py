"""PyTorch scripts (tests/scripts/, written in the style of the official examples and the
popular tutorials) run unmodified by ``tinynet run``, on a few hundred images.

Each runs in this process through the command line's ``main`` (downloads disabled, MNIST
from the embedded digits, the working directory a temporary folder).  custom_function.py and
polynomial_fit.py start from fixed weights and are then compared with PyTorch's run of the
same file (where installed); the others were run on PyTorch by hand (torchvision is not
installed here, and PyTorch's first LSTM call alone takes seconds).
"""
import re
import runpy
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import tinynet
from tinynet.cli import main

SCRIPTS = Path(__file__).resolve().parent / "scripts"
ROOT = SCRIPTS.parent.parent


@pytest.fixture
def run(no_network_no_data, capsys):
    """``run("script.py", *args)`` -> (exit code, stdout, stderr) of ``tinynet run``."""
    def run(script, *args):
        code = main(["run", str(SCRIPTS / script), *map(str, args)])
        out, err = capsys.readouterr()
        return code, out, err
    return run


@pytest.fixture
def torch_run(capsys, monkeypatch, tmp_path):
    """``torch_run("script.py", *args)`` -> stdout of the script run on the real PyTorch
    (in this process, as ``python script.py args`` would; skip if torch is not installed)."""
    pytest.importorskip("torch")

    def torch_run(script, *args):
        capsys.readouterr()
        monkeypatch.setattr(sys, "argv", [str(SCRIPTS / script), *args])
        monkeypatch.chdir(tmp_path)
        runpy.run_path(str(SCRIPTS / script), run_name="__main__")
        return capsys.readouterr().out
    return torch_run


def _numbers(line):
    return [float(v) for v in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", line)]


def test_official_mnist_example_with_adadelta_and_steplr(run):
    code, out, err = run("mnist_cnn.py", "--epochs", 2, "--train-size", 192, "--test-size", 100,
                         "--log-interval", 1, "--save-model")
    assert code == 0, err
    tests = re.findall(r"Test set: Average loss: ([\d.]+), Accuracy: (\d+)/100", out)
    assert len(tests) == 2
    assert float(tests[1][0]) < float(tests[0][0]) and int(tests[1][1]) >= 30  # chance: 10
    assert len(re.findall(r"Train Epoch: 1 \[\d+/192", out)) == 3  # 192 / 64 batches, all logged
    state = tinynet.load("mnist_cnn.pt")
    assert state["fc1.weight"].shape == (128, 9216) and "embedded digits" in err


def test_tutorial_mlp_with_torch_max_on_data(run):
    code, out, err = run("mnist_mlp.py", "--train-size", 300, "--test-size", 200,
                         "--num-epochs", 2)
    assert code == 0, err
    steps = re.findall(r"Epoch \[(\d)/2\], Step \[(\d)/3\], Loss: ([\d.]+)", out)
    assert len(steps) == 6 and float(steps[-1][2]) < float(steps[0][2])
    accuracy = float(re.search(r"on the 200 test images: ([\d.]+) %", out).group(1))
    assert accuracy >= 50
    assert set(tinynet.load("model.ckpt")) == {"fc1.weight", "fc1.bias", "fc2.weight",
                                                "fc2.bias"}
    assert err.startswith("tinynet run: `import torch` gives tinynet")


def test_autoencoder_learns_to_reconstruct(run):
    code, out, err = run("autoencoder.py", "--epochs", 3, "--train-size", 256,
                         "--test-size", 128)
    assert code == 0, err
    before = float(re.search(r"before training: test reconstruction loss ([\d.]+)", out)[1])
    after = [float(v) for v in re.findall(r"test loss ([\d.]+)", out)]
    assert len(after) == 3 and after[-1] < before - 0.005
    assert "codes: (128, 3)" in out


def test_lstm_on_a_sine_wave(run):
    code, out, err = run("lstm_sequence.py", "--steps", 100, "--hidden", 16)
    assert code == 0, err
    before = float(re.search(r"before training: ([\d.]+)", out)[1])
    after = float(re.search(r"after training: ([\d.]+)", out)[1])
    assert after < before / 2


def test_custom_autograd_function_tutorial(run, torch_run):
    code, out, err = run("custom_function.py")
    assert code == 0, err
    result = _numbers(out.splitlines()[-1])
    theirs = _numbers(torch_run("custom_function.py").splitlines()[-1])
    np.testing.assert_allclose(result, theirs, rtol=1e-3, atol=1e-6)


def test_polynomial_fit_through_data_and_grad_zero(run, torch_run):
    code, out, err = run("polynomial_fit.py")
    assert code == 0, err
    theirs = torch_run("polynomial_fit.py").splitlines()
    assert len(out.splitlines()) == len(theirs) == 9
    for mine, ref in zip(out.splitlines(), theirs):
        np.testing.assert_allclose(_numbers(mine), _numbers(ref), rtol=1e-9)


def test_command_line_end_to_end(tmp_path):
    """The installed command in a fresh process: MNIST files found in torchvision's folder
    layout (../data/MNIST/raw, relative to the working directory), nothing downloaded."""
    from tinynet.data import load_embedded_mnist, write_idx
    raw = tmp_path / "data" / "MNIST" / "raw"
    raw.mkdir(parents=True)
    for train, prefix in ((True, "train"), (False, "t10k")):
        ds = load_embedded_mnist(train)
        write_idx(raw / f"{prefix}-images-idx3-ubyte", ds.data[:300])
        write_idx(raw / f"{prefix}-labels-idx1-ubyte", ds.targets[:300].astype(np.uint8))
    work = tmp_path / "work"
    work.mkdir()
    (work / "net.py").write_text(
        "import sys\nimport torch\nfrom torchvision import datasets, transforms\n"
        "ds = datasets.MNIST('../data', train=False, transform=transforms.ToTensor())\n"
        "x, y = next(iter(torch.utils.data.DataLoader(ds, batch_size=len(ds))))\n"
        "print(sys.argv[1:], len(ds), tuple(x.shape), x.dtype, float(x.max()), y[:3].tolist())\n")
    r = subprocess.run([sys.executable, "-m", "tinynet", "run", "net.py", "--flag", "1"],
                       cwd=work, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    labels = load_embedded_mnist(False).targets[:3].tolist()
    assert r.stdout.strip() == f"['--flag', '1'] 300 (300, 1, 28, 28) float32 1.0 {labels}"
    assert r.stderr.splitlines() == [
        f"tinynet run: `import torch` gives tinynet {tinynet.__version__} (CPU, numpy); "
        f"torchvision: MNIST, FashionMNIST, ToTensor, Normalize, Compose, Lambda"]
