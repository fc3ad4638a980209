"""The torch arguments a PyTorch user
passes (pooling options, ReLU(inplace), Conv2d padding_mode, state_dict(prefix, keep_vars))
are implemented or refused by name, never silently ignored; bad ``training`` flags and
optimizer options are refused; Linear with zero features has a backward."""
import numpy as np
import pytest

import tinynet
import tinynet.nn as nn
import tinynet.nn.functional as F


def _x(*shape):
    return tinynet.tensor(np.arange(np.prod(shape), dtype=np.float64).reshape(shape) % 7 - 3)


# -- pooling: PyTorch's other arguments ------------------------------------------------
def test_pooling_accepts_torch_defaults_in_torch_argument_order():
    x = _x(2, 3, 6, 6)
    ref = F.max_pool2d(x, 2).array
    # nn.MaxPool2d(kernel_size, stride, padding, dilation, return_indices, ceil_mode)
    m = nn.MaxPool2d(2, 2, 0, 1, False, False)
    assert np.array_equal(m(x).array, ref)
    assert repr(m) == "MaxPool2d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)"
    # F.max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, return_indices)
    assert np.array_equal(F.max_pool2d(x, 2, 2, 0, 1, False, False).array, ref)
    ref = F.avg_pool2d(x, 3, 1, 1).array
    # nn.AvgPool2d / F.avg_pool2d(kernel, stride, padding, ceil_mode, count_include_pad,
    # divisor_override)
    assert np.array_equal(nn.AvgPool2d(3, 1, 1, False, True, None)(x).array, ref)
    assert np.array_equal(F.avg_pool2d(x, 3, 1, 1, False, True, None).array, ref)
    # without padding count_include_pad=False changes nothing: accepted
    assert np.array_equal(nn.AvgPool2d(2, count_include_pad=False)(x).array,
                          F.avg_pool2d(x, 2).array)


@pytest.mark.parametrize("make, arg", [
    (lambda: nn.MaxPool2d(2, dilation=2), "dilation"),
    (lambda: nn.MaxPool2d(2, ceil_mode=True), "ceil_mode"),
    (lambda: nn.MaxPool2d(2, return_indices=True), "return_indices"),
    (lambda: nn.AvgPool2d(2, ceil_mode=True), "ceil_mode"),
    (lambda: nn.AvgPool2d(3, 1, 1, count_include_pad=False), "count_include_pad"),
    (lambda: nn.AvgPool2d(2, divisor_override=3), "divisor_override"),
    (lambda: F.max_pool2d(_x(1, 1, 4, 4), 2, 2, 0, 2), "dilation"),
    (lambda: F.max_pool2d(_x(1, 1, 4, 4), 2, ceil_mode=True), "ceil_mode"),
    (lambda: F.max_pool2d(_x(1, 1, 4, 4), 2, return_indices=True), "return_indices"),
    (lambda: F.avg_pool2d(_x(1, 1, 4, 4), 3, 1, 1, False, False), "count_include_pad"),
    (lambda: F.avg_pool2d(_x(1, 1, 4, 4), 2, divisor_override=1), "divisor_override"),
])
def test_pooling_refuses_the_torch_options_it_does_not_implement(make, arg):
    with pytest.raises(ValueError, match=f"{arg}=.* is not supported"):
        make()


# -- ReLU(inplace), Conv2d(padding_mode) -----------------------------------------------
def test_relu_inplace_as_torch():
    assert repr(nn.ReLU()) == "ReLU()"
    assert repr(nn.ReLU(True)) == "ReLU(inplace=True)"
    x = _x(2, 3)
    expected = np.maximum(x.array, 0)
    assert np.array_equal(F.relu(x, inplace=False).array, expected)
    assert not np.array_equal(x.array, expected)         # inplace=False leaves x alone
    out = nn.ReLU(inplace=True)(x)
    assert out is x and np.array_equal(x.array, expected)
    y = _x(2, 3).requires_grad_()
    with pytest.raises(RuntimeError, match="inplace=False"):
        nn.ReLU(inplace=True)(y)                         # would corrupt the recorded graph
    with tinynet.no_grad():
        assert F.relu(y, inplace=True) is y


