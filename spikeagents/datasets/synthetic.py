"""Synthetic DVS recordings: moving bars as events, in the DVS128 Gesture folder layout.

Class ``k`` is a bar sweeping across the 128x128 sensor in the direction
``theta_k = 2 pi k / 11``; its leading edge emits ON events (``p = 1``) and its trailing edge OFF
events (``p = 0``), plus uniform background noise. :func:`write_synthetic_gesture_folder`
writes such recordings as AEDAT 3.1 files with their label CSVs and trials lists, so that the
real loader (:mod:`spikeagents.datasets.dvs_gesture`) reads them exactly as the IBM dataset.
Tests and smoke runs use it; it needs no download.

Example::

    folder = write_synthetic_gesture_folder("/tmp/gesture", classes=(0, 1, 2, 3))
    ds = DVSGestureFrames("/tmp/gesture", train=True, T=8, frame_size=32)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from spikeagents.datasets.aedat import write_aedat31

__all__ = ["moving_bar_events", "write_synthetic_gesture_folder"]

_N_DIRECTIONS = 11


def moving_bar_events(
    label: int,
    start: int,
    end: int,
    n_events: int,
    rng: np.random.Generator,
    size: int = 128,
    noise: float = 0.1,
) -> dict[str, np.ndarray]:
    """Events ``{"t","x","y","p"}`` (sorted, ``start <= t < end``) of one bar sweep of class
    ``label``; a fraction ``noise`` of them are uniform background events."""
    theta = 2.0 * np.pi * label / _N_DIRECTIONS
    u = np.array([np.cos(theta), np.sin(theta)])  # direction of motion
    v = np.array([-u[1], u[0]])  # along the bar
    t = np.sort(rng.integers(start, end, n_events))
    phase = (t - start) / max(end - start, 1)
    half, width = size / 2.0, size / 8.0
    p = rng.integers(0, 2, n_events)
    s = -half + phase * 2.0 * half - np.where(p == 1, 0.0, width)  # OFF edge trails
    w = rng.uniform(-half, half, n_events)
    xy = half + s[:, None] * u + w[:, None] * v + rng.normal(0.0, 1.0, (n_events, 2))
    is_noise = rng.random(n_events) < noise
    xy[is_noise] = rng.uniform(0, size, (int(is_noise.sum()), 2))
    xy = np.clip(np.floor(xy), 0, size - 1).astype(np.int64)
    return {"t": t.astype(np.int64), "x": xy[:, 0], "y": xy[:, 1], "p": p.astype(np.int64)}


def write_synthetic_gesture_folder(
    root: str | Path,
    train_users: Sequence[int] = (1, 2, 3, 4),
    test_users: Sequence[int] = (5, 6),
    classes: Sequence[int] = (0, 1, 2, 3),
    gestures_per_class: int = 1,
    events_per_gesture: int = 3000,
    gesture_us: int = 500_000,
    gap_us: int = 100_000,
    seed: int = 0,
) -> Path:
    """Write ``root/DvsGesture/`` with one recording per user (``userNN_lab.aedat`` holding every
    class ``gestures_per_class`` times, in random order, separated by noise-only gaps), its
    ``_labels.csv`` and ``trials_to_{train,test}.txt``; return the folder."""
    rng = np.random.default_rng(seed)
    folder = Path(root) / "DvsGesture"
    folder.mkdir(parents=True, exist_ok=True)
    names = {"train": [], "test": []}
    for split, users in (("train", train_users), ("test", test_users)):
        for user in users:
            name = f"user{user:02d}_lab"
            order = rng.permutation(np.repeat(np.asarray(classes), gestures_per_class))
            clock, parts, rows = 1_000_000, [], []
            for label in order:
                gap = moving_bar_events(0, clock, clock + gap_us, 100, rng, noise=1.0)
                clock += gap_us
                bar = moving_bar_events(
                    int(label), clock, clock + gesture_us, events_per_gesture, rng
                )
                rows.append(f"{int(label) + 1},{clock},{clock + gesture_us}")
                clock += gesture_us
                parts += [gap, bar]
            events = {k: np.concatenate([e[k] for e in parts]) for k in ("t", "x", "y", "p")}
            write_aedat31(folder / f"{name}.aedat", events)
            csv = "class,startTime_usec,endTime_usec\n" + "\n".join(rows) + "\n"
            (folder / f"{name}_labels.csv").write_text(csv)
            names[split].append(f"{name}.aedat")
    for split, listed in names.items():
        (folder / f"trials_to_{split}.txt").write_text("\n".join(listed) + "\n")
    return folder
