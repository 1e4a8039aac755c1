"""The ``cpu`` backend: the fused C kernel (``neuron_cpu.c`` over ``neuron_step.h``) via ctypes.

Forward and backward are each one pass over ``[T, N]``: N is cut into blocks of neurons, each
block runs all T steps with its state in a local buffer, and the blocks are shared out over
``torch.get_num_threads()`` OpenMP threads (the same OpenMP runtime as torch's; small calls run
on the calling thread alone). The library is compiled once per dtype and cached on disk (see
:mod:`spikeagents.snn.kernels._build`).

Supported: float32 and float64, every neuron family and flag, and the eight surrogates of
:mod:`spikeagents.snn.surrogate`. Anything else (float16/bfloat16, a custom surrogate, a
surrogate in primitive mode) runs on the ``torch`` reference kernel for that call, with one
warning per reason. Without a C compiler the backend is unavailable: ``backend="auto"`` falls
back to ``torch`` with one warning, and ``backend="cpu"`` raises
:class:`~spikeagents.snn.kernels.BackendUnavailableError`.

Example::

    >>> import torch
    >>> from spikeagents.snn.kernels import get_kernel
    >>> from spikeagents.snn.dynamics import NeuronSpec
    >>> from spikeagents.snn.surrogate import ATan
    >>> kernel = get_kernel("lif", "cpu", "cpu")
    >>> spikes, v = kernel(torch.rand(8, 100), torch.zeros(100), NeuronSpec("lif"), ATan(), 0.5)
"""

from __future__ import annotations

import ctypes
from ctypes import c_double, c_int, c_int64, c_void_p
from typing import Any

import torch

from spikeagents.snn.dynamics import FAMILIES
from spikeagents.snn.kernels._build import BuildError, load_library
from spikeagents.snn.kernels._contract import Kernel
from spikeagents.snn.kernels._fused import FusedKernel, Launcher, warn_once

__all__ = ["multistep_cpu", "CPU_DTYPES", "KERNELS", "unavailable_reason"]

#: dtypes with a compiled kernel; others run on the reference
CPU_DTYPES = frozenset({torch.float32, torch.float64})
_DTYPE_NAMES = {torch.float32: "float32", torch.float64: "float64"}

_FORWARD_ARGTYPES = [c_void_p] * 4 + [c_int64] * 3 + [c_double] * 4 + [c_int] * 3
_BACKWARD_ARGTYPES = (
    [c_void_p] * 8 + [c_int64] * 3 + [c_double] * 4 + [c_int] * 4 + [c_double] * 2 + [c_int]
)
_ARGTYPES = {"sa_forward": _FORWARD_ARGTYPES, "sa_backward": _BACKWARD_ARGTYPES}


class CpuLauncher(Launcher):
    """Calls the compiled forward and backward of one dtype (ctypes, argtypes set once); the
    C entry points take the OpenMP thread count last."""

    def __init__(self, lib: ctypes.CDLL) -> None:
        self._lib = lib  # keeps the library loaded
        for name, argtypes in _ARGTYPES.items():
            fn = getattr(lib, name)
            fn.argtypes = argtypes
            fn.restype = None

    def _run(self, name: str, args: tuple[Any, ...], n: int, device: torch.device) -> None:
        getattr(self._lib, name)(*args, torch.get_num_threads())


_LAUNCHERS: dict[torch.dtype, CpuLauncher | None] = {}


def _launcher(dtype: torch.dtype) -> CpuLauncher | None:
    """The launcher for ``dtype`` (building its library on first use); None if that failed."""
    try:
        return _LAUNCHERS[dtype]
    except KeyError:
        pass
    try:
        launcher: CpuLauncher | None = CpuLauncher(load_library(_DTYPE_NAMES[dtype]))
    except (BuildError, OSError) as err:
        warn_once(
            f"spikeagents: the cpu kernel for {dtype} could not be built ({err}); "
            "using the torch reference kernel (slower)"
        )
        launcher = None
    _LAUNCHERS[dtype] = launcher
    return launcher


#: the kernel contract on the CPU: ``x_seq [T, N]``, ``v0 [N]`` -> ``(out_seq, v_seq)``; runs the
#: reference for what the C kernel does not cover (see the module docstring)
multistep_cpu = FusedKernel("cpu", CPU_DTYPES, _launcher)
#: one kernel serves every neuron family
KERNELS: dict[str, Kernel] = dict.fromkeys(FAMILIES, multistep_cpu)


def unavailable_reason(device: torch.device) -> str | None:
    """None when the cpu kernels run on ``device``, else why not (one warning if no compiler)."""
    if device.type != "cpu":
        return f"backend 'cpu' runs on CPU tensors only, not on {device.type}"
    try:
        load_library("float32")
    except (BuildError, OSError) as err:
        warn_once(
            f"spikeagents: cpu kernels unavailable ({err}); using the torch reference kernel "
            "(slower). Install a C compiler (gcc or clang) or set CC to use them."
        )
        return f"backend 'cpu' is unavailable: {err}. Install gcc or clang, or set CC."
    return None
