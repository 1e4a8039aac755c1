"""Dataset files: download (resumable), checksum verification, and clear messages when offline.

A :class:`Resource` names one file, the mirrors it can be fetched from and its published checksum,
an MD5 or a SHA-256 (``md5=`` or ``sha256=``, exactly one). :func:`fetch` returns the verified
local file, downloading it first when it is missing::

    root/<filename>          the verified file
    root/<filename>.part     an interrupted download; the next fetch resumes it (HTTP Range)

A download is written to ``<filename>.part`` and renamed only once its checksum matches, so an
interrupted or corrupted download is never mistaken for the real file. A resource without mirrors
(DVS128 Gesture, which IBM serves behind a login) raises :class:`DatasetUnavailableError` saying
where to get it by hand and where to put it; so does a download that fails (offline, host down).

Example::

    res = Resource("t10k-labels-idx1-ubyte.gz", md5="ec29112dd5afa0611ce80d1b7f02629c",
                   urls=("https://ossci-datasets.s3.amazonaws.com/mnist/t10k-labels-idx1-ubyte.gz",))
    path = fetch(res, "data/mnist")
    zip_res = Resource("data.zip", sha256=NAMES_SHA256,  # a file published with a SHA-256
                       urls=("https://download.pytorch.org/tutorial/data.zip",))
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "Resource",
    "DatasetUnavailableError",
    "ChecksumError",
    "ALGORITHMS",
    "file_digest",
    "file_md5",
    "verify_file",
    "download_file",
    "fetch",
]

#: the checksum kinds a :class:`Resource` may be published with
ALGORITHMS = ("md5", "sha256")
_CHUNK = 1 << 20
_USER_AGENT = "spikeagents-datasets"


class DatasetUnavailableError(FileNotFoundError):
    """A dataset file is missing and cannot be fetched automatically; the message says what to do
    (download it by hand from where, and put it where)."""


class ChecksumError(ValueError):
    """A file's checksum does not match the published one (corrupted or truncated)."""


@dataclass(frozen=True)
class Resource:
    """One dataset file.

    :param filename: name of the file on disk.
    :param md5: the published MD5 (hex), checked after every download and before extraction.
    :param urls: mirrors tried in order; empty when the file must be downloaded by hand.
    :param page: where a person gets the file by hand (shown in the error message).
    :param sha256: the published SHA-256 (hex), for files published with one instead of an MD5.
    :raises ValueError: neither or both of ``md5`` and ``sha256`` are given.
    """

    filename: str
    md5: str | None = None
    urls: tuple[str, ...] = ()
    page: str | None = None
    sha256: str | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        _checksum(self.md5, self.sha256, f"Resource {self.filename!r}")

    @property
    def algorithm(self) -> str:
        """The kind of the published checksum: ``"md5"`` or ``"sha256"``."""
        return _checksum(self.md5, self.sha256, self.filename)[0]

    @property
    def checksum(self) -> str:
        """The published checksum (hex), of kind :attr:`algorithm`."""
        return _checksum(self.md5, self.sha256, self.filename)[1]


def _checksum(md5: str | None, sha256: str | None, what: str) -> tuple[str, str]:
    """``(algorithm, expected hex digest)`` of the one checksum given.

    :raises ValueError: neither or both are given (the message starts with ``what``).
    """
    if md5 is not None and sha256 is None:
        return "md5", md5
    if sha256 is not None and md5 is None:
        return "sha256", sha256
    raise ValueError(f"{what}: give exactly one checksum, md5=... or sha256=...")


def file_digest(path: str | Path, algorithm: str) -> str:
    """The hex digest of a file, read in 1 MiB chunks.

    :param algorithm: one of :data:`ALGORITHMS` (``"md5"`` or ``"sha256"``).
    """
    if algorithm not in ALGORITHMS:
        raise ValueError(
            f"unknown checksum algorithm {algorithm!r}; valid choices: {', '.join(ALGORITHMS)}"
        )
    digest = hashlib.new(algorithm, usedforsecurity=False)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def file_md5(path: str | Path) -> str:
    """The hex MD5 of a file (``file_digest(path, "md5")``)."""
    return file_digest(path, "md5")


