r"""``mnist-tempotron``: the docs' Tempotron classifier (``event_driven.examples.tempotron_mnist``).

Every pixel in [0, 1] becomes ``m`` spike times through Gaussian tuning curves (m = 16,
beta = 1.5, times ``round((1 - g) T)``, late spikes dropped); one layer of 10 Tempotrons
(tau 15, tau_s 3.75, threshold 1) integrates them, and the class is the arg-max of the peak
voltages (taken after the first input spike: see :class:`~spikeagents.tempotron.Tempotron`).
Trained with the docs' loss on misclassified neurons (Adam lr 1e-3, batch 64, T 10).
The docs report about 67.1% on MNIST (and overfitting); the Tempotron literature about 84%.

Shapes: ``x [B, 1, 28, 28]`` -> spike times ``[B, 784 m]`` -> margins ``[B, 10]`` =
``V_max - V_th`` (> 0: the neuron fires). The task's loss is
:func:`~spikeagents.tempotron.tempotron_loss` on the margins (threshold 0), whatever ``loss:``
says in the recipe.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import Tensor, nn

from spikeagents.classify.data import image_task
from spikeagents.classify.task import RunConfig
from spikeagents.schema import ConfigError
from spikeagents.tempotron import Tempotron, encode_images, tempotron_loss

__all__ = ["TempotronParams", "TempotronNet", "margin_loss", "TASK"]


@dataclass(frozen=True)
class TempotronParams:
    """:param m: Gaussian tuning neurons per pixel. :param beta: tuning-curve width factor.
    :param tau: membrane and :param tau_s: synaptic time constants. :param v_threshold: V_th.
    :param peak_after_input: peak over the times after the first input spike (``False``: all
        times, as the docs, which lets a neuron that never rises above rest die)."""

    m: int = 16
    beta: float = 1.5
    tau: float = 15.0
    tau_s: float = 3.75
    v_threshold: float = 1.0
    peak_after_input: bool = True

    def __post_init__(self) -> None:
        if self.m < 3:
            raise ConfigError(f"m must be >= 3, got {self.m}", key="m")
        if not self.tau > self.tau_s > 0:
            raise ConfigError(f"need tau > tau_s > 0, got {self.tau}, {self.tau_s}", key="tau")
        if self.beta <= 0:
            raise ConfigError(f"beta must be > 0, got {self.beta}", key="beta")


class TempotronNet(nn.Module):
    """Gaussian tuning encoder + one Tempotron layer. ``[B, 1, 28, 28] -> margins [B, 10]``."""

    def __init__(self, T: int, pixels: int = 784, p: TempotronParams | None = None) -> None:
        super().__init__()
        p = p or TempotronParams()
        self.T, self.m, self.beta = T, p.m, p.beta
        self.tempotron = Tempotron(
            pixels * p.m, 10, T, p.tau, p.tau_s, p.v_threshold, peak_after_input=p.peak_after_input
        )

    def forward(self, x: Tensor) -> Tensor:
        times = encode_images(x, self.m, self.T, self.beta)
        return self.tempotron(times) - self.tempotron.v_threshold


def margin_loss(margins: Tensor, labels: Tensor) -> Tensor:
    """The docs' Tempotron loss on margins ``V_max - V_th`` ``[B, 10]``."""
    return tempotron_loss(margins, labels, v_threshold=0.0)


def _build(cfg: RunConfig) -> nn.Module:
    return TempotronNet(cfg.T, 784, cfg.model)


SUMMARY = "one layer of Tempotrons on Gaussian-tuning spike times (docs: 67.1%)"
TASK = image_task("mnist-tempotron", SUMMARY, TempotronParams, _build, loss=margin_loss)
