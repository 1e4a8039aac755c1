"""Dataset files: download (resumable), checksum verification, and clear messages when offline.

A :class:`Resource` names one file, the mirrors it can be fetched from and its published MD5.
:func:`fetch` returns the verified local file, downloading it first when it is missing::

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
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "Resource",
    "DatasetUnavailableError",
    "ChecksumError",
    "file_md5",
    "verify_file",
    "download_file",
    "fetch",
]

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
    """

    filename: str
    md5: str
    urls: tuple[str, ...] = ()
    page: str | None = None


def file_md5(path: str | Path) -> str:
    """The hex MD5 of a file, read in 1 MiB chunks."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(_CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_file(path: str | Path, md5: str) -> Path:
    """Check ``path`` against ``md5``; raise :class:`ChecksumError` naming both digests."""
    path = Path(path)
    actual = file_md5(path)
    if actual != md5.lower():
        raise ChecksumError(
            f"{path}: checksum mismatch (md5 {actual}, expected {md5}); the file is corrupted "
            "or incomplete: delete it and fetch it again"
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
) -> Path:
    """Download ``url`` to ``dest``, resuming ``dest.part`` where the server allows it.

    The bytes go to ``<dest>.part``; a partial file left by an interrupted download is continued
    with an HTTP ``Range`` request (or restarted when the server ignores it). When ``md5`` is
    given the finished file must match it (a mismatch deletes the ``.part`` file and raises
    :class:`ChecksumError`). Only then is it renamed to ``dest``.

    :raises urllib.error.URLError: on network errors (:func:`fetch` turns them into a message).
    """
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
    if md5 is not None:
        try:
            verify_file(part, md5)
        except ChecksumError:
            part.unlink(missing_ok=True)
            raise ChecksumError(
                f"{url}: the download does not match the published md5 {md5}; "
                "the partial file was deleted, try again"
            ) from None
    os.replace(part, dest)
    return dest


def _manual_message(resource: Resource, root: Path, reason: str) -> str:
    where = resource.page or (resource.urls[0] if resource.urls else "the dataset's website")
    return (
        f"{resource.filename} is not in {root} and {reason}; download it by hand from {where} "
        f"and put it at {root / resource.filename} (md5 {resource.md5})"
    )


def fetch(
    resource: Resource,
    root: str | Path,
    download: bool = True,
    progress: bool = False,
    timeout: float = 30.0,
) -> Path:
    """The verified local copy of ``resource`` in ``root``, downloaded first when missing.

    An existing file is checked against the MD5 (:class:`ChecksumError` if it does not match).
    A missing file is downloaded from each mirror in turn (resuming a ``.part`` file).

    :raises DatasetUnavailableError: the file is missing and ``download`` is False, the resource
        has no mirrors (manual download), or every mirror failed (e.g. no network).
    """
    root = Path(root)
    path = root / resource.filename
    if path.is_file():
        return verify_file(path, resource.md5)
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
            return download_file(url, path, resource.md5, progress=progress, timeout=timeout)
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
