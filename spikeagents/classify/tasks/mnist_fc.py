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

from torch import Tensor, nn

from spikeagents.classify.data import image_task
from spikeagents.classify.task import RunConfig, check_neuron, check_positive, multistep_neuron
from spikeagents.snn.encoding import PoissonEncoder
from spikeagents.snn.layer import SeqToANNContainer

__all__ = ["PoissonFCParams", "MnistFCParams", "PoissonFCNet", "TASK"]


@dataclass(frozen=True)
class PoissonFCParams:
    """The neurons of a :class:`PoissonFCNet` (the ``mnist-single`` recipe's ``model:``).

    :param tau: membrane time constant. :param v_threshold: threshold. :param v_reset: hard
        reset value (``null``: soft reset). :param neuron: ``lif``, ``if`` or ``plif``.
    :param surrogate: surrogate gradient name."""

    tau: float = 2.0
    v_threshold: float = 1.0
    v_reset: float | None = 0.0
    neuron: str = "lif"
    surrogate: str = "atan"

    def __post_init__(self) -> None:
        check_neuron(self.neuron, self.surrogate)


@dataclass(frozen=True)
class MnistFCParams(PoissonFCParams):
    """:class:`PoissonFCParams` (``tau`` 100 by default) plus :param hidden: hidden neurons."""

    tau: float = 100.0
    hidden: int = 196

    def __post_init__(self) -> None:
        super().__post_init__()
        check_positive(self, "hidden")


class PoissonFCNet(nn.Module):
    """Poisson encoder + fully connected spiking layers, run layer by layer.

    :param T: simulation steps. :param sizes: layer widths, e.g. ``(784, 196, 10)``.
    :param params: the neurons (:class:`PoissonFCParams`). :param backend: kernel backend.
    Shapes: ``x [B, ...]`` in [0, 1] (flattened to ``sizes[0]``) -> firing rates
    ``[B, sizes[-1]]``.
    """

    def __init__(
        self,
        T: int,
        sizes: Sequence[int],
        params: PoissonFCParams | None = None,
        backend: str = "auto",
    ) -> None:
        super().__init__()
        p = params if params is not None else PoissonFCParams()
        self.encoder = PoissonEncoder(T)
        layers: list[nn.Module] = []
        for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
            linear = nn.Linear(n_in, n_out, bias=False)
            layers.append(
                SeqToANNContainer(nn.Flatten(), linear) if i == 0 else SeqToANNContainer(linear)
            )
            layers.append(multistep_neuron(p, backend))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: Tensor) -> Tensor:
        """``x [B, ...]`` -> firing rates ``[B, classes]``."""
        return self.layers(self.encoder(x)).mean(0)


def build_model(cfg: RunConfig) -> nn.Module:
    p: MnistFCParams = cfg.model
    return PoissonFCNet(cfg.T, (784, p.hidden, 10), p, cfg.backend)


SUMMARY = "two-layer LIF network on Poisson-encoded MNIST (docs: ~92%)"
TASK = image_task("mnist-fc", SUMMARY, MnistFCParams, build_model)
