r"""The neuron equations, written once as pure functions.

Every spiking neuron here is the three-equation model of SpikingJelly's ``clock_driven`` API:

.. math::

    H[t] &= f(V[t-1], X[t])                       && \text{charge} \\
    S[t] &= \Theta(H[t] - V_{th})                 && \text{fire (through a surrogate)} \\
    V[t] &= \begin{cases} H[t]\,(1 - S[t]) + V_{reset}\, S[t] & \text{hard reset} \\
                          H[t] - V_{th}\, S[t]                 & \text{soft reset} \end{cases}

Charge functions :math:`f`:

.. math::

    \text{IF:}\quad  & H = V + X \\
    \text{LIF, decay\_input:}\quad  & H = V + \tfrac{1}{\tau}\,(X - (V - V_{reset})) \\
    \text{LIF, no decay\_input:}\quad & H = V - \tfrac{1}{\tau}\,(V - V_{reset}) + X \\
    \text{ParametricLIF:}\quad & \text{as LIF with } \tfrac{1}{\tau} = \mathrm{sigmoid}(w)

Legend: :math:`X` input current, :math:`V` membrane potential after reset, :math:`H` membrane
potential after charging, :math:`S` spike, :math:`V_{th}` threshold, :math:`V_{reset}` reset
potential (``None`` selects the soft reset, and the leak then goes towards 0), :math:`\tau` membrane
time constant. ``detach_reset`` detaches :math:`S` inside the reset only, so no gradient flows
through the reset path.

Non-spiking neurons (readouts) only charge: :math:`V[t] = H[t]`, and their output is :math:`V`.
A non-spiking LIF readout (``decay_input``, rest 0) is linear in its input, so its potential has a
closed form (:func:`readout_weights`):

.. math::

    V[s] = \sum_{t \le s} d\,(1-d)^{s-t}\, X[t], \qquad d = 1/\tau

and the potential at the last step or its mean over the steps is one weighted sum
:math:`\sum_t k_t X[t]` over the input sequence.

Every kernel in :mod:`spikeagents.snn.kernels` must reproduce :func:`neuron_step` exactly; the
``torch`` reference kernel is a loop over it. Shapes: all tensors broadcast; kernels pass ``[N]``.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from spikeagents.snn.surrogate import SurrogateFunction

__all__ = [
    "FAMILIES",
    "NeuronSpec",
    "charge_if",
    "charge_lif",
    "charge",
    "fire",
    "reset",
    "neuron_step",
    "decay_from_w",
    "READOUT_MODES",
    "readout_weights",
]

FAMILIES = ("if", "lif", "plif")
#: what a non-spiking readout reports over T steps: the last potential or the mean potential
READOUT_MODES = ("last", "mean")


@dataclass(frozen=True)
class NeuronSpec:
    """The static configuration of a neuron: everything a kernel specialises on.

    :param family: ``"if"``, ``"lif"`` or ``"plif"`` (ParametricLIF).
    :param v_threshold: firing threshold :math:`V_{th}` (ignored when ``spiking`` is False).
    :param v_reset: reset potential for a hard reset, or ``None`` for a soft reset.
    :param decay_input: LIF/PLIF only: whether the input is divided by :math:`\\tau` too.
    :param detach_reset: detach the spike inside the reset.
    :param spiking: ``False`` for non-spiking readouts (charge only, output is V).
    """

    family: str
    v_threshold: float = 1.0
    v_reset: float | None = 0.0
    decay_input: bool = True
    detach_reset: bool = False
    spiking: bool = True

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"unknown neuron family {self.family!r}; valid choices: {FAMILIES}")

    @property
    def hard_reset(self) -> bool:
        return self.v_reset is not None

    @property
    def v_rest(self) -> float:
        """The potential the leak goes towards (and the initial V): V_reset, or 0 for soft reset."""
        return 0.0 if self.v_reset is None else float(self.v_reset)


def charge_if(v: Tensor, x: Tensor) -> Tensor:
    r"""IF charge :math:`H = V + X`. Shapes: broadcastable."""
    return v + x


def charge_lif(
    v: Tensor, x: Tensor, decay: float | Tensor, v_rest: float, decay_input: bool
) -> Tensor:
    r"""LIF charge with ``decay`` :math:`= 1/\tau`.

    ``decay_input``: :math:`H = V + d\,(X - (V - V_{rest}))`; else
    :math:`H = V - d\,(V - V_{rest}) + X`. Shapes: broadcastable.
    """
    if decay_input:
        if v_rest == 0.0:
            return v + (x - v) * decay
        return v + (x - (v - v_rest)) * decay
    if v_rest == 0.0:
        return v - v * decay + x
    return v - (v - v_rest) * decay + x


def charge(v: Tensor, x: Tensor, spec: NeuronSpec, decay: float | Tensor | None) -> Tensor:
    """Dispatch to the family's charge equation. ``decay`` is 1/tau (LIF, PLIF) or ``None``."""
    if spec.family == "if":
        return charge_if(v, x)
    if decay is None:
        raise ValueError(f"family {spec.family!r} needs decay = 1/tau")
    return charge_lif(v, x, decay, spec.v_rest, spec.decay_input)


