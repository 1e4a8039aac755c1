"""Input checks shared by the encoders (torch only)."""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["check_int", "check_range", "as_float"]


def check_int(value: object, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}; got {value!r}")
    return value


def check_range(x: Tensor, low: float, high: float, who: str) -> None:
    """Raise ValueError unless every element of ``x`` lies in ``[low, high]`` (NaN fails)."""
    if x.numel() == 0:
        return
    bad = ~((x >= low) & (x <= high))
    if bool(bad.any()):
        first = x[bad].flatten()[0].item()
        raise ValueError(
            f"{who} expects x in [{low}, {high}]; got {first} "
            f"(x.min()={x.min().item()}, x.max()={x.max().item()})"
        )


def as_float(x: Tensor) -> Tensor:
    return x if x.is_floating_point() else x.to(torch.get_default_dtype())
