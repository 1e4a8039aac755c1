"""Spike panels drawn straight into ``uint8`` RGB arrays with numpy: fast enough for every frame
of an environment video."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from spikeagents.viz.arrays import to_numpy

__all__ = ["render_raster_panel"]

# --------------------------------------------------------------------------------------------

_BACKGROUND = np.array([24, 26, 38], dtype=np.uint8)
_SPIKE = np.array([255, 212, 59], dtype=np.uint8)
_SEPARATOR = np.array([90, 94, 110], dtype=np.uint8)
_BAR = np.array([77, 171, 247], dtype=np.uint8)
_BAR_MAX = np.array([255, 107, 107], dtype=np.uint8)
_BOUNDARY = np.array([120, 220, 140], dtype=np.uint8)


def _resample_max(a: np.ndarray, axis: int, out_len: int) -> np.ndarray:
    """Resize ``a`` along ``axis`` to ``out_len``: max-pool when shrinking, repeat when growing."""
    in_len = a.shape[axis]
    starts = (np.arange(out_len) * in_len) // out_len
    if in_len >= out_len:
        return np.maximum.reduceat(a, starts, axis=axis)
    return np.take(a, starts, axis=axis)


def _cell_gaps(n_cells: int, n_px: int) -> np.ndarray:
    """Boolean mask [n_px]: True on the last pixel of each cell when cells are >= 3 px wide."""
    if n_px < 3 * n_cells:
        return np.zeros(n_px, dtype=bool)
    idx = (np.arange(n_px) * n_cells) // n_px
    return np.append(idx[1:] != idx[:-1], True)


def render_raster_panel(
    spikes: Any,
    voltages: Any | None,
    width_px: int,
    height_px: int,
    v_range: tuple[float, float] | None = None,
    boundaries: Sequence[int] = (),
) -> np.ndarray:
    """Draw a spike raster and (optionally) a bar chart of readout potentials into an RGB image.

    The raster of ``spikes`` [N_neurons, window] fills the top of the panel (neuron 0 at the top,
    the newest step at the right); when more neurons or steps than pixels, a pixel lights if any
    spike falls in it. Below it, ``voltages`` [K] are drawn as K bars from a zero line, the largest
    highlighted (e.g. the action a readout layer picks). No matplotlib: cheap enough per frame.

    :param v_range: fixed (low, high) of the bar chart, keeping the scale steady across frames;
        None scales each frame to its own values (always including 0).
    :param boundaries: raster columns where a new episode starts: each gets a vertical line
        (stateful policies: the membrane was reset there).
    :return: image [height_px, width_px, 3] of dtype uint8.
    """
    func = "render_raster_panel"
    if int(width_px) < 8 or int(height_px) < 8:
        raise ValueError(f"{func}: width_px and height_px must be >= 8, got {width_px}x{height_px}")
    w, h = int(width_px), int(height_px)
    raster = to_numpy(spikes, "spikes", 2, "[N_neurons, window]", func) != 0
    img = np.empty((h, w, 3), dtype=np.uint8)
    img[:] = _BACKGROUND

    h_raster = h if voltages is None else max(1, round(0.65 * h))
    n, window = raster.shape
    cells = _resample_max(_resample_max(raster, 0, h_raster), 1, w)
    cells &= ~_cell_gaps(n, h_raster)[:, None]
    cells &= ~_cell_gaps(window, w)[None, :]
    img[:h_raster][cells] = _SPIKE
    for column in boundaries:
        if 0 < column < window:
            img[:h_raster, int(round(column * w / window))] = _BOUNDARY
    if voltages is None:
        return img

    v = to_numpy(voltages, "voltages", 1, "[K]", func)
    img[h_raster] = _SEPARATOR
    top, bottom = h_raster + 2, h - 1  # pixel rows available to the bars (inclusive)
    if bottom - top < 2:
        return img
    lo, hi = v_range if v_range is not None else (min(0.0, v.min()), max(0.0, v.max()))
    if hi <= lo:
        hi = lo + 1.0

    def to_row(val: np.ndarray | float) -> np.ndarray:
        frac = (np.clip(val, lo, hi) - lo) / (hi - lo)
        return np.round(bottom - frac * (bottom - top)).astype(int)

    zero_row = int(to_row(0.0))
    bar_rows = to_row(v)
    k = v.shape[0]
    edges = np.round(np.linspace(0, w, k + 1)).astype(int)
    best = int(np.argmax(v))
    for i in range(k):
        slot = edges[i + 1] - edges[i]
        pad = int(0.15 * slot)
        x0, x1 = edges[i] + pad, max(edges[i] + pad + 1, edges[i + 1] - pad)
        y0, y1 = sorted((zero_row, int(bar_rows[i])))
        img[y0 : y1 + 1, x0:x1] = _BAR_MAX if i == best else _BAR
    img[zero_row] = _SEPARATOR
    return img
