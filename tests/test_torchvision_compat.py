"""The torchvision subset that ``tinynet run`` serves: transforms ToTensor / Normalize /
Compose / Lambda and datasets MNIST / FashionMNIST (tinynet/compat/torchvision)."""
import warnings

import numpy as np
import pytest

import tinynet
from tinynet.compat.torchvision import datasets, transforms
from tinynet.data import DataLoader, Subset, load_embedded_mnist, write_idx
from tinynet.data import datasets as ds_mod
from tinynet.data.idx import DatasetNotFoundError


@pytest.fixture(scope="module")
def torch():
    return pytest.importorskip("torch")


# -- transforms ---------------------------------------------------------------------------
def test_to_tensor_of_uint8_images_as_torchvision(torch):
    img = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    t = transforms.ToTensor()(img)
    assert t.shape == (1, 3, 4) and t.dtype == np.float32
    # torchvision: torch.from_numpy(img)[None].float().div(255)
    np.testing.assert_array_equal(np.asarray(t), torch.from_numpy(img)[None].float().div(255))
    rgb = np.random.default_rng(0).integers(0, 256, (2, 3, 3), dtype=np.uint8)
    t = transforms.ToTensor()(rgb)
    np.testing.assert_array_equal(np.asarray(t),
                                  torch.from_numpy(rgb).permute(2, 0, 1).float().div(255))
    f = np.ones((2, 2), np.float64) * 7  # not uint8: kept as it is, as torchvision
    assert transforms.ToTensor()(f).dtype == np.float64 and transforms.ToTensor()(f).max() == 7


def test_to_tensor_of_pil_images():
    Image = pytest.importorskip("PIL.Image")
    img = np.arange(6, dtype=np.uint8).reshape(2, 3) * 40
    t = transforms.ToTensor()(Image.fromarray(img, mode="L"))
    np.testing.assert_array_equal(np.asarray(t)[0], img.astype(np.float32) / np.float32(255))
    bits = Image.fromarray(img > 100)  # mode "1": 0 or 1 -> 0.0 or 1.0
    assert bits.mode == "1"
    np.testing.assert_array_equal(np.asarray(transforms.ToTensor()(bits))[0], img > 100)


def test_to_tensor_errors():
    with pytest.raises(TypeError, match="pic should be a PIL Image or ndarray, got Tensor"):
        transforms.ToTensor()(tinynet.zeros(2, 2))
    with pytest.raises(ValueError, match="2 or 3 dimensional, got 1"):
        transforms.ToTensor()(np.zeros(3, np.uint8))


def test_normalize_values_and_gradient_as_torch(torch):
    rng = np.random.default_rng(1)
    x = rng.random((3, 4, 5)).astype(np.float32)
    mean, std = (0.5, 0.4, 0.3), (0.2, 0.25, 0.3)
    t = transforms.Normalize(mean, std)(tinynet.tensor(x))
    # torchvision.transforms.functional.normalize: tensor.sub_(mean).div_(std), in float32
    ref = (torch.tensor(x) - torch.tensor(mean).view(-1, 1, 1)) / torch.tensor(std).view(-1, 1, 1)
    np.testing.assert_array_equal(np.asarray(t), ref.numpy())
    one = transforms.Normalize((0.1307,), (0.3081,))(tinynet.tensor(x))  # one value, 3 channels
    np.testing.assert_array_equal(np.asarray(one), ((torch.tensor(x) - 0.1307) / 0.3081).numpy())
    xd = tinynet.tensor(x.astype(np.float64), requires_grad=True)
    transforms.Normalize(mean, std)(xd).sum().backward()
    np.testing.assert_allclose(np.asarray(xd.grad),
                               np.broadcast_to(1 / np.array(std).reshape(3, 1, 1), x.shape))
    batch = transforms.Normalize(mean, std)(tinynet.tensor(x[None]))
    assert batch.shape == (1, 3, 4, 5)


@pytest.mark.parametrize("make, err, match", [
    (lambda: tinynet.zeros(3, 2, 2), ValueError, "std evaluated to zero"),
    (lambda: np.zeros((1, 2, 2), np.float32), TypeError, "input should be a Tensor"),
    (lambda: tinynet.zeros(2, 2), ValueError, r"size \(\.\.\., C, H, W\)"),
    (lambda: tinynet.zeros(1, 2, 2, dtype="int64"), TypeError, "float tensor"),
    (lambda: tinynet.zeros(2, 2, 2), ValueError, "3 means for an image of 2 channels"),
])
def test_normalize_errors(make, err, match):
    std = (0.0, 1.0, 1.0) if "zero" in match else (1.0, 1.0, 1.0)
    with pytest.raises(err, match=match):
        transforms.Normalize((0.0, 0.0, 0.0), std)(make())


def test_compose_and_lambda():
    pipeline = transforms.Compose([transforms.ToTensor(),
                                   transforms.Normalize((0.5,), (0.5,)),
                                   transforms.Lambda(lambda x: x.view(-1))])
    out = pipeline(np.full((2, 2), 255, np.uint8))
    assert out.shape == (4,) and out.tolist() == [1.0] * 4
    assert repr(pipeline) == ("Compose(\n    ToTensor()\n    Normalize(mean=(0.5,), std=(0.5,))\n"
                              "    Lambda()\n)")
    with pytest.raises(TypeError, match="lambd should be callable"):
        transforms.Lambda(3)


