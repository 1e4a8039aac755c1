"""Tests for spikeagents.viz: what each figure shows, saving, validation, the per-frame panel."""

from __future__ import annotations

import time
from collections.abc import Callable

import matplotlib.image as mpimg
import numpy as np
import pytest
import torch
from matplotlib.collections import EventCollection, PolyCollection
from matplotlib.figure import Figure

from spikeagents import viz

DPI = 40  # small figures keep the suite fast


def _spikes(t: int = 30, n: int = 12, p: float = 0.2, seed: int = 0) -> np.ndarray:
    return (np.random.default_rng(seed).random((t, n)) < p).astype(np.float32)


def _lif_trace(t: int = 60) -> tuple[np.ndarray, np.ndarray]:
    v, s, x = np.zeros(t), np.zeros(t), 0.0
    for i in range(t):
        x += (2.0 - x) / 10.0
        v[i] = x
        if x >= 1.0:
            s[i], x = 1.0, 0.0
    return v, s


# every plotting function, called with small valid inputs and a given save_to
PLOTS: dict[str, Callable[..., Figure]] = {
    "heatmap": lambda save_to=None: viz.plot_2d_heatmap(
        np.random.rand(20, 8), "V", "t", "neuron", dpi=DPI, save_to=save_to
    ),
    "bar_in_3d": lambda save_to=None: viz.plot_2d_bar_in_3d(
        np.random.rand(4, 6), "rates", "neuron", "epoch", "rate", dpi=DPI, save_to=save_to
    ),
    "spikes": lambda save_to=None: viz.plot_1d_spikes(
        _spikes(), "raster", "t", "neuron", dpi=DPI, save_to=save_to
    ),
    "feature_map": lambda save_to=None: viz.plot_2d_spiking_feature_map(
        (np.random.rand(6, 5, 5) > 0.7).astype(float), 2, 3, 1, "maps", dpi=DPI, save_to=save_to
    ),
    "neuron_v_s": lambda save_to=None: viz.plot_one_neuron_v_s(
        *_lif_trace(), dpi=DPI, save_to=save_to
    ),
    "learning_curve": lambda save_to=None: viz.plot_learning_curve(
        np.arange(10) * 100, np.random.rand(10), std=np.full(10, 0.1), dpi=DPI, save_to=save_to
    ),
    "confusion": lambda save_to=None: viz.plot_confusion_matrix(
        np.random.randint(0, 9, (3, 3)), ["a", "b", "c"], dpi=DPI, save_to=save_to
    ),
}
EXPECTED_AXES = {
    "heatmap": 2,  # image + colorbar
    "bar_in_3d": 1,
    "spikes": 2,  # raster + firing-rate column
    "feature_map": 1,
    "neuron_v_s": 2,  # voltage + spikes
    "learning_curve": 1,
    "confusion": 2,  # matrix + colorbar
}


@pytest.mark.parametrize("name", sorted(PLOTS))
def test_returns_figure_with_expected_axes(name: str) -> None:
    fig = PLOTS[name]()
    assert isinstance(fig, Figure)
    assert len(fig.axes) == EXPECTED_AXES[name]


def test_optional_parts_remove_their_axes() -> None:
    arr = np.random.rand(10, 4)
    assert len(viz.plot_2d_heatmap(arr, "", "", "", plot_colorbar=False, dpi=DPI).axes) == 1
    fig = viz.plot_1d_spikes(_spikes(), "", "", "", plot_firing_rate=False, dpi=DPI)
    assert len(fig.axes) == 1


@pytest.mark.parametrize("name", sorted(PLOTS))
def test_save_png_has_dpi_derived_size(name: str, tmp_path) -> None:
    path = tmp_path / "nested" / "deeper" / f"{name}.png"  # parents do not exist yet
    fig = PLOTS[name](save_to=path)
    assert path.stat().st_size > 0
    img = mpimg.imread(path)
    w_in, h_in = fig.get_size_inches()
    assert img.shape[:2] == (round(h_in * DPI), round(w_in * DPI))


@pytest.mark.parametrize(("suffix", "magic"), [(".pdf", b"%PDF"), (".svg", b"<svg")])
def test_save_format_follows_suffix(suffix: str, magic: bytes, tmp_path) -> None:
    path = tmp_path / f"curve{suffix}"
    viz.plot_learning_curve([0, 1, 2], [0.0, 1.0, 0.5], dpi=DPI, save_to=str(path))
    head = path.read_bytes()[:2000]
    assert magic in head


def test_unknown_suffix_raises(tmp_path) -> None:
    with pytest.raises(ValueError, match="save_to"):
        viz.plot_learning_curve([0, 1], [0.0, 1.0], dpi=DPI, save_to=tmp_path / "curve.xyz")


