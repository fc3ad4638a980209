"""``tinynet run``'s machinery: how ``import torch`` resolves, how scripts run (argv, path,
exit codes), and the one-line report of what tinynet lacks."""
import subprocess
import sys
import textwrap

import pytest

import tinynet
from tinynet.cli import main
from tinynet.compat.torch_import import (MissingAttribute, MissingModule, ShimModule,
                                         torch_as_tinynet)


@pytest.fixture
def script(tmp_path, capsys, no_network_no_data):
    """``script(source, *args)`` writes a script and runs it -> (code, stdout, stderr lines
    after the notice)."""
    def run(source, *args, name="script.py"):
        path = tmp_path / name
        path.write_text(textwrap.dedent(source))
        code = main(["run", str(path), *args])
        out, err = capsys.readouterr()
        lines = err.splitlines()
        assert lines[0].startswith("tinynet run: `import torch` gives tinynet")
        return code, out, lines[1:]
    return run


# -- what the imports give ----------------------------------------------------------------
def test_torch_names_are_tinynets_own_objects():
    with torch_as_tinynet():
        import torch
        import torch.nn as nn
        import torch.nn.functional as F
        import torch.backends.cudnn as cudnn
        from torch import optim
        from torch.autograd import Variable
        from torch.optim.lr_scheduler import StepLR
        from torch.utils.data import DataLoader, Dataset, Subset, TensorDataset, random_split
        from torchvision import datasets, transforms
        import torchvision.transforms as T

        assert isinstance(torch, ShimModule) and torch.nn is nn
        assert nn.Conv2d is tinynet.nn.Conv2d and F.relu is tinynet.nn.functional.relu
        assert optim.Adam is tinynet.optim.Adam and StepLR is tinynet.optim.lr_scheduler.StepLR
        assert DataLoader is tinynet.data.DataLoader and Dataset is tinynet.data.Dataset
        assert (Subset, TensorDataset, random_split) == (tinynet.data.Subset,
                                                         tinynet.data.TensorDataset,
                                                         tinynet.data.random_split)
        assert torch.tensor is tinynet.tensor and torch.no_grad is tinynet.no_grad
        assert torch.float32 == "float32" and torch.manual_seed is tinynet.manual_seed
        assert torch.Tensor(2, 3).shape == (2, 3) and isinstance(torch.ones(1), torch.Tensor)
        assert torch.cuda.is_available() is False and cudnn is torch.backends.cudnn
        assert Variable(torch.ones(1), requires_grad=True).requires_grad
        assert T is transforms and datasets.MNIST.__module__.startswith("tinynet.compat")
        assert torch.is_tensor(torch.zeros(1)) and not torch.is_tensor([1])
        assert torch.__version__ == f"{tinynet.__version__}+tinynet"
        assert {"nn", "tensor", "Tensor", "cuda", "utils"} <= set(dir(torch))


def test_tinynet_only_names_and_private_names_are_not_served():
    with torch_as_tinynet():
        import torch
        import torch.utils.data
        for missing in ("data", "ops", "compat", "creation", "random", "_malloc"):
            assert not hasattr(torch, missing)
        assert not hasattr(torch.utils.data, "np")  # loader.py's own numpy import


def test_missing_parts_raise_import_and_attribute_errors():
    with torch_as_tinynet():
        import torch
        with pytest.raises(MissingModule, match="tinynet has no torch.distributed") as e:
            import torch.distributed  # noqa: F401
        assert isinstance(e.value, ImportError) and e.value.name == "torch.distributed"
        with pytest.raises(MissingAttribute, match="^tinynet has no torch.fft$") as e:
            torch.fft
        assert isinstance(e.value, AttributeError) and e.value.name == "fft"
        with pytest.raises(ImportError, match="cannot import name 'Transformer'"):
            from torch.nn import Transformer  # noqa: F401
        assert getattr(torch, "compile", None) is None and not hasattr(torch.nn, "Foo")
        with pytest.raises(AttributeError):  # dunders: a plain AttributeError for probes
            torch.__wrapped__


def test_real_torch_modules_are_put_back():
    before = {k: v for k, v in sys.modules.items() if k.split(".")[0] in ("torch", "torchvision")}
    with torch_as_tinynet():
        import torch
        assert isinstance(torch, ShimModule)
    after = {k: v for k, v in sys.modules.items() if k.split(".")[0] in ("torch", "torchvision")}
    assert after == before


