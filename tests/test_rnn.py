"""nn.RNN, nn.LSTM, nn.GRU and their Cells: outputs, final states and every gradient
against PyTorch with copied weights (float64), parameter names and init as PyTorch,
gradients against finite differences, and PyTorch's argument errors."""
import warnings

import numpy as np
import pytest

import tinynet
import tinynet.nn as nn
from tinynet.gradcheck_suite import Case, check_case

IN, H = 3, 4


def _copy(torch, cls, args, kw):
    """A torch module and a tinynet one with the same (float64) weights."""
    ref = getattr(torch.nn, cls)(*args, **kw).double()
    ours = getattr(nn, cls)(*args, **kw).double()
    sd = ref.state_dict()
    assert list(ours.state_dict()) == list(sd)           # the same keys, in the same order
    ours.load_state_dict({k: v.numpy() for k, v in sd.items()})
    return ref, ours


LAYER_CASES = [
    ("RNN", {}),
    ("RNN", dict(nonlinearity="relu", bias=False)),
    ("RNN", dict(num_layers=2, bidirectional=True, batch_first=True)),
    ("LSTM", {}),
    ("LSTM", dict(num_layers=2, bidirectional=True)),
    ("LSTM", dict(proj_size=2, num_layers=2, batch_first=True)),
    ("LSTM", dict(proj_size=3, bidirectional=True, bias=False)),
    ("GRU", {}),
    ("GRU", dict(num_layers=3, batch_first=True)),
    ("GRU", dict(num_layers=2, bidirectional=True, bias=False)),
]


@pytest.mark.parametrize("cls, kw", LAYER_CASES, ids=[f"{c}-{k}" for c, k in LAYER_CASES])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("given_h0", [False, True], ids=["zero-h0", "h0"])
def test_layers_match_torch(torch, cls, kw, batched, given_h0):
    rng = np.random.default_rng(0)
    ref, ours = _copy(torch, cls, (IN, H), kw)
    L, N = 5, 2
    D = 2 if kw.get("bidirectional") else 1
    layers = kw.get("num_layers", 1)
    out_size = kw.get("proj_size") or H
    if batched:
        x = rng.standard_normal((N, L, IN) if kw.get("batch_first") else (L, N, IN))
        states = [(layers * D, N, out_size), (layers * D, N, H)]
    else:
        x = rng.standard_normal((L, IN))
        states = [(layers * D, out_size), (layers * D, H)]
    states = [rng.standard_normal(s) for s in states[:2 if cls == "LSTM" else 1]]

    xt, xr = tinynet.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    st = [tinynet.tensor(s, requires_grad=True) for s in states]
    sr = [torch.tensor(s, requires_grad=True) for s in states]
    if given_h0:
        args_t = (xt, tuple(st) if cls == "LSTM" else st[0])
        args_r = (xr, tuple(sr) if cls == "LSTM" else sr[0])
    else:
        args_t, args_r = (xt,), (xr,)
    out, hn = ours(*args_t)
    rout, rhn = ref(*args_r)
    finals = list(hn) if cls == "LSTM" else [hn]
    rfinals = list(rhn) if cls == "LSTM" else [rhn]
    _same_values_and_gradients(torch, rng, [out] + finals, [rout] + rfinals,
                               [(xt, xr)] + (list(zip(st, sr)) if given_h0 else []), ours, ref)


def _same_values_and_gradients(torch, rng, outs, routs, leaves, ours, ref):
    """Outputs equal; then, for a random weighting of them, the gradients of the given
    (tinynet, torch) leaves and of every parameter (with torch's names) equal."""
    loss, rloss = 0, 0
    for a, b in zip(outs, routs):
        assert a.shape == tuple(b.shape)
        np.testing.assert_allclose(a.array, b.detach().numpy(), rtol=1e-10, atol=1e-12)
        g = rng.standard_normal(a.shape)
        loss = loss + (a * tinynet.tensor(g)).sum()
        rloss = rloss + (b * torch.tensor(g)).sum()
    loss.backward()
    rloss.backward()
    for a, b in leaves:
        np.testing.assert_allclose(a.grad, b.grad.numpy(), rtol=1e-10, atol=1e-12)
    for (name, p), (rname, rp) in zip(ours.named_parameters(), ref.named_parameters()):
        assert name == rname
        np.testing.assert_allclose(p.grad, rp.grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=name)


