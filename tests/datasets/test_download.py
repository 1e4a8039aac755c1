"""Resumable, checksum-verified downloads against a fake server (no network)."""

from __future__ import annotations

import hashlib
import io

import pytest

from spikeagents.datasets import download as dl
from spikeagents.datasets.download import (
    ChecksumError,
    DatasetUnavailableError,
    Resource,
    download_file,
    fetch,
)

PAYLOAD = bytes(range(256)) * 40
MD5 = hashlib.md5(PAYLOAD).hexdigest()


class FakeResponse(io.BytesIO):
    def __init__(self, data: bytes, status: int) -> None:
        super().__init__(data)
        self.status = status
        self.headers = {"Content-Length": str(len(data))}


class FakeServer:
    """Serves PAYLOAD; honours Range unless told not to; records the requests."""

    def __init__(self, ranges: bool = True, data: bytes = PAYLOAD) -> None:
        self.ranges, self.data, self.requests = ranges, data, []

    def __call__(self, request, timeout=None):
        rng = request.get_header("Range")
        self.requests.append(rng)
        if rng and self.ranges:
            start = int(rng.split("=")[1].rstrip("-"))
            return FakeResponse(self.data[start:], 206)
        return FakeResponse(self.data, 200)


def test_download_resumes_a_partial_file(tmp_path, monkeypatch):
    server = FakeServer()
    monkeypatch.setattr(dl.urllib.request, "urlopen", server)
    dest = tmp_path / "file.bin"
    (tmp_path / "file.bin.part").write_bytes(PAYLOAD[:1000])  # an interrupted download
    download_file("http://example.invalid/file.bin", dest, MD5)
    assert server.requests == ["bytes=1000-"]
    assert dest.read_bytes() == PAYLOAD and not (tmp_path / "file.bin.part").exists()


def test_download_restarts_when_the_server_ignores_range(tmp_path, monkeypatch):
    monkeypatch.setattr(dl.urllib.request, "urlopen", FakeServer(ranges=False))
    dest = tmp_path / "file.bin"
    (tmp_path / "file.bin.part").write_bytes(b"garbage")
    download_file("http://example.invalid/file.bin", dest, MD5)
    assert dest.read_bytes() == PAYLOAD


def test_corrupted_download_is_deleted_and_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(dl.urllib.request, "urlopen", FakeServer(data=PAYLOAD[:-1] + b"!"))
    res = Resource("file.bin", md5=MD5, urls=("http://example.invalid/file.bin",))
    with pytest.raises(ChecksumError, match="does not match"):
        fetch(res, tmp_path)
    assert not list(tmp_path.iterdir())  # neither the file nor a .part is left


def test_fetch_verifies_an_existing_file(tmp_path):
    res = Resource("file.bin", md5=MD5)
    (tmp_path / "file.bin").write_bytes(PAYLOAD)
    assert fetch(res, tmp_path) == tmp_path / "file.bin"
    (tmp_path / "file.bin").write_bytes(PAYLOAD[:100])  # truncated copy
    with pytest.raises(ChecksumError, match="delete it"):
        fetch(res, tmp_path)


def test_manual_resource_says_where_to_get_it(tmp_path):
    res = Resource("Big.tar.gz", md5=MD5, page="https://example.invalid/login-page")
    with pytest.raises(DatasetUnavailableError) as err:
        fetch(res, tmp_path)
    msg = str(err.value)
    assert "by hand" in msg and "https://example.invalid/login-page" in msg
    assert str(tmp_path / "Big.tar.gz") in msg and MD5 in msg
