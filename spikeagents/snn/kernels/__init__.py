"""Multi-step neuron kernels behind one contract, and the registry that picks one.

The contract (every backend implements it, forward and backward; typed as :class:`Kernel`)::

    kernel(x_seq: Tensor[T, N], v0: Tensor[N], spec: NeuronSpec,
           surrogate: SurrogateFunction, decay: float | Tensor | None, steps: int | None = None)
        -> (out_seq: Tensor[T, N], v_seq: Tensor[T, N])

With ``steps=T``, ``x_seq`` is one step's input ``[N]``, the same at every step (a constant input
current, as under direct encoding): the fused kernels read it once per neuron and return its
gradient ``[N]`` summed over the steps, instead of a ``[T, N]`` copy and its gradient.

``out_seq`` is the spike sequence ``S`` (or the membrane potential ``H`` for non-spiking
readouts), ``v_seq`` the membrane potential after each step's reset. ``decay`` is ``1/tau`` for
LIF (a float) and ``sigmoid(w)`` for ParametricLIF (a 0-d tensor that may require grad); ``None``
for IF. Gradients flow to ``x_seq``, ``v0`` and ``decay``.

Backends: ``"torch"`` (the reference loop over :mod:`spikeagents.snn.dynamics`: the oracle),
``"cpu"`` (fused C kernel) and ``"cupy"`` (the same C arithmetic as CUDA kernels). Each backend
module holds its kernels and its availability check as plain module data (see
:mod:`spikeagents.snn.kernels._contract`); this registry imports them, and they import nothing
back. Importing the ``cupy`` backend does not import CuPy (its check and its first launch do).
``"auto"`` picks the fastest available kernel for the tensor's device.
"""

from __future__ import annotations

from types import ModuleType

import torch

from spikeagents.snn.kernels import cpu, cupy_backend, reference
from spikeagents.snn.kernels._contract import Kernel

__all__ = [
    "BACKENDS",
    "BACKEND_CHOICES",
    "Kernel",
    "get_kernel",
    "resolve_backend",
    "available_backends",
    "BackendUnavailableError",
]


class BackendUnavailableError(RuntimeError):
    """A backend was asked for explicitly but cannot run here (the message says what to do)."""


_BACKEND_MODULES: dict[str, ModuleType] = {"torch": reference, "cpu": cpu, "cupy": cupy_backend}
#: backend name -> the module that holds its kernels and its check
BACKENDS: dict[str, str] = {name: module.__name__ for name, module in _BACKEND_MODULES.items()}
#: every value a module's ``backend=`` accepts
BACKEND_CHOICES = ("auto", *BACKENDS)

_WHY_CACHE: dict[tuple[str, torch.device], str | None] = {}


def _why_unavailable(backend: str, device: torch.device) -> str | None:
    """``None`` if ``backend`` runs on ``device``, else the reason (cached per device)."""
    key = (backend, device)
    if key not in _WHY_CACHE:
        _WHY_CACHE[key] = _BACKEND_MODULES[backend].unavailable_reason(device)
    return _WHY_CACHE[key]


def available_backends(device: torch.device | str = "cpu") -> list[str]:
    """The backends that can run on ``device`` now."""
    device = torch.device(device)
    return [b for b in BACKENDS if _why_unavailable(b, device) is None]


_RESOLVED: dict[tuple[str, torch.device | str], str] = {}


def resolve_backend(backend: str, device: torch.device | str) -> str:
    """Turn ``"auto"`` into a concrete backend for ``device``; check an explicit one (the answer
    is cached: a module asks on every call)."""
    key = (backend, device)
    if key not in _RESOLVED:
        _RESOLVED[key] = _resolve(backend, torch.device(device))
    return _RESOLVED[key]


def _resolve(backend: str, device: torch.device) -> str:
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
    try:
        return _BACKEND_MODULES[name].KERNELS[family]
    except KeyError:
        raise BackendUnavailableError(
            f"backend {name!r} has no kernel for neuron family {family!r}"
        ) from None
