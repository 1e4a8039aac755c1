r"""``mnist-single``: the docs' single-layer LIF network on Poisson-encoded MNIST (92.5%).

.. math::

    S_{in}[t] \sim \mathrm{Bernoulli}(x), \quad S[t] = \mathrm{LIF}(W S_{in}[t]), \quad
    \text{rate} = \frac{1}{T} \sum_t S[t]

784 -> 10, no bias, LIF with ``tau=2``, T = 100, Adam (lr 1e-3), MSE on the firing rate.
Shapes: ``x [B, 1, 28, 28]`` in [0, 1] -> rates ``[B, 10]``.
"""

from __future__ import annotations

from torch import nn

from spikeagents.classify.data import image_task
from spikeagents.classify.task import RunConfig
from spikeagents.classify.tasks.mnist_fc import PoissonFCNet, PoissonFCParams

__all__ = ["TASK"]


def build_model(cfg: RunConfig) -> nn.Module:
    return PoissonFCNet(cfg.T, (784, 10), cfg.model, cfg.backend)


SUMMARY = "single-layer LIF network on Poisson-encoded MNIST (docs: 92.5%)"
TASK = image_task("mnist-single", SUMMARY, PoissonFCParams, build_model)
