"""Environment wrappers by registered name, and building a wrapped env from an ``EnvConfig``.

An ``envs/<EnvId>.yaml`` file lists wrappers by name (``{name: time_limit, max_episode_steps:
200}``); :data:`WRAPPERS` maps each name to a callable ``(env, **kwargs) -> gym.Wrapper``.
Observation and reward normalisation are not wrappers here: they are ``VecNormalize`` over the
vectorised env (``EnvConfig.normalize_obs`` / ``normalize_reward``).

Example::

    from spikeagents.config import load_env_config
    from spikeagents.envs import make_wrapped_env

    env = make_wrapped_env(load_env_config("CartPole-v1"), seed=0)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium.wrappers import ClipAction, FlattenObservation, RescaleAction, TimeLimit

if TYPE_CHECKING:
    from spikeagents.config import EnvConfig

__all__ = ["WRAPPERS", "FrameSkip", "ScaleReward", "make_wrapped_env"]


class FrameSkip(gym.Wrapper):
    """Repeat every action ``skip`` times and return the summed reward.

    Stops repeating as soon as the episode terminates or is truncated.

    :param env: the env to wrap. :param skip: how many env steps one action lasts (>= 1).
    """

    def __init__(self, env: gym.Env, skip: int = 2) -> None:
        if int(skip) < 1:
            raise ValueError(f"frame_skip: skip must be >= 1, got {skip}")
        super().__init__(env)
        self.skip = int(skip)

    def step(self, action: Any) -> tuple[Any, SupportsFloat, bool, bool, dict[str, Any]]:
        total = 0.0
        for _ in range(self.skip):
            obs, reward, terminated, truncated, info = self.env.step(action)
            total += float(reward)
            if terminated or truncated:
                break
        return obs, total, terminated, truncated, info


class ScaleReward(gym.RewardWrapper):
    """Multiply every reward by a constant: ``r' = scale * r``.

    :param env: the env to wrap. :param scale: the factor.
    """

    def __init__(self, env: gym.Env, scale: float) -> None:
        super().__init__(env)
        self.scale = float(scale)

    def reward(self, reward: SupportsFloat) -> float:
        return self.scale * float(reward)


def rescale_action(
    env: gym.Env, min_action: float | Sequence[float], max_action: float | Sequence[float]
) -> gym.Wrapper:
    """gymnasium's ``RescaleAction`` taking plain numbers or lists (as YAML gives them)."""

    def bound(value: float | Sequence[float]) -> np.floating | np.ndarray:
        return np.float32(value) if np.ndim(value) == 0 else np.asarray(value, dtype=np.float32)

    return RescaleAction(env, bound(min_action), bound(max_action))


#: wrapper name (as written in ``envs/*.yaml``) -> ``(env, **kwargs) -> wrapped env``
WRAPPERS: dict[str, Callable[..., gym.Wrapper]] = {
    "time_limit": TimeLimit,  # max_episode_steps
    "flatten_observation": FlattenObservation,
    "clip_action": ClipAction,
    "rescale_action": rescale_action,  # min_action, max_action
    "frame_skip": FrameSkip,  # skip
    "transform_reward_scale": ScaleReward,  # scale
}


def make_wrapped_env(
    env_cfg: EnvConfig, render_mode: str | None = None, seed: int | None = None
) -> gym.Env:
    """``gym.make`` the configured env and apply its wrappers in order.

    With a ``seed`` the env is reset once with it and its action space is seeded, so that later
    ``reset()`` calls without a seed continue a reproducible stream.

    :param env_cfg: the environment configuration.
    :param render_mode: gymnasium render mode (``None``, ``"rgb_array"``, ``"human"``).
    :param seed: optional seed.
    """
    env = gym.make(
        env_cfg.id,
        render_mode=render_mode,
        max_episode_steps=env_cfg.max_episode_steps,
        **env_cfg.kwargs,
    )
    for spec in env_cfg.wrappers:
        env = WRAPPERS[spec.name](env, **spec.kwargs)
    if seed is not None:
        env.reset(seed=seed)
        env.action_space.seed(seed)
    return env
