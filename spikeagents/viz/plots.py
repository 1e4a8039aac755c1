"""Matplotlib figures of spiking activity, learning curves and confusion matrices (headless:
the object API, no pyplot state). See :mod:`spikeagents.viz`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib.colors import ListedColormap
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from spikeagents.viz.arrays import to_numpy

PathLike = str | Path


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _check_binary(arr: np.ndarray, name: str, func: str) -> None:
    if not np.isin(arr, (0.0, 1.0)).all():
        raise ValueError(f"{func}: {name} must contain only 0 and 1")


def _integer_ticks(axis: Any, enabled: bool) -> None:
    if enabled:
        axis.set_major_locator(MaxNLocator(integer=True))


def _finish(fig: Figure, save_to: PathLike | None) -> Figure:
    """Write ``fig`` to ``save_to`` (if given) at the figure's own dpi and return it."""
    if save_to is not None:
        path = Path(save_to)
        fmt = path.suffix.lstrip(".").lower()
        supported = fig.canvas.get_supported_filetypes()
        if fmt not in supported:
            raise ValueError(f"save_to must end in one of {sorted(supported)}, got {str(path)!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, dpi=fig.dpi, format=fmt)
    return fig


# --------------------------------------------------------------------------------------------
# the five SpikingJelly-style plots
# --------------------------------------------------------------------------------------------


def plot_2d_heatmap(
    array: Any,
    title: str,
    xlabel: str,
    ylabel: str,
    int_x_ticks: bool = True,
    int_y_ticks: bool = True,
    plot_colorbar: bool = True,
    colorbar_y_label: str = "magnitude",
    x_max: float | None = None,
    dpi: int = 200,
    save_to: PathLike | None = None,
) -> Figure:
    """Heatmap of ``array`` [T, N]: time on the x axis, the N rows (e.g. neurons) on the y axis.

    :param array: values of shape [T, N], e.g. membrane potentials of N neurons over T steps.
    :param x_max: value of the x axis at the last time step (columns are evenly spaced from 0 to
        ``x_max``); None means ``T - 1``, i.e. the step index.
    :param plot_colorbar: add a colorbar labelled ``colorbar_y_label``.
    :return: the figure (two axes with a colorbar, else one).
    """
    arr = to_numpy(array, "array", 2, "[T, N]", "plot_2d_heatmap")
    t_steps, n = arr.shape
    x_last = float(t_steps - 1) if x_max is None else float(x_max)
    half = 0.5 * (x_last / (t_steps - 1) if t_steps > 1 else 1.0)

    fig = Figure(figsize=(6.4, 4.8), dpi=dpi, layout="constrained")
    ax = fig.add_subplot()
    im = ax.imshow(
        arr.T,
        aspect="auto",
        interpolation="nearest",
        cmap="viridis",
        extent=(-half, x_last + half, n - 0.5, -0.5),
    )
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _integer_ticks(ax.xaxis, int_x_ticks)
    _integer_ticks(ax.yaxis, int_y_ticks)
    if plot_colorbar:
        cbar = fig.colorbar(im, ax=ax)
        cbar.ax.set_ylabel(colorbar_y_label)
    return _finish(fig, save_to)


def plot_2d_bar_in_3d(
    array: Any,
    title: str,
    xlabel: str,
    ylabel: str,
    zlabel: str,
    int_x_ticks: bool = True,
    int_y_ticks: bool = True,
    int_z_ticks: bool = False,
    dpi: int = 200,
    save_to: PathLike | None = None,
) -> Figure:
    """3-D bar chart of ``array`` [T, N]: bar (n, t) has height ``array[t, n]``.

    The x axis is the column index n (e.g. neuron), the y axis the row index t (e.g. epoch or time
    step); each row t is a flat row of bars in its own colour.

    :return: the figure (one 3-D axes).
    """
    arr = to_numpy(array, "array", 2, "[T, N]", "plot_2d_bar_in_3d")
    t_steps, n = arr.shape
    fig = Figure(figsize=(6.4, 4.8), dpi=dpi, layout="constrained")
    ax = fig.add_subplot(projection="3d")

    row_colours = matplotlib.colormaps["viridis"](np.linspace(0.0, 1.0, t_steps))
    for t in range(t_steps):  # one flat row of bars per t, drawn on the plane y = t
        ax.bar(np.arange(n), arr[t], zs=t, zdir="y", width=0.8, color=row_colours[t], alpha=0.85)
    ax.set_xlim(-0.5, n - 0.5)
    ax.set_ylim(-0.5, t_steps - 0.5)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_zlabel(zlabel)
    _integer_ticks(ax.xaxis, int_x_ticks)
    _integer_ticks(ax.yaxis, int_y_ticks)
    _integer_ticks(ax.zaxis, int_z_ticks)
    return _finish(fig, save_to)


def plot_1d_spikes(
    spikes: Any,
    title: str,
    xlabel: str,
    ylabel: str,
    int_x_ticks: bool = True,
    int_y_ticks: bool = True,
    plot_firing_rate: bool = True,
    firing_rate_map_title: str = "Firing Rate",
    dpi: int = 200,
    save_to: PathLike | None = None,
) -> Figure:
    """Raster plot of ``spikes`` [T, N] (0/1): one row of tick marks per neuron.

    With ``plot_firing_rate`` a second axes beside the raster shows each neuron's firing rate
    (the mean of ``spikes`` over T) as a horizontal bar.

    :return: the figure (two axes with the firing-rate column, else one).
    """
    arr = to_numpy(spikes, "spikes", 2, "[T, N]", "plot_1d_spikes")
    _check_binary(arr, "spikes", "plot_1d_spikes")
    t_steps, n = arr.shape

    fig = Figure(figsize=(6.4, 4.8), dpi=dpi, layout="constrained")
    if plot_firing_rate:
        ax, ax_rate = fig.subplots(1, 2, sharey=True, gridspec_kw={"width_ratios": [5, 1]})
    else:
        ax, ax_rate = fig.add_subplot(), None

    positions = [np.flatnonzero(arr[:, i]) for i in range(n)]
    ax.eventplot(
        positions, lineoffsets=np.arange(n), linelengths=0.8, linewidths=1.0, colors="black"
    )
    ax.set_xlim(-0.5, t_steps - 0.5)
    ax.set_ylim(n - 0.5, -0.5)  # neuron 0 at the top, as in a heatmap
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _integer_ticks(ax.xaxis, int_x_ticks)
    _integer_ticks(ax.yaxis, int_y_ticks)

    if ax_rate is not None:
        rates = arr.mean(axis=0)
        ax_rate.barh(np.arange(n), rates, height=0.8, color="tab:orange")
        ax_rate.set_xlim(0.0, 1.0)
        ax_rate.set_title(firing_rate_map_title)
        ax_rate.set_xlabel("rate")
        ax_rate.tick_params(labelleft=False)
    return _finish(fig, save_to)


def plot_2d_spiking_feature_map(
    spikes: Any,
    nrows: int,
    ncols: int,
    space: int,
    title: str,
    dpi: int = 200,
    save_to: PathLike | None = None,
) -> Figure:
    """Draw C binary maps ``spikes`` [C, W, H] on an ``nrows`` x ``ncols`` grid.

    Map c sits at grid cell (c // ncols, c % ncols) and is drawn as the image ``spikes[c]``
    (W rows, H columns); ``space`` blank pixels separate neighbouring maps.

    :return: the figure (one axes holding a single image).
    """
    func = "plot_2d_spiking_feature_map"
    arr = to_numpy(spikes, "spikes", 3, "[C, W, H]", func)
    _check_binary(arr, "spikes", func)
    c, w, h = arr.shape
    if nrows < 1 or ncols < 1 or space < 0:
        raise ValueError(f"{func}: need nrows >= 1, ncols >= 1, space >= 0")
    if nrows * ncols < c:
        raise ValueError(f"{func}: nrows * ncols = {nrows * ncols} is less than C = {c}")

    canvas = np.full((nrows * w + (nrows - 1) * space, ncols * h + (ncols - 1) * space), np.nan)
    for i in range(c):
        r, q = divmod(i, ncols)
        y, x = r * (w + space), q * (h + space)
        canvas[y : y + w, x : x + h] = arr[i]

    cmap = ListedColormap(["#20233a", "#ffd43b"]).with_extremes(bad="white")
    fig = Figure(figsize=(1.0 + 0.8 * ncols, 1.0 + 0.8 * nrows), dpi=dpi, layout="constrained")
    ax = fig.add_subplot()
    ax.imshow(np.ma.masked_invalid(canvas), cmap=cmap, vmin=0.0, vmax=1.0, interpolation="nearest")
    ax.set_axis_off()
    ax.set_title(title)
    return _finish(fig, save_to)


def plot_one_neuron_v_s(
    v: Any,
    s: Any,
    v_threshold: float = 1.0,
    v_reset: float | None = 0.0,
    title: str = "$V_{t}$ and $S_{t}$ of the neuron",
    dpi: int = 200,
    save_to: PathLike | None = None,
) -> Figure:
    """Membrane potential ``v`` [T] of one neuron above its spikes ``s`` [T] (0/1).

    The top axes shows the voltage trace with dashed lines at ``v_threshold`` and (unless None)
    ``v_reset``; the bottom axes marks every spike time with a tick.

    :return: the figure (two axes sharing the time axis).
    """
    func = "plot_one_neuron_v_s"
    v_arr = to_numpy(v, "v", 1, "[T]", func)
    s_arr = to_numpy(s, "s", 1, "[T]", func)
    if v_arr.shape != s_arr.shape:
        raise ValueError(
            f"{func}: expected v and s of the same shape [T], got {v_arr.shape} and {s_arr.shape}"
        )
    _check_binary(s_arr, "s", func)
    t = np.arange(v_arr.shape[0])

    fig = Figure(figsize=(6.4, 4.8), dpi=dpi, layout="constrained")
    ax_v, ax_s = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [3, 1]})
    ax_v.plot(t, v_arr, color="tab:blue", label="$V_t$")
    ax_v.axhline(v_threshold, color="tab:red", linestyle="--", label="$V_{threshold}$")
    if v_reset is not None:
        ax_v.axhline(v_reset, color="tab:gray", linestyle="--", label="$V_{reset}$")
    ax_v.set_ylabel("voltage")
    ax_v.set_title(title)
    ax_v.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")

    ax_s.eventplot(np.flatnonzero(s_arr), lineoffsets=0.5, linelengths=0.8, colors="black")
    ax_s.set_ylim(0.0, 1.0)
    ax_s.set_yticks([])
    ax_s.set_ylabel("$S_t$")
    ax_s.set_xlabel("time step")
    ax_s.set_xlim(-0.5, v_arr.shape[0] - 0.5)
    _integer_ticks(ax_s.xaxis, True)
    return _finish(fig, save_to)


