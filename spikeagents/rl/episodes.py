"""Evaluation episodes on a vector of environments: one forward pass for all of them per step.

:func:`evaluate_episodes` runs ``n_episodes`` episodes on ``n_envs`` copies of an environment at
once. Episode ``k`` always starts with ``reset(seed=seed + k)``, whichever copy runs it, so the
returns do not depend on how many copies run side by side: ``n_envs=1`` is the plain
one-at-a-time loop, and a larger ``n_envs`` gives the same episodes with one batched
``model.predict`` per step instead of one per copy. Recurrent policies (``predict`` with
``state`` and ``episode_start``, as sb3-contrib's) get their state carried per copy and reset
when a copy starts a new episode.

Observations are normalised with frozen ``VecNormalize`` statistics (:class:`ObsNormalization`)
when the agent was trained with them; rewards are the environment's own (as a ``Monitor``
records them), never normalised.

Example::

    returns, lengths = evaluate_episodes(model, lambda: gym.make("CartPole-v1"), 20, seed=0)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from stable_baselines3.common.vec_env import VecEnv, VecNormalize

__all__ = ["ObsNormalization", "evaluate_episodes"]


@dataclass(frozen=True)
class ObsNormalization:
    """Frozen ``VecNormalize`` observation statistics:
    ``obs' = clip((obs - mean) / sqrt(var + epsilon), -clip_obs, clip_obs)`` as float32."""

    mean: np.ndarray
    var: np.ndarray
    clip_obs: float = 10.0
    epsilon: float = 1e-8

    def __call__(self, obs: np.ndarray) -> np.ndarray:
        """Normalise a batch ``[B, D]`` (or one ``[D]``) of observations, as VecNormalize does."""
        scaled = (obs - self.mean) / np.sqrt(self.var + self.epsilon)
        return np.clip(scaled, -self.clip_obs, self.clip_obs).astype(np.float32)

    def wrap(self, env: VecEnv) -> VecNormalize:
        """``env`` with these statistics applied, never updated, rewards untouched."""
        norm = VecNormalize(
            env,
            training=False,
            norm_obs=True,
            norm_reward=False,
            clip_obs=self.clip_obs,
            epsilon=self.epsilon,
        )
        norm.obs_rms.mean, norm.obs_rms.var = self.mean.copy(), self.var.copy()
        return norm

    @classmethod
    def of(cls, env: VecNormalize | None) -> ObsNormalization | None:
        """The current statistics of a ``VecNormalize`` env (``None``: no env, or it does not
        normalise observations). A copy: later training does not change it."""
        if env is None or not env.norm_obs:
            return None
        return cls(
            np.array(env.obs_rms.mean, copy=True),
            np.array(env.obs_rms.var, copy=True),
            float(env.clip_obs),
            float(env.epsilon),
        )


def evaluate_episodes(
    model: Any,
    make_env: Callable[[], gym.Env],
    n_episodes: int,
    seed: int | None = None,
    deterministic: bool = True,
    n_envs: int | None = None,
    normalization: ObsNormalization | None = None,
    envs: list[gym.Env] | None = None,
) -> tuple[list[float], list[int]]:
    """Run ``n_episodes`` episodes, ``n_envs`` at a time, and return their returns and lengths
    in episode order.

    :param model: anything with SB3's ``predict(obs, state=None, episode_start=None,
        deterministic=False)`` taking a batch ``[n_envs, ...]``.
    :param make_env: builds one environment (called ``n_envs`` times unless ``envs`` is given).
    :param n_episodes: episodes to run (>= 1).
    :param seed: episode ``k`` starts with ``reset(seed=seed + k)``; ``None``: unseeded resets.
    :param deterministic: act greedily.
    :param n_envs: copies run side by side (default: one per episode, so all at once).
    :param normalization: frozen observation statistics to apply.
    :param envs: environments to reuse (periodic evaluations keep theirs); not closed here.
    """
    if n_episodes < 1:
        raise ValueError(f"n_episodes must be >= 1, got {n_episodes}")
    own = envs is None
    if envs is None:
        count = min(n_envs or n_episodes, n_episodes)
        envs = [make_env() for _ in range(count)]
    n = len(envs)
    returns = np.zeros(n_episodes)
    lengths = np.zeros(n_episodes, dtype=np.int64)
    episode = np.full(n, -1)  # the episode each copy runs (-1: none left)
    obs: list[Any] = [None] * n
    next_episode = 0

    def start(i: int) -> bool:
        """Start the next episode on copy ``i``; False when none is left."""
        nonlocal next_episode
        if next_episode >= n_episodes:
            episode[i] = -1
            return False
        episode[i] = next_episode
        reset_seed = None if seed is None else seed + next_episode
        obs[i], _ = envs[i].reset(seed=reset_seed)
        next_episode += 1
        return True

    try:
        for i in range(n):
            start(i)
        state: Any = None
        starts = np.ones(n, dtype=bool)
        while (episode >= 0).any():
            batch = np.stack([np.asarray(o) for o in obs])
            if normalization is not None:
                batch = normalization(batch)
            actions, state = model.predict(
                batch, state=state, episode_start=starts, deterministic=deterministic
            )
            starts = np.zeros(n, dtype=bool)
            for i in np.flatnonzero(episode >= 0):
                obs[i], reward, terminated, truncated, _ = envs[i].step(actions[i])
                k = episode[i]
                returns[k] += float(reward)
                lengths[k] += 1
                if terminated or truncated:
                    starts[i] = start(i)
    finally:
        if own:
            for env in envs:
                env.close()
    return returns.tolist(), lengths.tolist()