CELL_CASES = [("RNNCell", {}), ("RNNCell", dict(nonlinearity="relu", bias=False)),
              ("LSTMCell", {}), ("LSTMCell", dict(bias=False)), ("GRUCell", {}),
              ("GRUCell", dict(bias=False))]


@pytest.mark.parametrize("cls, kw", CELL_CASES, ids=[f"{c}-{k}" for c, k in CELL_CASES])
@pytest.mark.parametrize("batched", [True, False], ids=["batched", "unbatched"])
@pytest.mark.parametrize("given_h", [False, True], ids=["zero-h", "h"])
def test_cells_match_torch(torch, cls, kw, batched, given_h):
    rng = np.random.default_rng(1)
    ref, ours = _copy(torch, cls, (IN, H), kw)
    lead = (2,) if batched else ()
    x = rng.standard_normal(lead + (IN,))
    states = [rng.standard_normal(lead + (H,)) for _ in range(2 if cls == "LSTMCell" else 1)]
    xt, xr = tinynet.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    st = [tinynet.tensor(s, requires_grad=True) for s in states]
    sr = [torch.tensor(s, requires_grad=True) for s in states]
    if given_h:
        res = ours(xt, tuple(st) if cls == "LSTMCell" else st[0])
        rres = ref(xr, tuple(sr) if cls == "LSTMCell" else sr[0])
    else:
        res, rres = ours(xt), ref(xr)
    res = list(res) if cls == "LSTMCell" else [res]
    rres = list(rres) if cls == "LSTMCell" else [rres]
    _same_values_and_gradients(torch, rng, res, rres,
                               [(xt, xr)] + (list(zip(st, sr)) if given_h else []), ours, ref)


def test_a_cell_unrolled_by_hand_is_the_layer():
    tinynet.manual_seed(0)
    lstm, cell = nn.LSTM(IN, H).double(), nn.LSTMCell(IN, H).double()
    cell.load_state_dict({k[:-3]: v for k, v in lstm.state_dict().items()})
    x = tinynet.tensor(np.random.default_rng(2).standard_normal((6, 2, IN)))
    out, (h_n, c_n) = lstm(x)
    h = c = None
    for t in range(6):
        h, c = cell(x[t], None if h is None else (h, c))
        np.testing.assert_allclose(h.array, out.array[t], rtol=1e-14)
    np.testing.assert_allclose(c.array, c_n.array[0], rtol=1e-14)


@pytest.mark.parametrize("cls, kw", [("RNN", dict(num_layers=2, bidirectional=True)),
                                     ("LSTM", dict(proj_size=2, bidirectional=True)),
                                     ("GRU", dict(num_layers=2)),
                                     ("LSTM", dict(num_layers=2, batch_first=True))])
def test_parameter_names_shapes_and_repr_as_torch(torch, cls, kw):
    ref = getattr(torch.nn, cls)(IN, H, **kw)
    ours = getattr(nn, cls)(IN, H, **kw)
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in ref.named_parameters()]
    assert repr(ours) == repr(ref)
    assert ours._flat_weights_names == ref._flat_weights_names
    assert [[p.shape for p in ws] for ws in ours.all_weights] == \
        [[tuple(p.shape) for p in ws] for ws in ref.all_weights]
    ours.flatten_parameters()  # accepted (nothing to pack), as on torch's CPU


