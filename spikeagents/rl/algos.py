"""The one algorithm-name map: each name's SB3 class, spiking policy and hyperparameters, and
the stateful variants (membrane carried across environment steps; sb3-contrib)."""

from __future__ import annotations

from dataclasses import dataclass

from sb3_contrib import RecurrentPPO
from stable_baselines3 import A2C, DQN, PPO
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.policies import BasePolicy

from spikeagents.rl.hyperparams import A2CParams, DQNParams, PPOParams
from spikeagents.rl.policies import (
    SpikingActorCriticPolicy,
    SpikingDQNPolicy,
    SpikingRecurrentPolicy,
)
from spikeagents.schema import ConfigError, check_choice

__all__ = ["Algorithm", "ALGOS", "STATEFUL_ALGOS", "get_algo"]


@dataclass(frozen=True)
class Algorithm:
    """One algorithm spikeagents trains.

    :param sb3_class: the Stable-Baselines3 class. :param policy_class: its spiking policy.
    :param params_class: the dataclass of its hyperparameters (the recipe's ``hyperparams:``).
    :param actor_critic: the policy takes the actor-critic options (``ortho_init``,
        ``share_features_extractor``, ``log_std_init``).
    :param mlp_policy: SB3's non-spiking policy of this class: the baseline (``--mlp``).
    """

    sb3_class: type[BaseAlgorithm]
    policy_class: type[BasePolicy]
    params_class: type
    actor_critic: bool
    mlp_policy: str = "MlpPolicy"


#: algorithm name -> what it is made of
ALGOS: dict[str, Algorithm] = {
    "ppo": Algorithm(PPO, SpikingActorCriticPolicy, PPOParams, actor_critic=True),
    "a2c": Algorithm(A2C, SpikingActorCriticPolicy, A2CParams, actor_critic=True),
    "dqn": Algorithm(DQN, SpikingDQNPolicy, DQNParams, actor_critic=False),
}


#: the algorithms whose policies can carry state across environment steps (``stateful: true``)
STATEFUL_ALGOS: dict[str, Algorithm] = {
    "ppo": Algorithm(
        RecurrentPPO,
        SpikingRecurrentPolicy,
        PPOParams,
        actor_critic=True,
        mlp_policy="MlpLstmPolicy",
    ),
}


def get_algo(name: str, stateful: bool = False) -> Algorithm:
    """The :class:`Algorithm` called ``name`` (``ConfigError`` listing the valid names);
    ``stateful``: its variant whose policy carries state across environment steps."""
    name = name.lower()
    check_choice(name, tuple(ALGOS), "algo", "algorithm")
    if not stateful:
        return ALGOS[name]
    if name not in STATEFUL_ALGOS:
        raise ConfigError(
            f"a stateful policy (membrane carried across environment steps) needs an algorithm "
            f"that carries state: {', '.join(STATEFUL_ALGOS)} (sb3-contrib's RecurrentPPO); "
            f"{name} cannot",
            key="stateful",
        )
    return STATEFUL_ALGOS[name]
