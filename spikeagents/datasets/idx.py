"""The IDX file format of MNIST and Fashion-MNIST, read and written without torchvision.

Layout (all integers big-endian)::

    bytes 0-1   0x00 0x00
    byte  2     element type: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32,
                0x0E float64
    byte  3     number of dimensions d
    4 d bytes   the size of each dimension (uint32)
    rest        the elements, row-major

Files ending in ``.gz`` (or starting with the gzip magic) are decompressed on the fly.

Example::

    write_idx("labels-idx1-ubyte", np.array([3, 1, 4], dtype=np.uint8))
    read_idx("labels-idx1-ubyte")            # array([3, 1, 4], dtype=uint8)
"""

from __future__ import annotations

import gzip
import zlib
from pathlib import Path

import numpy as np

__all__ = ["IdxFormatError", "read_idx", "write_idx", "IDX_TYPES"]

#: IDX type code -> big-endian numpy dtype
IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_GZIP_MAGIC = b"\x1f\x8b"


class IdxFormatError(ValueError):
    """A file is not valid IDX: wrong magic, unknown type, or truncated/extra data."""


def _read_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    if raw[:2] != _GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as err:
        raise IdxFormatError(f"{path}: corrupt or truncated gzip data ({err})") from None


def read_idx(path: str | Path) -> np.ndarray:
    """Read an IDX file (optionally gzipped) into a native-endian numpy array.

    :raises FileNotFoundError: no such file.
    :raises IdxFormatError: not IDX, unknown element type, or the data size does not match
        the header (truncated or with trailing bytes).
    """
    path = Path(path)
    data = _read_bytes(path)
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise IdxFormatError(f"{path}: not an IDX file (bad magic {data[:4].hex() or 'empty'})")
    code, ndim = data[2], data[3]
    if code not in IDX_TYPES:
        known = ", ".join(f"0x{c:02X}" for c in IDX_TYPES)
        raise IdxFormatError(f"{path}: unknown IDX element type 0x{code:02X} (known: {known})")
    header = 4 + 4 * ndim
    if len(data) < header:
        raise IdxFormatError(f"{path}: truncated header ({len(data)} bytes, need {header})")
    shape = tuple(int(d) for d in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    dtype = IDX_TYPES[code]
    expected = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    actual = len(data) - header
    if actual != expected:
        what = "truncated" if actual < expected else "has trailing bytes"
        raise IdxFormatError(
            f"{path}: {what}: shape {shape} needs {expected} data bytes, found {actual}"
        )
    array = np.frombuffer(data, dtype=dtype, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))


def write_idx(path: str | Path, array: np.ndarray) -> Path:
    """Write ``array`` as IDX (gzipped when ``path`` ends in ``.gz``); return ``path``."""
    path = Path(path)
    array = np.asarray(array)
    codes = [
        c
        for c, t in IDX_TYPES.items()
        if (t.kind, t.itemsize) == (array.dtype.kind, array.dtype.itemsize)
    ]
    if not codes:
        raise ValueError(f"IDX cannot store dtype {array.dtype}")
    code, dtype = codes[0], IDX_TYPES[codes[0]]
    header = bytes([0, 0, code, array.ndim]) + np.asarray(array.shape, dtype=">u4").tobytes()
    payload = header + array.astype(dtype).tobytes()
    if path.suffix == ".gz":
        payload = gzip.compress(payload, mtime=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(payload)
    return path
