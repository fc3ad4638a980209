"""Sequential / ModuleList list operations a PyTorch user expects
(del, insert, extend, pop, +, +=), with PyTorch's renumbering of child names."""
from collections import OrderedDict

import pytest

import tinynet
from tinynet import nn


def _names(container):
    return [k for k, _ in container.named_children()]


def _types(container):
    return [type(m).__name__ for m in container]


def test_sequential_del_renumbers_and_append_works():
    s = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 3))
    del s[1]
    assert _types(s) == ["Linear", "Linear"] and _names(s) == ["0", "1"]
    assert list(s.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    s.append(nn.Tanh())
    assert _types(s) == ["Linear", "Linear", "Tanh"]
    assert s(tinynet.ones(4, 2)).shape == (4, 3)
    del s[-2:]
    assert _types(s) == ["Linear"]


def test_sequential_del_of_named_layers_renumbers_as_torch():
    s = nn.Sequential(OrderedDict(a=nn.ReLU(), b=nn.Tanh(), c=nn.Sigmoid()))
    del s[0]
    assert _names(s) == ["0", "1"] and _types(s) == ["Tanh", "Sigmoid"]


def test_sequential_insert_extend_pop_add():
    s = nn.Sequential(nn.ReLU(), nn.Tanh())
    assert s.insert(1, nn.Identity()) is s
    assert _types(s) == ["ReLU", "Identity", "Tanh"] and _names(s) == ["0", "1", "2"]
    s.insert(-1, nn.Sigmoid())
    assert _types(s) == ["ReLU", "Identity", "Sigmoid", "Tanh"]
    s.insert(len(s), nn.ReLU())
    assert _types(s)[-1] == "ReLU"
    assert s.extend([nn.Tanh()]) is s and len(s) == 6
    assert type(s.pop(0)).__name__ == "ReLU" and len(s) == 5 and _names(s)[-1] == "4"
    both = nn.Sequential(nn.ReLU()) + nn.Sequential(nn.Tanh())
    assert isinstance(both, nn.Sequential) and _types(both) == ["ReLU", "Tanh"]
    with pytest.raises(IndexError, match="insert"):
        s.insert(99, nn.ReLU())
    with pytest.raises(TypeError, match="insert"):
        s.insert(0, nn.ReLU)
    with pytest.raises(ValueError, match="Sequential"):
        nn.Sequential(nn.ReLU()) + [nn.Tanh()]


def test_modulelist_iadd_insert_del_pop_add():
    ml = nn.ModuleList([nn.Linear(1, 1)])
    ml += [nn.Linear(1, 2)]
    assert len(ml) == 2 and len(list(ml.parameters())) == 4
    ml.insert(0, nn.Identity())
    assert _types(ml) == ["Identity", "Linear", "Linear"] and _names(ml) == ["0", "1", "2"]
    ml.insert(-1, nn.ReLU())
    assert _types(ml) == ["Identity", "Linear", "ReLU", "Linear"]
    del ml[0]
    assert _types(ml) == ["Linear", "ReLU", "Linear"] and _names(ml) == ["0", "1", "2"]
    assert type(ml[2]).__name__ == "Linear" and ml[2].out_features == 2
    assert type(ml.pop(1)).__name__ == "ReLU" and _names(ml) == ["0", "1"]
    assert list(ml.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    both = ml + nn.ModuleList([nn.Tanh()])
    assert isinstance(both, nn.ModuleList) and _types(both) == ["Linear", "Linear", "Tanh"]
    assert len(ml) == 2  # + makes a new list
    with pytest.raises(IndexError):
        del ml[5]


def test_numpy_integer_index():
    import numpy as np
    s = nn.Sequential(nn.ReLU(), nn.Tanh())
    ml = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    assert type(s[np.int64(1)]).__name__ == "Tanh"
    assert type(ml[np.int64(-1)]).__name__ == "Tanh"
    ml[np.int64(0)] = nn.Sigmoid()
    assert _types(ml) == ["Sigmoid", "Tanh"]
    with pytest.raises(TypeError, match="indices must be integers"):
        s[1.0]
