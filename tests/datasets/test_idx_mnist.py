"""IDX files written by the tests and parsed back; MNIST/Fashion loading through the real
download code with a fake server (no network); the digits data source."""

from __future__ import annotations

import gzip
import urllib.error

import numpy as np
import pytest

from spikeagents.datasets import download as dl
from spikeagents.datasets import mnist
from spikeagents.datasets.download import ChecksumError, DatasetUnavailableError, file_md5
from spikeagents.datasets.idx import IdxFormatError, read_idx, write_idx


@pytest.mark.parametrize("dtype", ["uint8", "int8", "int16", "int32", "float32", "float64"])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_round_trip(tmp_path, dtype, suffix):
    arr = (np.arange(60).reshape(3, 4, 5) - 7).astype(dtype)
    path = write_idx(tmp_path / f"a-idx3{suffix}", arr)
    back = read_idx(path)
    assert back.dtype == arr.dtype and back.shape == (3, 4, 5)
    np.testing.assert_array_equal(back, arr)


def test_idx_header_is_big_endian_as_published(tmp_path):
    # the MNIST label file header: magic 0x00000801, then the count as a big-endian uint32
    path = write_idx(tmp_path / "labels", np.array([7, 2, 1], dtype=np.uint8))
    assert path.read_bytes() == bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1])


def test_idx_errors_are_clear(tmp_path):
    good = write_idx(tmp_path / "x", np.zeros((2, 3), dtype=np.uint8)).read_bytes()
    cases = {
        "truncated": good[:-1],
        "trailing bytes": good + b"\x00",
        "bad magic": b"\x01\x02" + good[2:],
        "unknown IDX element type": good[:2] + b"\x07" + good[3:],
        "truncated header": good[:6],
    }
    for what, data in cases.items():
        (tmp_path / "bad").write_bytes(data)
        with pytest.raises(IdxFormatError, match=what):
            read_idx(tmp_path / "bad")
    (tmp_path / "bad.gz").write_bytes(gzip.compress(good)[:-8])
    with pytest.raises(IdxFormatError, match="gzip"):
        read_idx(tmp_path / "bad.gz")


def _fake_mnist(folder, n_train=20, n_test=10):
    """Write the four gzipped IDX files; return their md5s."""
    rng = np.random.default_rng(0)
    md5 = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, n).astype(np.uint8)
        for kind, arr in (("images-idx3", images), ("labels-idx1", labels)):
            path = write_idx(folder / f"{prefix}-{kind}-ubyte.gz", arr)
            md5[path.name] = file_md5(path)
    return md5


def test_load_mnist_from_idx_files(tmp_path, monkeypatch):
    md5 = _fake_mnist(tmp_path / "fashion-mnist")
    monkeypatch.setitem(mnist._MD5, "fashion", md5)
    images, labels = mnist.load_mnist(tmp_path, train=True, kind="fashion", download=False)
    assert images.shape == (20, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (20,) and labels.dtype == np.int64
    test_images, _ = mnist.load_mnist(tmp_path, train=False, kind="fashion", download=False)
    assert test_images.shape == (10, 28, 28)


def test_load_mnist_checks_the_published_checksums(tmp_path):
    _fake_mnist(tmp_path / "mnist")  # not the real files: the real md5s do not match
    with pytest.raises(ChecksumError, match="f68b3c2dcbeaaa9fbdd348bbdeb94873"):
        mnist.load_mnist(tmp_path, train=True)


def test_offline_download_gives_a_clear_message(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("Temporary failure in name resolution")

    monkeypatch.setattr(dl.urllib.request, "urlopen", offline)
    with pytest.raises(DatasetUnavailableError) as err:
        mnist.load_mnist(tmp_path, train=False)
    msg = str(err.value)
    assert "offline" in msg and "by hand" in msg and "9fb629c4189551a2d022fa330f9573f3" in msg
    assert "t10k-images-idx3-ubyte.gz" in msg and str(tmp_path / "mnist") in msg
    assert not list((tmp_path / "mnist").glob("*.gz"))
    with pytest.raises(DatasetUnavailableError, match="switched off"):
        mnist.load_mnist(tmp_path, train=False, download=False)


def test_digits_upsampled_and_stratified():
    pytest.importorskip("sklearn")
    x_train, y_train, x_test, y_test = mnist.load_digits_28()
    assert x_train.shape == (1437, 1, 28, 28) and x_test.shape == (360, 1, 28, 28)
    assert x_train.dtype == np.float32 and 0.0 <= x_train.min() and x_train.max() <= 1.0
    share_train = np.bincount(y_train, minlength=10) / len(y_train)
    share_test = np.bincount(y_test, minlength=10) / len(y_test)
    assert np.abs(share_train - share_test).max() < 0.01  # stratified
    again = mnist.load_digits_28()
    np.testing.assert_array_equal(again[3], y_test)  # the split depends on split_seed only
