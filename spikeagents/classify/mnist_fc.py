r"""``mnist-fc``: the docs' two-layer LIF network on Poisson-encoded MNIST (about 92%).

.. math::

    S_{in}[t] \sim \mathrm{Bernoulli}(x), \quad
    S_1[t] = \mathrm{LIF}(W_1 S_{in}[t]), \quad S_2[t] = \mathrm{LIF}(W_2 S_1[t]), \quad
    \text{rate} = \frac{1}{T} \sum_{t=0}^{T-1} S_2[t]

784 -> 196 -> 10, no biases, LIF with ``tau=100``, T = 50; trained with Adam (lr 1e-3) on the
MSE between the output firing rate and the one-hot label. The docs step the network T times;
here the whole sequence runs layer by layer (``SeqToANNContainer`` + multi-step LIF through the
fused kernel), which computes the same thing faster.

Shapes: ``x [B, 1, 28, 28]`` in [0, 1] -> ``[T, B, 1, 28, 28]`` spikes -> rates ``[B, 10]``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from torch import Tensor, nn

from spikeagents.classify.data import DataSplits, image_data
from spikeagents.classify.tasks import Task, check_neuron, spiking_neuron
from spikeagents.config import ConfigError
from spikeagents.snn.encoding import PoissonEncoder
from spikeagents.snn.layer import SeqToANNContainer

if TYPE_CHECKING:
    from spikeagents.classify.config import ClassifyConfig

__all__ = ["MnistFCParams", "PoissonFCNet", "TASK", "image_task_data"]


@dataclass(frozen=True)
class MnistFCParams:
    """:param hidden: hidden LIF neurons. :param tau: membrane time constant.
    :param neuron: ``lif``, ``if`` or ``plif``. :param surrogate: surrogate gradient name."""

    hidden: int = 196
    tau: float = 100.0
    v_threshold: float = 1.0
    v_reset: float | None = 0.0
    neuron: str = "lif"
    surrogate: str = "atan"

    def __post_init__(self) -> None:
        check_neuron(self.neuron, self.surrogate)
        if self.hidden < 1:
            raise ConfigError(f"hidden must be >= 1, got {self.hidden}", key="hidden")


class PoissonFCNet(nn.Module):
    """Poisson encoder + fully connected spiking layers, run layer by layer.

    :param T: simulation steps. :param sizes: layer widths, e.g. ``(784, 196, 10)``.
    Shapes: ``x [B, ...]`` in [0, 1] (flattened to ``sizes[0]``) -> firing rates
    ``[B, sizes[-1]]``.
    """

    def __init__(
        self,
        T: int,
        sizes: Sequence[int],
        neuron: str = "lif",
        tau: float = 100.0,
        surrogate: str = "atan",
        backend: str = "auto",
        v_threshold: float = 1.0,
        v_reset: float | None = 0.0,
    ) -> None:
        super().__init__()
        self.encoder = PoissonEncoder(T)
        layers: list[nn.Module] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            linear = nn.Linear(n_in, n_out, bias=False)
            layers.append(
                SeqToANNContainer(nn.Flatten(), linear) if i == 0 else SeqToANNContainer(linear)
            )
            layers.append(
                spiking_neuron(
                    neuron, tau, surrogate, backend, v_threshold=v_threshold, v_reset=v_reset
                )
            )
        self.layers = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        """``x [B, ...]`` -> firing rates ``[B, classes]``."""
        return self.layers(self.encoder(x)).mean(0)


def image_task_data(cfg: ClassifyConfig, data_dir: Path | None, progress: bool) -> DataSplits:
    """The image data of ``cfg.data`` (``mnist``, ``fashion`` or ``digits``)."""
    return image_data(cfg.data, cfg.batch_size, cfg.seed, data_dir, progress)


def build_model(cfg: ClassifyConfig) -> nn.Module:
    p: MnistFCParams = cfg.model
    return PoissonFCNet(
        cfg.T,
        (784, p.hidden, 10),
        p.neuron,
        p.tau,
        p.surrogate,
        cfg.backend,
        p.v_threshold,
        p.v_reset,
    )


TASK = Task(
    name="mnist-fc",
    summary="two-layer LIF network on Poisson-encoded MNIST (docs: ~92%)",
    params=MnistFCParams,
    data_choices=("mnist", "fashion", "digits"),
    make_data=image_task_data,
    build_model=build_model,
)
