"""Spiking actors for the off-policy continuous-control algorithms: SAC, TD3 and DDPG.

The PopSAN recipe (Tang et al. 2020) and its successors: the actor is a spiking network (the
observation as a direct current or through Gaussian receptive fields, ``encoder: population``),
run for ``T`` steps from rest on every call; the critics stay MLPs (``spiking_critic=True``
makes them spiking networks of the same settings too). The actor's output is decoded by
``decoder`` (:data:`~spikeagents.rl.settings.ACTION_DECODERS`):

- ``membrane``: the head Linear on the readout trace is a non-spiking LIF readout, one neuron per
  action dimension (its membrane potential is SAC's Gaussian mean, TD3's action before tanh);
- ``population``: ``decoder_pop_size`` readout neurons per dimension, their membranes averaged
  per dimension, then a learned affine map (:class:`~spikeagents.rl.networks.GroupAffine`);
- ``population_rate``: the same with spiking output neurons (the actor's last layer) and their
  firing rates.

SB3's structure is kept through its public extension points: the policies override
``make_actor`` (and ``make_critic`` for spiking critics), and the target actor and critics are
built by the same methods and loaded with the online networks' weights, so they are copies that
only Polyak updates move. Spiking settings are ``policy_kwargs`` keys, as for the other policies::

    SAC(SpikingSACPolicy, "Pendulum-v1", policy_kwargs=dict(T=5, encoder="population",
        obs_low=[-1, -1, -8], obs_high=[1, 1, 8], decoder="population"))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from gymnasium import spaces
from stable_baselines3.common.policies import ContinuousCritic
from stable_baselines3.common.type_aliases import Schedule
from stable_baselines3.sac.policies import Actor as SACActor
from stable_baselines3.sac.policies import SACPolicy
from stable_baselines3.td3.policies import Actor as TD3Actor
from stable_baselines3.td3.policies import TD3Policy
from torch import nn

from spikeagents.rl.networks import GroupAffine, SpikingExtractor, SpikingNetwork
from spikeagents.rl.settings import SpikingSettings
from spikeagents.schema import ConfigError

__all__ = ["SpikingSACPolicy", "SpikingTD3Policy"]


class _SpikingContinuous:
    """What both policies share: the settings, the spiking actor, the optional spiking critic."""

    settings: SpikingSettings
    spiking_kwargs: dict[str, Any]
    spiking_critic: bool
    critic_hidden_sizes: tuple[int, ...]
    observation_space: spaces.Space
    action_space: spaces.Box
    actor_kwargs: dict[str, Any]
    device: Any

    def _take_settings(
        self,
        kwargs: dict[str, Any],
        critic_hidden_sizes: Sequence[int],
        spiking_critic: bool,
        net_arch: Any,
    ) -> tuple[dict[str, Any], Any]:
        """Keep the spiking settings; return SB3's keyword arguments and its ``net_arch``."""
        self.settings, rest = SpikingSettings.split(kwargs)
        self.spiking_kwargs = self.settings.to_kwargs()
        self.spiking_critic = bool(spiking_critic)
        self.critic_hidden_sizes = tuple(int(h) for h in critic_hidden_sizes)
        if net_arch is None:  # the actor's layers are the spiking body's; the critics' an MLP
            net_arch = {"pi": [], "qf": list(self.critic_hidden_sizes)}
        return rest, net_arch

    def _actor_extractor(self) -> SpikingExtractor:
        s = self.settings
        rates = s.decoder == "population_rate"
        if rates:  # the last spiking layer is the output population
            width = int(self.action_space.shape[0]) * s.decoder_pop_size
            s = s.with_changes(hidden_sizes=(*s.hidden_sizes, width))
        return SpikingExtractor(self.observation_space, output_rates=rates, **s.to_kwargs())

    def _decoder(self, features_dim: int) -> nn.Module | None:
        """The population decoder that replaces the actor's mean head (``None``: membrane)."""
        s = self.settings
        action_dim = int(self.action_space.shape[0])
        if s.decoder == "population":
            width = action_dim * s.decoder_pop_size
            return nn.Sequential(
                nn.Linear(features_dim, width), GroupAffine(action_dim, s.decoder_pop_size)
            )
        if s.decoder == "population_rate":
            return GroupAffine(action_dim, s.decoder_pop_size)
        return None

    def _spiking_q_networks(self, critic: ContinuousCritic) -> ContinuousCritic:
        """Replace the critic's MLPs by spiking networks on ``[features, action]``."""
        settings = self.settings.with_changes(
            hidden_sizes=self.critic_hidden_sizes, decoder="membrane", encoder="direct"
        )
        in_dim = critic.features_extractor.features_dim + int(self.action_space.shape[0])
        networks = []
        for i in range(len(critic.q_networks)):
            network = SpikingNetwork(in_dim, 1, settings).to(self.device)
            critic.add_module(f"qf{i}", network)
            networks.append(network)
        critic.q_networks = networks
        return critic

    def _spiking_actor(self, actor_class: type[nn.Module], squash: bool) -> Any:
        """SB3's ``actor_class`` on the spiking extractor, its head replaced by the population
        decoder (through tanh when ``squash``: TD3's deterministic action) if one is set."""
        extractor = self._actor_extractor()
        kwargs = {**self.actor_kwargs, "net_arch": []}
        kwargs.update(features_extractor=extractor, features_dim=extractor.features_dim)
        actor = actor_class(**kwargs)
        decoder = self._decoder(extractor.features_dim)
        if decoder is not None:
            actor.mu = nn.Sequential(decoder, nn.Tanh()) if squash else decoder
        return actor.to(self.device)

    def make_critic(self, features_extractor: Any = None) -> ContinuousCritic:
        critic = super().make_critic(features_extractor)  # type: ignore[misc]
        return self._spiking_q_networks(critic) if self.spiking_critic else critic

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data = super()._get_constructor_parameters()  # type: ignore[misc]
        data.update(self.spiking_kwargs)
        data.update(
            spiking_critic=self.spiking_critic, critic_hidden_sizes=list(self.critic_hidden_sizes)
        )
        return data


