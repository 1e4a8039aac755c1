"""Reading AEDAT 3.1 recordings: :func:`spikeagents.datasets.read_aedat31` against a per-event
Python loop (the way SpikingJelly's ``load_aedat_v3`` decodes) and, when it can be imported,
tonic's AEDAT 3 reader (``tonic.io.get_aer_events_from_file`` plus the DVS Gesture bit
decoding of ``read_dvs_ibm``).

The recording is synthetic (moving bars, :mod:`spikeagents.datasets.synthetic`) with the size
of a typical DVS128 Gesture recording, written in 4096-event packets. Every reader must return
the same events; times are the median of repeats.

Usage::

    python benchmarks/classify_aedat_reader.py [--events 1000000] [--repeats 3]

Writes ``benchmarks/results/classify_aedat_reader.md``.
"""

from __future__ import annotations

import argparse
import datetime
import importlib
import os
import platform
import statistics
import struct
import sys
import tempfile
import time
import types
from collections.abc import Callable
from pathlib import Path

import numpy as np

from spikeagents.datasets.aedat import read_aedat31, write_aedat31
from spikeagents.datasets.synthetic import moving_bar_events

RESULTS = Path(__file__).resolve().parent / "results"


def per_event_loop(path: str) -> dict[str, np.ndarray]:
    """Decode one event at a time with ``struct`` (SpikingJelly's ``load_aedat_v3`` style)."""
    out: dict[str, list[int]] = {"t": [], "x": [], "y": [], "p": []}
    with open(path, "rb") as f:
        line = f.readline()
        while line.startswith(b"#") and line != b"#!END-HEADER\r\n":
            line = f.readline()
        while header := f.read(28):
            e_type, _, e_size, _, overflow, capacity, number, _ = struct.unpack("<hhiiiiii", header)
            data = f.read(capacity * e_size)
            if e_type != 1:
                continue
            for i in range(number):
                addr, ts = struct.unpack_from("<Ii", data, i * e_size)
                if addr & 1:
                    out["t"].append(ts | overflow << 31)
                    out["x"].append((addr >> 17) & 0x7FFF)
                    out["y"].append((addr >> 2) & 0x7FFF)
                    out["p"].append((addr >> 1) & 1)
    return {k: np.asarray(v) for k, v in out.items()}


def tonic_reader() -> tuple[Callable[[str], dict[str, np.ndarray]] | None, str]:
    """tonic's reader, or None and why not (``pip install --no-deps tonic`` cannot import
    ``tonic``: its ``__init__`` imports every dataset, which need importRosbag, h5py, ...)."""
    stubbed: list[str] = []
    for _ in range(30):  # stub each missing dependency of tonic's __init__ until it imports
        try:
            io = importlib.import_module("tonic.io")
            break
        except ModuleNotFoundError as err:
            if err.name is None or err.name.startswith("tonic") or err.name in stubbed:
                return None, f"tonic not importable: {err}"
            for name in [m for m in sys.modules if m == "tonic" or m.startswith("tonic.")]:
                del sys.modules[name]
            parts = err.name.split(".")
            for i in range(1, len(parts) + 1):
                module = types.ModuleType(".".join(parts[:i]))
                module.__path__ = []  # type: ignore[attr-defined]
                module.__getattr__ = lambda attr: None  # type: ignore[method-assign]
                sys.modules.setdefault(".".join(parts[:i]), module)
            stubbed.append(err.name)
    else:
        return None, "tonic not importable"
    version = importlib.import_module("tonic").__version__
    note = f"tonic {version}" + (f" (stubbed: {', '.join(stubbed)})" if stubbed else "")

    def read(path: str) -> dict[str, np.ndarray]:
        version, start = io.read_aedat_header_from_file(path)[:2]
        ev = io.get_aer_events_from_file(path, version, start)
        addr, t = ev["address"], ev["timeStamp"]
        return {
            "t": t.astype(np.int64),
            "x": (addr >> 17) & 0x1FFF,
            "y": (addr >> 2) & 0x1FFF,
            "p": (addr >> 1) & 1,
        }

    return read, note


def timed(fn: Callable[[str], dict], path: str, repeats: int) -> tuple[float, dict]:
    times, out = [], {}
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn(path)
        times.append(time.perf_counter() - start)
    return statistics.median(times), out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--loop-events", type=int, default=200_000, help="events for the (slow) per-event loop"
    )
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    load_before = os.getloadavg()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        big, small = Path(tmp) / "big.aedat", Path(tmp) / "small.aedat"
        write_aedat31(big, moving_bar_events(3, 0, 6_000_000, args.events, rng))
        write_aedat31(small, moving_bar_events(3, 0, 6_000_000, args.loop_events, rng))
        t_ours, ref = timed(read_aedat31, str(big), args.repeats)
        rows.append(("spikeagents read_aedat31", args.events, t_ours, "same events"))
        t_small, ref_small = timed(read_aedat31, str(small), args.repeats)
        t_loop, out = timed(per_event_loop, str(small), 1)
        same = all(np.array_equal(out[k], ref_small[k]) for k in "txyp")
        rows.append(
            (
                "per-event loop (SpikingJelly style)",
                args.loop_events,
                t_loop,
                "same events" if same else "DIFFERENT events",
            )
        )
        rows.append(("spikeagents read_aedat31", args.loop_events, t_small, "same events"))
        reader, note = tonic_reader()
        if reader is not None:
            t_tonic, out = timed(reader, str(big), args.repeats)
            same = all(np.array_equal(out[k], ref[k]) for k in "txyp")
            rows.append((note, args.events, t_tonic, "same events" if same else "DIFFERENT"))
        else:
            rows.append((note, args.events, float("nan"), "not run"))
    table = [
        f"| {name} | {n:,} | {t * 1e3:.1f} | {n / t / 1e6:.2f} | {check} |"
        for name, n, t, check in rows
    ]
    cmd = "python benchmarks/classify_aedat_reader.py " + " ".join(argv or sys.argv[1:])
    text = "\n".join(
        [
            "# Reading AEDAT 3.1 (DVS128 Gesture format)",
            "",
            f"Command: `{cmd.strip()}`",
            f"Started {datetime.datetime.now().isoformat(timespec='seconds')}; numpy "
            f"{np.__version__}; {platform.processor() or platform.machine()}; load average "
            f"before: {' '.join(f'{v:.2f}' for v in load_before)}, after: "
            f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}.",
            "",
            "Synthetic moving-bar recording in 4096-event packets; median of "
            f"{args.repeats} reads (the per-event loop: one read).",
            "",
            "| reader | events | ms | M events/s | check |",
            "|---|---:|---:|---:|---|",
            *table,
            "",
        ]
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "classify_aedat_reader.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
