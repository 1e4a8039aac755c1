"""Multi-step neuron kernels behind one contract, and their registry.

The contract (every backend implements it, forward and backward)::

    kernel(x_seq: Tensor[T, N], v0: Tensor[N], spec: NeuronSpec,
           surrogate: SurrogateFunction, decay: float | Tensor | None)
        -> (out_seq: Tensor[T, N], v_seq: Tensor[T, N])

``out_seq`` is the spike sequence ``S`` (or the membrane potential ``H`` for non-spiking
readouts), ``v_seq`` the membrane potential after each step's reset. ``decay`` is ``1/tau`` for
LIF (a float) and ``sigmoid(w)`` for ParametricLIF (a 0-d tensor that may require grad); ``None``
for IF. Gradients flow to ``x_seq``, ``v0`` and ``decay``.

Backends: ``"torch"`` (the reference loop over :mod:`spikeagents.snn.dynamics`: the oracle),
``"cpu"`` (fused C kernel) and ``"cupy"`` (the same C arithmetic as CUDA kernels). Each backend
module is imported on first use and registers its kernels with :func:`register_kernel`.
``"auto"`` picks the fastest available kernel for the tensor's device.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Protocol

import torch
from torch import Tensor

from spikeagents.snn.dynamics import FAMILIES, NeuronSpec
from spikeagents.snn.surrogate import SurrogateFunction

__all__ = [
    "BACKENDS",
    "BACKEND_CHOICES",
    "Kernel",
    "register_kernel",
    "get_kernel",
    "resolve_backend",
    "available_backends",
    "BackendUnavailableError",
]


class Kernel(Protocol):
    def __call__(
        self,
        x_seq: Tensor,
        v0: Tensor,
        spec: NeuronSpec,
        surrogate: SurrogateFunction,
        decay: float | Tensor | None,
    ) -> tuple[Tensor, Tensor]: ...


class BackendUnavailableError(RuntimeError):
    """A backend was asked for explicitly but cannot run here (the message says what to do)."""


#: backend name -> module that registers it when imported
BACKENDS: dict[str, str] = {
    "torch": "spikeagents.snn.kernels.reference",
    "cpu": "spikeagents.snn.kernels.cpu",
    "cupy": "spikeagents.snn.kernels.cupy_backend",
}
#: every value a module's ``backend=`` accepts
BACKEND_CHOICES = ("auto", *BACKENDS)

_KERNELS: dict[tuple[str, str], Kernel] = {}
_AVAILABLE: dict[str, Callable[[torch.device], str | None]] = {}


def register_kernel(
    family: str, backend: str, kernel: Kernel, check: Callable[[torch.device], str | None]
) -> None:
    """Register ``kernel`` for ``(family, backend)``.

    :param check: ``check(device)`` returns ``None`` when the backend can run on ``device``, else a
        message saying why not and what to install.
    """
    if family not in FAMILIES:
        raise ValueError(f"unknown family {family!r}; valid choices: {FAMILIES}")
    _KERNELS[(family, backend)] = kernel
    _AVAILABLE[backend] = check


def _load(backend: str) -> None:
    if backend not in _AVAILABLE:
        importlib.import_module(BACKENDS[backend])


_WHY_CACHE: dict[tuple[str, torch.device], str | None] = {}


def _why_unavailable(backend: str, device: torch.device) -> str | None:
    """``None`` if ``backend`` runs on ``device``, else the reason (cached per device)."""
    key = (backend, device)
    if key not in _WHY_CACHE:
        try:
            _load(backend)
            _WHY_CACHE[key] = _AVAILABLE[backend](device)
        except ImportError as err:  # a backend module that cannot even be imported
            _WHY_CACHE[key] = f"backend {backend!r} could not be imported: {err}"
    return _WHY_CACHE[key]


def available_backends(device: torch.device | str = "cpu") -> list[str]:
    """The backends that can run on ``device`` now."""
    device = torch.device(device)
    return [b for b in BACKENDS if _why_unavailable(b, device) is None]


def resolve_backend(backend: str, device: torch.device | str) -> str:
    """Turn ``"auto"`` into a concrete backend for ``device``; check an explicit one."""
    device = torch.device(device)
    if backend not in BACKEND_CHOICES:
        raise ValueError(
            f"unknown backend {backend!r}; valid choices: {', '.join(BACKEND_CHOICES)}"
        )
    if backend == "auto":
        preferred = ("cupy",) if device.type == "cuda" else ("cpu",)
        for name in preferred:
            if _why_unavailable(name, device) is None:
                return name
        return "torch"
    why = _why_unavailable(backend, device)
    if why is not None:
        raise BackendUnavailableError(why)
    return backend


def get_kernel(family: str, backend: str, device: torch.device | str) -> Kernel:
    """The kernel for ``family`` on ``backend`` (``"auto"`` allowed) for tensors on ``device``."""
    name = resolve_backend(backend, device)
    _load(name)
    try:
        return _KERNELS[(family, name)]
    except KeyError:
        raise BackendUnavailableError(
            f"backend {name!r} has no kernel for neuron family {family!r}"
        ) from None
