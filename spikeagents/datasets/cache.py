"""Crash-safe array caches: written to a temporary name and renamed, checked when read.

A cache file is an uncompressed or compressed ``.npz`` (no pickles). :func:`save_arrays` writes
it to a hidden temporary file in the same folder, flushes it to disk and renames it, so a run
killed in the middle leaves at most a hidden ``.<name>.*`` file that is never read (the rename is
atomic). :func:`load_arrays` refuses a damaged file with :class:`CacheError`, and
:func:`load_or_build` rebuilds a cache that is missing or damaged.

Example::

    frames = load_or_build("cache/sample.npz", lambda: {"frames": integrate(...)})["frames"]
"""

from __future__ import annotations

import os
import warnings
import zipfile
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import numpy as np

__all__ = ["CacheError", "save_arrays", "load_arrays", "load_or_build"]


class CacheError(ValueError):
    """A cache file exists but cannot be read (damaged); delete it to rebuild."""


def save_arrays(path: str | Path, compress: bool = False, **arrays: np.ndarray) -> Path:
    """Write ``arrays`` to the ``.npz`` file ``path`` atomically; return ``path``."""
    from spikeagents.rundir import atomic_path

    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"cache files end in .npz, got {path}")
    save = np.savez_compressed if compress else np.savez
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            save(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
    return path


def load_arrays(path: str | Path, keys: Sequence[str] = ()) -> dict[str, np.ndarray]:
    """Read every array of the ``.npz`` cache ``path`` (never unpickles).

    :param keys: arrays that must be present.
    :raises FileNotFoundError: no such file. :raises CacheError: the file is damaged or lacks
        one of ``keys``.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such cache file")
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {k: data[k] for k in data.files}
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError) as err:
        raise CacheError(f"{path}: damaged cache file ({err}); delete it to rebuild") from None
    missing = [k for k in keys if k not in arrays]
    if missing:
        raise CacheError(f"{path}: cache file lacks {missing}; delete it to rebuild")
    return arrays


def load_or_build(
    path: str | Path,
    build: Callable[[], Mapping[str, np.ndarray]],
    keys: Sequence[str] = (),
    compress: bool = False,
) -> dict[str, np.ndarray]:
    """The arrays cached in ``path``; ``build()`` and save them when missing or damaged."""
    path = Path(path)
    if path.is_file():
        try:
            return load_arrays(path, keys)
        except CacheError as err:
            warnings.warn(f"{err}: rebuilding it", stacklevel=2)
    arrays = dict(build())
    save_arrays(path, compress=compress, **arrays)
    return arrays
