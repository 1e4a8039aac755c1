"""The kernel contract as a type, and what a backend module exposes.

:class:`Kernel` is the signature of the contract described in :mod:`spikeagents.snn.kernels`
(``x_seq [T, N]``, ``v0 [N]`` -> ``(out_seq [T, N], v_seq [T, N])``; or, with ``steps=T``, a
constant input ``x_seq [N]`` fed at every step, whose gradient comes back as ``[N]``). A
backend module
(``reference``, ``cpu``, ``cupy_backend``) exposes, as plain module data:

- ``KERNELS: dict[str, Kernel]``: its kernel for each neuron family it covers;
- ``unavailable_reason(device) -> str | None``: ``None`` when it runs on ``device``, else why
  not and what to install.

This module imports no other module of the package, so every backend can import it.
"""

from __future__ import annotations

from typing import Protocol

from torch import Tensor

from spikeagents.snn.dynamics import NeuronSpec
from spikeagents.snn.surrogate import SurrogateFunction

__all__ = ["Kernel"]


class Kernel(Protocol):
    """A multi-step kernel: see the module docstring."""

    def __call__(
        self,
        x_seq: Tensor,
        v0: Tensor,
        spec: NeuronSpec,
        surrogate: SurrogateFunction,
        decay: float | Tensor | None,
        steps: int | None = None,
    ) -> tuple[Tensor, Tensor]: ...
