"""The spiking-network settings of an RL policy: one frozen dataclass, used everywhere.

:class:`SpikingSettings` is the single list of what a spiking policy can be told: the bodies
(:class:`~spikeagents.rl.networks.SpikingBody`), both SB3 policies (as ``policy_kwargs`` keys),
the recipe schema (``policy:`` in ``configs/rl/*.yaml``, which adds the actor-critic options) and
the resolved ``config.yaml`` of every run read it from here. A bad value is a
:class:`~spikeagents.schema.ConfigError` (a ``ValueError``) naming the key and the valid choices.

Example::

    s = SpikingSettings(T=8, hidden_sizes=[128])          # lists become tuples
    settings, rest = SpikingSettings.split({"T": 8, "net_arch": []})   # rest == {"net_arch": []}
    PPO(SpikingActorCriticPolicy, "CartPole-v1", policy_kwargs=s.to_kwargs())
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from typing import Any

import torch
from torch import nn

from spikeagents.schema import ConfigError, check_at_least, check_choice, to_plain
from spikeagents.snn.dynamics import FAMILIES, READOUT_MODES
from spikeagents.snn.kernels import BACKEND_CHOICES
from spikeagents.snn.neuron import BaseNode, get_neuron
from spikeagents.snn.surrogate import SURROGATES, get_surrogate

__all__ = ["SpikingSettings", "SPIKING_KEYS", "OBSERVATION_ENCODERS", "ACTION_DECODERS"]

#: how an observation enters the first layer: ``direct`` (as a constant input current, the
#: :class:`~spikeagents.snn.encoding.ConstantEncoder`), ``poisson`` (Bernoulli spikes with
#: probability ``sigmoid(obs)``), ``population`` (Gaussian receptive fields, PopSAN)
OBSERVATION_ENCODERS = ("direct", "poisson", "population")
#: how a continuous actor (SAC, TD3, DDPG) turns its spikes into actions: ``membrane`` (the
#: non-spiking LIF readout, one neuron per action dimension), ``population`` (a group of
#: readout neurons per dimension, their membranes averaged, then a learned affine map, PopSAN),
#: ``population_rate`` (the same with spiking output neurons and their firing rates)
ACTION_DECODERS = ("membrane", "population", "population_rate")


@dataclass(frozen=True)
class SpikingSettings:
    """What a spiking policy network is made of.

    :param T: simulation steps per environment step.
    :param hidden_sizes: widths of the spiking layers.
    :param neuron: ``if``, ``lif`` or ``plif`` (ParametricLIF).
    :param tau: membrane time constant of ``lif`` (the initial one of ``plif``; unused by ``if``).
    :param v_threshold: firing threshold.
    :param v_reset: hard-reset potential, or ``None`` for the soft reset (subtract threshold).
    :param detach_reset: detach the spike inside the reset.
    :param surrogate: surrogate gradient by name (``atan``, ``sigmoid``, ...).
    :param surrogate_alpha: the surrogate's ``alpha`` (``None``: its default).
    :param encoder: ``direct``, ``poisson`` or ``population`` (:data:`OBSERVATION_ENCODERS`).
    :param pop_size: receptive fields per observation dimension (``population``).
    :param obs_low: lower end of the population encoder's range (scalar or per dimension).
    :param obs_high: upper end of the population encoder's range.
    :param init_gain: the spiking layers' initial weights and biases are PyTorch's default
        scaled by this (larger: the body fires from the first update).
    :param backend: neuron kernel backend (``auto``, ``torch``, ``cpu``, ``cupy``).
    :param readout: ``last`` (the readout membrane potential at the last step) or ``mean``
        (averaged over the T steps).
    :param readout_tau: time constant of the non-spiking LIF readout, >= 1.
    :param decoder: how a continuous actor decodes actions (:data:`ACTION_DECODERS`; the other
        policies read the membrane).
    :param decoder_pop_size: output neurons per action dimension (population decoders).
    """

    T: int = 16
    hidden_sizes: tuple[int, ...] = (64,)
    neuron: str = "if"
    tau: float = 2.0
    v_threshold: float = 1.0
    v_reset: float | None = None
    detach_reset: bool = True
    surrogate: str = "atan"
    surrogate_alpha: float | None = None
    encoder: str = "direct"
    pop_size: int = 10
    obs_low: float | tuple[float, ...] = -1.0
    obs_high: float | tuple[float, ...] = 1.0
    init_gain: float = 2.0
    backend: str = "auto"
    readout: str = "mean"
    readout_tau: float = 2.0
    decoder: str = "membrane"
    decoder_pop_size: int = 10

    def __post_init__(self) -> None:
        for name in ("hidden_sizes", "obs_low", "obs_high"):  # lists given in Python -> tuples
            value = getattr(self, name)
            if isinstance(value, list | tuple):
                object.__setattr__(self, name, tuple(value))
        object.__setattr__(self, "hidden_sizes", tuple(int(h) for h in self.hidden_sizes))
        choices = {
            "neuron": FAMILIES,
            "surrogate": tuple(sorted(SURROGATES)),
            "encoder": OBSERVATION_ENCODERS,
            "readout": READOUT_MODES,
            "backend": BACKEND_CHOICES,
            "decoder": ACTION_DECODERS,
        }
        for key, valid in choices.items():
            check_choice(getattr(self, key), valid, key, key)
        if int(self.T) < 1:
            raise ConfigError(f"T must be >= 1, got {self.T}", key="T")
        if not self.hidden_sizes or min(self.hidden_sizes) < 1:
            raise ConfigError(
                f"hidden_sizes must be a non-empty list of positive integers, "
                f"got {list(self.hidden_sizes)}",
                key="hidden_sizes",
            )
        check_at_least(self, pop_size=1, readout_tau=1, decoder_pop_size=1)

    def check_membrane_decoder(self, policy: str) -> None:
        """Refuse a population ``decoder`` for a policy that reads the membrane (all but the
        continuous actors of SAC, TD3 and DDPG)."""
        if self.decoder != "membrane":
            raise ConfigError(
                f"decoder {self.decoder!r} is for the continuous actors (sac, td3, ddpg); "
                f"{policy} reads the membrane (decoder: membrane)",
                key="decoder",
            )

    def to_kwargs(self) -> dict[str, Any]:
        """The settings as plain data (lists, not tuples): ``policy_kwargs`` keys."""
        return {key: to_plain(getattr(self, key)) for key in SPIKING_KEYS}

    @classmethod
    def split(cls, kwargs: dict[str, Any], **defaults: Any) -> tuple[SpikingSettings, dict]:
        """Separate the spiking settings from other keyword arguments.

        :param kwargs: e.g. a policy's ``**kwargs`` (not modified).
        :param defaults: defaults that differ from the dataclass's (DQN's wider layers).
        :return: ``(settings, the other keyword arguments)``.
        """
        ours = {k: v for k, v in kwargs.items() if k in SPIKING_KEYS}
        rest = {k: v for k, v in kwargs.items() if k not in SPIKING_KEYS}
        return cls(**{**defaults, **ours}), rest

    def make_neuron(self) -> BaseNode:
        """One multi-step (``[T, B, ...]``) neuron layer of these settings (neuron, tau,
        threshold, reset, surrogate and its alpha, backend)."""
        alpha = {} if self.surrogate_alpha is None else {"alpha": float(self.surrogate_alpha)}
        return get_neuron(
            self.neuron,
            tau=self.tau,
            v_threshold=self.v_threshold,
            v_reset=self.v_reset,
            detach_reset=self.detach_reset,
            surrogate=get_surrogate(self.surrogate, **alpha),
            step_mode="m",
            backend=self.backend,
        )

    def make_linear(self, n_in: int, n_out: int) -> nn.Linear:
        """A Linear layer feeding spiking neurons: PyTorch's initialisation scaled by
        ``init_gain`` (weights and bias)."""
        linear = nn.Linear(n_in, n_out)
        if self.init_gain != 1.0:
            with torch.no_grad():
                linear.weight.mul_(self.init_gain)
                linear.bias.mul_(self.init_gain)
        return linear

    def with_changes(self, **changes: Any) -> SpikingSettings:
        """A copy with some settings changed (checked again)."""
        return replace(self, **changes)


#: every spiking setting, in order: the ``policy_kwargs`` keys the spiking policies take
SPIKING_KEYS = tuple(f.name for f in fields(SpikingSettings))
