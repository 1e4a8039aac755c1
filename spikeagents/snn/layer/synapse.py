"""SynapseFilter: a low-pass synapse that turns spikes into an exponentially decaying current."""

from __future__ import annotations

import math
from typing import ClassVar

import torch
from torch import Tensor, nn

from spikeagents.snn.dynamics import decay_from_w
from spikeagents.snn.layer._base import StepByStepModule
from spikeagents.snn.layer._checks import check_state

__all__ = ["SynapseFilter"]


class SynapseFilter(StepByStepModule):
    r"""Low-pass synapse: the current decays exponentially and jumps by the input spike.

    .. math::
        \tau \frac{dI}{dt} = -I \quad\Rightarrow\quad
        I[t] = I[t-1] - (1 - S[t]) \frac{I[t-1]}{\tau} + S[t]

    Legend: :math:`S[t]` input spikes, :math:`I` the output current (0 after :meth:`reset`),
    :math:`\tau` the time constant. It is a LIF neuron with an infinite threshold whose voltage is
    the output; its last value reflects how many spikes arrived, so it can be an output layer.
    With ``learnable=True``, :math:`1/\tau = \mathrm{sigmoid}(w)` is learned (initialised at
    ``tau``), as in :class:`~spikeagents.snn.neuron.ParametricLIFNode`.

    Shapes: ``"s"`` ``[B, ...]``; ``"m"`` ``[T, B, ...]``; same shape out.

    Example::

        >>> syn = SynapseFilter(tau=2.0, step_mode="m")
        >>> syn(torch.tensor([[1.0], [0.0], [0.0]])).flatten()
        tensor([1.0000, 0.5000, 0.2500])
    """

    seq_layout: ClassVar[str] = "[T, ...]"
    seq_min_dim: ClassVar[int] = 1

    def __init__(self, tau: float = 100.0, learnable: bool = False, step_mode: str = "s") -> None:
        super().__init__()
        if not tau > 1.0:
            raise ValueError(f"SynapseFilter: tau must be > 1, got {tau}")
        self.learnable = bool(learnable)
        self.step_mode = step_mode
        if self.learnable:
            self.w = nn.Parameter(torch.tensor(-math.log(tau - 1.0)))
        else:
            self._tau = float(tau)
        self.i: Tensor | float = 0.0

    @property
    def tau(self) -> float:
        """The current time constant."""
        if self.learnable:
            return 1.0 / float(torch.sigmoid(self.w.detach()))
        return self._tau

    def reset(self) -> None:
        """Current back to 0."""
        self.i = 0.0

    def single_step_forward(self, s: Tensor) -> Tensor:
        """One step: ``s [B, ...] -> I [B, ...]``; updates ``i``."""
        check_state(self.i, tuple(s.shape), "SynapseFilter")
        decay = decay_from_w(self.w) if self.learnable else 1.0 / self._tau
        self.i = self.i - (1.0 - s) * decay * self.i + s
        return self.i

    def extra_repr(self) -> str:
        return f"tau={self.tau:.4g}, learnable={self.learnable}, step_mode={self.step_mode!r}"
