"""Resumable, checksum-verified (MD5 or SHA-256) downloads against a fake server (no network)."""

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
    file_digest,
    verify_file,
)

PAYLOAD = bytes(range(256)) * 40
MD5 = hashlib.md5(PAYLOAD).hexdigest()
SHA256 = hashlib.sha256(PAYLOAD).hexdigest()
DIGESTS = {"md5": MD5, "sha256": SHA256}


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


def test_a_resource_names_exactly_one_checksum():
    with pytest.raises(ValueError, match="exactly one checksum"):
        Resource("file.bin", urls=("http://example.invalid/file.bin",))
    with pytest.raises(ValueError, match="exactly one checksum"):
        Resource("file.bin", md5=MD5, sha256=SHA256)
    res = Resource("file.bin", sha256=SHA256)
    assert (res.algorithm, res.checksum, res.md5) == ("sha256", SHA256, None)
    positional = Resource("file.bin", MD5)  # the md5 stays the second field
    assert (positional.algorithm, positional.checksum) == ("md5", MD5)


def test_file_digest_and_verify_name_the_algorithm(tmp_path):
    path = tmp_path / "file.bin"
    path.write_bytes(PAYLOAD)
    assert {kind: file_digest(path, kind) for kind in DIGESTS} == DIGESTS
    with pytest.raises(ValueError, match="unknown checksum algorithm 'sha1'"):
        file_digest(path, "sha1")
    assert verify_file(path, MD5) == path and verify_file(path, sha256=SHA256.upper()) == path
    with pytest.raises(ChecksumError) as err:
        verify_file(path, sha256="0" * 64)
    assert f"sha256 {SHA256}, expected sha256 {'0' * 64}" in str(err.value)
    with pytest.raises(ValueError, match="exactly one checksum"):
        verify_file(path)


@pytest.mark.parametrize("kind", ["md5", "sha256"])
def test_fetch_downloads_and_verifies_either_kind(tmp_path, monkeypatch, kind):
    server = FakeServer()
    monkeypatch.setattr(dl.urllib.request, "urlopen", server)
    (tmp_path / "file.bin.part").write_bytes(PAYLOAD[:1000])  # resumed whatever the kind
    res = Resource("file.bin", urls=("http://example.invalid/file.bin",), **{kind: DIGESTS[kind]})
    assert fetch(res, tmp_path).read_bytes() == PAYLOAD
    assert server.requests == ["bytes=1000-"]
    assert list(tmp_path.iterdir()) == [tmp_path / "file.bin"]  # the .part file was renamed
    monkeypatch.setattr(dl.urllib.request, "urlopen", FakeServer(data=PAYLOAD[:-1] + b"!"))
    with pytest.raises(ChecksumError, match=f"does not match the published {kind} {DIGESTS[kind]}"):
        fetch(res, tmp_path / "again")
    assert not list((tmp_path / "again").iterdir())  # the download was staged, then deleted
    with pytest.raises(DatasetUnavailableError, match=f"by hand.*\\({kind} {DIGESTS[kind]}\\)"):
        fetch(res, tmp_path / "off", download=False)
