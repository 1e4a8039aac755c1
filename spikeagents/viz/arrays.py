"""Turning what users pass to the plots (tensors on any device, arrays, lists) into numpy."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["to_numpy"]


def to_numpy(x: Any, name: str, ndim: int, shape_doc: str, func: str) -> np.ndarray:
    """Convert ``x`` (tensor, array or list) to a float numpy array and check its rank."""
    if hasattr(x, "detach"):  # torch.Tensor, without importing torch here
        x = x.detach().cpu().numpy()
    arr = np.asarray(x)
    if arr.dtype == object:
        raise ValueError(f"{func}: {name} must be numeric, got an object array")
    if arr.ndim != ndim or arr.size == 0:
        raise ValueError(
            f"{func}: expected {name} of shape {shape_doc}, got shape {tuple(arr.shape)}"
        )
    return arr.astype(np.float64, copy=False)