def test_conv2d_padding_mode():
    m = nn.Conv2d(2, 3, 3, padding=1, padding_mode="zeros").double()
    assert m.padding_mode == "zeros" and m(_x(1, 2, 4, 4)).shape == (1, 3, 4, 4)
    for mode in ("reflect", "replicate", "circular"):
        with pytest.raises(ValueError, match=f"padding_mode='{mode}' is not supported"):
            nn.Conv2d(2, 3, 3, padding=1, padding_mode=mode)


# -- state_dict(prefix=..., keep_vars=...) ---------------------------------------------
def test_state_dict_prefix_and_keep_vars():
    m = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    sd = m.state_dict(prefix="model.")
    assert list(sd) == ["model." + k for k in m.state_dict()]
    assert list(sd)[0] == "model.0.weight"
    kv = m.state_dict(keep_vars=True)
    assert kv["0.weight"] is m[0].weight and kv["1.running_mean"] is m[1].running_mean
    m.load_state_dict(kv)                                 # Tensors load back
    with pytest.raises(TypeError, match="prefix"):
        m.state_dict(prefix=1)


# -- optimizer options that a group dict can carry -------------------------------------
def test_optimizer_refuses_maximize_and_decoupled_weight_decay_in_groups():
    p = nn.Parameter(tinynet.ones(2))
    with pytest.raises(ValueError, match="maximize=True is not supported"):
        tinynet.optim.SGD([{"params": [p], "maximize": True}], lr=0.1)
    with pytest.raises(ValueError, match="decoupled_weight_decay=True .* use AdamW"):
        tinynet.optim.Adam([{"params": [p], "decoupled_weight_decay": True}], weight_decay=0.1)
    with pytest.raises(ValueError, match="decoupled_weight_decay=False .* use Adam"):
        tinynet.optim.AdamW([{"params": [p], "decoupled_weight_decay": False}])
    # PyTorch's values for these options are fine (e.g. in a group copied from torch)
    tinynet.optim.AdamW([{"params": [p], "maximize": False, "decoupled_weight_decay": True,
                          "foreach": None}])
    opt = tinynet.optim.SGD([p], lr=0.1)
    sd = opt.state_dict()
    sd["param_groups"][0]["maximize"] = True
    with pytest.raises(ValueError, match="maximize"):
        opt.load_state_dict(sd)
    assert "maximize" not in opt.param_groups[0]         # nothing changed


# -- training flags are booleans (a string or None is truthy) --------------------------
@pytest.mark.parametrize("training", ["no", None, 0])
def test_training_flag_must_be_a_bool(training):
    x = _x(4, 3)
    with pytest.raises(TypeError, match="training must be True or False"):
        F.dropout(x, 0.5, training)
    with pytest.raises(TypeError, match="training must be True or False"):
        F.dropout2d(_x(1, 2, 2, 2), 0.5, training)
    with pytest.raises(TypeError, match="training must be True or False"):
        F.batch_norm(x, tinynet.zeros(3), tinynet.ones(3), training=training)
    assert F.dropout(x, 0.5, np.False_) is x             # numpy bools are fine


# -- Linear with zero features ---------------------------------------------------------
@pytest.mark.parametrize("fin, fout", [(0, 3), (3, 0)])
def test_linear_with_zero_features_has_a_backward(fin, fout):
    layer = nn.Linear(fin, fout).double()
    x = tinynet.zeros(2, 4, fin, dtype="float64", requires_grad=True)
    layer(x).sum().backward()
    assert x.grad.shape == (2, 4, fin)
    assert layer.weight.grad.shape == (fout, fin) and layer.bias.grad.shape == (fout,)
