"""AEDAT 3.1 event files (the format of DVS128 Gesture), read and written with numpy.

File layout::

    "#!AER-DAT3.1\\r\\n", further "#..." header lines, "#!END-HEADER\\r\\n"
    packets, each a 28-byte little-endian header and eventCapacity * eventSize bytes:
        int16 eventType   int16 eventSource   int32 eventSize   int32 eventTSOffset
        int32 eventTSOverflow   int32 eventCapacity   int32 eventNumber   int32 eventValid
    polarity events (eventType 1, eventSize 8): uint32 data, int32 timestamp (microseconds)
        data bit 0 valid, bit 1 polarity, bits 2-16 y, bits 17-31 x
        full timestamp = eventTSOverflow << 31 | timestamp

:func:`read_aedat31` walks the packet headers (a few hundred per recording) and decodes all
polarity events at once with numpy; other packet types (special, frame, IMU events) are skipped
and events whose valid bit is clear are dropped. No Python loop runs over events: it reads
tens of millions of events per second, much faster than a per-event loop and a little faster
than tonic's reader, without tonic's dependencies (``benchmarks/classify_aedat_reader.py``).

Example::

    events = read_aedat31("DvsGesture/user01_fluorescent.aedat")   # {"t","x","y","p"}
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from pathlib import Path

import numpy as np

__all__ = ["AedatFormatError", "read_aedat31", "write_aedat31", "POLARITY_EVENT"]

POLARITY_EVENT = 1
_HEADER_END = b"#!END-HEADER\r\n"
_PACKET = struct.Struct("<hhiiiiii")
_POLARITY = np.dtype([("data", "<u4"), ("ts", "<i4")])


class AedatFormatError(ValueError):
    """A file is not AEDAT 3.x, or is truncated/corrupt (the message says where)."""


def _data_start(buf: bytes, path: Path) -> int:
    if not buf.startswith(b"#!AER-DAT"):
        raise AedatFormatError(f"{path}: not an AEDAT file (no '#!AER-DAT' header)")
    newline = buf.find(b"\n")
    version = buf[9 : newline if newline >= 0 else 64].rstrip(b"\r")
    if not version.startswith(b"3."):
        text = version.decode("ascii", "replace")
        raise AedatFormatError(f"{path}: AEDAT version {text} is not supported (only 3.x)")
    end = buf.find(_HEADER_END)
    if end < 0:
        raise AedatFormatError(f"{path}: truncated header (no '#!END-HEADER' line)")
    return end + len(_HEADER_END)


def read_aedat31(path: str | Path) -> dict[str, np.ndarray]:
    """Polarity events of an AEDAT 3.1 file: ``{"t": int64, "x", "y": int16, "p": uint8}``,
    sorted by time (microseconds).

    :raises FileNotFoundError: no such file.
    :raises AedatFormatError: not AEDAT 3.x, or a packet header/payload is cut short.
    """
    path = Path(path)
    buf = path.read_bytes()
    pos = _data_start(buf, path)
    chunks: list[np.ndarray] = []
    overflows: list[int] = []
    index = 0
    while pos < len(buf):
        if len(buf) - pos < _PACKET.size:
            raise AedatFormatError(
                f"{path}: truncated packet header at byte {pos} (packet {index}): "
                f"{len(buf) - pos} bytes left, a header needs {_PACKET.size}"
            )
        e_type, _, e_size, _, e_overflow, e_capacity, e_number, _ = _PACKET.unpack_from(buf, pos)
        payload = e_capacity * e_size
        if e_size <= 0 or e_capacity < 0 or not 0 <= e_number <= e_capacity:
            raise AedatFormatError(
                f"{path}: corrupt packet header at byte {pos} (packet {index}): size {e_size}, "
                f"capacity {e_capacity}, number {e_number}"
            )
        pos += _PACKET.size
        if pos + payload > len(buf):
            raise AedatFormatError(
                f"{path}: truncated packet {index} at byte {pos}: it holds {payload} bytes "
                f"of events but only {len(buf) - pos} remain"
            )
        if e_type == POLARITY_EVENT and e_number:
            if e_size != _POLARITY.itemsize:
                raise AedatFormatError(
                    f"{path}: polarity packet {index} has event size {e_size}, expected 8"
                )
            chunks.append(np.frombuffer(buf, dtype=_POLARITY, count=e_number, offset=pos))
            overflows.append(e_overflow)
        pos += payload
        index += 1
    if not chunks:
        empty = np.zeros(0, dtype=np.int64)
        return {
            "t": empty,
            "x": empty.astype(np.int16),
            "y": empty.astype(np.int16),
            "p": empty.astype(np.uint8),
        }
    events = np.concatenate(chunks)
    overflow = np.repeat(np.asarray(overflows, dtype=np.int64), [len(c) for c in chunks])
    data = events["data"]
    valid = (data & 1).astype(bool)
    data = data[valid]
    t = (overflow[valid] << 31) | events["ts"][valid].astype(np.int64)
    out = {
        "t": t,
        "x": ((data >> 17) & 0x7FFF).astype(np.int16),
        "y": ((data >> 2) & 0x7FFF).astype(np.int16),
        "p": ((data >> 1) & 1).astype(np.uint8),
    }
    if len(t) > 1 and (np.diff(t) < 0).any():
        order = np.argsort(t, kind="stable")
        out = {k: v[order] for k, v in out.items()}
    return out


def write_aedat31(
    path: str | Path,
    events: Mapping[str, np.ndarray],
    packet_size: int = 4096,
    source: str = "DVS128",
) -> Path:
    """Write polarity events ``{"t","x","y","p"}`` (``t`` sorted, microseconds) as AEDAT 3.1.

    Packets hold at most ``packet_size`` events and never straddle a timestamp overflow
    (``t >> 31``). Used by the tests to synthesise recordings.
    """
    path = Path(path)
    t = np.asarray(events["t"], dtype=np.int64)
    x, y, p = (np.asarray(events[k], dtype=np.int64) for k in ("x", "y", "p"))
    if len(t) and ((np.diff(t) < 0).any() or t[0] < 0):
        raise ValueError("timestamps must be non-negative and sorted")
    data = ((x & 0x7FFF) << 17) | ((y & 0x7FFF) << 2) | ((p & 1) << 1) | 1
    header = (
        "#!AER-DAT3.1\r\n#Format: RAW\r\n"
        f"#Source 1: {source}\r\n#Start-Time: 1970-01-01 00:00:00 (TZ+0000)\r\n"
    ).encode("ascii") + _HEADER_END
    parts = [header]
    overflow = t >> 31
    cuts = np.flatnonzero(np.diff(overflow)) + 1
    for seg in np.split(np.arange(len(t)), cuts):
        for start in range(0, len(seg), packet_size):
            idx = seg[start : start + packet_size]
            ev = np.empty(len(idx), dtype=_POLARITY)
            ev["data"] = data[idx].astype(np.uint32)
            ev["ts"] = (t[idx] & 0x7FFFFFFF).astype(np.int32)
            n = len(idx)
            parts.append(_PACKET.pack(POLARITY_EVENT, 1, 8, 4, int(overflow[idx[0]]), n, n, n))
            parts.append(ev.tobytes())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"".join(parts))
    return path
