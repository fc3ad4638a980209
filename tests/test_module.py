"""Module machinery: registration, naming, modes, state_dict, repr (vs PyTorch where installed)."""
import copy
from collections import OrderedDict

import numpy as np
import pytest

import tinynet
import tinynet.nn as nn
from tinynet.nn.module import Module


class Block(nn.Module):
    """A custom module mixing every kind of state."""

    def __init__(self, shared=None):
        super().__init__()
        self.fc = nn.Linear(3, 4)
        self.act = nn.ReLU()
        self.scale = nn.Parameter(np.ones(4, np.float32))
        self.register_buffer("steps", np.zeros(2, np.float32))
        self.register_buffer("cache", np.zeros(1, np.float32), persistent=False)
        self.out = shared if shared is not None else nn.Linear(4, 2)

    def forward(self, x):
        return self.out(self.act(self.fc(x)) * self.scale)


def make_net():
    return nn.Sequential(OrderedDict([
        ("features", nn.Sequential(nn.Linear(5, 3), nn.Tanh(), Block())),
        ("heads", nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 1, bias=False)])),
    ]))


# ---------------------------------------------------------------- registration
def test_attribute_assignment_registers_in_order():
    b = Block()
    assert list(b._parameters) == ["scale"]
    assert list(b._modules) == ["fc", "act", "out"]
    assert list(b._buffers) == ["steps", "cache"]
    assert [n for n, _ in b.named_parameters()] == [
        "scale", "fc.weight", "fc.bias", "out.weight", "out.bias"]
    assert b.fc is b._modules["fc"] and b.scale is b._parameters["scale"]
    assert "fc" not in b.__dict__ and "scale" not in b.__dict__


def test_nested_dotted_names():
    net = make_net()
    names = [n for n, _ in net.named_parameters()]
    assert names == ["features.0.weight", "features.0.bias", "features.2.scale",
                     "features.2.fc.weight", "features.2.fc.bias", "features.2.out.weight",
                     "features.2.out.bias", "heads.0.weight", "heads.0.bias", "heads.1.weight"]
    assert [n for n, _ in net.named_modules()] == [
        "", "features", "features.0", "features.1", "features.2", "features.2.fc",
        "features.2.act", "features.2.out", "heads", "heads.0", "heads.1"]
    assert [n for n, _ in net.named_children()] == ["features", "heads"]
    assert list(net.children()) == [net.features, net.heads]
    assert [n for n, _ in net.named_buffers()] == ["features.2.steps", "features.2.cache"]
    assert len(list(net.buffers())) == 2
    assert len(list(net.modules())) == 11
    assert [n for n, _ in net.features.named_parameters(prefix="f")][:2] == ["f.0.weight",
                                                                             "f.0.bias"]
    assert [n for n, _ in net.named_parameters(recurse=False)] == []
    assert [n for n, _ in net.features[2].named_parameters(recurse=False)] == ["scale"]


def test_shared_parameters_and_modules_yielded_once():
    shared = nn.Linear(4, 2)
    net = nn.Sequential(Block(shared), Block(shared))
    params = list(net.parameters())
    assert len(params) == len({id(p) for p in params}) == 8  # 5 per Block, out shared
    names = [n for n, _ in net.named_parameters()]
    assert "0.out.weight" in names and "1.out.weight" not in names
    assert net.num_parameters() == sum(p.size for p in params)
    # state_dict, like PyTorch's, keeps every name of a tied tensor
    sd = net.state_dict()
    assert "0.out.weight" in sd and "1.out.weight" in sd
    # the same module object appears once in modules()
    assert sum(m is shared for m in net.modules()) == 1
    # a parameter tied between two layers of a custom module
    a, b = nn.Linear(3, 3), nn.Linear(3, 3)
    b.weight = a.weight
    seq = nn.Sequential(a, b)
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias", "1.bias"]
    assert seq.num_parameters() == 9 + 3 + 3


