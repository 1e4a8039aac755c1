"""NeuNorm: a running lateral normalisation of spike maps across channels."""

from __future__ import annotations

import math
from typing import ClassVar

import torch
from torch import Tensor, nn

from spikeagents.snn.layer._base import StepByStepModule
from spikeagents.snn.layer._checks import check_positive_int, check_state

__all__ = ["NeuNorm"]


class NeuNorm(StepByStepModule):
    r"""NeuNorm (Wu et al. 2019, "Direct Training for SNNs: Faster, Larger, Better").

    An auxiliary neuron per position integrates the spikes of all channels and is subtracted,
    with a learned weight, from every channel: a running lateral normalisation.

    .. math::
        x[t] = k\, x[t-1] + \frac{1 - k}{F^2} \sum_{f=1}^{F} S[t]_{f}, \qquad
        Y[t]_{f} = S[t]_{f} - w_{f} \odot x[t]

    Legend: :math:`S[t]` input spikes ``[B, F, H, W]`` (placed as ``Conv2d -> LIF -> NeuNorm``),
    :math:`F` = ``in_channels``, :math:`k` = ``k`` (the paper's :math:`k_{\tau 2}`; its
    :math:`v_F = 1 - k`), :math:`x` the auxiliary state ``[B, 1, H, W]`` (zero after
    :meth:`reset`), :math:`w` a learned ``[F, H, W]`` weight (``[1, H, W]`` when
    ``shared_across_channels``).

    Shapes: ``"s"`` ``[B, F, H, W]``; ``"m"`` ``[T, B, F, H, W]``.

    Example::

        >>> NeuNorm(2, 3, 3)(torch.ones(4, 2, 3, 3)).shape
        torch.Size([4, 2, 3, 3])
    """

    seq_layout: ClassVar[str] = "[T, B, F, H, W]"
    seq_min_dim: ClassVar[int] = 5

    def __init__(
        self,
        in_channels: int,
        height: int,
        width: int,
        k: float = 0.9,
        shared_across_channels: bool = False,
        step_mode: str = "s",
    ) -> None:
        super().__init__()
        self.in_channels = check_positive_int(in_channels, "in_channels")
        self.height = check_positive_int(height, "height")
        self.width = check_positive_int(width, "width")
        if not 0.0 <= k < 1.0:
            raise ValueError(f"NeuNorm: k must be in [0, 1), got {k}")
        self.k = float(k)
        self.shared_across_channels = bool(shared_across_channels)
        self.step_mode = step_mode
        channels = 1 if shared_across_channels else in_channels
        bound = 1.0 / math.sqrt(height * width)
        self.w = nn.Parameter(torch.empty(channels, height, width).uniform_(-bound, bound))
        self.x: Tensor | float = 0.0

    def reset(self) -> None:
        """Auxiliary state back to 0."""
        self.x = 0.0

    def single_step_forward(self, s: Tensor) -> Tensor:
        """One step: ``s [B, F, H, W] -> [B, F, H, W]``; updates ``x``."""
        expected = (self.in_channels, self.height, self.width)
        if s.dim() != 4 or tuple(s.shape[1:]) != expected:
            raise ValueError(
                f"NeuNorm expects steps of shape [B, {', '.join(map(str, expected))}], "
                f"got {tuple(s.shape)}"
            )
        check_state(self.x, (s.shape[0], 1, self.height, self.width), "NeuNorm")
        scale = (1.0 - self.k) / self.in_channels**2
        self.x = self.k * self.x + scale * s.sum(dim=1, keepdim=True)
        return s - self.w * self.x

    def extra_repr(self) -> str:
        return (
            f"in_channels={self.in_channels}, height={self.height}, width={self.width}, "
            f"k={self.k}, shared_across_channels={self.shared_across_channels}, "
            f"step_mode={self.step_mode!r}"
        )