def fire(h: Tensor, v_threshold: float, surrogate: SurrogateFunction) -> Tensor:
    r"""Fire :math:`S = \Theta(H - V_{th})`, differentiable through ``surrogate``."""
    return surrogate(h - v_threshold)


def reset(h: Tensor, s: Tensor, spec: NeuronSpec) -> Tensor:
    r"""Reset: hard :math:`V = H(1 - S) + V_{reset} S`, soft :math:`V = H - V_{th} S`."""
    if spec.detach_reset:
        s = s.detach()
    if spec.v_reset is None:
        return h - spec.v_threshold * s
    return h * (1.0 - s) + spec.v_reset * s


def neuron_step(
    v: Tensor,
    x: Tensor,
    spec: NeuronSpec,
    surrogate: SurrogateFunction,
    decay: float | Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """One time step: charge, fire, reset.

    :param v: membrane potential after the previous step's reset, ``[N]`` (broadcastable).
    :param x: input current, ``[N]``.
    :return: ``(out, v_next)``: ``out`` is the spike ``S`` (or ``H`` for a non-spiking neuron),
        ``v_next`` the membrane potential after reset.
    """
    h = charge(v, x, spec, decay)
    if not spec.spiking:
        return h, h
    s = fire(h, spec.v_threshold, surrogate)
    return s, reset(h, s, spec)


def decay_from_w(w: Tensor) -> Tensor:
    r"""ParametricLIF: :math:`1/\tau = \mathrm{sigmoid}(w)`."""
    return torch.sigmoid(w)


def readout_weights(T: int, tau: float, mode: str) -> Tensor:
    r"""Weights :math:`k_t` such that a non-spiking LIF readout's output is :math:`\sum_t k_t X[t]`.

    For decay :math:`d = 1/\tau` fed :math:`X[t]` from rest 0 (``decay_input``):
    :math:`V[s] = \sum_{t \le s} d (1-d)^{s-t} X[t]`. ``mode="last"`` (:math:`V[T-1]`) gives
    :math:`k_t = d(1-d)^{T-1-t}`; ``mode="mean"`` (:math:`\frac1T \sum_s V[s]`) gives
    :math:`k_t = \frac1T \sum_{s \ge t} d (1-d)^{s-t} = \frac1T (1 - (1-d)^{T-t})`.

    :param T: steps. :param tau: readout time constant, >= 1. :param mode: ``"last"`` or
        ``"mean"``. :return: ``[T]``, float64.
    """
    if mode not in READOUT_MODES:
        raise ValueError(f"unknown readout {mode!r}; valid choices: {', '.join(READOUT_MODES)}")
    if not tau >= 1.0:
        raise ValueError(f"readout tau must be >= 1, got {tau}")
    d = 1.0 / tau
    t = torch.arange(T, dtype=torch.float64)
    if mode == "last":
        return d * (1 - d) ** (T - 1 - t)
    return (1 - (1 - d) ** (T - t)) / T