def test_assigning_none_and_reassigning():
    lin = nn.Linear(3, 2)
    lin.bias = None
    assert lin.bias is None and list(lin._parameters) == ["weight", "bias"]
    assert [n for n, _ in lin.named_parameters()] == ["weight"]
    assert list(lin.state_dict()) == ["weight"]
    lin.bias = nn.Parameter(np.zeros(2, np.float32))
    assert [n for n, _ in lin.named_parameters()] == ["weight", "bias"]
    with pytest.raises(TypeError, match="parameter 'weight'"):
        lin.weight = tinynet.zeros(2, 3)        # a plain Tensor is not a Parameter
    seq = nn.Sequential(nn.ReLU(), nn.Tanh())
    seq[1] = nn.Sigmoid()
    assert isinstance(seq[1], nn.Sigmoid)
    setattr(seq, "0", None)
    assert seq._modules["0"] is None and len(list(seq.children())) == 1
    with pytest.raises(TypeError, match="child module '1'"):
        setattr(seq, "1", 3)
    # a plain attribute turning into a module moves into the registry
    b = Block()
    b.extra = 5
    b.extra = nn.ReLU()
    assert "extra" not in b.__dict__ and b._modules["extra"] is b.extra
    del b.extra
    assert "extra" not in b._modules
    with pytest.raises(AttributeError, match="'Block' object has no attribute 'extra'"):
        b.extra


def test_register_methods_and_their_errors():
    m = Module()
    m.register_parameter("w", nn.Parameter(np.ones(2, np.float32)))
    m.register_parameter("b", None)
    m.add_module("child", nn.ReLU())
    m.register_buffer("buf", tinynet.zeros(3))
    assert m.w is m._parameters["w"] and m.b is None and isinstance(m.child, nn.ReLU)
    assert list(m.state_dict()) == ["w", "buf"]
    m.buf = np.ones(3, np.float32)               # assigning to a buffer name keeps it a buffer
    assert isinstance(m.buf, tinynet.Tensor) and m.state_dict()["buf"].tolist() == [1, 1, 1]
    with pytest.raises(TypeError, match="buffer 'buf'"):
        m.buf = [1, 2, 3]
    with pytest.raises(TypeError, match=r"nn.Parameter"):
        m.register_parameter("v", tinynet.ones(2))
    with pytest.raises(KeyError, match="already exists"):
        m.register_parameter("forward", None)
    with pytest.raises(KeyError, match="contain no"):
        m.add_module("a.b", nn.ReLU())
    with pytest.raises(TypeError, match=r"did you mean ReLU\(\)"):
        m.add_module("r", nn.ReLU)
    with pytest.raises(TypeError, match=r"did you mean ReLU\(\)"):
        nn.Sequential(nn.Linear(2, 2), nn.ReLU)
    with pytest.raises(TypeError, match="expected a Module, got int"):
        nn.ModuleList([nn.ReLU(), 3])


def test_assigning_before_super_init_is_a_clear_error():
    class Bad(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)
            super().__init__()

    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\) first in Bad.__init__"):
        Bad()


def test_missing_forward_is_not_implemented():
    class NoForward(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match="NoForward has no forward"):
        NoForward()(tinynet.ones(2))
    with pytest.raises(NotImplementedError, match="ModuleList has no forward"):
        nn.ModuleList([nn.ReLU()])(tinynet.ones(2))


# ---------------------------------------------------------------- containers
def test_sequential_behaviour():
    a, b, c = nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)
    seq = nn.Sequential(a, b, c)
    x = tinynet.randn(5, 4)
    assert np.array_equal(seq(x).array, c(b(a(x))).array)
    assert len(seq) == 3 and list(seq) == [a, b, c]
    assert seq[0] is a and seq[-1] is c
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and list(sub._modules) == ["1", "2"] and sub[0] is b
    with pytest.raises(IndexError, match="index 3 is out of range for Sequential of length 3"):
        seq[3]
    with pytest.raises(TypeError, match="integers or slices"):
        seq["0"]
    d = nn.Tanh()
    assert seq.append(d) is seq and seq[3] is d and list(seq._modules)[-1] == "3"
    named = nn.Sequential(OrderedDict([("conv", nn.Linear(2, 2)), ("act", nn.ReLU())]))
    assert list(named._modules) == ["conv", "act"] and isinstance(named.act, nn.ReLU)
    assert [n for n, _ in named.named_parameters()] == ["conv.weight", "conv.bias"]
    assert nn.Sequential()(x) is x


