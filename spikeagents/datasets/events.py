r"""Event streams and their integration into frames (vectorised numpy).

An event stream is a dict of equal-length 1-D arrays ``{"t", "x", "y", "p"}``: timestamps
(non-decreasing, e.g. microseconds), pixel column ``x`` in ``[0, W)``, row ``y`` in ``[0, H)``
and polarity ``p`` in {0, 1}. Frames are ``[T, 2, H, W]`` counts, indexed ``[j, p, y, x]``.

Frame ``j`` integrates the events with index in ``[j_l, j_r)``:

.. math::

    F(j, p, x, y) = \sum_{i = j_l}^{j_r - 1} \mathbb{1}_{p, x, y}(p_i, x_i, y_i)

Split by event count (``split_by="number"``), :math:`N` events into :math:`M` frames:

.. math::

    j_l = \lfloor N / M \rfloor \cdot j, \qquad
    j_r = \lfloor N / M \rfloor \cdot (j + 1) \ (j < M - 1), \qquad j_r = N \ (j = M - 1)

Split by time (``split_by="time"``), with :math:`\Delta T = \lfloor (t_{N-1} - t_0) / M \rfloor`:

.. math::

    j_l = \arg\min_k \{ t_k \mid t_k \ge t_0 + \Delta T \cdot j \}, \qquad
    j_r = \arg\max_k \{ t_k \mid t_k < t_0 + \Delta T \cdot (j + 1) \} + 1 \ (j < M - 1),
    \qquad j_r = N \ (j = M - 1)

(the formulas of SpikingJelly's ``cal_fixed_frames_number_segment_index``). All frames are built
with one ``np.bincount``; nothing loops over events in Python.

Example::

    >>> import numpy as np
    >>> ev = {"t": np.array([0, 1, 2, 3]), "x": np.array([0, 1, 0, 1]),
    ...       "y": np.array([0, 0, 1, 1]), "p": np.array([1, 0, 1, 1])}
    >>> integrate_events_by_count(ev, T=2, H=2, W=2)[:, 1].tolist()    # ON channel per frame
    [[[1, 0], [0, 0]], [[0, 0], [1, 1]]]
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

__all__ = [
    "SPLIT_BY",
    "check_events",
    "segment_indices_by_count",
    "segment_indices_by_time",
    "integrate_segments",
    "integrate_events_by_count",
    "integrate_events_by_time",
    "integrate_events_to_frames",
    "integrate_events_by_duration",
    "resize_events",
    "slice_events",
]

SPLIT_BY = ("number", "time")
Events = Mapping[str, np.ndarray]


def check_events(events: Events, H: int, W: int) -> tuple[np.ndarray, ...]:
    """Validate a stream; return ``(t, x, y, p)`` as int64 arrays.

    :raises ValueError: a key is missing, lengths differ, time goes backwards, or a coordinate
        or polarity is out of range (the message names which).
    """
    missing = [k for k in ("t", "x", "y", "p") if k not in events]
    if missing:
        raise ValueError(f"events need keys t, x, y, p; missing {missing}")
    t, x, y, p = (np.asarray(events[k]).astype(np.int64, copy=False) for k in ("t", "x", "y", "p"))
    n = len(t)
    if any(a.ndim != 1 or len(a) != n for a in (x, y, p)):
        shapes = {k: np.shape(events[k]) for k in ("t", "x", "y", "p")}
        raise ValueError(f"events must be 1-D arrays of one length, got shapes {shapes}")
    if n:
        if (np.diff(t) < 0).any():
            raise ValueError("event timestamps must be non-decreasing (sort the stream first)")
        for name, arr, high in (("x", x, W), ("y", y, H), ("p", p, 2)):
            lo, hi = int(arr.min()), int(arr.max())
            if lo < 0 or hi >= high:
                raise ValueError(f"event {name} must lie in [0, {high}), found [{lo}, {hi}]")
    return t, x, y, p


def _check_T(T: int) -> int:
    if isinstance(T, bool) or not isinstance(T, int | np.integer) or T < 1:
        raise ValueError(f"the number of frames T must be a positive int, got {T!r}")
    return int(T)


def segment_indices_by_count(n_events: int, T: int) -> tuple[np.ndarray, np.ndarray]:
    """``(j_l [T], j_r [T])`` splitting ``n_events`` events into ``T`` frames by count."""
    T = _check_T(T)
    step = int(n_events) // T
    j = np.arange(T, dtype=np.int64)
    j_l, j_r = step * j, step * (j + 1)
    j_r[-1] = n_events
    return j_l, j_r


def segment_indices_by_time(t: np.ndarray, T: int) -> tuple[np.ndarray, np.ndarray]:
    """``(j_l [T], j_r [T])`` splitting the sorted timestamps ``t`` into ``T`` equal spans."""
    T = _check_T(T)
    t = np.asarray(t)
    n = len(t)
    if n == 0:
        return np.zeros(T, dtype=np.int64), np.zeros(T, dtype=np.int64)
    dt = (t[-1] - t[0]) // T
    bounds = t[0] + dt * np.arange(T + 1)
    j_l = np.searchsorted(t, bounds[:-1], side="left").astype(np.int64)
    j_r = np.searchsorted(t, bounds[1:], side="left").astype(np.int64)
    j_r[-1] = n
    return j_l, j_r


def integrate_segments(
    events: Events, j_l: np.ndarray, j_r: np.ndarray, H: int, W: int
) -> np.ndarray:
    """Frames ``int64 [T, 2, H, W]``: frame ``j`` counts the events with index in
    ``[j_l[j], j_r[j])`` at ``[p, y, x]`` (segments may be empty or overlap)."""
    t, x, y, p = check_events(events, H, W)
    j_l, j_r = np.asarray(j_l, dtype=np.int64), np.asarray(j_r, dtype=np.int64)
    T = len(j_l)
    if len(j_r) != T or (j_l < 0).any() or (j_r > len(t)).any():
        raise ValueError(f"segment indices must be [T] arrays within [0, {len(t)}]")
    lengths = np.clip(j_r - j_l, 0, None)
    frame = np.repeat(np.arange(T, dtype=np.int64), lengths)
    starts = np.cumsum(lengths) - lengths
    index = np.arange(int(lengths.sum()), dtype=np.int64) - np.repeat(starts - j_l, lengths)
    linear = ((frame * 2 + p[index]) * H + y[index]) * W + x[index]
    return np.bincount(linear, minlength=T * 2 * H * W).reshape(T, 2, H, W)


def integrate_events_by_count(events: Events, T: int, H: int, W: int) -> np.ndarray:
    """``[T, 2, H, W]`` frames with (almost) the same number of events each."""
    return integrate_segments(events, *segment_indices_by_count(len(events["t"]), T), H, W)


def integrate_events_by_time(events: Events, T: int, H: int, W: int) -> np.ndarray:
    """``[T, 2, H, W]`` frames covering equal time spans."""
    t = np.asarray(events["t"])
    return integrate_segments(events, *segment_indices_by_time(t, T), H, W)


def integrate_events_to_frames(events: Events, T: int, split_by: str, H: int, W: int) -> np.ndarray:
    """``[T, 2, H, W]`` frames split by ``"number"`` (event count) or ``"time"``."""
    if split_by == "number":
        return integrate_events_by_count(events, T, H, W)
    if split_by == "time":
        return integrate_events_by_time(events, T, H, W)
    raise ValueError(f"unknown split_by {split_by!r}; valid choices: {', '.join(SPLIT_BY)}")


def integrate_events_by_duration(events: Events, duration: int, H: int, W: int) -> np.ndarray:
    """Frames of a fixed duration: frame ``j`` holds ``t0 + j*duration <= t < t0 +
    (j+1)*duration``; ``[K, 2, H, W]`` with ``K = (t_{N-1} - t0) // duration + 1`` (variable).

    (SpikingJelly starts each window at the first event after the previous one, so its windows
    drift over gaps; here they sit on a fixed grid.)
    """
    if duration <= 0:
        raise ValueError(f"duration must be > 0, got {duration}")
    t, x, y, p = check_events(events, H, W)
    if len(t) == 0:
        return np.zeros((0, 2, H, W), dtype=np.int64)
    frame = (t - t[0]) // duration
    K = int(frame[-1]) + 1
    linear = ((frame * 2 + p) * H + y) * W + x
    return np.bincount(linear, minlength=K * 2 * H * W).reshape(K, 2, H, W)


def resize_events(events: Events, H: int, W: int, new_H: int, new_W: int) -> dict[str, np.ndarray]:
    """Map pixel coordinates from an ``H x W`` sensor to ``new_H x new_W`` (``x * new_W // W``):
    downscaling by an integer factor sums each block of pixels."""
    out = {k: np.asarray(v) for k, v in events.items()}
    out["x"] = np.asarray(events["x"]).astype(np.int64) * new_W // W
    out["y"] = np.asarray(events["y"]).astype(np.int64) * new_H // H
    return out


def slice_events(events: Events, start: int | float, end: int | float) -> dict[str, np.ndarray]:
    """The events with ``start <= t < end`` (``t`` sorted)."""
    t = np.asarray(events["t"])
    lo, hi = np.searchsorted(t, start, side="left"), np.searchsorted(t, end, side="left")
    return {k: np.asarray(v)[lo:hi] for k, v in events.items()}
