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
(1 - \tfrac{1}{\tau_r})^{T-1-t}` (and the matching weights for the mean over steps; both from
:func:`spikeagents.snn.dynamics.readout_weights`).
:class:`MembraneReadout` computes it in that order: one weighted sum over time, then one Linear,
instead of T Linears and T neuron steps. The result is the membrane potential of the Linear ->
``NonSpikingLIFNode`` readout exactly (tested against it).

With the direct-current encoder the encoded input is the same at every step, so the first Linear
runs once, not T times. Every setting (T, widths, neuron, encoder, readout, ...) is a field of
:class:`~spikeagents.rl.settings.SpikingSettings`; each class here takes one (or its fields as
keyword arguments).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import gymnasium as gym
import torch
from stable_baselines3.common.torch_layers import BaseFeaturesExtractor
from torch import Tensor, nn

from spikeagents.rl.settings import SpikingSettings
from spikeagents.snn.dynamics import readout_weights
from spikeagents.snn.encoding import PoissonEncoder, PopulationEncoder

__all__ = [
    "readout_weights",
    "SpikingBody",
    "MembraneReadout",
    "ReadoutTrace",
    "SpikingNetwork",
    "SpikingExtractor",
    "GroupAffine",
]


def _settings(settings: SpikingSettings | None, kwargs: dict[str, Any]) -> SpikingSettings:
    """``settings`` (default: the dataclass defaults) with ``kwargs`` changed."""
    base = settings if settings is not None else SpikingSettings()
    return base.with_changes(**kwargs) if kwargs else base


class SpikingBody(nn.Module):
    """Encoder and ``[Linear -> spiking neuron] x depth``, run for ``T`` steps layer by layer.

    ``forward(obs: [B, D]) -> spikes [T, B, hidden_sizes[-1]]``. Each call starts from rest.

    :param in_dim: observation size D.
    :param settings: the network's :class:`~spikeagents.rl.settings.SpikingSettings` (its
        readout fields are not used here); keyword arguments change single fields, e.g.
        ``SpikingBody(4, hidden_sizes=[16], T=8)``.
    """

    def __init__(self, in_dim: int, settings: SpikingSettings | None = None, **kwargs: Any) -> None:
        super().__init__()
        s = self.settings = _settings(settings, kwargs)
        self.T = int(s.T)
        self.hidden_sizes = list(s.hidden_sizes)
        self.out_dim = self.hidden_sizes[-1]
        # the population encoder keeps its attribute name: saved state_dicts hold "population.*"
        self.population: PopulationEncoder | None = None
        self.poisson = PoissonEncoder(self.T) if s.encoder == "poisson" else None
        first_in = in_dim
        if s.encoder == "population":
            low = torch.as_tensor(s.obs_low, dtype=torch.float32)
            high = torch.as_tensor(s.obs_high, dtype=torch.float32)
            self.population = PopulationEncoder(
                in_dim, pop_size=s.pop_size, low=low, high=high, T=self.T
            )
            first_in = self.population.out_features

        self.linears = nn.ModuleList()
        self.neurons = nn.ModuleList()
        sizes = [first_in, *self.hidden_sizes]
        for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True):
            self.linears.append(s.make_linear(n_in, n_out))
            self.neurons.append(s.make_neuron())

    def encode(self, obs: Tensor) -> tuple[Tensor, bool]:
        """``obs [B, D]`` -> (encoded input, constant over time?). Constant inputs are ``[B, F]``
        (the first Linear runs once on them), time-varying ones ``[T, B, F]``."""
        if self.poisson is not None:
            return self.poisson(torch.sigmoid(obs)), False
        if self.population is not None:
            if self.population.constant_over_time:
                return self.population.activation(obs), True
            return self.population(obs), False
        return obs, True  # direct: the observation is the input current at every step

    def forward(self, obs: Tensor) -> Tensor:
        """``obs [B, D]`` -> spikes of the last layer ``[T, B, H]``."""
        *_, (_, spikes) = self.layers(obs)
        return spikes

    def layers(self, obs: Tensor) -> Iterator[tuple[Tensor, Tensor]]:
        """Run the network layer by layer, yielding each layer's input current (``[B, H]`` when
        constant over the steps, else ``[T, B, H]``) and its spikes ``[T, B, H]``."""
        x, constant = self.encode(obs)
        for i, (linear, node) in enumerate(zip(self.linears, self.neurons, strict=True)):
            node.reset()
            current = linear(x)  # nn.Linear applies over the leading [T, B] dims
            if i == 0 and constant:  # the first Linear runs once, and the kernel reads it once
                x = node(current, steps=self.T)
            else:
                x = node(current)
            yield current, x


class ReadoutTrace(nn.Module):
    r"""The readout trace :math:`z = \sum_t k_t S_t`: ``[T, B, H] -> [B, H]``.

    Multiplying it by a readout Linear :math:`(W, b)` gives the membrane potential of a
    non-spiking LIF readout fed :math:`W S_t + b'` with :math:`b' = b / \sum_t k_t`.
    """

    def __init__(self, T: int, tau: float = 2.0, readout: str = "mean") -> None:
        super().__init__()
        self.T, self.tau, self.readout = int(T), float(tau), readout
        if readout == "rate":  # the firing rate: the spikes' plain mean over the steps
            weights = torch.full((self.T,), 1.0 / self.T)
        else:
            weights = readout_weights(self.T, tau, readout).float()
        self.register_buffer("weights", weights, False)

    def forward(self, spikes: Tensor) -> Tensor:
        w = self.weights.to(spikes.dtype)
        return torch.matmul(w, spikes.reshape(spikes.shape[0], -1)).view(spikes.shape[1:])

    def extra_repr(self) -> str:
        return f"T={self.T}, tau={self.tau}, readout={self.readout!r}"


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


class SpikingNetwork(nn.Module):
    """A complete spiking network ``obs [B, D] -> [B, out]``: body and membrane readout.

    :param in_dim: observation size. :param out_dim: output size (actions, Q-values).
    :param settings: :class:`~spikeagents.rl.settings.SpikingSettings`; keyword arguments change
        single fields (``T``, ``hidden_sizes``, ``readout``, ...).
    """

    def __init__(
        self, in_dim: int, out_dim: int, settings: SpikingSettings | None = None, **kwargs: Any
    ) -> None:
        super().__init__()
        s = _settings(settings, kwargs)
        self.body = SpikingBody(in_dim, s)
        self.readout = MembraneReadout(self.body.out_dim, out_dim, s.T, s.readout_tau, s.readout)

    def forward(self, obs: Tensor) -> Tensor:
        return self.readout(self.body(obs))


class SpikingExtractor(BaseFeaturesExtractor):
    """SB3 features extractor: the spiking body plus the readout trace, ``[B, D] -> [B, H]``.

    The SB3 head placed after it (``action_net``, ``value_net`` or the Q-network's last Linear,
    with ``net_arch=[]``) is the readout's Linear, so the policy's outputs are the membrane
    potentials of a non-spiking LIF readout: no extra Linear is stacked after the readout.

    :param observation_space: a flat ``Box`` observation space.
    :param output_rates: output the last layer's firing rates (the spikes' mean over the steps)
        instead of the readout trace: a population of spiking output neurons
        (``decoder: population_rate``).
    :param kwargs: :class:`~spikeagents.rl.settings.SpikingSettings` fields.
    """

    def __init__(
        self, observation_space: gym.spaces.Box, output_rates: bool = False, **kwargs: Any
    ) -> None:
        if not isinstance(observation_space, gym.spaces.Box) or len(observation_space.shape) != 1:
            raise ValueError(
                "spiking policies need a flat Box observation space, got "
                f"{observation_space}; flatten it with gymnasium.wrappers.FlattenObservation"
            )
        settings = SpikingSettings(**kwargs)
        super().__init__(observation_space, features_dim=int(settings.hidden_sizes[-1]))
        self.body = SpikingBody(int(observation_space.shape[0]), settings)
        readout = "rate" if output_rates else settings.readout
        self.trace = ReadoutTrace(settings.T, settings.readout_tau, readout)

    def forward(self, observations: Tensor) -> Tensor:
        return self.trace(self.body(observations.float()))


class GroupAffine(nn.Module):
    r"""The population decoder's last step (PopSAN): per action dimension :math:`d`, the mean of
    its group of ``pop_size`` output values, then a learned affine map,
    :math:`a_d = w_d \, \frac{1}{P} \sum_{j} y_{d P + j} + b_d`.

    Shapes: ``y [B, A P] -> a [B, A]``. :param action_dim: A. :param pop_size: P.
    """

    def __init__(self, action_dim: int, pop_size: int) -> None:
        super().__init__()
        self.action_dim, self.pop_size = int(action_dim), int(pop_size)
        self.weight = nn.Parameter(torch.ones(self.action_dim))
        self.bias = nn.Parameter(torch.zeros(self.action_dim))

    def forward(self, y: Tensor) -> Tensor:
        groups = y.view(*y.shape[:-1], self.action_dim, self.pop_size).mean(-1)
        return groups * self.weight + self.bias

    def extra_repr(self) -> str:
        return f"action_dim={self.action_dim}, pop_size={self.pop_size}"
