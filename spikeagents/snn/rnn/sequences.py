"""Variable-length batches for the recurrent stacks: padding and masks (time-major)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch import Tensor

__all__ = ["pad_sequence_collate", "padded_sequence_mask"]


def pad_sequence_collate(batch: Sequence[tuple[Any, Any]]) -> tuple[Tensor, Tensor, Tensor]:
    """``collate_fn`` for samples ``(x [T_i, *], y)`` of different lengths.

    :return: ``x [T_max, N, *]`` (zero-padded, time-major), ``y [N]`` and the lengths
        ``[N]`` (int64), e.g. for :func:`padded_sequence_mask`.
    """
    if not batch:
        raise ValueError("pad_sequence_collate: empty batch")
    xs = [torch.as_tensor(x) for x, _ in batch]
    lengths = torch.tensor([len(x) for x in xs], dtype=torch.long)
    y = torch.as_tensor([label for _, label in batch])
    return torch.nn.utils.rnn.pad_sequence(xs), y, lengths


def padded_sequence_mask(sequence_len: Tensor, T: int | None = None) -> Tensor:
    """Bool mask ``[T, N]``, True where step ``t < sequence_len[n]`` (False at padding).

    :param sequence_len: lengths ``[N]``. :param T: steps (default: the longest length).

    Example::

        >>> padded_sequence_mask(torch.tensor([2, 3])).int().T.tolist()
        [[1, 1, 0], [1, 1, 1]]
    """
    lengths = torch.as_tensor(sequence_len)
    if lengths.dim() != 1:
        raise ValueError(f"padded_sequence_mask: sequence_len must be [N], got {lengths.shape}")
    steps = int(lengths.max()) if T is None and len(lengths) else int(T or 0)
    return torch.arange(steps, device=lengths.device).unsqueeze(1) < lengths.unsqueeze(0)
