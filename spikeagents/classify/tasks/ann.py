r"""``mnist-ann`` and ``mnist-cnn``: ReLU networks trained as ANNs, to be converted into SNNs.

They train through the same trainer as the spiking tasks (``loss: ce`` on their logits) and
their run folder is what ``spikeagents convert RUN_DIR`` takes.

``mnist-ann`` is the docs' ann2snn network (98.8% ANN, 98.51% SNN on MNIST)::

    x [B, 1, 28, 28] -> 3 x [Conv(., C, 3) -> BN(eps 1e-3) -> ReLU -> AvgPool 2]   [B, C, 1, 1]
      -> Flatten -> Linear(C, 10) -> ReLU -> [B, 10]

``mnist-cnn`` uses the layers the docs' converter does not handle (max pooling, a residual
addition, dropout, BatchNorm1d)::

    x -> Conv(1, C, 3, pad 1) BN ReLU -> MaxPool 2                                [B, C, 14, 14]
      -> h = Conv(C, C, 3, pad 1) BN ReLU Conv(C, C, 3, pad 1) BN; ReLU(h + x) -> MaxPool 2
      -> Flatten -> Dropout -> Linear(49 C, H) -> BN1d -> ReLU -> Linear(H, 10)    [B, 10]
"""

from __future__ import annotations

from dataclasses import dataclass

import torch.nn.functional as F
from torch import Tensor, nn

from spikeagents.classify.data import image_task
from spikeagents.classify.task import RunConfig, check_fraction, check_positive

__all__ = ["DocsANNParams", "ResidualCNNParams", "docs_ann", "ResidualCNN", "TASK_ANN", "TASK_CNN"]


@dataclass(frozen=True)
class DocsANNParams:
    """:param channels: channels C of the three convolutions.
    :param final_relu: end with a ReLU on the logits, as the docs do."""

    channels: int = 32
    final_relu: bool = True

    def __post_init__(self) -> None:
        check_positive(self, "channels")


def docs_ann(channels: int = 32, final_relu: bool = True) -> nn.Sequential:
    """The docs' ann2snn CNN. Shapes: ``[B, 1, 28, 28] -> [B, 10]``."""
    layers: list[nn.Module] = []
    c_in = 1
    for _ in range(3):
        layers += [
            nn.Conv2d(c_in, channels, 3, 1),
            nn.BatchNorm2d(channels, eps=1e-3),
            nn.ReLU(),
            nn.AvgPool2d(2, 2),
        ]
        c_in = channels
    layers += [nn.Flatten(), nn.Linear(channels, 10)]
    if final_relu:
        layers.append(nn.ReLU())
    return nn.Sequential(*layers)


@dataclass(frozen=True)
class ResidualCNNParams:
    """:param channels: convolution channels C. :param hidden: fully connected width H.
    :param dropout: dropout before the first Linear."""

    channels: int = 16
    hidden: int = 64
    dropout: float = 0.2

    def __post_init__(self) -> None:
        check_positive(self, "channels", "hidden")
        check_fraction(self, "dropout")


class ResidualCNN(nn.Module):
    """The ``mnist-cnn`` network (see the module docstring). ``[B, 1, 28, 28] -> [B, 10]``."""

    def __init__(self, channels: int = 16, hidden: int = 64, dropout: float = 0.2) -> None:
        super().__init__()
        c = channels
        self.stem = nn.Sequential(
            nn.Conv2d(1, c, 3, padding=1, bias=False), nn.BatchNorm2d(c), nn.ReLU()
        )
        self.pool = nn.MaxPool2d(2)
        self.block = nn.Sequential(
            nn.Conv2d(c, c, 3, padding=1, bias=False),
            nn.BatchNorm2d(c),
            nn.ReLU(),
            nn.Conv2d(c, c, 3, padding=1, bias=False),
            nn.BatchNorm2d(c),
        )
        self.head = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(c * 7 * 7, hidden),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Linear(hidden, 10),
        )

    def forward(self, x: Tensor) -> Tensor:
        x = self.pool(self.stem(x))
        x = F.relu(self.block(x) + x)
        return self.head(self.pool(x))


def _build_ann(cfg: RunConfig) -> nn.Module:
    p: DocsANNParams = cfg.model
    return docs_ann(p.channels, p.final_relu)


def _build_cnn(cfg: RunConfig) -> nn.Module:
    p: ResidualCNNParams = cfg.model
    return ResidualCNN(p.channels, p.hidden, p.dropout)


_ANN = "the docs' ReLU CNN, trained as an ANN for `spikeagents convert` (docs: 98.8%)"
TASK_ANN = image_task("mnist-ann", _ANN, DocsANNParams, _build_ann)
_CNN = "ReLU CNN with max pooling and a residual block, for `spikeagents convert`"
TASK_CNN = image_task("mnist-cnn", _CNN, ResidualCNNParams, _build_cnn)
