r"""Containers that run other layers over a sequence ``[T, B, ...]``.

- :class:`SeqToANNContainer`: stateless layers, time folded into the batch (one call).
- :class:`MultiStepContainer`: single-step (possibly stateful) layers, one call per time step.

Both set ``wraps_single_step``, so ``functional.set_step_mode`` leaves their children alone.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor, nn

from spikeagents.snn.layer._checks import check_dim

__all__ = ["SeqToANNContainer", "MultiStepContainer"]


class SeqToANNContainer(nn.Sequential):
    r"""Run stateless layers on a sequence by folding time into the batch.

    .. math:: Y[t] = f(X[t]) \quad \text{for all } t, \text{ computed as one call of } f

    Shapes: ``[T, B, ...] -> [T * B, ...] -> modules -> [T * B, ...'] -> [T, B, ...']``.
    The wrapped modules must be stateless (``Linear``, ``Conv2d``, ``BatchNorm2d``, pooling, ...):
    a module with a ``reset()`` method is refused, since folding time into the batch would make
    its state meaningless. ``set_step_mode`` leaves the children alone (``wraps_single_step``).

    Example::

        >>> SeqToANNContainer(nn.Linear(4, 2), nn.Linear(2, 3))(torch.rand(16, 8, 4)).shape
        torch.Size([16, 8, 3])
    """

    wraps_single_step: ClassVar[bool] = True

    def __init__(self, *modules: nn.Module) -> None:
        super().__init__(*modules)
        for name, module in self.named_modules():
            if callable(getattr(module, "reset", None)):
                raise ValueError(
                    f"SeqToANNContainer wraps stateless layers only, but {name!r} "
                    f"({type(module).__name__}) has reset(); use MultiStepContainer or the "
                    "module's step_mode='m' instead"
                )

    def forward(self, x_seq: Tensor) -> Tensor:
        """``x_seq [T, B, ...] -> y_seq [T, B, ...']``."""
        check_dim(x_seq, 2, "SeqToANNContainer", "[T, B, ...]")
        T, B = x_seq.shape[:2]
        y = super().forward(x_seq.flatten(0, 1))
        if y.shape[0] != T * B:
            raise RuntimeError(
                f"SeqToANNContainer: the wrapped modules changed the folded batch size from "
                f"{T * B} (T={T} x B={B}) to {y.shape[0]}"
            )
        return y.unflatten(0, (T, B))


class MultiStepContainer(nn.Sequential):
    r"""Run single-step (possibly stateful) modules over a sequence, one step at a time.

    .. math:: Y[t] = f(X[t]), \quad t = 0, \dots, T-1 \quad \text{(state carried across } t)

    Shapes: ``x_seq [T, B, ...] -> y_seq [T, B, ...']``. Children must be in single-step mode;
    ``set_step_mode`` leaves them alone (``wraps_single_step``). :meth:`reset` resets them.

    Example::

        >>> from spikeagents.snn.neuron import IFNode
        >>> MultiStepContainer(IFNode())(torch.full((4, 1), 0.5)).flatten()
        tensor([0., 1., 0., 1.])
    """

    wraps_single_step: ClassVar[bool] = True

    def forward(self, x_seq: Tensor) -> Tensor:
        """``x_seq [T, B, ...] -> y_seq [T, B, ...']`` by T single-step calls."""
        check_dim(x_seq, 2, "MultiStepContainer", "[T, B, ...]")
        for name, module in self.named_modules():
            if getattr(module, "step_mode", "s") != "s":
                raise ValueError(
                    f"MultiStepContainer runs its children one step at a time, but {name!r} "
                    f"({type(module).__name__}) has step_mode={module.step_mode!r}; use 's'"
                )
        step = super().forward  # zero-argument super() does not work inside a comprehension
        return torch.stack([step(x_seq[t]) for t in range(x_seq.shape[0])])

    def reset(self) -> None:
        """Reset every stateful descendant."""
        for module in self.modules():
            if module is not self and callable(getattr(module, "reset", None)):
                module.reset()
