r"""Spiking neuron modules: parameters, state and step modes; the equations live in ``dynamics``.

Every neuron runs the three-equation model (see :mod:`spikeagents.snn.dynamics`)::

    H[t] = f(V[t-1], X[t])            charge
    S[t] = Theta(H[t] - V_th)         fire (surrogate gradient)
    V[t] = H[t] (1 - S[t]) + V_reset S[t]   (hard reset)   or   H[t] - V_th S[t]   (soft reset)

Step modes:

- ``step_mode="s"`` (single step): ``forward(x: [B, ...]) -> [B, ...]``; the membrane potential
  ``v`` is kept between calls until :meth:`BaseNode.reset`.
- ``step_mode="m"`` (multi step): ``forward(x_seq: [T, B, ...]) -> [T, B, ...]``, run by a fused
  kernel looked up in :mod:`spikeagents.snn.kernels` (``backend="auto"`` picks the fastest).
  Afterwards ``v`` holds the last step's potential, and ``v_seq`` all of them when
  ``store_v_seq=True``.

State (``v``, ``v_seq``) is a plain attribute: never in ``state_dict``. It takes its shape from the
first input after construction or :meth:`reset`.

Example::

    >>> import torch
    >>> from spikeagents.snn.neuron import LIFNode
    >>> lif = LIFNode(tau=2.0, step_mode="m")
    >>> spikes = lif(torch.full((8, 1, 3), 1.5))    # [T=8, B=1, 3]
    >>> spikes[:, 0, 0]                              # H = 0.75, 1.125 -> fire, reset to 0, ...
    tensor([0., 1., 0., 1., 0., 1., 0., 1.])
"""

from __future__ import annotations

import functools
import math
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from spikeagents.snn import dynamics
from spikeagents.snn.dynamics import NeuronSpec
from spikeagents.snn.kernels import BACKEND_CHOICES, get_kernel
from spikeagents.snn.step_mode import STEP_MODES, StepModeMixin
from spikeagents.snn.surrogate import SurrogateFunction, get_surrogate

__all__ = [
    "BaseNode",
    "IFNode",
    "LIFNode",
    "ParametricLIFNode",
    "NonSpikingIFNode",
    "NonSpikingLIFNode",
    "STEP_MODES",
    "NEURONS",
    "get_neuron",
]


@functools.lru_cache(maxsize=256)
def _cached_spec(*key: Any) -> NeuronSpec:
    return NeuronSpec(*key)


