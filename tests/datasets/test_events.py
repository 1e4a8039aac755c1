"""Frame integration checked against the docs' formulas on small hand-made streams."""

from __future__ import annotations

import numpy as np
import pytest

from spikeagents.datasets.events import (
    integrate_events_by_count,
    integrate_events_by_duration,
    integrate_events_by_time,
    integrate_events_to_frames,
    integrate_segments,
    resize_events,
    segment_indices_by_count,
    segment_indices_by_time,
)


def _stream(t, x, y, p):
    return {k: np.asarray(v) for k, v in zip("txyp", (t, x, y, p), strict=True)}


def _naive_frames(events, j_l, j_r, H, W):
    """F(j, p, x, y) = sum_{i=j_l}^{j_r-1} 1[(p, x, y) = (p_i, x_i, y_i)], one event at a time."""
    frames = np.zeros((len(j_l), 2, H, W), dtype=np.int64)
    for j, (lo, hi) in enumerate(zip(j_l, j_r, strict=True)):
        for i in range(lo, hi):
            frames[j, events["p"][i], events["y"][i], events["x"][i]] += 1
    return frames


def test_split_by_count_formula():
    # N = 10, M = 3: floor(N/M) = 3 -> [0, 3), [3, 6), [6, 10) (the last frame takes the rest)
    j_l, j_r = segment_indices_by_count(10, 3)
    assert j_l.tolist() == [0, 3, 6] and j_r.tolist() == [3, 6, 10]
    j_l, j_r = segment_indices_by_count(2, 4)  # fewer events than frames: all in the last one
    assert j_l.tolist() == [0, 0, 0, 0] and j_r.tolist() == [0, 0, 0, 2]


def test_split_by_time_formula():
    t = np.array([100, 101, 103, 104, 108, 109, 112, 119, 120])
    # dT = floor((120 - 100) / 3) = 6: bounds 100, 106, 112 -> [100,106) [106,112) [112, end]
    j_l, j_r = segment_indices_by_time(t, 3)
    assert j_l.tolist() == [0, 4, 6] and j_r.tolist() == [4, 6, 9]
    # j_l = argmin{k: t_k >= t0 + dT j}; j_r = argmax{k: t_k < t0 + dT (j+1)} + 1
    for j in range(3):
        assert j_l[j] == np.flatnonzero(t >= 100 + 6 * j)[0]
    for j in range(2):
        assert j_r[j] == np.flatnonzero(t < 100 + 6 * (j + 1))[-1] + 1


def test_integration_matches_the_formula_event_by_event():
    rng = np.random.default_rng(1)
    n, H, W = 500, 5, 7
    ev = _stream(
        np.sort(rng.integers(0, 10_000, n)),
        rng.integers(0, W, n),
        rng.integers(0, H, n),
        rng.integers(0, 2, n),
    )
    for T in (1, 4, 7):
        for split, seg in (
            ("number", segment_indices_by_count(n, T)),
            ("time", segment_indices_by_time(ev["t"], T)),
        ):
            frames = integrate_events_to_frames(ev, T, split, H, W)
            np.testing.assert_array_equal(frames, _naive_frames(ev, *seg, H, W))
            assert frames.shape == (T, 2, H, W) and frames.sum() == n
    # arbitrary (even overlapping or empty) segments
    j_l, j_r = np.array([0, 10, 300, 5]), np.array([20, 10, 500, 250])
    np.testing.assert_array_equal(
        integrate_segments(ev, j_l, j_r, H, W), _naive_frames(ev, j_l, j_r, H, W)
    )


def test_hand_made_stream():
    ev = _stream([0, 1, 2, 3], [0, 1, 0, 1], [0, 0, 1, 1], [1, 0, 1, 1])
    frames = integrate_events_by_count(ev, 2, 2, 2)
    assert frames[0, 1].tolist() == [[1, 0], [0, 0]] and frames[0, 0].tolist() == [[0, 1], [0, 0]]
    assert frames[1, 1].tolist() == [[0, 0], [1, 1]] and frames[1, 0].sum() == 0
    by_time = integrate_events_by_time(ev, 2, 2, 2)  # dT = 1: [0,1), [1, end]
    assert by_time[0].sum() == 1 and by_time[1].sum() == 3


def test_fixed_duration_grid():
    ev = _stream([10, 12, 19, 20, 41], [0, 1, 2, 3, 0], [0] * 5, [1, 1, 0, 0, 1])
    frames = integrate_events_by_duration(ev, 10, 1, 4)  # [10,20) [20,30) [30,40) [40,50)
    assert frames.shape == (4, 2, 1, 4)
    assert frames.sum(axis=(1, 2, 3)).tolist() == [3, 1, 0, 1]


def test_empty_stream_and_bad_input():
    empty = _stream([], [], [], [])
    assert integrate_events_by_count(empty, 3, 2, 2).sum() == 0
    assert integrate_events_by_time(empty, 3, 2, 2).shape == (3, 2, 2, 2)
    with pytest.raises(ValueError, match="non-decreasing"):
        integrate_events_by_count(_stream([2, 1], [0, 0], [0, 0], [0, 0]), 1, 1, 1)
    with pytest.raises(ValueError, match=r"x must lie in \[0, 2\)"):
        integrate_events_by_count(_stream([1, 2], [0, 2], [0, 0], [0, 0]), 1, 2, 2)
    with pytest.raises(ValueError, match="p must lie"):
        integrate_events_by_count(_stream([1], [0], [0], [3]), 1, 2, 2)
    with pytest.raises(ValueError, match="split_by"):
        integrate_events_to_frames(empty, 2, "count", 2, 2)
    with pytest.raises(ValueError, match="positive int"):
        integrate_events_by_count(empty, 0, 2, 2)


def test_resize_sums_pixel_blocks():
    ev = _stream([0, 1, 2, 3], [0, 3, 4, 7], [0, 1, 7, 4], [1, 1, 1, 0])
    small = integrate_events_by_count(resize_events(ev, 8, 8, 2, 2), 1, 2, 2)
    big = integrate_events_by_count(ev, 1, 8, 8)
    np.testing.assert_array_equal(small, big.reshape(1, 2, 2, 4, 2, 4).sum(axis=(3, 5)))
