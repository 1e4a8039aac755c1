"""The bases of the layers with a ``step_mode``.

- :class:`StepModeModule`: an ``nn.Module`` with the validated ``step_mode`` of
  :mod:`spikeagents.snn.step_mode`.
- :class:`StepByStepModule`: a stateful layer defined by one step, ``single_step_forward(x [B,
  ...])``; in multi-step mode it runs that step over ``x_seq [T, B, ...]``, ``t = 0 .. T-1``.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor, nn

from spikeagents.snn.layer._checks import check_dim
from spikeagents.snn.step_mode import StepModeMixin

__all__ = ["StepModeModule", "StepByStepModule"]


class StepModeModule(StepModeMixin, nn.Module):
    """A module with a validated ``step_mode`` (``"s"`` or ``"m"``)."""


class StepByStepModule(StepModeModule):
    r"""A stateful layer whose multi-step forward is its single step, once per time step.

    .. math:: Y[t] = \mathrm{step}(X[t]), \quad t = 0, \dots, T-1 \quad \text{(state carried)}

    Subclasses define :meth:`single_step_forward` and the multi-step input they accept:
    ``seq_layout`` (shown in errors) and ``seq_min_dim`` (its least number of dims).
    """

    seq_layout: ClassVar[str] = "[T, B, ...]"
    seq_min_dim: ClassVar[int] = 2

    def single_step_forward(self, x: Tensor) -> Tensor:
        """One step ``x [B, ...]``; updates the state."""
        raise NotImplementedError

    def forward(self, x: Tensor) -> Tensor:
        """``"s"``: one step ``[B, ...]``; ``"m"``: ``[T, B, ...]``; same shape out."""
        if self.step_mode == "s":
            return self.single_step_forward(x)
        layout = f"{self.seq_layout} in multi-step mode"
        check_dim(x, self.seq_min_dim, type(self).__name__, layout)
        return torch.stack([self.single_step_forward(x[t]) for t in range(x.shape[0])])