def test_module_list_behaviour():
    layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(layers) == 3 and [n for n, _ in layers.named_children()] == ["0", "1", "2"]
    extra = nn.Linear(2, 1)
    assert layers.append(extra) is layers and layers[-1] is extra and layers[3] is extra
    layers.extend([nn.ReLU(), nn.Tanh()])
    assert len(layers) == 6 and isinstance(layers[5], nn.Tanh)
    assert isinstance(layers[1:3], nn.ModuleList) and len(layers[1:3]) == 2
    layers[0] = nn.Sigmoid()
    assert isinstance(layers[0], nn.Sigmoid)
    assert [type(m).__name__ for m in layers] == ["Sigmoid", "Linear", "Linear", "Linear",
                                                  "ReLU", "Tanh"]
    assert layers.num_parameters() == 2 * 6 + 3
    with pytest.raises(IndexError):
        layers[6]
    with pytest.raises(TypeError, match="iterable of modules"):
        layers.extend(nn.ReLU())
    with pytest.raises(TypeError, match="iterable of modules"):
        layers.extend(5)
    assert len(nn.ModuleList()) == 0


# ---------------------------------------------------------------- modes and grads
def test_train_eval_propagate_recursively():
    net = make_net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    assert net.train() is net
    assert all(m.training for m in net.modules())
    net.features.train(False)
    assert net.training and net.heads[0].training
    assert not net.features.training and not net.features[2].fc.training
    with pytest.raises(TypeError, match="mode must be a bool"):
        net.train("no")


def test_zero_grad():
    net = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    net(tinynet.randn(5, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.any() for p in net.parameters())
    net(tinynet.randn(5, 3)).sum().backward()
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())


def test_requires_grad_apply_double_float():
    net = make_net()
    assert net.requires_grad_(False) is net
    assert not any(p.requires_grad for p in net.parameters())
    net.requires_grad_()
    assert all(p.requires_grad for p in net.parameters())
    net.features[0](tinynet.randn(2, 5)).sum().backward()

    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen[-1] == "Sequential" and seen.index("Linear") < seen.index("Block")

    params = list(net.parameters())
    assert net.double() is net
    assert all(p.dtype == np.float64 for p in net.parameters())
    assert all(b.dtype == np.float64 for b in net.buffers())
    assert net.features[0].weight.grad.dtype == np.float64
    assert list(net.parameters()) == params          # same Parameter objects, new arrays
    assert net.features(tinynet.tensor(np.ones((2, 5)))).dtype == np.float64
    net.float()
    assert all(p.dtype == np.float32 for p in net.parameters())


def test_deepcopy_gives_independent_module():
    net = make_net()
    twin = copy.deepcopy(net)
    for (k, a), (k2, b) in zip(net.state_dict().items(), twin.state_dict().items()):
        assert k == k2 and np.array_equal(a, b)
    with tinynet.no_grad():
        twin.features[0].weight.fill_(0.0)
    assert net.features[0].weight.array.any()


# ---------------------------------------------------------------- state_dict
def test_state_dict_keys_are_copies_in_pytorch_order():
    net = make_net()
    sd = net.state_dict()
    assert list(sd) == ["features.0.weight", "features.0.bias", "features.2.scale",
                        "features.2.steps", "features.2.fc.weight", "features.2.fc.bias",
                        "features.2.out.weight", "features.2.out.bias", "heads.0.weight",
                        "heads.0.bias", "heads.1.weight"]
    assert all(isinstance(v, np.ndarray) for v in sd.values())
    sd["features.0.weight"][:] = 123.0
    assert not np.any(net.features[0].weight.array == 123.0)


