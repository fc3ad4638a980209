"""torch.utils.data habits: DataLoader(num_workers=, pin_memory=, collate_fn=, generator=),
default_collate, Subset, random_split, Generator -- against torch where installed."""
import numpy as np
import pytest

import tinynet
from tinynet.data import (DataLoader, Dataset, Subset, TensorDataset, default_collate,
                          random_split)


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


def _toy(n=10):
    x = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
    return TensorDataset(x, np.arange(n))


def _batches(loader):
    return [tuple(np.asarray(t).tolist() for t in b) for b in loader]


def test_workers_and_pinned_memory_give_the_same_batches():
    ds = _toy()
    plain = _batches(DataLoader(ds, batch_size=4))
    for kw in [dict(num_workers=2), dict(num_workers=4, pin_memory=True),
               dict(num_workers=2, persistent_workers=True, prefetch_factor=2, timeout=5,
                    worker_init_fn=lambda i: 1 / 0)]:  # never called: no worker processes
        assert _batches(DataLoader(ds, batch_size=4, **kw)) == plain


@pytest.mark.parametrize("kw, err", [(dict(num_workers=-1), ValueError),
                                     (dict(persistent_workers=True), ValueError),
                                     (dict(prefetch_factor=2), ValueError),
                                     (dict(pin_memory="yes"), TypeError),
                                     (dict(collate_fn=3), TypeError),
                                     (dict(timeout=-1), ValueError)])
def test_loader_refuses_what_torch_refuses(torch, kw, err):
    from torch.utils.data import DataLoader as TorchLoader, TensorDataset as TorchDataset
    tkw = dict(kw)
    if "pin_memory" in tkw or "collate_fn" in tkw:  # torch only fails once iterating
        pass
    else:
        with pytest.raises(err):
            TorchLoader(TorchDataset(torch.zeros(4, 2)), batch_size=2, **tkw)
    with pytest.raises(err):
        DataLoader(_toy(), batch_size=2, **kw)


class Samples(Dataset):
    """Samples of every kind default_collate meets."""

    def __init__(self, lib):
        self.lib = lib

    def __len__(self):
        return 5

    def __getitem__(self, i):
        return {"x": self.lib.tensor([float(i), 2.0 * i]), "n": i, "f": i / 2,
                "pair": [np.full(3, i, np.int32), True]}


def test_default_collate_matches_torch(torch):
    from torch.utils.data import DataLoader as TorchLoader
    mine = next(iter(DataLoader(Samples(tinynet), batch_size=3)))
    theirs = next(iter(TorchLoader(Samples(torch), batch_size=3)))
    assert set(mine) == set(theirs)
    for key in ("x", "n", "f"):
        assert str(mine[key].dtype) == str(theirs[key].dtype).replace("torch.", "")
        np.testing.assert_array_equal(np.asarray(mine[key]), theirs[key].numpy())
    assert isinstance(mine["pair"], list) and len(mine["pair"]) == 2
    for m, t in zip(mine["pair"], theirs["pair"]):
        assert str(m.dtype) == str(t.dtype).replace("torch.", "")
        np.testing.assert_array_equal(np.asarray(m), t.numpy())


