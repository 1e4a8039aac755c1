"""Stable-Baselines3 integration: spiking policies, networks and diagnostics.

``PPO(SpikingActorCriticPolicy, "CartPole-v1")`` trains a spiking agent in plain SB3 code.
"""

from spikeagents.rl.networks import MembraneReadout, SpikingBody, SpikingExtractor, SpikingNetwork
from spikeagents.rl.policies import (
    SpikingActorCriticPolicy,
    SpikingDQNPolicy,
    SpikingRecurrentPolicy,
)
from spikeagents.rl.settings import SpikingSettings

__all__ = [
    "SpikingSettings",
    "MembraneReadout",
    "SpikingBody",
    "SpikingExtractor",
    "SpikingNetwork",
    "SpikingActorCriticPolicy",
    "SpikingDQNPolicy",
    "SpikingRecurrentPolicy",
]
