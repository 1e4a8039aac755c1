r"""``fashion-conv``: the docs' convolutional SNN on Fashion-MNIST, run layer by layer
(93.3% with the step-by-step PythonNet, 93.46% with the layer-by-layer CupyNet, T = 4).

The first convolution sees the same static image at every step, so it runs once and its output
is repeated T times (it acts as a learned encoder). Every later layer runs on the whole sequence:
stateless layers inside ``SeqToANNContainer`` (time folded into the batch), neurons in
multi-step mode through the fused kernel::

    x [B, 1, 28, 28] -> Conv(1, C, 3) BN -> repeat T -> [T, B, C, 28, 28]
      -> IF -> MaxPool 2 -> Conv(C, C, 3) BN -> IF -> MaxPool 2 -> [T, B, C, 7, 7]
      -> Flatten -> Linear(49 C, H) -> IF -> Linear(H, 10) -> IF -> mean over T -> [B, 10]

C = 128, H = 2048, IF neurons with the ATan surrogate, no biases; SGD (lr 0.1, momentum 0.9),
cosine schedule over 64 epochs, batch 128, mixed precision.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from spikeagents.classify.data import image_task
from spikeagents.classify.task import RunConfig, check_neuron, check_positive, multistep_neuron
from spikeagents.snn.layer import SeqToANNContainer
from spikeagents.snn.neuron import BaseNode

__all__ = ["FashionConvParams", "ConvFashionNet", "TASK"]


@dataclass(frozen=True)
class FashionConvParams:
    """:param channels: convolution channels C. :param hidden: fully connected width H.
    :param neuron: ``if`` (the docs), ``lif`` or ``plif``; ``tau`` applies to the leaky ones."""

    channels: int = 128
    hidden: int = 2048
    neuron: str = "if"
    tau: float = 2.0
    surrogate: str = "atan"
    detach_reset: bool = False

    def __post_init__(self) -> None:
        check_neuron(self.neuron, self.surrogate)
        check_positive(self, "channels", "hidden")


class ConvFashionNet(nn.Module):
    """The layer-by-layer convolutional SNN. Shapes: ``x [B, 1, 28, 28]`` -> rates ``[B, 10]``.

    :param T: simulation steps. :param params: :class:`FashionConvParams`.
    :param backend: neuron kernel backend.
    """

    def __init__(
        self, T: int, params: FashionConvParams | None = None, backend: str = "auto"
    ) -> None:
        super().__init__()
        self.T = T
        p = params if params is not None else FashionConvParams()

        def node() -> BaseNode:
            return multistep_neuron(p, backend)

        c, hidden = p.channels, p.hidden
        self.static_conv = nn.Sequential(
            nn.Conv2d(1, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)
        )
        self.conv = nn.Sequential(
            node(),
            SeqToANNContainer(nn.MaxPool2d(2, 2)),
            SeqToANNContainer(nn.Conv2d(c, c, 3, padding=1, bias=False), nn.BatchNorm2d(c)),
            node(),
            SeqToANNContainer(nn.MaxPool2d(2, 2)),
        )
        self.fc = nn.Sequential(
            SeqToANNContainer(nn.Flatten(), nn.Linear(c * 7 * 7, hidden, bias=False)),
            node(),
            SeqToANNContainer(nn.Linear(hidden, 10, bias=False)),
            node(),
        )

    def forward(self, x: Tensor) -> Tensor:
        """``x [B, 1, 28, 28]`` -> firing rates ``[B, 10]``."""
        static = self.static_conv(x)
        x_seq = static.unsqueeze(0).expand(self.T, *static.shape)
        return self.fc(self.conv(x_seq)).mean(0)


def build_model(cfg: RunConfig) -> nn.Module:
    return ConvFashionNet(cfg.T, cfg.model, cfg.backend)


SUMMARY = "convolutional SNN on Fashion-MNIST, layer by layer (docs: 93.3%-93.46%)"
TASK = image_task("fashion-conv", SUMMARY, FashionConvParams, build_model, first="fashion")
