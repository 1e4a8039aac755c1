"""Argument and shape checks shared by the layers; each raises with the layer's name in it."""

from __future__ import annotations

from torch import Tensor

__all__ = ["check_p", "check_positive_int", "check_state", "check_dim"]


def check_p(p: float, who: str) -> float:
    """``p`` as a float, refused unless it is a probability in [0, 1)."""
    p = float(p)
    if not 0.0 <= p < 1.0:
        raise ValueError(f"{who}: p must be in [0, 1), got {p}")
    return p


def check_positive_int(value: int, name: str) -> int:
    """``value``, refused unless it is an ``int`` (not a ``bool``) of at least 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def check_state(state: Tensor | float, shape: tuple[int, ...], who: str) -> None:
    """Refuse a step whose shape does not fit the state left by the previous sequence."""
    if isinstance(state, Tensor) and tuple(state.shape) != shape:
        raise RuntimeError(
            f"{who}: the state has shape {tuple(state.shape)} but this step needs {shape}; "
            "call reset() (or functional.reset_net) between sequences of different shape"
        )


def check_dim(x: Tensor, min_dim: int, who: str, layout: str) -> None:
    """Refuse ``x`` with fewer than ``min_dim`` dims; ``layout`` (``"[T, B, ...]"``) is shown."""
    if x.dim() < min_dim:
        raise ValueError(f"{who} expects {layout}, got shape {tuple(x.shape)}")