# --------------------------------------------------------------------------------------------
# training and evaluation plots
# --------------------------------------------------------------------------------------------


def plot_learning_curve(
    steps: Any,
    values: Any,
    title: str = "Learning curve",
    xlabel: str = "timesteps",
    ylabel: str = "reward",
    std: Any | None = None,
    save_to: PathLike | None = None,
    dpi: int = 200,
) -> Figure:
    """Line of ``values`` [K] against ``steps`` [K], with a ``values +- std`` band if given.

    :param std: optional spread of shape [K] (e.g. the standard deviation over seeds).
    :return: the figure (one axes).
    """
    func = "plot_learning_curve"
    x = to_numpy(steps, "steps", 1, "[K]", func)
    y = to_numpy(values, "values", 1, "[K]", func)
    if x.shape != y.shape:
        raise ValueError(f"{func}: expected values of shape {x.shape} like steps, got {y.shape}")
    fig = Figure(figsize=(6.4, 4.0), dpi=dpi, layout="constrained")
    ax = fig.add_subplot()
    (line,) = ax.plot(x, y, color="tab:blue")
    if std is not None:
        sd = to_numpy(std, "std", 1, "[K]", func)
        if sd.shape != y.shape:
            raise ValueError(f"{func}: expected std of shape {y.shape} like values, got {sd.shape}")
        ax.fill_between(x, y - sd, y + sd, color=line.get_color(), alpha=0.25, linewidth=0)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    return _finish(fig, save_to)


