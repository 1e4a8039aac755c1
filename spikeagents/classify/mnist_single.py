r"""``mnist-single``: the docs' single-layer LIF network on Poisson-encoded MNIST (92.5%).

.. math::

    S_{in}[t] \sim \mathrm{Bernoulli}(x), \quad S[t] = \mathrm{LIF}(W S_{in}[t]), \quad
    \text{rate} = \frac{1}{T} \sum_t S[t]

784 -> 10, no bias, LIF with ``tau=2``, T = 100, Adam (lr 1e-3), MSE on the firing rate.
Shapes: ``x [B, 1, 28, 28]`` in [0, 1] -> rates ``[B, 10]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from torch import nn

from spikeagents.classify.mnist_fc import PoissonFCNet, image_task_data
from spikeagents.classify.tasks import Task, check_neuron

if TYPE_CHECKING:
    from spikeagents.classify.config import ClassifyConfig

__all__ = ["MnistSingleParams", "TASK"]


@dataclass(frozen=True)
class MnistSingleParams:
    """:param tau: membrane time constant. :param neuron: ``lif``, ``if`` or ``plif``."""

    tau: float = 2.0
    v_threshold: float = 1.0
    v_reset: float | None = 0.0
    neuron: str = "lif"
    surrogate: str = "atan"

    def __post_init__(self) -> None:
        check_neuron(self.neuron, self.surrogate)


def build_model(cfg: ClassifyConfig) -> nn.Module:
    p: MnistSingleParams = cfg.model
    return PoissonFCNet(
        cfg.T, (784, 10), p.neuron, p.tau, p.surrogate, cfg.backend, p.v_threshold, p.v_reset
    )


TASK = Task(
    name="mnist-single",
    summary="single-layer LIF network on Poisson-encoded MNIST (docs: 92.5%)",
    params=MnistSingleParams,
    data_choices=("mnist", "fashion", "digits"),
    make_data=image_task_data,
    build_model=build_model,
)