class BaseNode(StepModeMixin, nn.Module):
    """Base class of all neurons: state handling, step modes and kernel lookup.

    :param v_threshold: firing threshold.
    :param v_reset: hard-reset potential, or ``None`` for the soft reset (subtract threshold).
    :param surrogate: surrogate gradient: a name (``"atan"``), an instance, or ``None`` (ATan,
        alpha=2).
    :param detach_reset: detach the spike inside the reset.
    :param step_mode: ``"s"`` single step ``[B, ...]`` or ``"m"`` multi step ``[T, B, ...]``.
    :param backend: kernel for multi-step mode: ``"auto"``, ``"torch"``, ``"cpu"``, ``"cupy"``.
    :param store_v_seq: keep the whole voltage sequence in ``v_seq`` after a multi-step call.
    """

    family: ClassVar[str] = "if"
    spiking: ClassVar[bool] = True

    def __init__(
        self,
        v_threshold: float = 1.0,
        v_reset: float | None = 0.0,
        surrogate: str | SurrogateFunction | None = None,
        detach_reset: bool = False,
        step_mode: str = "s",
        backend: str = "auto",
        store_v_seq: bool = False,
    ) -> None:
        super().__init__()
        self.v_threshold = float(v_threshold)
        self.v_reset = None if v_reset is None else float(v_reset)
        self.surrogate = get_surrogate(surrogate)
        self.detach_reset = bool(detach_reset)
        self.step_mode = step_mode
        self.backend = backend
        self.store_v_seq = bool(store_v_seq)
        self.decay_input = True
        self.v: Tensor | float = self.v_rest
        self.v_seq: Tensor | None = None

    # -- configuration (step_mode: StepModeMixin) ----------------------------------------------
    @property
    def backend(self) -> str:
        """Kernel backend for multi-step mode; see :mod:`spikeagents.snn.kernels`."""
        return self._backend

    @backend.setter
    def backend(self, value: str) -> None:
        if value not in BACKEND_CHOICES:
            raise ValueError(
                f"unknown backend {value!r}; valid choices: {', '.join(BACKEND_CHOICES)}"
            )
        self._backend = value

    @property
    def v_rest(self) -> float:
        return 0.0 if self.v_reset is None else self.v_reset

    @property
    def spec(self) -> NeuronSpec:
        """The static configuration the kernels specialise on (cached per distinct value)."""
        key = (
            self.family,
            self.v_threshold,
            self.v_reset,
            self.decay_input,
            self.detach_reset,
            self.spiking,
        )
        if isinstance(self.v_threshold, Tensor):  # e.g. functional.set_threshold_margin
            return NeuronSpec(*key)
        return _cached_spec(*key)

    def decay(self) -> float | Tensor | None:
        """``1/tau`` for the leaky families (a float, or a tensor for ParametricLIF)."""
        return None

    # -- state ---------------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget the state: ``v`` back to its initial value, ``v_seq`` cleared."""
        self.__dict__["v"] = self.v_rest
        self.__dict__["v_seq"] = None

    def _initial_v(self, x: Tensor) -> Tensor:
        v = self.v
        if isinstance(v, Tensor):
            if v.shape != x.shape:
                raise RuntimeError(
                    f"{type(self).__name__}: state v has shape {tuple(v.shape)} but the input "
                    f"step has shape {tuple(x.shape)}; call reset() (or functional.reset_net) "
                    "between sequences of different shape"
                )
            return v
        return torch.full_like(x, float(v))

    # -- forward -------------------------------------------------------------------------------
    def forward(self, x: Tensor, steps: int | None = None) -> Tensor:
        """``"s"``: ``[B, ...] -> [B, ...]``; ``"m"``: ``[T, B, ...] -> [T, B, ...]``; with
        ``steps=T`` (multi step): one constant input ``[B, ...]`` fed for T steps ->
        ``[T, B, ...]`` (:meth:`multi_step_constant`).

        Returns spikes (spiking neurons) or the membrane potential (non-spiking readouts).
        """
        if steps is not None:
            if self.step_mode != "m":
                raise ValueError(f"{type(self).__name__}: steps= needs step_mode='m'")
            return self.multi_step_constant(x, steps)
        if self.step_mode == "s":
            return self.single_step_forward(x)
        return self.multi_step_forward(x)

    def single_step_forward(self, x: Tensor) -> Tensor:
        """One step: ``x [B, ...] -> out [B, ...]``; updates ``v``."""
        v = self._initial_v(x)
        out, self.__dict__["v"] = dynamics.neuron_step(
            v, x, self.spec, self.surrogate, self.decay()
        )
        return out

    def multi_step_forward(self, x_seq: Tensor) -> Tensor:
        """T steps through the fused kernel: ``x_seq [T, B, ...] -> out_seq [T, B, ...]``."""
        if x_seq.dim() < 2:
            raise ValueError(
                f"{type(self).__name__} in multi-step mode expects [T, B, ...], "
                f"got shape {tuple(x_seq.shape)}"
            )
        v0 = self._initial_v(x_seq[0])
        return self._run_kernel(x_seq.reshape(x_seq.shape[0], -1), v0, x_seq.shape, None)

    def multi_step_constant(self, x: Tensor, T: int) -> Tensor:
        """T steps of one constant input current ``x [B, ...] -> out_seq [T, B, ...]``.

        The same as ``multi_step_forward(x.expand(T, *x.shape))`` (direct encoding feeds the
        first layer this way), but the fused kernels read ``x`` once per neuron instead of a
        ``[T, ...]`` copy, and return its gradient summed over the steps.
        """
        if int(T) < 1:
            raise ValueError(f"T must be >= 1, got {T}")
        v0 = self._initial_v(x)
        return self._run_kernel(x.reshape(-1), v0, (int(T), *x.shape), int(T))

    def _run_kernel(
        self, x: Tensor, v0: Tensor, shape: tuple[int, ...], steps: int | None
    ) -> Tensor:
        """The kernel on ``x`` (``[T, N]``, or a constant ``[N]`` for ``steps`` steps) from
        ``v0``; the outputs are reshaped to ``shape`` ``[T, B, ...]`` and the state kept."""
        kernel = get_kernel(self.family, self.backend, x.device)
        out_seq, v_seq = kernel(x, v0.reshape(-1), self.spec, self.surrogate, self.decay(), steps)
        v_seq = v_seq.view(shape)
        self.__dict__["v"] = v_seq[-1]
        if self.store_v_seq:
            self.__dict__["v_seq"] = v_seq
        return out_seq.view(shape)

    def extra_repr(self) -> str:
        parts = [
            f"v_threshold={self.v_threshold}" if self.spiking else None,
            f"v_reset={self.v_reset}",
            f"detach_reset={self.detach_reset}" if self.spiking else None,
            f"step_mode={self.step_mode!r}",
            f"backend={self.backend!r}",
        ]
        return ", ".join(p for p in parts if p is not None)

    # deepcopy / pickle keep the configuration but never share state tensors between copies
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["v"] = self.v_rest
        state["v_seq"] = None
        return state


