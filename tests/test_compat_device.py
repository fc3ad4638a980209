"""Devices on a CPU-only library (tinynet/compat/device.py), against torch where installed."""
import numpy as np
import pytest

import tinynet
import tinynet.nn as nn
from tinynet.compat.device import DeviceError, check_device


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def test_device_objects_match_torch(torch):
    for args in [("cpu",), ("cpu:0",), ("cpu", 0), ("cuda",), ("cuda:1",), ("cuda", 2),
                 ("mps",)]:
        d, td = tinynet.device(*args), torch.device(*args)
        assert (d.type, d.index, str(d), repr(d)) == (td.type, td.index, str(td), repr(td))
    assert tinynet.device("cpu") == tinynet.device("cpu")
    assert tinynet.device("cpu") != tinynet.device("cpu:0")  # as torch
    assert (tinynet.device("cpu") == "cpu") == (torch.device("cpu") == "cpu")
    assert len({tinynet.device("cpu"), tinynet.device("cpu")}) == 1
    assert tinynet.device(tinynet.device("cuda:1")) == tinynet.device("cuda", 1)
    assert tinynet.device(type="cpu").type == "cpu"
    assert tinynet.device(torch.device("cpu")) == tinynet.device("cpu")  # a real torch device


@pytest.mark.parametrize("bad, err", [("foo", RuntimeError), ("cuda:x", RuntimeError),
                                      (3.0, TypeError), (None, TypeError)])
def test_device_rejects_what_torch_rejects(torch, bad, err):
    with pytest.raises(err):
        torch.device(bad)
    with pytest.raises(err):
        tinynet.device(bad)


def test_nothing_is_available(torch):
    assert tinynet.cuda.is_available() is False and tinynet.cuda.device_count() == 0
    assert tinynet.accelerator.is_available() is False
    assert tinynet.accelerator.current_accelerator() is None
    assert tinynet.accelerator.current_accelerator() == torch.accelerator.current_accelerator()
    assert tinynet.backends.mps.is_available() is False
    assert tinynet.backends.cudnn.is_available() is False
    tinynet.cuda.manual_seed(1)      # ignored, as torch without CUDA
    tinynet.cuda.manual_seed_all(1)
    tinynet.backends.cudnn.deterministic = True  # settable, as scripts do
    tinynet.backends.cudnn.benchmark = False
    with pytest.raises(DeviceError, match="tinynet runs on the CPU only"):
        tinynet.cuda.current_device()


def test_official_example_device_choice():
    """examples/mnist/main.py's choice of device gives the CPU."""
    use_accel = tinynet.accelerator.is_available()
    device = tinynet.accelerator.current_accelerator() if use_accel else tinynet.device("cpu")
    model = nn.Linear(2, 1).to(device)
    x = tinynet.ones(3, 2).to(device)
    assert model(x).shape == (3, 1) and x.device == device


@pytest.mark.parametrize("dev", [None, "cpu", "cpu:0", tinynet.device("cpu")])
def test_cpu_accepted_everywhere(dev):
    x = tinynet.ones(2, 3)
    made = [tinynet.tensor([1.0], device=dev), tinynet.zeros(2, device=dev),
            tinynet.ones(2, device=dev), tinynet.empty(2, device=dev),
            tinynet.full((2,), 1.0, device=dev), tinynet.arange(3, device=dev),
            tinynet.linspace(0, 1, 3, device=dev), tinynet.rand(2, device=dev),
            tinynet.randn(2, device=dev), tinynet.randint(3, (2,), device=dev),
            tinynet.randperm(3, device=dev), tinynet.zeros_like(x, device=dev),
            tinynet.ones_like(x, device=dev), tinynet.full_like(x, 2.0, device=dev),
            tinynet.rand_like(x, device=dev), tinynet.randn_like(x, device=dev),
            tinynet.normal(0.0, 1.0, (2,), device=dev), tinynet.FloatTensor(2, device=dev),
            x.to(dev) if dev is not None else x, nn.Linear(2, 2, device=dev).weight]
    assert all(t.device == tinynet.device("cpu") for t in made)
    tinynet.set_default_device(dev)
    assert tinynet.get_default_device() == tinynet.device("cpu")


@pytest.mark.parametrize("dev", ["cuda", "cuda:0", tinynet.device("cuda"), 0, "mps"])
def test_other_devices_fail_clearly(dev):
    for make in [lambda: tinynet.zeros(2, device=dev), lambda: tinynet.tensor(1.0, device=dev),
                 lambda: tinynet.randn(2, device=dev), lambda: tinynet.arange(2, device=dev),
                 lambda: tinynet.randint(2, (1,), device=dev),
                 lambda: tinynet.set_default_device(dev)]:
        with pytest.raises(DeviceError, match="tinynet runs on the CPU only"):
            make()
    with pytest.raises(Exception, match="tinynet runs on the CPU only"):
        tinynet.ones(2).to(dev)


def test_cuda_methods_fail_clearly():
    with pytest.raises(DeviceError, match=r"Tensor.cuda\(\): tinynet runs on the CPU only"):
        tinynet.ones(2).cuda()
    with pytest.raises(DeviceError, match=r"Linear.cuda\(\): tinynet runs on the CPU only"):
        nn.Linear(2, 2).cuda()


def test_tensor_device_attributes(torch):
    x, tx = tinynet.ones(2), torch.ones(2)
    assert x.is_cuda is tx.is_cuda is False
    assert x.get_device() == tx.get_device() == -1
    assert str(x.device) == str(tx.device) and x.cpu() is x
    assert nn.Linear(2, 2).weight.device.type == "cpu"


def test_check_device_argument_types():
    check_device("f", "cpu")
    with pytest.raises(TypeError, match="device must be a str or device"):
        check_device("f", 1.5)
    with pytest.raises(DeviceError, match="f: device"):
        check_device("f", "gpu")  # not a device type at all


def test_device_as_context_manager():
    with tinynet.device("cpu"):
        assert tinynet.zeros(1).device.type == "cpu"
    with pytest.raises(DeviceError):
        with tinynet.device("cuda"):
            pass