def _normalize_rows(matrix: np.ndarray) -> np.ndarray:
    """Divide each row by its sum; rows summing to 0 stay 0."""
    sums = matrix.sum(axis=1, keepdims=True)
    return np.divide(matrix, sums, out=np.zeros_like(matrix), where=sums != 0)


def plot_confusion_matrix(
    matrix: Any,
    class_names: Sequence[str] | None = None,
    normalize: bool = True,
    title: str = "Confusion matrix",
    save_to: PathLike | None = None,
    dpi: int = 200,
) -> Figure:
    """Confusion matrix [C, C] (rows: true class, columns: predicted class) as an image.

    :param normalize: divide each row by its total, so a row reads as the share of that true
        class given each prediction (rows with no samples stay 0).
    :param class_names: C tick labels; None labels the classes 0..C-1.
    :return: the figure (the matrix axes and its colorbar).
    """
    func = "plot_confusion_matrix"
    mat = to_numpy(matrix, "matrix", 2, "[C, C]", func)
    c = mat.shape[0]
    if mat.shape[1] != c:
        raise ValueError(f"{func}: expected matrix of shape [C, C], got shape {mat.shape}")
    names = [str(i) for i in range(c)] if class_names is None else list(class_names)
    if len(names) != c:
        raise ValueError(f"{func}: expected {c} class_names, got {len(names)}")
    shown = _normalize_rows(mat) if normalize else mat

    side = min(max(4.0, 0.45 * c + 2.0), 16.0)
    fig = Figure(figsize=(side + 1.0, side), dpi=dpi, layout="constrained")
    ax = fig.add_subplot()
    vmax = 1.0 if normalize else max(float(shown.max()), 1.0)
    im = ax.imshow(shown, cmap="Blues", vmin=0.0, vmax=vmax, interpolation="nearest")
    fig.colorbar(im, ax=ax, label="fraction of true class" if normalize else "count")
    ax.set_xticks(np.arange(c), labels=names, rotation=45, ha="right", rotation_mode="anchor")
    ax.set_yticks(np.arange(c), labels=names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    if c <= 20:  # cell annotations become unreadable beyond this
        for (i, j), val in np.ndenumerate(shown):
            text = f"{val:.2f}" if normalize else f"{val:g}"
            colour = "white" if val > 0.5 * vmax else "black"
            ax.text(j, i, text, ha="center", va="center", color=colour, fontsize="small")
    return _finish(fig, save_to)


# --------------------------------------------------------------------------------------------
# per-frame panel (numpy only)
