"""Pooling across neurons rather than across space.

- :class:`VotingLayer`: the mean of each group of neighbouring outputs, one vote per class.
- :class:`ChannelsPool`: a 1-d pooling layer run over the channel dimension.
"""

from __future__ import annotations

from torch import Tensor, nn

from spikeagents.snn.layer._base import StepModeModule
from spikeagents.snn.layer._checks import check_dim, check_positive_int

__all__ = ["VotingLayer", "ChannelsPool"]


class VotingLayer(nn.Module):
    r"""Average groups of ``voting_size`` neighbouring neurons: one vote per class.

    .. math:: Y_{\dots, c} = \frac{1}{n} \sum_{k=0}^{n-1} X_{\dots,\, c n + k}, \qquad n =
              \text{voting\_size}

    Shapes: ``[..., C * n] -> [..., C]`` (works for ``[B, N]`` and ``[T, B, N]``). Equivalent to
    ``AvgPool1d(n, n)`` over the last dimension.

    Example::

        >>> import torch
        >>> VotingLayer(2)(torch.tensor([[1.0, 0.0, 1.0, 1.0]]))
        tensor([[0.5000, 1.0000]])
    """

    def __init__(self, voting_size: int = 10) -> None:
        super().__init__()
        self.voting_size = check_positive_int(voting_size, "voting_size")

    def forward(self, x: Tensor) -> Tensor:
        """``[..., C * voting_size] -> [..., C]``."""
        n = self.voting_size
        if x.dim() == 0 or x.shape[-1] % n != 0:
            raise ValueError(
                f"VotingLayer: the last dim must be divisible by voting_size={n}, "
                f"got shape {tuple(x.shape)}"
            )
        return x.unflatten(-1, (x.shape[-1] // n, n)).mean(-1)

    def extra_repr(self) -> str:
        return f"voting_size={self.voting_size}"


class ChannelsPool(StepModeModule):
    """Pool over the channel dimension with a 1-d pooling layer.

    ``Y[b, :, h, w] = pool(X[b, :, h, w])``, e.g. ``nn.MaxPool1d(2, 2)`` halves the channels.

    Shapes: ``"s"`` ``[B, C, ...] -> [B, C', ...]``; ``"m"`` ``[T, B, C, ...] -> [T, B, C', ...]``.

    :param pool: ``nn.MaxPool1d`` or ``nn.AvgPool1d`` (any module mapping ``[N, L, C] -> [N, L,
        C']``).

    Example::

        >>> import torch
        >>> ChannelsPool(nn.MaxPool1d(2, 2))(torch.rand(2, 8, 4, 4)).shape
        torch.Size([2, 4, 4, 4])
    """

    def __init__(self, pool: nn.Module, step_mode: str = "s") -> None:
        super().__init__()
        self.pool = pool
        self.step_mode = step_mode

    def forward(self, x: Tensor) -> Tensor:
        """See the class docstring for shapes."""
        if self.step_mode == "m":
            check_dim(x, 4, "ChannelsPool", "[T, B, C, ...] in multi-step mode")
            T, B = x.shape[:2]
            return self._pool(x.flatten(0, 1)).unflatten(0, (T, B))
        check_dim(x, 3, "ChannelsPool", "[B, C, ...] in single-step mode")
        return self._pool(x)

    def _pool(self, x: Tensor) -> Tensor:
        spatial = x.shape[2:]
        y = self.pool(x.flatten(2).transpose(1, 2))  # [B, L, C] -> [B, L, C']
        return y.transpose(1, 2).unflatten(2, spatial)
