"""The one name -> Stable-Baselines3 algorithm map, with the spiking policy each one uses."""

from __future__ import annotations

from stable_baselines3 import A2C, DQN, PPO
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.policies import BasePolicy

from spikeagents.rl.policies import SpikingActorCriticPolicy, SpikingDQNPolicy

__all__ = ["ALGOS", "get_algo"]

#: algorithm name -> (SB3 class, spiking policy class)
ALGOS: dict[str, tuple[type[BaseAlgorithm], type[BasePolicy]]] = {
    "ppo": (PPO, SpikingActorCriticPolicy),
    "a2c": (A2C, SpikingActorCriticPolicy),
    "dqn": (DQN, SpikingDQNPolicy),
}


def get_algo(name: str) -> tuple[type[BaseAlgorithm], type[BasePolicy]]:
    """``(SB3 class, policy class)`` for ``"ppo"``, ``"a2c"`` or ``"dqn"``."""
    try:
        return ALGOS[name.lower()]
    except KeyError:
        raise ValueError(f"unknown algorithm {name!r}; valid choices: {', '.join(ALGOS)}") from None
