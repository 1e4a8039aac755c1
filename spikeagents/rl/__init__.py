"""Stable-Baselines3 integration: spiking policies, networks and diagnostics.

``PPO(SpikingActorCriticPolicy, "CartPole-v1")`` trains a spiking agent in plain SB3 code;
``SAC(SpikingSACPolicy, "Pendulum-v1")`` a spiking actor for continuous control.
"""

from spikeagents.rl.continuous import SpikingSACPolicy, SpikingTD3Policy
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
    "SpikingSACPolicy",
    "SpikingTD3Policy",
]
