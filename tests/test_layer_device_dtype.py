"""PyTorch's factory arguments on layers (``device=``, ``dtype=``), torch dtypes and
devices in ``.to()``, a BatchNorm state_dict without ``num_batches_tracked``, and
``tinynet --version``."""
import inspect

import numpy as np
import pytest

import tinynet
import tinynet.nn as nn
from tinynet.cli import main as cli_main

LAYERS = {
    "Linear": lambda **kw: nn.Linear(4, 3, **kw),
    "Conv2d": lambda **kw: nn.Conv2d(2, 3, 3, **kw),
    "BatchNorm1d": lambda **kw: nn.BatchNorm1d(3, **kw),
    "BatchNorm2d": lambda **kw: nn.BatchNorm2d(3, **kw),
}


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("dtype", [np.float64, "float64", np.dtype("float64")])
def test_dtype_float64_makes_every_float_tensor_float64(name, dtype):
    layer = LAYERS[name](dtype=dtype)
    for key, value in layer.state_dict().items():
        want = np.int64 if key == "num_batches_tracked" else np.float64
        assert value.dtype == want, key


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("device", [None, "cpu", "cpu:0"])
def test_cpu_device_and_default_dtype_give_float32(name, device):
    layer = LAYERS[name](device=device)
    assert layer.weight.dtype == np.float32


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("kwargs, match", [
    ({"device": "cuda"}, "CPU only"),
    ({"device": "meta"}, "CPU only"),
    ({"device": np.float64}, "device must be 'cpu'"),
    ({"dtype": np.int32}, "float32 or float64"),
    ({"dtype": np.float16}, "float32 or float64"),
    ({"dtype": "cpu"}, "float32 or float64"),
])
def test_bad_device_or_dtype_is_refused_naming_the_layer(name, kwargs, match):
    with pytest.raises(ValueError, match=match) as err:
        LAYERS[name](**kwargs)
    assert str(err.value).startswith(name + ":")


def test_batchnorm_takes_device_and_dtype_positionally_as_torch():
    bn = nn.BatchNorm1d(3, 1e-5, 0.1, True, True, "cpu", np.float64)
    assert bn.running_var.dtype == np.float64 and bn.weight.dtype == np.float64


def test_float64_layers_train_in_float64():
    tinynet.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 2, 3, dtype=np.float64), nn.BatchNorm2d(2, dtype=np.float64),
                          nn.Flatten(), nn.Linear(8, 3, dtype=np.float64))
    x = tinynet.tensor(np.random.default_rng(0).standard_normal((5, 1, 4, 4)))
    out = model(x)
    assert out.dtype == np.float64
    out.sum().backward()
    assert all(p.grad.dtype == np.float64 for p in model.parameters())


@pytest.mark.parametrize("name", LAYERS)
def test_constructor_arguments_in_torchs_order(name):
    torch = pytest.importorskip("torch")
    ours = list(inspect.signature(getattr(nn, name).__init__).parameters)
    theirs = list(inspect.signature(getattr(torch.nn, name).__init__).parameters)
    assert ours == theirs


def test_torch_dtypes_and_devices_are_understood():
    torch = pytest.importorskip("torch")
    layer = nn.Linear(4, 3, device=torch.device("cpu"), dtype=torch.float64)
    assert layer.weight.dtype == np.float64
    assert layer.to(torch.float32).weight.dtype == np.float32
    x = tinynet.tensor([1.0, 2.0])
    assert x.to(torch.float64).dtype == np.float64
    assert x.to(torch.device("cpu"), torch.float64).dtype == np.float64
    with pytest.raises(ValueError, match="torch.bfloat16 has no numpy equivalent"):
        x.to(torch.bfloat16)
    with pytest.raises(ValueError, match="CPU only"):
        nn.Linear(4, 3, device=torch.device("meta"))


def _bn_model():
    return nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.ReLU())


def test_state_dict_without_num_batches_tracked_loads_keeping_the_count():
    src, dst = _bn_model(), _bn_model()
    src(tinynet.randn(4, 1, 5, 5))
    dst.train()
    for _ in range(3):
        dst(tinynet.randn(4, 1, 5, 5))
    sd = src.state_dict()
    del sd["1.num_batches_tracked"]
    result = dst.load_state_dict(sd)  # strict: not a missing key
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert int(dst[1].num_batches_tracked.item()) == 3
    np.testing.assert_array_equal(dst[1].running_mean.array, src[1].running_mean.array)


def test_other_missing_batchnorm_state_is_still_reported():
    sd = _bn_model().state_dict()
    del sd["1.running_mean"], sd["1.num_batches_tracked"]
    with pytest.raises(RuntimeError) as err:
        _bn_model().load_state_dict(sd)
    assert '"1.running_mean"' in str(err.value)
    assert "num_batches_tracked" not in str(err.value)
    result = _bn_model().load_state_dict(sd, strict=False)
    assert result.missing_keys == ["1.running_mean"]


def test_num_batches_tracked_optional_as_in_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.BatchNorm1d(3), torch.nn.BatchNorm1d(3)
    sd = {k: v for k, v in theirs.state_dict().items() if k != "num_batches_tracked"}
    theirs.load_state_dict(sd)  # torch: no error for a plain dict without the count
    ours.load_state_dict({k: v.numpy() for k, v in sd.items()})


def test_version_flag(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli_main(["--version"])
    assert exit_.value.code == 0
    assert capsys.readouterr().out.strip() == f"tinynet {tinynet.__version__}"