class SpikingSACPolicy(_SpikingContinuous, SACPolicy):
    """SAC with a spiking actor (squashed Gaussian: the decoded membrane potentials are its
    mean; its log-std is a Linear on the same readout trace) and MLP critics.

    :param critic_hidden_sizes: the critics' MLP widths (``[256, 256]``: SB3's SAC default).
    :param spiking_critic: spiking critics instead (the spiking settings, these widths).
    :param kwargs: the spiking settings (:class:`~spikeagents.rl.settings.SpikingSettings`
        fields: ``T``, ``hidden_sizes``, ``encoder``, ``decoder``, ...) and SB3's
        :class:`SACPolicy` arguments.
    """

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Box,
        lr_schedule: Schedule,
        net_arch: list[int] | dict[str, list[int]] | None = None,
        critic_hidden_sizes: Sequence[int] = (256, 256),
        spiking_critic: bool = False,
        **kwargs: Any,
    ) -> None:
        rest, net_arch = self._take_settings(kwargs, critic_hidden_sizes, spiking_critic, net_arch)
        if rest.get("use_sde") and self.settings.decoder != "membrane":
            raise ConfigError(
                f"decoder {self.settings.decoder!r} with gSDE is not supported; use "
                "decoder: membrane (or use_sde: false)",
                key="decoder",
            )
        super().__init__(observation_space, action_space, lr_schedule, net_arch, **rest)

    def make_actor(self, features_extractor: Any = None) -> SACActor:
        return self._spiking_actor(SACActor, squash=False)  # SAC squashes its Gaussian sample


class SpikingTD3Policy(_SpikingContinuous, TD3Policy):
    """TD3 (and DDPG) with a spiking actor (its decoded output through tanh is the deterministic
    action) and MLP critics.

    :param critic_hidden_sizes: the critics' MLP widths (``[400, 300]``: the RL Zoo's TD3).
    :param spiking_critic: spiking critics instead (the spiking settings, these widths).
    :param kwargs: the spiking settings (:class:`~spikeagents.rl.settings.SpikingSettings`
        fields) and SB3's :class:`TD3Policy` arguments.
    """

    def __init__(
        self,
        observation_space: spaces.Space,
        action_space: spaces.Box,
        lr_schedule: Schedule,
        net_arch: list[int] | dict[str, list[int]] | None = None,
        critic_hidden_sizes: Sequence[int] = (400, 300),
        spiking_critic: bool = False,
        **kwargs: Any,
    ) -> None:
        rest, net_arch = self._take_settings(kwargs, critic_hidden_sizes, spiking_critic, net_arch)
        super().__init__(observation_space, action_space, lr_schedule, net_arch, **rest)

    def make_actor(self, features_extractor: Any = None) -> TD3Actor:
        return self._spiking_actor(TD3Actor, squash=True)