def verify_file(path: str | Path, md5: str | None = None, *, sha256: str | None = None) -> Path:
    """Check ``path`` against the one checksum given (``md5`` or ``sha256``).

    :raises ChecksumError: the file does not match; the message names the algorithm and both
        digests.
    :raises ValueError: neither or both checksums are given.
    """
    path = Path(path)
    algorithm, expected = _checksum(md5, sha256, str(path))
    actual = file_digest(path, algorithm)
    if actual != expected.lower():
        raise ChecksumError(
            f"{path}: checksum mismatch ({algorithm} {actual}, expected {algorithm} {expected}); "
            "the file is corrupted or incomplete: delete it and fetch it again"
        )
    return path


def _progress_bar(total: int | None, desc: str, enabled: bool) -> Callable[[int], None]:
    if not enabled:
        return lambda n: None
    from tqdm.auto import tqdm

    bar = tqdm(total=total, desc=desc, unit="B", unit_scale=True, leave=False)
    return bar.update


def download_file(
    url: str,
    dest: str | Path,
    md5: str | None = None,
    progress: bool = False,
    timeout: float = 30.0,
    *,
    sha256: str | None = None,
) -> Path:
    """Download ``url`` to ``dest``, resuming ``dest.part`` where the server allows it.

    The bytes go to ``<dest>.part``; a partial file left by an interrupted download is continued
    with an HTTP ``Range`` request (or restarted when the server ignores it). When ``md5`` or
    ``sha256`` is given the finished file must match it (a mismatch deletes the ``.part`` file
    and raises :class:`ChecksumError`). Only then is it renamed to ``dest``.

    :raises urllib.error.URLError: on network errors (:func:`fetch` turns them into a message).
    :raises ValueError: both checksums are given.
    """
    checksum = None if md5 is None and sha256 is None else _checksum(md5, sha256, url)
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    offset = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": _USER_AGENT}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    request = urllib.request.Request(url, headers=headers)
    try:
        response = urllib.request.urlopen(request, timeout=timeout)  # noqa: S310 (http/https)
    except urllib.error.HTTPError as err:
        if err.code != 416 or not offset:  # 416: the .part file is already complete
            raise
        response = None
    if response is not None:
        with response:
            if offset and response.status != 206:  # the server ignored Range: start again
                offset = 0
            length = response.headers.get("Content-Length")
            total = int(length) + offset if length is not None else None
            update = _progress_bar(total, dest.name, progress)
            update(offset)
            with open(part, "ab" if offset else "wb") as f:
                for block in iter(lambda: response.read(_CHUNK), b""):
                    f.write(block)
                    update(len(block))
    if checksum is not None:
        try:
            verify_file(part, md5, sha256=sha256)
        except ChecksumError:
            part.unlink(missing_ok=True)
            raise ChecksumError(
                f"{url}: the download does not match the published {' '.join(checksum)}; "
                "the partial file was deleted, try again"
            ) from None
    os.replace(part, dest)
    return dest


def _manual_message(resource: Resource, root: Path, reason: str) -> str:
    where = resource.page or (resource.urls[0] if resource.urls else "the dataset's website")
    return (
        f"{resource.filename} is not in {root} and {reason}; download it by hand from {where} "
        f"and put it at {root / resource.filename} ({resource.algorithm} {resource.checksum})"
    )


def fetch(
    resource: Resource,
    root: str | Path,
    download: bool = True,
    progress: bool = False,
    timeout: float = 30.0,
) -> Path:
    """The verified local copy of ``resource`` in ``root``, downloaded first when missing.

    An existing file is checked against the published MD5 or SHA-256 (:class:`ChecksumError`
    if it does not match). A missing file is downloaded from each mirror in turn (resuming a
    ``.part`` file) and renamed into place only once it matches.

    :raises DatasetUnavailableError: the file is missing and ``download`` is False, the resource
        has no mirrors (manual download), or every mirror failed (e.g. no network).
    """
    root = Path(root)
    path = root / resource.filename
    if path.is_file():
        return verify_file(path, resource.md5, sha256=resource.sha256)
    if not resource.urls:
        raise DatasetUnavailableError(
            _manual_message(resource, root, "it cannot be downloaded automatically")
        )
    if not download:
        raise DatasetUnavailableError(
            _manual_message(resource, root, "downloading is switched off")
        )
    failures = []
    for url in resource.urls:
        try:
            return download_file(url, path, resource.md5, progress, timeout, sha256=resource.sha256)
        except (urllib.error.URLError, OSError, TimeoutError) as err:
            reason = getattr(err, "reason", None) or err
            failures.append(f"{url}: {reason}")
    raise DatasetUnavailableError(
        _manual_message(
            resource,
            root,
            f"the download failed (offline? {'; '.join(failures)})",
        )
    )