def test_raster_draws_every_spike_at_its_time() -> None:
    spikes = _spikes(t=40, n=10, p=0.25)
    fig = viz.plot_1d_spikes(spikes, "", "", "", dpi=DPI)
    events = [c for c in fig.axes[0].collections if isinstance(c, EventCollection)]
    assert sum(len(c.get_positions()) for c in events) == int(spikes.sum())
    by_neuron = {round(c.get_lineoffset()): sorted(c.get_positions()) for c in events}
    for i in range(spikes.shape[1]):
        assert by_neuron.get(i, []) == list(np.flatnonzero(spikes[:, i]))


def test_firing_rate_bars_are_mean_over_time() -> None:
    spikes = _spikes(t=25, n=7, p=0.4, seed=3)
    fig = viz.plot_1d_spikes(spikes, "", "", "", dpi=DPI)
    bars = fig.axes[1].patches
    assert len(bars) == spikes.shape[1]
    np.testing.assert_allclose([b.get_width() for b in bars], spikes.mean(axis=0))


def test_torch_tensors_are_accepted() -> None:
    v = torch.randn(15, 5, requires_grad=True)  # needs .detach() before numpy
    fig = viz.plot_2d_heatmap(v, "", "", "", dpi=DPI)
    np.testing.assert_allclose(fig.axes[0].images[0].get_array(), v.detach().numpy().T)

    spikes = torch.from_numpy(_spikes())
    fig = viz.plot_1d_spikes(spikes, "", "", "", dpi=DPI)
    bars = fig.axes[1].patches
    np.testing.assert_allclose([b.get_width() for b in bars], spikes.mean(0).numpy(), rtol=1e-6)

    cm = viz.plot_confusion_matrix(torch.eye(3, dtype=torch.int64) * 4, dpi=DPI)
    np.testing.assert_allclose(cm.axes[0].images[0].get_array(), np.eye(3))


@pytest.mark.parametrize(
    ("call", "expected"),
    [
        (lambda: viz.plot_2d_heatmap(np.zeros(5), "", "", ""), r"\[T, N\].*\(5,\)"),
        (lambda: viz.plot_2d_bar_in_3d(np.zeros((2, 3, 4)), "", "", "", ""), r"\(2, 3, 4\)"),
        (lambda: viz.plot_1d_spikes(np.zeros((2, 3, 4)), "", "", ""), r"\[T, N\].*\(2, 3, 4\)"),
        (
            lambda: viz.plot_2d_spiking_feature_map(np.zeros((4, 4)), 2, 2, 1, ""),
            r"\[C, W, H\].*\(4, 4\)",
        ),
        (lambda: viz.plot_one_neuron_v_s(np.zeros((3, 2)), np.zeros(6), ""), r"\[T\].*\(3, 2\)"),
        (lambda: viz.plot_one_neuron_v_s(np.zeros(5), np.zeros(6)), r"\(5,\).*\(6,\)"),
        (lambda: viz.plot_learning_curve(np.arange(4), np.zeros(5)), r"\(5,\)"),
        (lambda: viz.plot_confusion_matrix(np.zeros((3, 4))), r"\[C, C\].*\(3, 4\)"),
        (
            lambda: viz.render_raster_panel(np.zeros(7), None, 32, 32),
            r"\[N_neurons, window\].*\(7,\)",
        ),
        (lambda: viz.render_raster_panel(np.zeros((4, 5)), np.zeros((2, 2)), 32, 32), r"\[K\]"),
    ],
)
def test_wrong_shape_raises_naming_shapes(call: Callable[[], object], expected: str) -> None:
    with pytest.raises(ValueError, match=expected):
        call()


def test_non_binary_spikes_raise() -> None:
    with pytest.raises(ValueError, match="only 0 and 1"):
        viz.plot_1d_spikes(np.full((4, 3), 0.5), "", "", "")
    with pytest.raises(ValueError, match="only 0 and 1"):
        viz.plot_one_neuron_v_s(np.zeros(4), np.array([0, 2, 0, 1]))


def test_feature_map_places_each_map_in_its_cell() -> None:
    rng = np.random.default_rng(1)
    spikes = (rng.random((5, 3, 4)) > 0.5).astype(float)
    nrows, ncols, space = 2, 3, 2
    fig = viz.plot_2d_spiking_feature_map(spikes, nrows, ncols, space, "", dpi=DPI)
    canvas = fig.axes[0].images[0].get_array()
    assert canvas.shape == (nrows * 3 + space, ncols * 4 + 2 * space)
    for c in range(5):
        r, q = divmod(c, ncols)
        y, x = r * (3 + space), q * (4 + space)
        np.testing.assert_array_equal(canvas[y : y + 3, x : x + 4], spikes[c])
    assert canvas.mask[:, 4:6].all()  # the gap between columns is blank
    assert canvas.mask[3:, 12:].all()  # the unused sixth cell is blank
    with pytest.raises(ValueError, match="less than C"):
        viz.plot_2d_spiking_feature_map(spikes, 2, 2, 1, "")


