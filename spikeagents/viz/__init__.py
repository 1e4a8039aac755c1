"""Headless plots of spiking activity, learning curves and confusion matrices.

Every ``plot_*`` function builds a :class:`matplotlib.figure.Figure` through the object API (no
pyplot state, so nothing needs a display), returns it, and writes it to ``save_to`` when given
(format chosen by the suffix: ``.png``, ``.pdf``, ``.svg``, ...; parent folders are created).
Inputs may be numpy arrays, torch tensors (any device) or nested lists.

:func:`render_raster_panel` is the exception: it draws straight into a ``uint8`` RGB array with
numpy, fast enough to run once per frame of an environment video.

Example::

    import torch
    from spikeagents import viz

    spikes = (torch.rand(50, 32) < 0.1).float()  # [T, N]
    fig = viz.plot_1d_spikes(spikes, "Hidden layer", "time step", "neuron", save_to="raster.png")
"""

from spikeagents.viz.frames import render_raster_panel
from spikeagents.viz.plots import (
    plot_1d_spikes,
    plot_2d_bar_in_3d,
    plot_2d_heatmap,
    plot_2d_spiking_feature_map,
    plot_confusion_matrix,
    plot_learning_curve,
    plot_one_neuron_v_s,
)

__all__ = [
    "plot_2d_heatmap",
    "plot_2d_bar_in_3d",
    "plot_1d_spikes",
    "plot_2d_spiking_feature_map",
    "plot_one_neuron_v_s",
    "plot_learning_curve",
    "plot_confusion_matrix",
    "render_raster_panel",
]