def test_reprs_as_torch(torch):
    for args, kw in [(("RNN", 3, 4), dict(nonlinearity="relu", bias=False)),
                     (("RNNCell", 3, 4), dict(nonlinearity="relu")),
                     (("LSTMCell", 3, 4), dict(bias=False)), (("GRUCell", 3, 4), {}),
                     (("RNN", 3, 4, 2, "relu"), {}),
                     (("LSTM", 3, 4, 2, False, True, 0.5, True, 2), {}),
                     (("GRU", 3, 4, 2, False, True, 0.5, True), {})]:
        name, *pos = args
        assert repr(getattr(nn, name)(*pos, **kw)) == repr(getattr(torch.nn, name)(*pos, **kw))


def test_init_is_uniform_within_one_over_sqrt_hidden_as_torch():
    tinynet.manual_seed(0)
    for m in (nn.GRU(5, 16, num_layers=2, bidirectional=True), nn.LSTMCell(5, 16)):
        for p in m.parameters():
            assert p.dtype == np.float32
            assert np.abs(p.array).max() <= 0.25 and np.abs(p.array).max() > 0.2
    tinynet.manual_seed(1)
    a = nn.RNN(3, 4).state_dict()
    tinynet.manual_seed(1)
    b = nn.RNN(3, 4).state_dict()
    assert all(np.array_equal(a[k], b[k]) for k in a)  # reproducible from the seed
    assert nn.GRU(3, 4, dtype=np.float64).weight_ih_l0.dtype == np.float64


def test_dropout_between_layers_only_in_training():
    tinynet.manual_seed(0)
    gru = nn.GRU(IN, H, num_layers=2, dropout=0.5)
    plain = nn.GRU(IN, H, num_layers=2)
    plain.load_state_dict(gru.state_dict())
    x = tinynet.randn(4, 3, IN)
    gru.eval()
    assert np.array_equal(gru(x)[0].array, plain(x)[0].array)
    gru.train()
    tinynet.manual_seed(5)
    a = gru(x)[0].array
    tinynet.manual_seed(5)
    assert np.array_equal(a, gru(x)[0].array)        # from tinynet's generator
    assert not np.allclose(a, plain(x)[0].array)


def test_dropout_with_one_layer_warns_as_torch():
    with pytest.warns(UserWarning, match="num_layers greater than 1"):
        nn.LSTM(IN, H, dropout=0.2)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.LSTM(IN, H, num_layers=2, dropout=0.2)


def test_gradients_match_finite_differences():
    # (the layers and cells at their defaults are in the gradcheck catalogue: see
    # tests/test_gradcheck_suite_composed.py; here the initial states get gradients too)
    tinynet.manual_seed(0)
    rng = np.random.default_rng(3)
    m = nn.LSTM(2, 2, bidirectional=True, batch_first=True).double()
    x, h0, c0 = (tinynet.tensor(rng.standard_normal(s), requires_grad=True)
                 for s in ((2, 3, 2), (2, 2, 2), (2, 2, 2)))

    def run():
        out, (h, c) = m(x, (h0, c0))
        return tinynet.cat([out.reshape(-1), c.reshape(-1)])
    res = check_case(Case("rnn", "lstm", "", run, [x, h0, c0] + list(m.parameters())))
    assert res.passed, res.detail


def test_zero_batch_works_as_torch():
    out, h = nn.GRU(IN, H)(tinynet.zeros(4, 0, IN))
    assert out.shape == (4, 0, H) and h.shape == (1, 0, H)


