r"""``dvs-gesture``: the PLIF network with a voting layer on DVS128 Gesture (Fang et al. 2021;
96.18% in the docs at T = 16, 97.57% in the paper).

``{c128k3s1-BN-PLIF-MPk2s2}*5 - DP - FC512 - PLIF - DP - FC110 - PLIF - APk10s10``::

    frames [B, T, 2, S, S] -> [T, B, 2, S, S]
      -> 5 x (Conv(., C, 3) BN -> PLIF -> MaxPool 2)    S -> S / 32
      -> Flatten -> Dropout 0.5 -> Linear(C (S/32)^2, 512) -> PLIF
      -> Dropout 0.5 -> Linear(512, 110) -> PLIF -> mean over T -> vote (groups of 10) -> [B, 11]

Neurons: ParametricLIF (init tau 2, ATan surrogate, ``detach_reset=True``); dropout masks are
shared by all time steps. Adam (lr 1e-3), cosine schedule (T_max 64), batch 16, MSE.
Frames come from :class:`spikeagents.datasets.DVSGestureFrames` (split by event count,
cached); ``frames.frame_size`` below 128 downscales the sensor for quick runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from torch import Tensor, nn

from spikeagents.classify.data import DataSplits, dataset_root, loader_splits
from spikeagents.classify.task import (
    RunConfig,
    Task,
    check_fraction,
    check_neuron,
    check_positive,
    multistep_neuron,
)
from spikeagents.datasets.dvs_gesture import GESTURE_CLASSES, DVSGestureFrames
from spikeagents.snn.layer import Dropout, SeqToANNContainer, VotingLayer
from spikeagents.snn.neuron import BaseNode

__all__ = ["GestureParams", "GestureNet", "TASK"]

N_BLOCKS = 5


@dataclass(frozen=True)
class GestureParams:
    """:param channels: convolution channels C. :param hidden: fully connected width.
    :param neuron: ``plif`` (the paper), ``lif`` or ``if``; ``tau`` its (initial) time constant.
    :param dropout: dropout probability. :param voting_size: output neurons per class."""

    channels: int = 128
    hidden: int = 512
    neuron: str = "plif"
    tau: float = 2.0
    surrogate: str = "atan"
    detach_reset: bool = True
    dropout: float = 0.5
    voting_size: int = 10

    def __post_init__(self) -> None:
        check_neuron(self.neuron, self.surrogate)
        check_positive(self, "channels", "hidden", "voting_size")
        check_fraction(self, "dropout")


class GestureNet(nn.Module):
    """The PLIF gesture network. Shapes: ``frames [B, T, 2, S, S]`` -> rates ``[B, classes]``.

    :param frame_size: S, a multiple of 32 (five 2x2 poolings).
    :param params: :class:`GestureParams`. :param classes: output classes.
    :param backend: neuron kernel backend.
    """

    def __init__(
        self,
        frame_size: int = 128,
        params: GestureParams | None = None,
        classes: int = len(GESTURE_CLASSES),
        backend: str = "auto",
    ) -> None:
        super().__init__()
        if frame_size % 2**N_BLOCKS:
            raise ValueError(f"frame_size must be a multiple of {2**N_BLOCKS}, got {frame_size}")
        p = params if params is not None else GestureParams()
        channels, hidden, dropout, voting_size = p.channels, p.hidden, p.dropout, p.voting_size

        def node() -> BaseNode:
            return multistep_neuron(p, backend)

        blocks: list[nn.Module] = []
        for i in range(N_BLOCKS):
            conv = nn.Conv2d(2 if i == 0 else channels, channels, 3, padding=1, bias=False)
            blocks += [
                SeqToANNContainer(conv, nn.BatchNorm2d(channels)),
                node(),
                SeqToANNContainer(nn.MaxPool2d(2, 2)),
            ]
        self.conv = nn.Sequential(*blocks)
        side = frame_size // 2**N_BLOCKS
        self.fc = nn.Sequential(
            SeqToANNContainer(nn.Flatten()),
            Dropout(dropout, step_mode="m"),
            SeqToANNContainer(nn.Linear(channels * side * side, hidden, bias=False)),
            node(),
            Dropout(dropout, step_mode="m"),
            SeqToANNContainer(nn.Linear(hidden, classes * voting_size, bias=False)),
            node(),
        )
        self.vote = VotingLayer(voting_size)

    def forward(self, frames: Tensor) -> Tensor:
        """``frames [B, T, 2, S, S]`` -> firing rates ``[B, classes]``."""
        x_seq = frames.transpose(0, 1)
        return self.vote(self.fc(self.conv(x_seq)).mean(0))


def gesture_data(cfg: RunConfig, data_dir: Path | None, progress: bool) -> DataSplits:
    """DVS128 Gesture frames (``cfg.T`` frames per sample) from ``data_dir``."""
    root = dataset_root(data_dir, "dvs128-gesture")
    f = cfg.frames
    train = DVSGestureFrames(root, True, cfg.T, f.split_by, f.frame_size, progress)
    test = DVSGestureFrames(root, False, cfg.T, f.split_by, f.frame_size, progress)
    return loader_splits(cfg, train, test, GESTURE_CLASSES)


def build_model(cfg: RunConfig) -> nn.Module:
    return GestureNet(cfg.frames.frame_size, cfg.model, len(GESTURE_CLASSES), cfg.backend)


TASK = Task(
    name="dvs-gesture",
    summary="PLIF network with a voting layer on DVS128 Gesture frames (docs: 96.18%)",
    params=GestureParams,
    data_choices=("dvs-gesture",),
    make_data=gesture_data,
    build_model=build_model,
    uses_frames=True,
)
