r"""``speech-commands``: keyword spotting on Google Speech Commands v0.02 with a spiking network
over log-mel frames.

A one-second clip becomes T log-mel (or MFCC) frames (:class:`spikeagents.datasets.audio.LogMel`,
hop ``16000 / T`` samples, 25 ms Hann window), normalised per feature; spiking layers run over
the frames as time steps. The default (``arch: conv``) is a convolutional SNN over time: layer
l convolves its input along time (kernel k, dilation :math:`2^l`, batch norm) and LIF neurons
integrate the result step by step,

.. math::

    m_t = \mathrm{BN}(\log \mathrm{mel}_t), \qquad
    s^{(l)}_t = \mathrm{LIF}\Big(\mathrm{BN}\big(\textstyle\sum_{j} W^{(l)}_j
        s^{(l-1)}_{t + 2^l (j - \lfloor k/2 \rfloor)}\big)\Big) \in \{0, 1\}^H,
    \quad s^{(0)} = m,

    \text{logits} = \frac{1}{T} \sum_{t=0}^{T-1} (W_o s^{(L)}_t + b_o)

so the readout is the time average of a non-spiking linear layer over the last spikes.
``arch: gru`` / ``lstm`` put the spiking recurrent cells of :mod:`spikeagents.snn.rnn` after a
LIF encoder (:math:`h_t = \mathrm{SpikingGRU}(s_t, h_{t-1})`, read out the same way); ``lif``
stacks fully connected LIF layers. Trained with cross-entropy and Adam; training clips are
time-shifted and mixed with background noise
(:class:`spikeagents.datasets.speech_commands.Augment`).

Classes (``model.classes``): the usual 12 (10 command words, ``unknown``, ``silence``), ``[all]``
(the 35 words), or any words present in the data folder, with or without the two specials.
Shapes: ``wave [B, 16000]`` -> logits ``[B, C]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch import Tensor, nn

from spikeagents.classify.data import DataSplits, dataset_root, loader_splits
from spikeagents.classify.task import RunConfig, Task, check_neuron, check_positive
from spikeagents.datasets.audio import LogMel
from spikeagents.datasets.speech_commands import (
    CLASSES_12,
    SAMPLE_RATE,
    WORDS,
    Augment,
    SpeechCommandsClips,
    prepare_speech_commands,
    resolve_classes,
    word_folders,
)
from spikeagents.schema import ConfigError, check_choice
from spikeagents.snn.layer import Dropout, SeqToANNContainer
from spikeagents.snn.neuron import BaseNode, get_neuron
from spikeagents.snn.rnn import SpikingGRU, SpikingLSTM

__all__ = ["SpeechParams", "SpeechSNN", "TASK"]

ARCHS = ("conv", "gru", "lstm", "lif")


@dataclass(frozen=True)
class SpeechParams:
    """:param classes: words of the data folder plus ``unknown`` / ``silence``; ``[all]`` is
        the 35 words. :param unknown_share: unknown clips per known clip; ``silence_share``
        likewise. :param shift_ms, noise_prob, noise_volume: training augmentation (0 / 0 / 0:
        none). :param n_mels: mel filters. :param n_mfcc: keep this many MFCCs (0: log-mel).
    :param arch: ``conv`` (temporal convolutions + LIF), ``gru`` / ``lstm`` (LIF encoder +
        spiking recurrent layers) or ``lif`` (fully connected LIF layers).
    :param hidden: channels / units per layer. :param num_layers: convolutional, recurrent or
        LIF layers. :param kernel: temporal kernel (odd; ``conv``). :param bidirectional:
        recurrent layers read the clip both ways.
    :param neuron: ``lif``, ``if`` or ``plif``; ``tau`` its time constant, ``surrogate`` its
        surrogate gradient (the recurrent gates use ``erf``).
    :param dropout: on the spikes before the readout (one mask per clip).
    """

    classes: tuple[Any, ...] = CLASSES_12  # checked below (YAML turns unquoted yes/no to bools)
    unknown_share: float = 0.1
    silence_share: float = 0.1
    shift_ms: float = 100.0
    noise_prob: float = 0.8
    noise_volume: float = 0.1
    n_mels: int = 40
    n_mfcc: int = 0
    arch: str = "conv"
    hidden: int = 128
    num_layers: int = 4
    kernel: int = 3
    bidirectional: bool = False
    neuron: str = "lif"
    tau: float = 2.0
    surrogate: str = "atan"
    dropout: float = 0.1

    def __post_init__(self) -> None:
        classes = tuple(self.classes)
        if any(not isinstance(c, str) for c in classes):
            raise ConfigError(
                f"class names must be strings, got {list(classes)}; YAML reads unquoted yes, no, "
                'on and off as true / false: quote them, e.g. \'model.classes=["yes","no"]\'',
                key="classes",
            )
        if "all" in classes:
            classes = tuple(dict.fromkeys(c for name in classes for c in (
                WORDS if name == "all" else (name,))))  # fmt: skip
        object.__setattr__(self, "classes", classes)
        if len(classes) < 2 or len(set(classes)) != len(classes):
            raise ConfigError(
                f"need two or more distinct classes, got {list(classes)}", key="classes"
            )
        check_neuron(self.neuron, self.surrogate)
        check_choice(self.arch, ARCHS, "arch", "arch")
        check_positive(self, "n_mels", "hidden", "num_layers", "kernel")
        if self.kernel % 2 == 0:
            raise ConfigError(f"kernel must be odd, got {self.kernel}", key="kernel")
        if not 0 <= self.n_mfcc <= self.n_mels:
            raise ConfigError(f"n_mfcc must be in [0, n_mels], got {self.n_mfcc}", key="n_mfcc")
        for key in ("unknown_share", "silence_share", "shift_ms", "noise_volume"):
            if getattr(self, key) < 0:
                raise ConfigError(f"{key} must be >= 0", key=key)
        for key in ("noise_prob", "dropout"):
            if not 0.0 <= getattr(self, key) < 1.0 + (key == "noise_prob"):
                raise ConfigError(f"{key} out of range: {getattr(self, key)}", key=key)


class TemporalConv(nn.Module):
    """A convolution over time (and batch norm) on a sequence, before spiking neurons.

    Shapes: ``[T, B, C_in]`` -> ``[T, B, C_out]`` (same T: zero padding, ``kernel`` odd).
    """

    def __init__(self, c_in: int, c_out: int, kernel: int, dilation: int = 1) -> None:
        super().__init__()
        pad = dilation * (kernel - 1) // 2
        self.conv = nn.Conv1d(c_in, c_out, kernel, padding=pad, dilation=dilation, bias=False)
        self.bn = nn.BatchNorm1d(c_out)

    def forward(self, x_seq: Tensor) -> Tensor:
        """``[T, B, C_in]`` -> ``[T, B, C_out]``."""
        return self.bn(self.conv(x_seq.permute(1, 2, 0))).permute(2, 0, 1)


class SpeechSNN(nn.Module):
    """Log-mel front end -> spiking layers over the frames -> time-averaged linear readout.

    ``arch``: ``conv`` (``num_layers`` temporal convolutions, kernel ``kernel``, dilations
    1, 2, 4, ..., each followed by LIF neurons), ``gru`` / ``lstm`` (a LIF encoder, then
    ``num_layers`` spiking recurrent layers), ``lif`` (``num_layers`` fully connected LIF layers).

    :param T: frames per one-second clip (time steps). Shapes: ``wave [B, N]`` -> ``[B, C]``.
    """

    def __init__(
        self,
        num_classes: int,
        T: int = 100,
        n_mels: int = 40,
        n_mfcc: int = 0,
        arch: str = "conv",
        hidden: int = 128,
        num_layers: int = 4,
        kernel: int = 3,
        bidirectional: bool = False,
        neuron: str = "lif",
        tau: float = 2.0,
        surrogate: str = "atan",
        dropout: float = 0.1,
        backend: str = "auto",
    ) -> None:
        super().__init__()
        self.T = T
        self.front = LogMel(SAMPLE_RATE, 512, 400, max(1, SAMPLE_RATE // T), n_mels, n_mfcc=n_mfcc)
        width = self.front.n_features
        self.norm = nn.BatchNorm1d(width)

        def node() -> BaseNode:
            return get_neuron(neuron, tau=tau, surrogate=surrogate, step_mode="m", backend=backend)

        def dense(n_in: int) -> nn.Module:
            return SeqToANNContainer(nn.Linear(n_in, hidden, bias=False), nn.BatchNorm1d(hidden))

        layers: list[nn.Module] = []
        self.rnn: nn.Module | None = None
        out_width = hidden
        if arch == "conv":
            for i in range(num_layers):
                layers += [TemporalConv(width if i == 0 else hidden, hidden, kernel, 2**i), node()]
        elif arch == "lif":
            for i in range(num_layers):
                layers += [dense(width if i == 0 else hidden), node()]
        else:
            layers += [dense(width), node()]
            cls = SpikingGRU if arch == "gru" else SpikingLSTM
            self.rnn = cls(hidden, hidden, num_layers, bidirectional=bidirectional)
            out_width = self.rnn.num_directions * hidden
        self.layers = nn.Sequential(*layers)
        self.drop = Dropout(dropout, step_mode="m")
        self.readout = nn.Linear(out_width, num_classes)

    def features(self, wave: Tensor) -> Tensor:
        """``wave [B, N]`` -> normalised frames ``[T, B, F]``."""
        frames = self.front(wave)[:, : self.T]  # [B, T, F]
        frames = self.norm(frames.transpose(1, 2)).transpose(1, 2)
        return frames.transpose(0, 1).contiguous()

    def forward(self, wave: Tensor) -> Tensor:
        """``wave [B, N]`` (16 kHz) -> logits ``[B, C]``."""
        out = self.layers(self.features(wave))
        if self.rnn is not None:
            out, _ = self.rnn(out)
        return self.readout(self.drop(out)).mean(0)


def speech_data(cfg: RunConfig, data_dir: Path | None, progress: bool) -> DataSplits:
    """Train/test clips of Speech Commands (``data_dir``: a folder in its layout, or where to
    download it; default ``./data/speech-commands``)."""
    p: SpeechParams = cfg.model
    if data_dir is not None and (Path(data_dir) / "testing_list.txt").is_file():
        folder = Path(data_dir)
    else:
        folder = prepare_speech_commands(
            dataset_root(data_dir, "speech-commands"), progress=progress
        )
    classes = resolve_classes(p.classes, word_folders(folder))
    augment = Augment(p.shift_ms, p.noise_prob, p.noise_volume)
    shares = dict(unknown_share=p.unknown_share, silence_share=p.silence_share, seed=cfg.seed)
    train = SpeechCommandsClips(folder, classes, "train", augment=augment, **shares)
    test = SpeechCommandsClips(folder, classes, "test", **shares)
    if len(train) == 0 or len(test) == 0:
        raise ValueError(f"{folder}: the train or test split holds no clips of {list(classes)}")
    return loader_splits(cfg, train, test, classes)


def build_model(cfg: RunConfig) -> nn.Module:
    p: SpeechParams = cfg.model
    return SpeechSNN(
        len(p.classes),
        cfg.T,
        p.n_mels,
        p.n_mfcc,
        p.arch,
        p.hidden,
        p.num_layers,
        p.kernel,
        p.bidirectional,
        p.neuron,
        p.tau,
        p.surrogate,
        p.dropout,
        cfg.backend,
    )


TASK = Task(
    name="speech-commands",
    summary="convolutional SNN over log-mel frames, Google Speech Commands v0.02 (12 or 35 words)",
    params=SpeechParams,
    data_choices=("speech-commands",),
    make_data=speech_data,
    build_model=build_model,
)
