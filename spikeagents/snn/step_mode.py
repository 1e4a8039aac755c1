"""The two step modes, and the validated ``step_mode`` attribute every stepping module shares.

- ``"s"`` (single step): ``forward(x: [B, ...]) -> [B, ...]``; state is kept between calls
  until ``reset()``.
- ``"m"`` (multi step): ``forward(x_seq: [T, B, ...]) -> [T, B, ...]``.

This module imports nothing else of the package, so neurons and layers can both build on it.

Example::

    >>> from torch import nn
    >>> class Stepper(StepModeMixin, nn.Module):
    ...     def __init__(self, step_mode: str = "s") -> None:
    ...         super().__init__()
    ...         self.step_mode = step_mode
    >>> Stepper("m").step_mode
    'm'
    >>> Stepper("x")
    Traceback (most recent call last):
    ...
    ValueError: step_mode must be one of ('s', 'm'), got 'x'
"""

from __future__ import annotations

__all__ = ["STEP_MODES", "StepModeMixin"]

#: every value ``step_mode`` accepts
STEP_MODES = ("s", "m")


class StepModeMixin:
    """A ``step_mode`` property that refuses anything but :data:`STEP_MODES`.

    Put it before ``nn.Module`` in the bases (``class Node(StepModeMixin, nn.Module)``) and set
    ``self.step_mode`` in ``__init__``.
    """

    _step_mode: str

    @property
    def step_mode(self) -> str:
        """``"s"`` (single step, ``[B, ...]``) or ``"m"`` (multi step, ``[T, B, ...]``)."""
        return self._step_mode

    @step_mode.setter
    def step_mode(self, value: str) -> None:
        if value not in STEP_MODES:
            raise ValueError(f"step_mode must be one of {STEP_MODES}, got {value!r}")
        self._step_mode = value
