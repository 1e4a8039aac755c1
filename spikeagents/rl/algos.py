"""The one algorithm-name map: each name's SB3 class, spiking policy and hyperparameters."""

from __future__ import annotations

from dataclasses import dataclass

from stable_baselines3 import A2C, DQN, PPO
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.policies import BasePolicy

from spikeagents.rl.hyperparams import A2CParams, DQNParams, PPOParams
from spikeagents.rl.policies import SpikingActorCriticPolicy, SpikingDQNPolicy
from spikeagents.schema import check_choice

__all__ = ["Algorithm", "ALGOS", "get_algo"]


@dataclass(frozen=True)
class Algorithm:
    """One algorithm spikeagents trains.

    :param sb3_class: the Stable-Baselines3 class. :param policy_class: its spiking policy.
    :param params_class: the dataclass of its hyperparameters (the recipe's ``hyperparams:``).
    :param actor_critic: the policy takes the actor-critic options (``ortho_init``,
        ``share_features_extractor``, ``log_std_init``).
    """

    sb3_class: type[BaseAlgorithm]
    policy_class: type[BasePolicy]
    params_class: type
    actor_critic: bool


#: algorithm name -> what it is made of
ALGOS: dict[str, Algorithm] = {
    "ppo": Algorithm(PPO, SpikingActorCriticPolicy, PPOParams, actor_critic=True),
    "a2c": Algorithm(A2C, SpikingActorCriticPolicy, A2CParams, actor_critic=True),
    "dqn": Algorithm(DQN, SpikingDQNPolicy, DQNParams, actor_critic=False),
}


def get_algo(name: str) -> Algorithm:
    """The :class:`Algorithm` called ``name`` (``ConfigError`` listing the valid names)."""
    check_choice(name.lower(), tuple(ALGOS), "algo", "algorithm")
    return ALGOS[name.lower()]
