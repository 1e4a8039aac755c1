"""The one algorithm-name map: each name's SB3 class, spiking policy and hyperparameters, and
the stateful variants (membrane carried across environment steps; sb3-contrib)."""

from __future__ import annotations

from dataclasses import dataclass

from gymnasium import spaces
from sb3_contrib import RecurrentPPO
from stable_baselines3 import A2C, DDPG, DQN, PPO, SAC, TD3
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.policies import BasePolicy

from spikeagents.rl.continuous import SpikingSACPolicy, SpikingTD3Policy
from spikeagents.rl.hyperparams import (
    A2CParams,
    DDPGParams,
    DQNParams,
    PPOParams,
    SACParams,
    TD3Params,
)
from spikeagents.rl.policies import (
    SpikingActorCriticPolicy,
    SpikingDQNPolicy,
    SpikingRecurrentPolicy,
)
from spikeagents.schema import ConfigError, check_choice

__all__ = ["Algorithm", "ALGOS", "STATEFUL_ALGOS", "get_algo", "check_action_space"]

#: the action spaces of each family (SB3's ``supported_action_spaces``)
ANY_ACTIONS = (spaces.Box, spaces.Discrete, spaces.MultiDiscrete, spaces.MultiBinary)
DISCRETE_ACTIONS = (spaces.Discrete,)
CONTINUOUS_ACTIONS = (spaces.Box,)


@dataclass(frozen=True)
class Algorithm:
    """One algorithm spikeagents trains.

    :param sb3_class: the Stable-Baselines3 class. :param policy_class: its spiking policy.
    :param params_class: the dataclass of its hyperparameters (the recipe's ``hyperparams:``).
    :param policy_keys: the recipe's policy options (besides the spiking settings) that its
        policy takes.
    :param action_spaces: the gymnasium action space classes it can act in.
    :param mlp_policy: SB3's non-spiking policy of this class: the baseline (``--mlp``).
    """

    sb3_class: type[BaseAlgorithm]
    policy_class: type[BasePolicy]
    params_class: type
    policy_keys: tuple[str, ...]
    action_spaces: tuple[type[spaces.Space], ...] = ANY_ACTIONS
    mlp_policy: str = "MlpPolicy"

    @property
    def continuous(self) -> bool:
        """Whether its policy is a continuous actor with critics (SAC, TD3, DDPG)."""
        return "critic_hidden_sizes" in self.policy_keys


#: the options of the actor-critic (on-policy) and of the continuous off-policy policies
ACTOR_CRITIC = ("share_features_extractor", "ortho_init", "log_std_init")
OFF_POLICY = ("share_features_extractor", "critic_hidden_sizes", "spiking_critic")


#: algorithm name -> what it is made of
ALGOS: dict[str, Algorithm] = {
    "ppo": Algorithm(PPO, SpikingActorCriticPolicy, PPOParams, ACTOR_CRITIC),
    "a2c": Algorithm(A2C, SpikingActorCriticPolicy, A2CParams, ACTOR_CRITIC),
    "dqn": Algorithm(DQN, SpikingDQNPolicy, DQNParams, (), DISCRETE_ACTIONS),
    "sac": Algorithm(
        SAC, SpikingSACPolicy, SACParams, (*OFF_POLICY, "log_std_init"), CONTINUOUS_ACTIONS
    ),
    "td3": Algorithm(TD3, SpikingTD3Policy, TD3Params, OFF_POLICY, CONTINUOUS_ACTIONS),
    "ddpg": Algorithm(DDPG, SpikingTD3Policy, DDPGParams, OFF_POLICY, CONTINUOUS_ACTIONS),
}


#: the algorithms whose policies can carry state across environment steps (``stateful: true``)
STATEFUL_ALGOS: dict[str, Algorithm] = {
    "ppo": Algorithm(
        RecurrentPPO,
        SpikingRecurrentPolicy,
        PPOParams,
        ACTOR_CRITIC,
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


def check_action_space(algo: str, env_id: str, space: spaces.Space) -> None:
    """A one-line ``ConfigError`` when ``algo`` cannot act in ``env_id``'s action ``space``,
    naming the algorithms that can."""
    accepted = get_algo(algo).action_spaces
    if isinstance(space, accepted):
        return
    able = [name for name, a in ALGOS.items() if isinstance(space, a.action_spaces)]
    kinds = " or ".join(cls.__name__ for cls in accepted)
    raise ConfigError(
        f"{algo} needs {kinds} actions; {env_id} has {space}: use {', '.join(able)}",
        key="algo",
    )