# -- datasets -----------------------------------------------------------------------------
def _write_split(folder, train, n):
    folder.mkdir(parents=True, exist_ok=True)
    ds = load_embedded_mnist(train)
    prefix = "train" if train else "t10k"
    write_idx(folder / f"{prefix}-images-idx3-ubyte", ds.data[:n])
    write_idx(folder / f"{prefix}-labels-idx1-ubyte", ds.targets[:n].astype(np.uint8))
    return ds


def test_mnist_offline_falls_back_to_the_embedded_digits(no_network_no_data, capsys,
                                                          monkeypatch):
    monkeypatch.setattr(ds_mod, "_announced", set())  # the notice is printed once per folder
    train = datasets.MNIST("../data", train=True, download=True)
    test = datasets.MNIST("../data", train=False)
    assert (len(train), len(test)) == (4000, 1000)
    assert "embedded digits" in capsys.readouterr().err
    assert train.data.dtype == np.uint8 and train.data.shape == (4000, 28, 28)
    assert train.targets.dtype == np.int64 and isinstance(train.targets, tinynet.Tensor)
    img, label = train[0]
    assert isinstance(img, np.ndarray) and img.dtype == np.uint8 and isinstance(label, int)
    assert train.class_to_idx["3 - three"] == 3 and "Split: Train" in repr(train)


def test_mnist_reads_torchvisions_folder_layout(no_network_no_data, tmp_path, capsys):
    ds = _write_split(tmp_path / "root" / "MNIST" / "raw", False, 50)
    test = datasets.MNIST(str(tmp_path / "root"), train=False)
    assert len(test) == 50 and capsys.readouterr().err == ""
    np.testing.assert_array_equal(np.asarray(test.data), ds.data[:50])
    _write_split(tmp_path / "flat", True, 30)  # the files right in root work too
    assert len(datasets.MNIST(tmp_path / "flat")) == 30


def test_mnist_download_goes_to_torchvisions_folder(no_network_no_data, tmp_path, monkeypatch):
    asked = []

    def fake_download(name, files, root, **kwargs):
        asked.append((name, root))
        _write_split(root, True, 20)
    monkeypatch.setattr(ds_mod._download, "download_files", fake_download)
    ds = datasets.MNIST(tmp_path / "r", train=True, download=True)
    assert asked == [("mnist", tmp_path / "r" / "MNIST" / "raw")] and len(ds) == 20


def test_transforms_and_target_transforms_per_item(no_network_no_data):
    ds = datasets.MNIST("data", train=False, transform=transforms.ToTensor(),
                        target_transform=lambda y: y + 100)
    img, label = ds[3]
    assert img.shape == (1, 28, 28) and img.dtype == np.float32
    assert label == int(ds.targets[3]) + 100
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        assert ds.test_labels is ds.targets and ds.train_data is ds.data
    assert "renamed" in str(w[0].message)


def test_loader_batches_the_usual_transform_at_once_with_the_same_bits(no_network_no_data):
    transform = transforms.Compose([transforms.ToTensor(),
                                    transforms.Normalize((0.1307,), (0.3081,))])
    ds = Subset(datasets.MNIST("data", train=False, transform=transform), range(100))
    fast = DataLoader(ds, batch_size=32)
    assert fast._arrays is not None  # whole arrays, not image by image
    slow = DataLoader(ds, batch_size=32, collate_fn=tinynet.data.default_collate)
    for (xf, yf), (xs, ys) in zip(fast, slow):
        assert xf.dtype == xs.dtype == np.float32 and yf.dtype == ys.dtype == np.int64
        np.testing.assert_array_equal(np.asarray(xf), np.asarray(xs))
        np.testing.assert_array_equal(np.asarray(yf), np.asarray(ys))
    other = datasets.MNIST("data", train=False, transform=transforms.Compose(
        [transforms.ToTensor(), transforms.Lambda(lambda x: x)]))
    assert DataLoader(other, batch_size=8)._arrays is None  # a Lambda: image by image
    assert DataLoader(datasets.MNIST("data", train=False, transform=transform,
                                     target_transform=int), batch_size=8)._arrays is None


def test_fashion_mnist_has_no_fallback(no_network_no_data):
    with pytest.raises(DatasetNotFoundError, match=r"FashionMNIST: no test files in "
                                                   r"data/FashionMNIST/raw \(download=False"):
        datasets.FashionMNIST("data", train=False)
    with pytest.raises(DatasetNotFoundError, match="the download failed"):
        datasets.FashionMNIST("data", train=True, download=True)


def test_dataset_argument_errors(no_network_no_data):
    with pytest.raises(TypeError, match="root must be a folder path"):
        datasets.MNIST(None)
    with pytest.raises(TypeError, match="transform must be callable"):
        datasets.MNIST("data", transform="ToTensor")