def test_neuron_v_s_draws_threshold_reset_and_spikes() -> None:
    v, s = _lif_trace()
    fig = viz.plot_one_neuron_v_s(v, s, v_threshold=1.0, v_reset=0.0, dpi=DPI)
    ax_v, ax_s = fig.axes
    np.testing.assert_allclose(ax_v.lines[0].get_ydata(), v)
    levels = sorted(float(line.get_ydata()[0]) for line in ax_v.lines[1:])
    assert levels == [0.0, 1.0]
    (events,) = ax_s.collections
    np.testing.assert_array_equal(events.get_positions(), np.flatnonzero(s))

    fig = viz.plot_one_neuron_v_s(v, s, v_reset=None, dpi=DPI)
    assert len(fig.axes[0].lines) == 2  # trace + threshold only


def test_learning_curve_band_only_with_std() -> None:
    x, y = np.arange(5) * 10, np.array([0.0, 1.0, 3.0, 2.0, 4.0])
    fig = viz.plot_learning_curve(x, y, dpi=DPI)
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.lines[0].get_xydata(), np.stack([x, y], axis=1))
    assert not any(isinstance(c, PolyCollection) for c in ax.collections)

    fig = viz.plot_learning_curve(x, y, std=np.ones(5), dpi=DPI)
    (band,) = [c for c in fig.axes[0].collections if isinstance(c, PolyCollection)]
    ys = band.get_paths()[0].vertices[:, 1]
    assert ys.min() == pytest.approx(-1.0) and ys.max() == pytest.approx(5.0)


def test_confusion_matrix_rows_sum_to_one_when_normalised() -> None:
    counts = np.array([[5, 3, 2], [0, 0, 0], [1, 1, 8]])
    shown = viz.plot_confusion_matrix(counts, dpi=DPI).axes[0].images[0].get_array()
    np.testing.assert_allclose(shown.sum(axis=1), [1.0, 0.0, 1.0])  # an empty row stays 0
    np.testing.assert_allclose(shown[0], [0.5, 0.3, 0.2])

    raw = viz.plot_confusion_matrix(counts, normalize=False, dpi=DPI).axes[0].images[0]
    np.testing.assert_array_equal(raw.get_array(), counts)
    with pytest.raises(ValueError, match="class_names"):
        viz.plot_confusion_matrix(counts, ["a", "b"])


@pytest.mark.parametrize(
    ("n", "window", "width", "height"),
    [(64, 100, 300, 400), (8, 20, 200, 240), (500, 1000, 61, 47), (1, 1, 8, 8)],
)
@pytest.mark.parametrize("with_voltages", [True, False])
def test_panel_has_exact_shape_and_dtype(
    n: int, window: int, width: int, height: int, with_voltages: bool
) -> None:
    spikes = np.random.default_rng(0).random((n, window)) < 0.1
    voltages = torch.tensor([0.3, -0.2, 1.1]) if with_voltages else None
    img = viz.render_raster_panel(spikes, voltages, width, height)
    assert img.shape == (height, width, 3)
    assert img.dtype == np.uint8


def test_panel_depends_on_spikes_and_voltages() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.random((32, 50)) < 0.1, rng.random((32, 50)) < 0.1
    v = np.array([0.1, 0.5, -0.3])
    img_a = viz.render_raster_panel(a, v, 160, 200)
    assert not np.array_equal(img_a, viz.render_raster_panel(b, v, 160, 200))
    assert not np.array_equal(img_a, viz.render_raster_panel(a, v[::-1].copy(), 160, 200))
    np.testing.assert_array_equal(img_a, viz.render_raster_panel(a, v, 160, 200))


def test_panel_keeps_a_lone_spike_when_downsampling() -> None:
    silent = np.zeros((400, 900))
    lone = silent.copy()
    lone[123, 456] = 1.0  # far more neurons and steps than pixels
    img_silent = viz.render_raster_panel(silent, None, 40, 30)
    img_lone = viz.render_raster_panel(lone, None, 40, 30)
    assert len(np.unique(img_silent.reshape(-1, 3), axis=0)) == 1  # background only
    changed = np.any(img_lone != img_silent, axis=2)
    assert changed.sum() == 1
    row, col = np.argwhere(changed)[0]
    assert row == 123 * 30 // 400 and col == 456 * 40 // 900


def test_panel_is_fast_enough_per_frame() -> None:
    spikes = torch.rand(128, 200) < 0.1
    voltages = torch.randn(6)
    viz.render_raster_panel(spikes, voltages, 320, 480)  # warm-up
    start = time.perf_counter()
    for _ in range(20):
        viz.render_raster_panel(spikes, voltages, 320, 480)
    assert (time.perf_counter() - start) / 20 < 0.030
