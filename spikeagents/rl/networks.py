r"""Spiking networks for RL: ``forward(obs: [B, D]) -> [B, out]``, stateless per call.

A spiking network here is an observation encoder, a spiking body run for ``T`` steps layer by
layer, and a membrane-potential readout:

.. math::

    I^{(1)}_t &= W_1\, \mathrm{enc}(o)_t + b_1, \qquad
    S^{(l)} = \mathrm{neuron}(I^{(l)}) \in \{0,1\}^{T \times B \times H_l}, \qquad
    I^{(l+1)}_t = W_{l+1} S^{(l)}_t + b_{l+1} \\
    V_t &= V_{t-1} + \tfrac{1}{\tau_r}\big(W_r S^{(L)}_t + b_r - V_{t-1}\big), \quad V_{-1} = 0
    \qquad\text{(non-spiking LIF readout)}

and the output is :math:`V_{T-1}` (``readout="last"``) or :math:`\frac1T\sum_t V_t`
(``readout="mean"``). Every call starts from a fresh state, so nobody has to call ``reset_net``.

The readout neuron never fires, so it is linear: :math:`V_{T-1} = W_r z + b_r \sum_t k_t` with the
*readout trace* :math:`z = \sum_t k_t S^{(L)}_t`, :math:`k_t = \tfrac{1}{\tau_r}
(1 - \tfrac{1}{\tau_r})^{T-1-t}` (and the matching weights for the mean over steps).
:class:`MembraneReadout` computes it in that order: one weighted sum over time, then one Linear,
instead of T Linears and T neuron steps. The result is the membrane potential of the Linear ->
``NonSpikingLIFNode`` readout exactly (tested against it).

With the direct-current encoder the encoded input is the same at every step, so the first Linear
runs once, not T times.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import torch
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import Tensor, nn

from spikeagents.snn.encoding import PopulationEncoder
from spikeagents.snn.neuron import BaseNode, get_neuron

__all__ = [
    "ENCODERS",
    "READOUTS",
    "RL_NEURONS",
    "readout_weights",
    "SpikingBody",
    "MembraneReadout",
    "SpikingNetwork",
    "SpikingExtractor",
]

ENCODERS = ("direct", "poisson", "population")
READOUTS = ("last", "mean")
RL_NEURONS = ("if", "lif", "plif")


def _check_choice(value: str, choices: Sequence[str], what: str) -> str:
    if value not in choices:
        raise ValueError(f"unknown {what} {value!r}; valid choices: {', '.join(choices)}")
    return value


def readout_weights(T: int, tau: float, readout: str) -> Tensor:
    r"""Weights :math:`k_t` such that the readout potential is :math:`\sum_t k_t I_t`.

    For a non-spiking LIF with decay :math:`d = 1/\tau` fed :math:`I_t` from rest 0:
    :math:`V_s = \sum_{t \le s} d (1-d)^{s-t} I_t`. ``"last"`` gives :math:`k_t = d(1-d)^{T-1-t}`;
    ``"mean"`` gives :math:`k_t = \frac1T \sum_{s \ge t} d (1-d)^{s-t}`. Shape ``[T]``, float64.
    """
    _check_choice(readout, READOUTS, "readout")
    if not tau >= 1.0:
        raise ValueError(f"readout tau must be >= 1, got {tau}")
    d = 1.0 / tau
    t = torch.arange(T, dtype=torch.float64)
    if readout == "last":
        return d * (1 - d) ** (T - 1 - t)
    # sum_{s=t}^{T-1} d (1-d)^{s-t} = 1 - (1-d)^{T-t}
    return (1 - (1 - d) ** (T - t)) / T


class SpikingBody(nn.Module):
    """Encoder and ``[Linear -> spiking neuron] x depth``, run for ``T`` steps layer by layer.

    ``forward(obs: [B, D]) -> spikes [T, B, hidden_sizes[-1]]``. Each call starts from rest.

    :param in_dim: observation size D.
    :param hidden_sizes: widths of the spiking layers.
    :param T: simulation steps per call.
    :param neuron: ``"if"``, ``"lif"`` or ``"plif"``.
    :param tau: membrane time constant of ``lif`` (initial one of ``plif``).
    :param v_threshold: firing threshold.
    :param v_reset: hard-reset potential, or ``None`` for the soft reset.
    :param detach_reset: detach the spike in the reset.
    :param surrogate: surrogate gradient name (``"atan"``, ``"sigmoid"``, ...).
    :param surrogate_alpha: the surrogate's ``alpha`` (``None``: its default).
    :param encoder: ``"direct"`` (the observation is a constant input current), ``"poisson"``
        (Bernoulli spikes with probability ``sigmoid(obs)``), ``"population"`` (Gaussian
        receptive fields per dimension, PopSAN).
    :param pop_size: receptive fields per dimension for the population encoder.
    :param obs_low: lower end of the population encoder's range (per-dimension or scalar).
    :param obs_high: upper end of the population encoder's range.
    :param init_gain: scale of the spiking layers' initial weights relative to PyTorch's default
        (larger values make the body fire from the first update; see ``docs`` in policies).
    :param backend: neuron kernel backend (``"auto"``, ``"torch"``, ``"cpu"``, ``"cupy"``).
    """

    def __init__(
        self,
        in_dim: int,
        hidden_sizes: Sequence[int] = (64,),
        T: int = 16,
        neuron: str = "if",
        tau: float = 2.0,
        v_threshold: float = 1.0,
        v_reset: float | None = None,
        detach_reset: bool = True,
        surrogate: str = "atan",
        surrogate_alpha: float | None = None,
        encoder: str = "direct",
        pop_size: int = 10,
        obs_low: float | Sequence[float] = -1.0,
        obs_high: float | Sequence[float] = 1.0,
        init_gain: float = 2.0,
        backend: str = "auto",
    ) -> None:
        super().__init__()
        if int(T) < 1:
            raise ValueError(f"T must be >= 1, got {T}")
        hidden_sizes = [int(h) for h in hidden_sizes]
        if not hidden_sizes or min(hidden_sizes) < 1:
            raise ValueError(
                f"hidden_sizes must be a non-empty list of positive ints, got {hidden_sizes}"
            )
        self.T = int(T)
        self.encoder_name = _check_choice(encoder, ENCODERS, "encoder")
        _check_choice(neuron, RL_NEURONS, "neuron")
        self.hidden_sizes = hidden_sizes
        self.out_dim = hidden_sizes[-1]

        self.population: PopulationEncoder | None = None
        first_in = in_dim
        if encoder == "population":
            low = torch.as_tensor(obs_low, dtype=torch.float32)
            high = torch.as_tensor(obs_high, dtype=torch.float32)
            self.population = PopulationEncoder(
                in_dim, pop_size=pop_size, low=low, high=high, T=self.T
            )
            first_in = self.population.out_features

        self.linears = nn.ModuleList()
        self.neurons = nn.ModuleList()
        sizes = [first_in, *hidden_sizes]
        surrogate_kwargs = {} if surrogate_alpha is None else {"alpha": float(surrogate_alpha)}
        from spikeagents.snn.surrogate import get_surrogate

        for i in range(len(hidden_sizes)):
            linear = nn.Linear(sizes[i], sizes[i + 1])
            if init_gain != 1.0:
                with torch.no_grad():
                    linear.weight.mul_(init_gain)
                    linear.bias.mul_(init_gain)
            self.linears.append(linear)
            kwargs: dict[str, Any] = dict(
                v_threshold=v_threshold,
                v_reset=v_reset,
                detach_reset=detach_reset,
                surrogate=get_surrogate(surrogate, **surrogate_kwargs),
                step_mode="m",
                backend=backend,
            )
            if neuron in ("lif", "plif"):
                kwargs["tau"] = tau
            self.neurons.append(get_neuron(neuron, **kwargs))
        self.track_rates = False
        self.firing_rates: list[Tensor] = []
        self.silent_fractions: list[Tensor] = []

    def encode(self, obs: Tensor) -> tuple[Tensor, bool]:
        """``obs [B, D]`` -> (encoded input, constant over time?). Constant inputs are ``[B, F]``,
        time-varying ones ``[T, B, F]``."""
        if self.encoder_name == "direct":
            return obs, True
        if self.encoder_name == "poisson":
            p = torch.sigmoid(obs)
            return torch.bernoulli(p.unsqueeze(0).expand(self.T, *p.shape)), False
        assert self.population is not None
        if self.population.constant_over_time:
            return self.population.activation(obs), True
        return self.population(obs), False

    def forward(self, obs: Tensor) -> Tensor:
        """``obs [B, D]`` -> spikes of the last layer ``[T, B, H]``."""
        x, constant = self.encode(obs)
        rates, silent = [], []
        for i, (linear, node) in enumerate(zip(self.linears, self.neurons, strict=True)):
            if i == 0 and constant:
                current = linear(x).unsqueeze(0).expand(self.T, -1, -1)
            else:
                current = linear(x)  # nn.Linear applies over the leading [T, B] dims
            node.reset()
            x = node(current)
            if self.track_rates:
                with torch.no_grad():
                    rates.append(x.mean())
                    silent.append((x.sum(dim=(0, 1)) == 0).float().mean())
        if self.track_rates:
            self.firing_rates, self.silent_fractions = rates, silent
        return x

    def spiking_neurons(self) -> list[BaseNode]:
        return list(self.neurons)  # type: ignore[arg-type]


class MembraneReadout(nn.Module):
    """Linear -> ``NonSpikingLIFNode`` readout; the output is the membrane potential.

    ``forward(spikes [T, B, H]) -> [B, out]``: the potential at the last step
    (``readout="last"``) or its mean over steps (``"mean"``), computed as one weighted sum over
    time followed by the Linear (see the module docstring: identical, and T times cheaper).

    :param in_dim: H. :param out_dim: outputs. :param T: steps. :param tau: readout time constant.
    """

    def __init__(self, in_dim: int, out_dim: int, T: int, tau: float = 2.0, readout: str = "mean"):
        super().__init__()
        self.linear = nn.Linear(in_dim, out_dim)
        self.trace = ReadoutTrace(T, tau, readout)

    def forward(self, spikes: Tensor) -> Tensor:
        return self.linear(self.trace(spikes))


class ReadoutTrace(nn.Module):
    r"""The readout trace :math:`z = \sum_t k_t S_t`: ``[T, B, H] -> [B, H]``.

    Multiplying it by a readout Linear :math:`(W, b)` gives the membrane potential of a
    non-spiking LIF readout fed :math:`W S_t + b'` with :math:`b' = b / \sum_t k_t`.
    """

    def __init__(self, T: int, tau: float = 2.0, readout: str = "mean") -> None:
        super().__init__()
        self.T, self.tau, self.readout = int(T), float(tau), readout
        self.register_buffer("weights", readout_weights(self.T, tau, readout).float(), False)

    def forward(self, spikes: Tensor) -> Tensor:
        w = self.weights.to(spikes.dtype)
        return torch.tensordot(w, spikes, dims=([0], [0]))

    def extra_repr(self) -> str:
        return f"T={self.T}, tau={self.tau}, readout={self.readout!r}"


class SpikingNetwork(nn.Module):
    """A complete spiking network ``obs [B, D] -> [B, out]``: body and membrane readout.

    :param in_dim: observation size. :param out_dim: output size (actions, Q-values).
    :param readout: ``"last"`` or ``"mean"``. :param readout_tau: readout time constant.
    :param body_kwargs: the :class:`SpikingBody` arguments (T, hidden_sizes, neuron, ...).
    """

    def __init__(
        self,
        in_dim: int,
        out_dim: int,
        readout: str = "mean",
        readout_tau: float = 2.0,
        **body_kwargs: Any,
    ) -> None:
        super().__init__()
        self.body = SpikingBody(in_dim, **body_kwargs)
        self.readout = MembraneReadout(
            self.body.out_dim, out_dim, self.body.T, readout_tau, readout
        )

    def forward(self, obs: Tensor) -> Tensor:
        return self.readout(self.body(obs))


class SpikingExtractor(BaseFeaturesExtractor):
    """SB3 features extractor: the spiking body plus the readout trace, ``[B, D] -> [B, H]``.

    The SB3 head placed after it (``action_net``, ``value_net`` or the Q-network's last Linear,
    with ``net_arch=[]``) is the readout's Linear, so the policy's outputs are the membrane
    potentials of a non-spiking LIF readout: no extra Linear is stacked after the readout.

    :param observation_space: a flat ``Box`` observation space.
    :param readout: ``"last"`` or ``"mean"``. :param readout_tau: readout time constant.
    :param body_kwargs: :class:`SpikingBody` arguments.
    """

    def __init__(
        self,
        observation_space: gym.spaces.Box,
        readout: str = "mean",
        readout_tau: float = 2.0,
        **body_kwargs: Any,
    ) -> None:
        if not isinstance(observation_space, gym.spaces.Box) or len(observation_space.shape) != 1:
            raise ValueError(
                "spiking policies need a flat Box observation space, got "
                f"{observation_space}; flatten it with gymnasium.wrappers.FlattenObservation"
            )
        in_dim = int(observation_space.shape[0])
        hidden = list(body_kwargs.get("hidden_sizes", (64,)))
        super().__init__(observation_space, features_dim=int(hidden[-1]))
        self.body = SpikingBody(in_dim, **body_kwargs)
        self.trace = ReadoutTrace(self.body.T, readout_tau, readout)

    def forward(self, observations: Tensor) -> Tensor:
        return self.trace(self.body(observations.float()))