class IFNode(BaseNode):
    r"""Integrate-and-fire neuron: an ideal integrator.

    .. math:: H[t] = V[t-1] + X[t]

    then fire and reset as in :class:`BaseNode`. Shapes: ``"s"`` ``[B, ...]``, ``"m"``
    ``[T, B, ...]``.

    Example::

        >>> node = IFNode(step_mode="m")
        >>> node(torch.full((4, 1), 0.5)).flatten()
        tensor([0., 1., 0., 1.])
    """

    family = "if"


class LIFNode(BaseNode):
    r"""Leaky integrate-and-fire neuron.

    .. math::
        H[t] = V[t-1] + \frac{1}{\tau}\big(X[t] - (V[t-1] - V_{reset})\big)
        \quad\text{(decay\_input=True)}, \qquad
        H[t] = V[t-1] - \frac{1}{\tau}\big(V[t-1] - V_{reset}\big) + X[t]
        \quad\text{(decay\_input=False)}

    With ``v_reset=None`` (soft reset) the leak goes towards 0. Legend and fire/reset as in
    :class:`BaseNode`. Shapes: ``"s"`` ``[B, ...]``, ``"m"`` ``[T, B, ...]``.

    :param tau: membrane time constant, > 1.

    Example::

        >>> node = LIFNode(tau=2.0, step_mode="m")
        >>> node(torch.ones(4, 1)).flatten()     # H = 0.5, 0.75, 0.875, 0.9375
        tensor([0., 0., 0., 0.])
    """

    family = "lif"

    def __init__(self, tau: float = 2.0, decay_input: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not tau > 1.0:
            raise ValueError(f"tau must be > 1 (1/tau is the leak per step), got {tau}")
        self.tau = float(tau)
        self.decay_input = bool(decay_input)

    def decay(self) -> float:
        return 1.0 / self.tau

    def extra_repr(self) -> str:
        return f"tau={self.tau}, decay_input={self.decay_input}, " + super().extra_repr()


class ParametricLIFNode(BaseNode):
    r"""Parametric LIF (Fang et al. 2021): a LIF whose time constant is learned.

    .. math:: \frac{1}{\tau} = \mathrm{sigmoid}(w), \qquad
              H[t] = V[t-1] + \mathrm{sigmoid}(w)\big(X[t] - (V[t-1] - V_{reset})\big)

    (or the ``decay_input=False`` form of :class:`LIFNode`). ``w`` is one learnable scalar per
    layer, initialised so that :math:`\tau = ` ``init_tau``. Shapes as :class:`LIFNode`.

    Example::

        >>> node = ParametricLIFNode(init_tau=2.0, step_mode="m")
        >>> node(torch.ones(4, 1)).sum().backward(); node.w.grad is not None
        True
    """

    family = "plif"

    def __init__(self, init_tau: float = 2.0, decay_input: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not init_tau > 1.0:
            raise ValueError(f"init_tau must be > 1, got {init_tau}")
        self.w = nn.Parameter(torch.tensor(-math.log(init_tau - 1.0)))
        self.decay_input = bool(decay_input)

    @property
    def tau(self) -> float:
        return 1.0 / float(torch.sigmoid(self.w.detach()))

    def decay(self) -> Tensor:
        return dynamics.decay_from_w(self.w)

    def extra_repr(self) -> str:
        return f"tau={self.tau:.4g}, decay_input={self.decay_input}, " + super().extra_repr()


class NonSpikingIFNode(IFNode):
    r"""An IF neuron that integrates and never fires: :math:`V[t] = V[t-1] + X[t]`.

    The output is the membrane potential (a readout). Shapes as :class:`IFNode`.
    """

    spiking = False

    def __init__(self, v_reset: float | None = 0.0, **kwargs: Any) -> None:
        super().__init__(v_threshold=math.inf, v_reset=v_reset, **kwargs)


class NonSpikingLIFNode(LIFNode):
    r"""A LIF neuron that integrates and never fires; its membrane potential is the output.

    .. math:: V[t] = V[t-1] + \frac{1}{\tau}\big(X[t] - (V[t-1] - V_{rest})\big)

    (``decay_input=False``: :math:`V[t] = V[t-1] - (V[t-1] - V_{rest})/\tau + X[t]`), with
    :math:`V_{rest}` = ``v_reset`` (0 when ``None``). This is the readout of the spiking RL
    policies: Q-values and logits are membrane potentials, not spike counts.

    Example::

        >>> node = NonSpikingLIFNode(tau=2.0, step_mode="m")
        >>> node(torch.ones(3, 1)).flatten()
        tensor([0.5000, 0.7500, 0.8750])
    """

    spiking = False

    def __init__(self, tau: float = 2.0, v_reset: float | None = 0.0, **kwargs: Any) -> None:
        super().__init__(tau=tau, v_threshold=math.inf, v_reset=v_reset, **kwargs)


NEURONS: dict[str, type[BaseNode]] = {
    "if": IFNode,
    "lif": LIFNode,
    "plif": ParametricLIFNode,
    "nonspiking_if": NonSpikingIFNode,
    "nonspiking_lif": NonSpikingLIFNode,
}


def get_neuron(name: str, tau: float | None = None, **kwargs: Any) -> BaseNode:
    """Build a neuron by registered name: the one factory every config-driven network uses.

    :param name: ``"if"``, ``"lif"``, ``"plif"``, ``"nonspiking_if"``, ``"nonspiking_lif"``.
    :param tau: the membrane time constant of the leaky families (the initial one of ``plif``);
        ignored by the IF families, which have none, so that one recipe field serves every
        neuron choice. ``None``: the class default.
    :param kwargs: the class's other arguments (``v_threshold``, ``v_reset``, ``surrogate``,
        ``detach_reset``, ``step_mode``, ``backend``, ...).

    Example::

        >>> get_neuron("lif", tau=3.0, step_mode="m").tau
        3.0
    """
    try:
        cls = NEURONS[name.lower()]
    except KeyError:
        raise ValueError(f"unknown neuron {name!r}; valid choices: {', '.join(NEURONS)}") from None
    if tau is not None and issubclass(cls, ParametricLIFNode):
        kwargs["init_tau"] = tau
    elif tau is not None and issubclass(cls, LIFNode):
        kwargs["tau"] = tau
    return cls(**kwargs)
