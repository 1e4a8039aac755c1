"""The Python side shared by the fused backends (``cpu`` and ``cupy``): codes, checks, autograd.

A backend supplies a :class:`Launcher` (run the compiled forward and backward over ``[T, N]``)
and exposes it as a :class:`FusedKernel`: the kernel contract, which runs the ``torch`` reference
(with one warning per reason) for a call the compiled code does not cover. :func:`run_fused` does
the rest once for both backends: it turns the neuron spec and surrogate into the integer codes
and scalars of ``neuron_step.h`` (:class:`Config`), makes the inputs contiguous, and either calls
the forward directly (no gradient needed: nothing is saved) or through an ``autograd.Function``
whose backward runs the fused backward pass.

Saved for backward: the input ``X``, the initial state ``V0`` and the voltage output ``V``,
nothing else: the backward recomputes ``H[t] = charge(V[t-1], X[t])`` exactly as the forward
computed it, and ``S`` from ``H``. (The caller holds ``V`` anyway, and ``X`` is as large as the
``H`` it replaces; the forward writes two ``[T, N]`` arrays instead of three.)
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, NamedTuple

import torch
from torch import Tensor

from spikeagents.snn.dynamics import NeuronSpec
from spikeagents.snn.kernels.reference import multistep_reference
from spikeagents.snn.surrogate import (
    ATan,
    Erf,
    NonzeroSignLogAbs,
    PiecewiseExp,
    PiecewiseLeakyReLU,
    PiecewiseQuadratic,
    Sigmoid,
    SoftSign,
    SurrogateFunction,
)

__all__ = [
    "CHARGE_IF",
    "CHARGE_LIF",
    "CHARGE_LIF_NODI",
    "MODE_NONSPIKING",
    "MODE_HARD",
    "MODE_SOFT",
    "SURROGATE_CODES",
    "Config",
    "Launcher",
    "FusedKernel",
    "make_config",
    "unsupported_reason",
    "run_fused",
    "warn_once",
]

# the codes of neuron_step.h
CHARGE_IF, CHARGE_LIF, CHARGE_LIF_NODI = 0, 1, 2
MODE_NONSPIKING, MODE_HARD, MODE_SOFT = 0, 1, 2
#: surrogate class -> SA_SUR_* code; each has its closed-form derivative in neuron_step.h
SURROGATE_CODES: dict[type[SurrogateFunction], int] = {
    Sigmoid: 0,
    ATan: 1,
    PiecewiseQuadratic: 2,
    PiecewiseExp: 3,
    SoftSign: 4,
    NonzeroSignLogAbs: 5,
    Erf: 6,
    PiecewiseLeakyReLU: 7,
}


class Config(NamedTuple):
    """Everything the compiled kernels specialise on, as C-friendly numbers."""

    charge: int
    mode: int
    detach: int
    surrogate: int
    decay: float
    v_rest: float
    v_threshold: float
    v_reset: float
    p0: float
    p1: float


class Launcher:
    """A compiled backend: forward and backward over contiguous ``[T, N]`` tensors, through the
    entry points of ``neuron_step.h``. This class allocates the outputs and passes raw pointers
    and :class:`Config` numbers in the order ``sa_forward`` and ``sa_backward`` take them; a
    backend supplies only :meth:`_run` (how a kernel is called) and ``decay_on_device``.
    """

    #: ``True``: the decay is read on the device from ``decay_t`` (no host sync; the pointer
    #: follows the state pointers); ``False``: the kernel uses ``Config.decay``.
    decay_on_device = False

    def _run(self, name: str, args: tuple[Any, ...], n: int, device: torch.device) -> None:
        """Run kernel ``name`` (``"sa_forward"`` or ``"sa_backward"``) over ``n`` neurons."""
        raise NotImplementedError

    def _decay_arg(self, decay_t: Tensor | None) -> tuple[int | None, ...]:
        return (_ptr(decay_t),) if self.decay_on_device else ()

    def forward(
        self, x: Tensor, v0: Tensor, cfg: Config, decay_t: Tensor | None, steps: int | None = None
    ) -> tuple[Tensor | None, Tensor]:
        """``(out [T, N], or None for readouts; v [T, N])`` from ``x [T, N]``, or from a constant
        input ``x [N]`` fed for ``steps`` steps."""
        T, N = (x.shape[0], x.shape[1]) if steps is None else (steps, x.shape[0])
        xs = N if steps is None else 0  # the input's step stride
        v = torch.empty((T, N), dtype=x.dtype, device=x.device)
        out = torch.empty_like(v) if cfg.mode != MODE_NONSPIKING else None
        pointers = (x.data_ptr(), v0.data_ptr(), _ptr(out), v.data_ptr())
        args = (*pointers, *self._decay_arg(decay_t), T, N, xs, *_dynamics_args(cfg))
        self._run("sa_forward", args, N, x.device)
        return out, v

    def backward(
        self,
        x: Tensor,
        v0: Tensor,
        v: Tensor,
        grad_out: Tensor | None,
        grad_v: Tensor | None,
        cfg: Config,
        decay_t: Tensor | None,
        need_grad_decay: bool,
    ) -> tuple[Tensor, Tensor, Tensor | None]:
        """``(dL/dX shaped as x (a constant input's summed over the steps), dL/dV0 [N], dL/dd per
        neuron [N] float64 or None)``."""
        T, N = v.shape
        xs = 0 if x.dim() == 1 else N
        gx = torch.empty_like(x)
        gv0 = torch.empty_like(v0)
        gd = torch.empty(N, dtype=torch.float64, device=x.device) if need_grad_decay else None
        pointers = (x.data_ptr(), v0.data_ptr(), v.data_ptr(), _ptr(grad_out), _ptr(grad_v))
        pointers += (gx.data_ptr(), gv0.data_ptr(), _ptr(gd))
        surrogate = (cfg.detach, cfg.surrogate, cfg.p0, cfg.p1)
        args = (*pointers, *self._decay_arg(decay_t), T, N, xs, *_dynamics_args(cfg), *surrogate)
        self._run("sa_backward", args, N, x.device)
        return gx, gv0, gd


def _ptr(t: Tensor | None) -> int | None:
    return None if t is None else t.data_ptr()


def _dynamics_args(cfg: Config) -> tuple[float | int, ...]:
    return (cfg.decay, cfg.v_rest, cfg.v_threshold, cfg.v_reset, cfg.charge, cfg.mode)


_WARNED: set[str] = set()


def warn_once(message: str) -> None:
    """Warn with ``message`` the first time only (per process)."""
    if message not in _WARNED:
        _WARNED.add(message)
        warnings.warn(message, RuntimeWarning, stacklevel=3)


def unsupported_reason(
    x_seq: Tensor,
    v0: Tensor,
    spec: NeuronSpec,
    surrogate: SurrogateFunction,
    decay: float | Tensor | None,
    dtypes: frozenset[torch.dtype],
) -> str | None:
    """Why a fused kernel cannot run this call (the caller then uses the reference), or None."""
    if x_seq.dtype not in dtypes:
        names = ", ".join(sorted(str(d).replace("torch.", "") for d in dtypes))
        return f"dtype {str(x_seq.dtype).replace('torch.', '')} (fused kernels here: {names})"
    if x_seq.dim() < 1 or x_seq.numel() == 0:
        return ""  # empty: nothing to fuse, not worth a warning
    if v0.dtype != x_seq.dtype or v0.device != x_seq.device:
        return "v0 with another dtype or device than x_seq"
    if spec.spiking:
        if type(surrogate) not in SURROGATE_CODES:
            return f"surrogate {type(surrogate).__name__} (no closed-form derivative in C)"
        if not surrogate.spiking:
            return "a surrogate in primitive mode (spiking=False)"
    if isinstance(decay, Tensor) and decay.numel() != 1:
        return "a decay that is not a scalar"
    return None


def make_config(spec: NeuronSpec, surrogate: SurrogateFunction, decay: float) -> Config:
    """The codes and scalars of ``neuron_step.h`` for this neuron (cached per distinct value:
    policies call the kernel with the same neuron thousands of times)."""
    if not spec.spiking:
        return _config(spec, None, (0.0, 0.0), float(decay))
    return _config(spec, type(surrogate), tuple(surrogate.kernel_params()), float(decay))


@functools.lru_cache(maxsize=1024)
def _config(
    spec: NeuronSpec, surrogate: type | None, params: tuple[float, float], decay: float
) -> Config:
    if spec.family == "if":
        charge = CHARGE_IF
    else:
        charge = CHARGE_LIF if spec.decay_input else CHARGE_LIF_NODI
    if surrogate is None:
        mode, code = MODE_NONSPIKING, 0
    else:
        mode = MODE_HARD if spec.v_reset is not None else MODE_SOFT
        code = SURROGATE_CODES[surrogate]
    return Config(
        charge=charge,
        mode=mode,
        detach=int(spec.detach_reset and spec.spiking),
        surrogate=code,
        decay=decay,
        v_rest=spec.v_rest,
        v_threshold=float(spec.v_threshold) if spec.spiking else 0.0,
        v_reset=spec.v_rest,
        p0=float(params[0]),
        p1=float(params[1]),
    )


class _Fused(torch.autograd.Function):
    """``(x [T, N] or a constant [N], v0 [N], decay) -> (spikes [T, N], or None for readouts;
    v [T, N])``."""

    @staticmethod
    def forward(
        ctx: Any,
        x: Tensor,
        v0: Tensor,
        decay: Tensor | None,
        launcher: Launcher,
        cfg: Config,
        decay_t: Tensor | None,
        steps: int | None,
    ) -> tuple[Tensor | None, Tensor]:
        out, v = launcher.forward(x, v0, cfg, decay_t, steps)
        ctx.launcher, ctx.cfg, ctx.decay_t = launcher, cfg, decay_t
        ctx.need_gd = decay is not None and ctx.needs_input_grad[2] and cfg.charge != CHARGE_IF
        ctx.decay_dtype = None if decay is None else decay.dtype
        ctx.save_for_backward(x, v0, v)
        ctx.set_materialize_grads(False)
        return out, v

    @staticmethod
    def backward(ctx: Any, grad_out: Tensor | None, grad_v: Tensor | None) -> tuple[Any, ...]:
        x, v0, v = ctx.saved_tensors
        if grad_out is None and grad_v is None:
            return None, None, None, None, None, None, None
        cfg: Config = ctx.cfg
        if cfg.mode != MODE_NONSPIKING and grad_out is None:
            grad_out = torch.zeros_like(v)
        if grad_out is not None:
            grad_out = grad_out.to(v.dtype).contiguous()
        if grad_v is not None:
            grad_v = grad_v.to(v.dtype).contiguous()
        launcher: Launcher = ctx.launcher
        gx, gv0, gd = launcher.backward(x, v0, v, grad_out, grad_v, cfg, ctx.decay_t, ctx.need_gd)
        g_decay = gd.sum().to(ctx.decay_dtype) if gd is not None else None
        return (
            gx if ctx.needs_input_grad[0] else None,
            gv0 if ctx.needs_input_grad[1] else None,
            g_decay,
            None,
            None,
            None,
            None,
        )


def run_fused(
    launcher: Launcher,
    x_seq: Tensor,
    v0: Tensor,
    spec: NeuronSpec,
    surrogate: SurrogateFunction,
    decay: float | Tensor | None,
    steps: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Run the kernel contract through ``launcher`` (checked by :func:`unsupported_reason`).

    ``x_seq: [T, ...]`` (or, with ``steps``, one step's input ``[...]`` fed at every step),
    ``v0``: broadcastable to one step -> ``(out_seq, v_seq)``, each ``[T, ...]``; for
    non-spiking readouts ``out_seq is v_seq``.
    """
    step_shape = x_seq.shape if steps is not None else x_seq.shape[1:]
    T = steps if steps is not None else x_seq.shape[0]
    shape = (T, *step_shape)
    x = x_seq.reshape(-1) if steps is not None else x_seq.reshape(T, -1)
    if not x.is_contiguous():
        x = x.contiguous()
    if v0.shape != step_shape:
        v0 = v0.expand(step_shape)
    v0 = v0.reshape(-1)
    if not v0.is_contiguous():
        v0 = v0.contiguous()

    decay_t: Tensor | None = None  # the decay as a tensor, for autograd
    if isinstance(decay, Tensor):
        decay_t = decay if decay.dim() == 0 else decay.reshape(())
        d = 0.0 if launcher.decay_on_device else float(decay_t.detach())
    else:
        d = 0.0 if decay is None else float(decay)
    cfg = make_config(spec, surrogate, d)
    # the decay as the kernels read it on the device: in x's dtype, one element
    dev_decay = None
    if decay_t is not None and launcher.decay_on_device:
        dev_decay = decay_t.detach().to(x.dtype).reshape(1)

    needs_grad = torch.is_grad_enabled() and (
        x.requires_grad or v0.requires_grad or (decay_t is not None and decay_t.requires_grad)
    )
    if needs_grad:
        out, v = _Fused.apply(x, v0, decay_t, launcher, cfg, dev_decay, steps)
    else:
        out, v = launcher.forward(x, v0, cfg, dev_decay, steps)
    out_seq = v if out is None else out
    if len(shape) != 2:
        v = v.view(shape)
        out_seq = v if not spec.spiking else out_seq.view(shape)
    return out_seq, v


class FusedKernel:
    """The kernel contract on a fused backend: its compiled code through a :class:`Launcher`, or
    the ``torch`` reference for a call that code does not cover (with one warning per reason).

    :param backend: the backend's name, for the warnings.
    :param dtypes: the dtypes the compiled code takes.
    :param launcher: ``launcher(dtype)``: the launcher for that dtype, or ``None`` when there is
        none (it warns why itself); the call then runs the reference.
    :param device_type: the device type the tensors must be on (``None``: not checked).
    """

    def __init__(
        self,
        backend: str,
        dtypes: frozenset[torch.dtype],
        launcher: Callable[[torch.dtype], Launcher | None],
        device_type: str | None = None,
    ) -> None:
        self.backend = backend
        self.dtypes = dtypes
        self.launcher = launcher
        self.device_type = device_type

    def __call__(
        self,
        x_seq: Tensor,
        v0: Tensor,
        spec: NeuronSpec,
        surrogate: SurrogateFunction,
        decay: float | Tensor | None,
        steps: int | None = None,
    ) -> tuple[Tensor, Tensor]:
        """``x_seq [T, N]`` (or a constant ``[N]`` with ``steps``), ``v0 [N]`` ->
        ``(out_seq, v_seq)``, each ``[T, N]``."""
        why = unsupported_reason(x_seq, v0, spec, surrogate, decay, self.dtypes)
        device, wanted = x_seq.device.type, self.device_type
        if why is None and wanted is not None and device != wanted:
            why = f"tensors on {device} (backend {self.backend!r} needs {wanted.upper()} tensors)"
        launcher = self.launcher(x_seq.dtype) if why is None else None
        if launcher is None:
            if why:  # "" (an empty call) is not worth a warning
                warn_once(
                    f"spikeagents: the {self.backend} kernel does not support {why}; using torch"
                )
            return multistep_reference(x_seq, v0, spec, surrogate, decay, steps)
        return run_fused(launcher, x_seq, v0, spec, surrogate, decay, steps)

    def __repr__(self) -> str:
        return f"FusedKernel({self.backend!r})"