def test_a_dataset_of_plain_arrays_yields_tensors_not_tuples(torch):
    class Rows(Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return np.full(2, i, np.float32)

    batch = next(iter(DataLoader(Rows(), batch_size=2)))
    assert isinstance(batch, tinynet.Tensor) and batch.shape == (2, 2)
    assert tuple(next(iter(torch.utils.data.DataLoader(Rows(), batch_size=2))).shape) == (2, 2)


def test_default_collate_errors():
    with pytest.raises(ValueError, match="different shapes .* pass a collate_fn"):
        default_collate([np.zeros(2), np.zeros(3)])
    with pytest.raises(TypeError, match="cannot batch samples of <U1"):
        default_collate(["a", "b"])


def test_custom_collate_fn_pads_sequences(torch):
    """The NLP tutorials' pattern: variable-length samples, padded by a collate_fn."""
    seqs = [[1, 2, 3], [4], [5, 6]]

    def pad(batch, lib):
        n = max(len(s) for s in batch)
        out = lib.zeros(len(batch), n, dtype=lib.int64)
        for i, s in enumerate(batch):
            out[i, :len(s)] = lib.tensor(s)
        return out, lib.tensor([len(s) for s in batch])

    mine = list(DataLoader(seqs, batch_size=2, collate_fn=lambda b: pad(b, tinynet)))
    theirs = list(torch.utils.data.DataLoader(seqs, batch_size=2,
                                              collate_fn=lambda b: pad(b, torch)))
    assert [[np.asarray(t).tolist() for t in b] for b in mine] == \
        [[t.tolist() for t in b] for b in theirs]


# -- Subset, random_split, Generator -------------------------------------------------------
def test_subset_indexing_as_torch(torch):
    data = np.arange(10, 20)
    mine, theirs = Subset(data, [3, 1, 7]), torch.utils.data.Subset(data, [3, 1, 7])
    assert len(mine) == len(theirs) == 3
    assert [mine[i] for i in range(3)] == [theirs[i] for i in range(3)] == [13, 11, 17]
    assert mine[[0, 2]].tolist() == theirs[[0, 2]].tolist() == [13, 17]
    assert mine[-1] == theirs[-1]
    with pytest.raises(IndexError, match="out of range"):
        Subset(data, [10])
    assert Subset(data, tinynet.tensor([1, 2])).indices == [1, 2]


def test_subset_keeps_the_fast_path():
    ds = _toy(12)
    sub = Subset(ds, [5, 0, 11, 3])
    fast = _batches(DataLoader(sub, batch_size=3))
    assert callable(sub.to_arrays)
    slow = _batches(DataLoader(sub, batch_size=3, collate_fn=default_collate))
    assert fast == slow and fast[0][1] == [5, 0, 11]
    assert not hasattr(Subset(list(range(5)), [1]), "to_arrays")


@pytest.mark.parametrize("lengths", [[7, 3], [0.8, 0.2], [0.34, 0.33, 0.33], [0.5, 0.5],
                                     [10, 0]])
def test_random_split_lengths_as_torch(torch, lengths):
    data = list(range(10))
    mine = random_split(data, lengths)
    theirs = torch.utils.data.random_split(data, lengths)
    assert [len(s) for s in mine] == [len(s) for s in theirs]
    assert sorted(i for s in mine for i in s.indices) == data


@pytest.mark.parametrize("lengths", [[5, 4], [0.7, 0.2], [1.5, -0.5]])
def test_random_split_refuses_what_torch_refuses(torch, lengths):
    with pytest.raises(ValueError):
        torch.utils.data.random_split(list(range(10)), lengths)
    with pytest.raises(ValueError):
        random_split(list(range(10)), lengths)


def test_random_split_refuses_negative_counts():  # torch lets [-1, 11] through
    with pytest.raises(ValueError, match="lengths must be counts"):
        random_split(list(range(10)), [-1, 11])


def test_generator_makes_splits_and_shuffles_reproducible():
    data = list(range(50))
    a = random_split(data, [0.8, 0.2], generator=tinynet.Generator().manual_seed(42))
    tinynet.randn(100)  # the global stream moves on; the split does not care
    b = random_split(data, [0.8, 0.2], generator=tinynet.Generator().manual_seed(42))
    assert [s.indices for s in a] == [s.indices for s in b]
    c = random_split(data, [0.8, 0.2], generator=tinynet.Generator().manual_seed(43))
    assert [s.indices for s in a] != [s.indices for s in c]
    g1, g2 = tinynet.Generator().manual_seed(1), tinynet.Generator().manual_seed(1)
    l1 = DataLoader(_toy(), batch_size=3, shuffle=True, generator=g1)
    l2 = DataLoader(_toy(), batch_size=3, shuffle=True, generator=g2)
    first, second = _batches(l1), _batches(l1)
    assert first == _batches(l2) and first != second  # a new order each pass
    assert tinynet.Generator().initial_seed() == 67280421310721
    g = tinynet.Generator()
    state = g.get_state()
    x = tinynet.rand(3, generator=g)
    g.set_state(state)
    assert tinynet.equal(x, tinynet.rand(3, generator=g))
    for fn in (lambda: tinynet.randn(2, generator=g), lambda: tinynet.randperm(4, generator=g),
               lambda: tinynet.randint(3, (2,), generator=g),
               lambda: tinynet.normal(0.0, 1.0, (2,), generator=g)):
        fn()


def test_generator_errors():
    with pytest.raises(TypeError, match="generator must be a tinynet Generator"):
        tinynet.rand(2, generator=np.random.default_rng(0))
    with pytest.raises(TypeError, match="generator must be a tinynet Generator"):
        DataLoader(_toy(), generator=3)
    with pytest.raises(ValueError, match="seed must be >= 0"):
        tinynet.Generator().manual_seed(-1)
    with pytest.raises(Exception, match="tinynet runs on the CPU only"):
        tinynet.Generator(device="cuda")
