"""The ``cupy`` backend: the fused kernels as CUDA (``neuron_cuda.cu`` over ``neuron_step.h``).

The per-element arithmetic is the header the CPU kernel compiles too (so the CPU tests exercise
it); ``neuron_cuda.cu`` adds the thread indexing, one thread per neuron. CuPy compiles it with
NVRTC once per dtype (``cupy.RawModule``, cached by CuPy on disk) and launches it on torch's
current CUDA stream, on the tensors' memory directly (no copies).

Supported: float32, float64, float16 and bfloat16 (16-bit types computed in float32 with each
forward operation rounded to the dtype, as torch does), every neuron family, flag and built-in
surrogate. Other calls (a custom surrogate, a surrogate in primitive mode) run on the ``torch``
reference with one warning.

Needs CuPy and a GPU: ``pip install spikeagents[cuda]`` (``cupy-cuda12x``). CuPy is imported on
first use only; ``backend="cupy"`` without it raises
:class:`~spikeagents.snn.kernels.BackendUnavailableError` saying what to install.
"""

from __future__ import annotations

import hashlib
from typing import Any

import torch

from spikeagents.snn.dynamics import FAMILIES
from spikeagents.snn.kernels._build import SOURCE_DIR
from spikeagents.snn.kernels._contract import Kernel
from spikeagents.snn.kernels._fused import FusedKernel, Launcher

__all__ = [
    "multistep_cupy",
    "CUDA_DTYPES",
    "CudaLauncher",
    "kernel_source",
    "KERNELS",
    "unavailable_reason",
]

#: dtype -> SA_DTYPE code of neuron_step.h
CUDA_DTYPES: dict[torch.dtype, int] = {
    torch.float32: 0,
    torch.float64: 1,
    torch.float16: 2,
    torch.bfloat16: 3,
}
THREADS_PER_BLOCK = 256
INSTALL_HINT = "install spikeagents[cuda] (pip install cupy-cuda12x) on a machine with a CUDA GPU"


def kernel_source() -> tuple[str, tuple[str, ...]]:
    """The CUDA source and the NVRTC options shared by every dtype (plus ``-DSA_DTYPE``).

    The header is included from the package directory; its hash is among the options so that
    CuPy's on-disk cache (keyed by source and options) sees a change to the header too.
    """
    code = (SOURCE_DIR / "neuron_cuda.cu").read_text()
    header = (SOURCE_DIR / "neuron_step.h").read_bytes()
    digest = hashlib.sha256(header).hexdigest()[:16]
    return code, (f"--include-path={SOURCE_DIR}", f"-DSA_HEADER_HASH=0x{digest}")


class CudaLauncher(Launcher):
    """Launches the forward and backward kernels of one dtype on torch's current stream.

    :param launch: ``launch(name, grid, block, args, device)`` runs kernel ``name``; the
        default compiles the module with CuPy (tests may pass an emulator).
    """

    decay_on_device = True

    def __init__(self, dtype: torch.dtype, launch: Any = None) -> None:
        self.dtype = dtype
        self._launch = launch if launch is not None else _CupyModule(CUDA_DTYPES[dtype]).launch

    def _run(self, name: str, args: tuple[Any, ...], n: int, device: torch.device) -> None:
        self._launch(name, _grid(n), THREADS_PER_BLOCK, args, device)


#: kernel argument kinds, in order ("p" pointer, "i" long long, "d" double): the signatures in
#: neuron_cuda.cu, for launchers that need them spelled out
ARG_KINDS = {
    "sa_forward": "ppppp" + "iii" + "dddd" + "ii",
    "sa_backward": "ppppppppp" + "iii" + "dddd" + "iiii" + "dd",
}


def _grid(n: int) -> int:
    return (n + THREADS_PER_BLOCK - 1) // THREADS_PER_BLOCK


class _CupyModule:
    """The NVRTC-compiled module of one dtype, and launching its kernels on torch's stream."""

    def __init__(self, dtype_code: int) -> None:
        import cupy

        self._cupy = cupy
        code, options = kernel_source()
        self._module = cupy.RawModule(code=code, options=(*options, f"-DSA_DTYPE={dtype_code}"))
        self._kernels: dict[str, Any] = {}
        self._streams: dict[tuple[int, int], Any] = {}

    def launch(
        self, name: str, grid: int, block: int, args: tuple[Any, ...], device: torch.device
    ) -> None:
        kernel = self._kernels.get(name)
        if kernel is None:
            kernel = self._kernels[name] = self._module.get_function(name)
        index = device.index if device.index is not None else torch.cuda.current_device()
        stream_ptr = torch.cuda.current_stream(index).cuda_stream
        stream = self._streams.get((index, stream_ptr))
        if stream is None:
            stream = self._cupy.cuda.ExternalStream(stream_ptr, index)
            self._streams[(index, stream_ptr)] = stream
        with self._cupy.cuda.Device(index), stream:
            kernel((grid,), (block,), args)


_LAUNCHERS: dict[torch.dtype, CudaLauncher] = {}


def _launcher(dtype: torch.dtype) -> CudaLauncher:
    """The launcher for ``dtype``, made (and its module compiled) on first use."""
    launcher = _LAUNCHERS.get(dtype)
    if launcher is None:
        launcher = _LAUNCHERS[dtype] = CudaLauncher(dtype)
    return launcher


#: the kernel contract on a CUDA device: ``x_seq [T, N]``, ``v0 [N]`` -> ``(out_seq, v_seq)``;
#: runs the reference for what the CUDA kernels do not cover (see the module docstring)
multistep_cupy = FusedKernel("cupy", frozenset(CUDA_DTYPES), _launcher, device_type="cuda")
#: one kernel serves every neuron family
KERNELS: dict[str, Kernel] = dict.fromkeys(FAMILIES, multistep_cupy)


def unavailable_reason(device: torch.device) -> str | None:
    """None when the cupy kernels run on ``device``, else why not and what to install."""
    if device.type != "cuda":
        return f"backend 'cupy' runs on CUDA tensors only, not on {device.type}; {INSTALL_HINT}"
    try:
        import cupy
    except ImportError:
        return f"backend 'cupy' needs CuPy, which is not installed: {INSTALL_HINT}"
    try:
        available = bool(cupy.cuda.is_available())
    except Exception as err:  # a broken CUDA install reports itself in many ways
        return f"backend 'cupy': CuPy cannot use CUDA ({err}); {INSTALL_HINT}"
    if not available:
        return f"backend 'cupy': CuPy sees no CUDA GPU; {INSTALL_HINT}"
    return None
