"""Shared test fixtures."""
import pytest

from tinynet.data import DownloadError
from tinynet.data import datasets as ds_mod
from tinynet.data import download as dl_mod


@pytest.fixture
def no_network_no_data(tmp_path, monkeypatch):
    """Downloads fail at once, the data root is an empty temporary folder, the system data
    folders are switched off and the working directory is ``tmp_path``: MNIST then comes
    from the embedded digits, and nothing is read from or written to the real machine."""
    def no_download(*args, **kwargs):
        raise DownloadError("downloads are disabled in the tests")
    monkeypatch.setattr(dl_mod, "download_files", no_download)
    monkeypatch.setenv("TINYNET_DATA", str(tmp_path / "empty-data-root"))
    monkeypatch.setitem(ds_mod.SYSTEM_DIRS, "fashion-mnist", [])
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def torch():
    """PyTorch for the cross-checks (the test skips without it), on one thread: the
    comparisons are small, and torch's thread pool would only fight numpy's."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield torch
    torch.set_num_threads(threads)