def test_state_dict_round_trip():
    tinynet.manual_seed(1)
    a = make_net()
    b = make_net()
    x = tinynet.randn(4, 5)

    def run(net):
        return net.heads[0](net.features(x)).array
    assert not np.allclose(run(a), run(b))
    w_before = b.features[0].weight
    arr_before = w_before.array
    version = w_before._version
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert repr(result) == "<All keys matched successfully>"
    assert np.array_equal(run(a), run(b))
    # copied into the existing arrays, and the version bumped
    assert b.features[0].weight is w_before and b.features[0].weight.array is arr_before
    assert w_before._version == version + 1
    # Tensors and float64 arrays are accepted; values keep the parameter's dtype
    sd64 = {k: v.astype(np.float64) for k, v in a.state_dict().items()}
    sd64["heads.0.bias"] = tinynet.tensor(np.array([7.0, 8.0]))
    b.load_state_dict(sd64)
    assert b.heads[0].bias.dtype == np.float32 and b.heads[0].bias.tolist() == [7.0, 8.0]


def test_load_state_dict_names_every_problem_in_one_error():
    net = make_net()
    sd = net.state_dict()
    del sd["features.0.bias"], sd["heads.1.weight"]
    sd["features.9.weight"] = np.zeros(3)
    sd["features.2.fc.weight"] = np.zeros((5, 3))
    before = net.state_dict()
    sd["heads.0.weight"] = before["heads.0.weight"] + 1      # valid, must not be loaded
    with pytest.raises(RuntimeError) as err:
        net.load_state_dict(sd)
    msg = str(err.value)
    assert msg.startswith("Error(s) in loading state_dict for Sequential:")
    assert 'Missing key(s) in state_dict: "features.0.bias", "heads.1.weight".' in msg
    assert 'Unexpected key(s) in state_dict: "features.9.weight".' in msg
    assert ("size mismatch for features.2.fc.weight: copying a param with shape (5, 3) from "
            "checkpoint, the shape in current model is (4, 3).") in msg
    # nothing was changed by the failed load
    for k, v in net.state_dict().items():
        assert np.array_equal(v, before[k])


def test_load_state_dict_non_strict():
    net = make_net()
    sd = net.state_dict()
    new_w = sd["features.0.weight"] + 1
    partial = {"features.0.weight": new_w, "bogus": np.zeros(1)}
    result = net.load_state_dict(partial, strict=False)
    missing, unexpected = result
    assert unexpected == ["bogus"] and result.unexpected_keys == ["bogus"]
    assert missing == [k for k in sd if k != "features.0.weight"] == result.missing_keys
    assert np.array_equal(net.features[0].weight.array, new_w)
    # a shape mismatch is an error even when not strict
    with pytest.raises(RuntimeError, match="size mismatch for features.0.weight"):
        net.load_state_dict({"features.0.weight": np.zeros((1, 1))}, strict=False)
    with pytest.raises(RuntimeError, match="not numeric"):
        net.load_state_dict({**sd, "features.0.bias": np.array(["a", "b", "c"])})
    with pytest.raises(TypeError, match="expected a dict"):
        net.load_state_dict([("a", 1)])


# ---------------------------------------------------------------- counting, repr
def test_num_parameters():
    net = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    assert net.num_parameters() == 784 * 128 + 128 + 128 * 10 + 10
    net[0].requires_grad_(False)
    assert net.num_parameters(trainable_only=True) == 128 * 10 + 10
    assert net.num_parameters() == 784 * 128 + 128 + 128 * 10 + 10


def test_repr_layout():
    assert repr(nn.Sequential(nn.Linear(784, 128), nn.ReLU())) == (
        "Sequential(\n  (0): Linear(in_features=784, out_features=128, bias=True)\n"
        "  (1): ReLU()\n)")
    assert repr(nn.Sequential()) == "Sequential()"
    assert repr(nn.ModuleList([nn.ReLU(), nn.ReLU(), nn.Tanh()])) == (
        "ModuleList(\n  (0-1): 2 x ReLU()\n  (2): Tanh()\n)")