# -- running scripts ----------------------------------------------------------------------
def test_script_sees_argv_its_folder_and_main(script, tmp_path):
    (tmp_path / "helper_mod.py").write_text("import torch\nNAME = torch.nn.Linear.__module__\n")
    code, out, err = script("""
        import sys
        import helper_mod
        print(sys.argv, __name__, __file__.endswith("script.py"), helper_mod.NAME)
        """, "--lr", "0.5", "-x")
    assert code == 0 and err == []
    assert out.strip() == (f"['{tmp_path / 'script.py'}', '--lr', '0.5', '-x'] __main__ True "
                           f"tinynet.nn.linear")


def test_argv_path_and_modules_are_restored(script):
    argv, path = sys.argv[:], sys.path[:]
    script("import torch\nraise SystemExit(0)\n")
    assert sys.argv == argv and sys.path == path and not isinstance(
        sys.modules.get("torch"), ShimModule)
    script("import torch\ntorch.fft\n")
    assert sys.argv == argv and sys.path == path and not isinstance(
        sys.modules.get("torch"), ShimModule)


@pytest.mark.parametrize("source, code", [("import sys\nsys.exit(3)\n", 3),
                                          ("raise SystemExit\n", 0),
                                          ("import sys\nsys.exit('bye')\n", 1)])
def test_exit_codes_are_the_scripts(script, source, code):
    assert script(source)[0] == code


def test_a_script_error_prints_the_scripts_traceback(script):
    code, out, err = script("""
        def f():
            raise ValueError("boom")
        f()
        """)
    assert code == 1
    assert err[0] == "Traceback (most recent call last):" and err[-1] == "ValueError: boom"
    assert not any("runpy" in line or "tinynet" in line for line in err)


def test_syntax_error_is_reported_like_python(script):
    code, out, err = script("x = (\n")
    assert code == 1 and "SyntaxError" in err[-1]


@pytest.mark.parametrize("source, message", [
    ("import torch.fft\n", "tinynet has no torch.fft"),
    ("import torch\nx = torch.ones(2)\ny = torch.fft.fft(x)\n", "tinynet has no torch.fft"),
    ("from torch.nn import TransformerEncoder\n", "tinynet has no torch.nn.TransformerEncoder"),
    ("import torchvision.models as models\n", "tinynet has no torchvision.models"),
    ("from torchvision.transforms import RandomCrop\n",
     "tinynet has no torchvision.transforms.RandomCrop"),
    ("import torch\ntorch.ones(2).unfold(0, 1, 1)\n", "tinynet's Tensor has no attribute 'unfold'"),
    ("import torch\nx = torch.zeros(2, device='cuda')\n",
     "zeros: tinynet runs on the CPU only; device 'cuda' is not available"),
    ("import torch\nm = torch.nn.Linear(2, 2).cuda()\n", "Linear.cuda(): tinynet runs on the CPU only"),
    ("import torch\nx = torch.ones(2).to('cuda:0')\n", "tinynet runs on the CPU only"),
    ("from torchvision import datasets\nd = datasets.FashionMNIST('data')\n",
     "FashionMNIST: no training files in data/FashionMNIST/raw"),
])
def test_what_tinynet_lacks_is_one_line_and_exit_2(script, source, message):
    code, out, err = script(source)
    n = source.count("\n")
    assert code == 2 and len(err) == 1, err
    assert err[0].startswith(f"tinynet run: ") and f"script.py:{n}: " in err[0]
    assert message in err[0]


def test_optional_imports_still_fall_back(script):
    code, out, err = script("""
        import torch
        try:
            import torch.distributed as dist
        except ImportError:
            dist = None
        print(dist, hasattr(torch, "compile"), getattr(torch.backends, "xnnpack", "none"))
        """)
    assert code == 0 and out.strip() == "None False none"


def test_missing_part_in_a_helper_module_names_its_line(script, tmp_path):
    (tmp_path / "models_helper.py").write_text("import torch\n\nact = torch.nn.Mish()\n")
    code, out, err = script("import models_helper\n")
    assert code == 2 and "models_helper.py:3: tinynet has no torch.nn.Mish" in err[0]


def test_cli_usage_errors(capsys, tmp_path):
    assert main(["run", str(tmp_path / "nope.py")]) == 2
    assert "run: no such script" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:
        main(["run"])
    assert e.value.code == 2


def test_python_dash_m_runs_it(tmp_path):
    (tmp_path / "s.py").write_text("import torch\nprint(torch.ones(2).sum().item())\n")
    r = subprocess.run([sys.executable, "-m", "tinynet", "run", "s.py"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stdout == "2.0\n", r.stderr