# -- argument errors ----------------------------------------------------------------------
@pytest.mark.parametrize("make, error, match", [
    (lambda m: m.RNN(3, 0), ValueError, "hidden_size must be greater than zero"),
    (lambda m: m.RNN(3, 4, num_layers=0), ValueError, "num_layers must be greater than zero"),
    (lambda m: m.GRU(3, 4, dropout=2), ValueError, "dropout should be a number in range"),
    (lambda m: m.RNN(3, 4, nonlinearity="sigmoid"), ValueError, "Unknown nonlinearity"),
    (lambda m: m.RNN(3, 4.0), TypeError, "hidden_size should be of type int"),
    (lambda m: m.LSTM(3.0, 4), TypeError, "input_size should be of type int"),
    (lambda m: m.LSTM(3, 4, proj_size=5), ValueError, "proj_size has to be smaller"),
    (lambda m: m.LSTM(3, 4, proj_size=-1), ValueError, "proj_size should be a positive"),
    (lambda m: m.GRU(3, 4, proj_size=2), ValueError, "only supported for LSTM"),
    (lambda m: m.RNN(3, 4, proj_size=2), ValueError, "only supported for LSTM"),
])
def test_construction_errors_as_torch(torch, make, error, match):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error, match=match):
            make(torch.nn)
        with pytest.raises(error, match=match):
            make(nn)


def _zeros(mod, *shape):
    return mod.zeros(*shape, dtype=mod.float32)


@pytest.mark.parametrize("cls, call, match", [
    ("RNN", lambda m, z: m(z(2, 2, 2, 3)), "Expected input to be 2D or 3D, got 4D"),
    ("RNN", lambda m, z: m(z(5, 2, 2)), "input.size\\(-1\\) must be equal to input_size"),
    ("RNN", lambda m, z: m(z(5, 2, 3), z(1, 3, 4)), "hidden size|of size"),
    ("RNN", lambda m, z: m(z(5, 3), z(1, 2, 4)), "For unbatched 2-D input, hx should also"),
    ("RNN", lambda m, z: m(z(5, 2, 3), z(1, 4)), "For batched 3-D input, hx should also"),
    ("RNN", lambda m, z: m(z(0, 2, 3)), "sequence length to be larger than 0"),
    ("LSTM", lambda m, z: m(z(5, 2, 3), (z(1, 2, 4), z(1, 3, 4))), "hx\\[1\\]|hidden\\[1\\]"),
    ("RNNCell", lambda m, z: m(z(2, 2, 3)), "Expected input to be 1D or 2D, got 3D"),
    ("RNNCell", lambda m, z: m(z(2, 5)), "inconsistent input_size: got 5 expected 3"),
    ("RNNCell", lambda m, z: m(z(2, 3), z(3, 4)), "batch size 2 doesn't match hidden0"),
    ("RNNCell", lambda m, z: m(z(2, 3), z(1, 2, 4)), "Expected hidden to be 1D or 2D"),
    ("GRUCell", lambda m, z: m(z(2, 3), z(2, 5)), "inconsistent hidden_size"),
    ("LSTMCell", lambda m, z: m(z(2, 3), (z(2, 4), z(3, 4))), "hidden1 batch size 3"),
])
def test_forward_errors_as_torch(torch, cls, call, match):
    # torch raises RuntimeError for some; tinynet raises ValueError for every bad shape
    with pytest.raises((ValueError, RuntimeError), match=match):
        call(getattr(torch.nn, cls)(3, 4), lambda *s: _zeros(torch, *s))
    with pytest.raises(ValueError, match=match):
        call(getattr(nn, cls)(3, 4), lambda *s: _zeros(tinynet, *s))


def test_other_forward_errors():
    with pytest.raises(TypeError, match="hx must be a tuple"):
        nn.LSTM(3, 4)(tinynet.zeros(5, 2, 3), tinynet.zeros(1, 2, 4))
    with pytest.raises(TypeError, match="hx must be a tuple"):
        nn.LSTMCell(3, 4)(tinynet.zeros(2, 3), tinynet.zeros(2, 4))
    with pytest.raises(TypeError, match="input dtype float64 does not match"):
        nn.GRU(3, 4)(tinynet.tensor(np.zeros((5, 2, 3))))
    with pytest.raises(TypeError, match="input must be a Tensor"):
        nn.GRU(3, 4)(np.zeros((5, 2, 3), dtype=np.float32))