def _torch_repr_pairs(torch):
    tnn = torch.nn

    class TBlock(tnn.Module):
        def __init__(self):
            super().__init__()
            self.fc = tnn.Linear(3, 4)
            self.act = tnn.ReLU()

    class BlockT(nn.Module):      # same name as TBlock once renamed below
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(3, 4)
            self.act = nn.ReLU()
    TBlock.__name__ = BlockT.__name__ = "Block"

    def build(m):
        return [
            m.Sequential(m.Conv2d(1, 8, 3, padding=1), m.ReLU(), m.MaxPool2d(2),
                         m.Conv2d(8, 16, 3, padding=1), m.ReLU(), m.MaxPool2d(2), m.Flatten(),
                         m.Linear(784, 128), m.ReLU(), m.Linear(128, 10)),
            m.Sequential(m.Conv2d(4, 6, (2, 3), stride=(2, 1), padding="valid", bias=False),
                         m.Conv2d(6, 6, 3, padding="same", dilation=2, groups=3),
                         m.Conv2d(6, 2, 1, stride=2, padding=(0, 1)),
                         m.AvgPool2d((2, 3), padding=1), m.AvgPool2d(2, 1),
                         m.MaxPool2d(3, 1, 1), m.Identity(), m.Tanh(), m.Sigmoid(),
                         m.Softmax(dim=1), m.LogSoftmax(dim=-1), m.Softmax(), m.Flatten(0, 2)),
            m.Sequential(OrderedDict([("body", m.Sequential(m.Linear(2, 2), m.ReLU())),
                                      ("heads", m.ModuleList([m.Linear(2, 2) for _ in range(3)]
                                                             + [m.ReLU()])),
                                      ("empty", m.ModuleList()), ("none", m.Sequential())])),
        ]
    return list(zip(build(tnn), build(nn))) + [(TBlock(), BlockT())]


def test_repr_matches_pytorch():
    torch = pytest.importorskip("torch")
    for t, ours in _torch_repr_pairs(torch):
        assert repr(ours) == repr(t)


def test_names_order_and_counts_match_pytorch():
    torch = pytest.importorskip("torch")
    for t, ours in _torch_repr_pairs(torch):
        assert list(ours.state_dict()) == list(t.state_dict())
        assert [n for n, _ in ours.named_parameters()] == [n for n, _ in t.named_parameters()]
        assert [n for n, _ in ours.named_modules()] == [n for n, _ in t.named_modules()]
        assert ours.num_parameters() == sum(p.numel() for p in t.parameters())
        for (n, p), (tn, tp) in zip(ours.named_parameters(), t.named_parameters()):
            assert p.shape == tuple(tp.shape) and p.dtype == np.float32


def test_state_dict_with_buffers_matches_pytorch_keys():
    torch = pytest.importorskip("torch")
    t = torch.nn.Sequential(torch.nn.Conv2d(1, 2, 3), torch.nn.BatchNorm2d(2),
                            torch.nn.Flatten(), torch.nn.Linear(2, 1))
    ours = nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2), nn.Flatten(), nn.Linear(2, 1))
    assert list(ours.state_dict()) == list(t.state_dict())
    ours.load_state_dict({k: v.numpy() for k, v in t.state_dict().items()})
    t.load_state_dict({k: torch.from_numpy(v) for k, v in ours.state_dict().items()})


def test_to_cpu_and_float_dtypes_as_pytorch():
    m = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    assert m.to("cpu") is m and m.cpu() is m and m.to(device="cpu", non_blocking=True) is m
    assert m.to("cpu", np.float64)[0].weight.dtype == np.float64
    assert m.to(dtype="float32")[1].running_mean.dtype == np.float32
    assert m[1].num_batches_tracked.dtype == np.int64          # ints are left alone
    for bad in ("cuda", "cuda:0", "mps"):
        with pytest.raises(ValueError, match="CPU only"):
            m.to(bad)
    with pytest.raises(ValueError, match="float32 or float64"):
        m.to(np.float16)
    with pytest.raises(TypeError, match="unexpected keyword"):
        m.to(memory_format="channels_last")
