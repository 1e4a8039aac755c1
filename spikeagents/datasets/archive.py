"""Safe archive extraction: nothing is written outside the target folder.

:func:`extract_archive` unpacks ``.tar``, ``.tar.gz``/``.tgz``, ``.tar.bz2``, ``.tar.xz`` and
``.zip`` files. Before anything is written every member is checked: an absolute path, a ``..``
that climbs out of the target, a link pointing outside it, or a device file makes the whole
archive refused with :class:`UnsafeArchiveError`. The archive is unpacked into a temporary
folder beside the target and moved into place at the end, so an interrupted extraction never
leaves a half-filled target behind.

Example::

    extract_archive("data/dvs/DvsGesture.tar.gz", "data/dvs/extract")
"""

from __future__ import annotations

import gzip
import os
import shutil
import tarfile
import tempfile
import zipfile
import zlib
from pathlib import Path, PurePosixPath

__all__ = ["UnsafeArchiveError", "extract_archive", "check_member_path"]


class UnsafeArchiveError(ValueError):
    """An archive member would land outside the target folder (or is a device/special file)."""


def check_member_path(name: str, archive: str | Path) -> PurePosixPath:
    """The member's relative path; refuse absolute paths, drive letters and ``..`` escapes."""
    normalized = name.replace("\\", "/")
    path = PurePosixPath(normalized)
    if path.is_absolute() or (len(normalized) > 1 and normalized[1] == ":"):
        raise UnsafeArchiveError(f"{archive}: refusing member {name!r}: absolute path")
    depth = 0
    for part in path.parts:
        depth += -1 if part == ".." else (0 if part == "." else 1)
        if depth < 0:
            raise UnsafeArchiveError(
                f"{archive}: refusing member {name!r}: it climbs out of the target folder"
            )
    return path


def _check_link(member: tarfile.TarInfo, archive: Path) -> None:
    target = member.linkname.replace("\\", "/")
    if member.issym():  # relative to the folder holding the link
        base = PurePosixPath(member.name.replace("\\", "/")).parent
        joined = target if target.startswith("/") else str(base / target)
    else:  # hard links name another member
        joined = target
    try:
        check_member_path(joined, archive)
    except UnsafeArchiveError:
        raise UnsafeArchiveError(
            f"{archive}: refusing member {member.name!r}: link to {member.linkname!r} points "
            "outside the target folder"
        ) from None


def _check_tar(tf: tarfile.TarFile, archive: Path) -> list[tarfile.TarInfo]:
    members = tf.getmembers()
    for m in members:
        check_member_path(m.name, archive)
        if m.issym() or m.islnk():
            _check_link(m, archive)
        elif not (m.isfile() or m.isdir()):
            raise UnsafeArchiveError(
                f"{archive}: refusing member {m.name!r}: device or special file"
            )
    return members


def extract_archive(archive: str | Path, target: str | Path) -> Path:
    """Unpack ``archive`` into ``target`` (created if needed); return ``target``.

    Entries already in ``target`` with the same top-level name are replaced.

    :raises UnsafeArchiveError: a member would be written outside ``target``.
    :raises ValueError: the file is not a tar or zip archive, or it is truncated/corrupt.
    """
    archive, target = Path(archive), Path(target)
    target.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".extract-", dir=target))
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as zf:
                for info in zf.infolist():
                    check_member_path(info.filename, archive)
                zf.extractall(staging)
        elif tarfile.is_tarfile(archive):
            with tarfile.open(archive) as tf:
                members = _check_tar(tf, archive)
                kwargs = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
                tf.extractall(staging, members=members, **kwargs)
        else:
            raise ValueError(f"{archive}: not a tar or zip archive")
        for entry in staging.iterdir():
            final = target / entry.name
            if final.is_dir() and not final.is_symlink():
                shutil.rmtree(final)
            elif final.exists() or final.is_symlink():
                final.unlink()
            os.replace(entry, final)
    except (tarfile.TarError, zipfile.BadZipFile, gzip.BadGzipFile, zlib.error, EOFError) as err:
        raise ValueError(f"{archive}: corrupt or truncated archive ({err})") from None
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
