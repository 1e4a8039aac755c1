"""Environments: the ``envs/<EnvId>.yaml`` schema, wrappers by registered name, and building.

An ``envs/<EnvId>.yaml`` file describes one environment (:class:`EnvConfig`): what to make, which
wrappers to apply in order (``{name: time_limit, max_episode_steps: 200}``; :data:`WRAPPERS` maps
each name to a callable ``(env, **kwargs) -> gym.Wrapper``), whether to normalise, how many
episodes an evaluation takes and which mean return counts as solved. Observation and reward
normalisation are not wrappers here: they are ``VecNormalize`` over the vectorised env
(``EnvConfig.normalize_obs`` / ``normalize_reward``).

Example::

    from spikeagents.envs import load_env_config, make_wrapped_env

    env = make_wrapped_env(load_env_config("CartPole-v1"), seed=0)
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, SupportsFloat

import gymnasium as gym
import numpy as np
from gymnasium.wrappers import ClipAction, FlattenObservation, RescaleAction, TimeLimit

from spikeagents.paths import config_root
from spikeagents.schema import (
    ConfigError,
    build,
    check_choice,
    check_keys,
    coerce,
    join_key,
    read_yaml,
    suggest,
    to_plain,
)

__all__ = [
    "WRAPPERS",
    "MaskVelocity",
    "NO_VELOCITY_ENVS",
    "no_velocity_env",
    "register_envs",
    "ENV_KEYS",
    "FrameSkip",
    "ScaleReward",
    "WrapperSpec",
    "EnvConfig",
    "read_env_entry",
    "load_env_config",
    "make_wrapped_env",
]


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


class MaskVelocity(gym.ObservationWrapper):
    """Hide the velocity entries of the observation (set them to 0), so that a policy without
    memory cannot know them: the RL Zoo's partially observed test bed for recurrent policies.

    :param env: the env to wrap. :param indices: the entries to hide (default: the velocities
        of the env's id in :attr:`VELOCITY_INDICES`).
    """

    #: gymnasium id -> indices of the velocity entries (the RL Zoo's ``MaskVelocityWrapper``)
    VELOCITY_INDICES: dict[str, tuple[int, ...]] = {
        "CartPole-v1": (1, 3),
        "MountainCar-v0": (1,),
        "MountainCarContinuous-v0": (1,),
        "Pendulum-v1": (2,),
        "LunarLander-v3": (2, 3, 5),
        "LunarLanderContinuous-v3": (2, 3, 5),
    }

    def __init__(self, env: gym.Env, indices: Sequence[int] | None = None) -> None:
        super().__init__(env)
        if indices is None:
            env_id = env.unwrapped.spec.id if env.unwrapped.spec is not None else None
            if env_id not in self.VELOCITY_INDICES:
                raise ValueError(
                    f"mask_velocity: no velocity indices known for {env_id!r}; pass indices= "
                    f"(known: {', '.join(self.VELOCITY_INDICES)})"
                )
            indices = self.VELOCITY_INDICES[env_id]
        self.mask = np.ones(env.observation_space.shape, dtype=env.observation_space.dtype)
        self.mask[list(indices)] = 0

    def observation(self, observation: np.ndarray) -> np.ndarray:
        return observation * self.mask


#: the masked-velocity environments spikeagents registers with gymnasium: id -> the env whose
#: velocities it hides (``gym.make("CartPoleNoVel-v1")`` works after ``import spikeagents``)
NO_VELOCITY_ENVS = {
    "CartPoleNoVel-v1": "CartPole-v1",
    "PendulumNoVel-v1": "Pendulum-v1",
    "LunarLanderNoVel-v3": "LunarLander-v3",
}


def no_velocity_env(base_id: str, **kwargs: Any) -> gym.Env:
    """``gym.make(base_id, **kwargs)`` with its velocities hidden (:class:`MaskVelocity`)."""
    return MaskVelocity(gym.make(base_id, **kwargs))


def register_envs() -> None:
    """Register :data:`NO_VELOCITY_ENVS` with gymnasium (once; the base env's time limit and
    reward threshold carry over)."""
    for env_id, base_id in NO_VELOCITY_ENVS.items():
        if env_id in gym.registry:
            continue
        base = gym.spec(base_id)
        gym.register(
            env_id,
            entry_point="spikeagents.envs:no_velocity_env",
            kwargs={"base_id": base_id},
            reward_threshold=base.reward_threshold,
        )


#: wrapper name (as written in ``envs/*.yaml``) -> ``(env, **kwargs) -> wrapped env``
WRAPPERS: dict[str, Callable[..., gym.Wrapper]] = {
    "time_limit": TimeLimit,  # max_episode_steps
    "flatten_observation": FlattenObservation,
    "clip_action": ClipAction,
    "rescale_action": rescale_action,  # min_action, max_action
    "frame_skip": FrameSkip,  # skip
    "transform_reward_scale": ScaleReward,  # scale
    "mask_velocity": MaskVelocity,  # indices (default: the env's velocities)
}


# --- the envs/*.yaml schema ----------------------------------------------------------------------


@dataclass(frozen=True)
class WrapperSpec:
    """One env wrapper by registered name (:data:`WRAPPERS`) and its kwargs."""

    name: str
    kwargs: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_choice(self.name, sorted(WRAPPERS), "name", "wrapper")
        params = list(inspect.signature(WRAPPERS[self.name]).parameters.values())[1:]  # not env
        accepted = [p.name for p in params]
        for key in self.kwargs:
            if key not in accepted:
                raise ConfigError(
                    f"wrapper {self.name!r} takes no argument {key!r}; "
                    f"valid keys: {', '.join(accepted) or '(none)'}",
                    key=key,
                )
        for p in params:
            if p.default is inspect.Parameter.empty and p.name not in self.kwargs:
                raise ConfigError(f"wrapper {self.name!r} needs {p.name!r}", key=p.name)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, **to_plain(self.kwargs)}


#: the keys of an ``envs/*.yaml`` file
ENV_KEYS = (
    "id",
    "kwargs",
    "wrappers",
    "normalize",
    "max_episode_steps",
    "eval_episodes",
    "eval_envs",
    "solved_score",
)


@dataclass(frozen=True)
class EnvConfig:
    """One environment (``envs/<EnvId>.yaml``): what to make, how to wrap and evaluate it.

    :param id: gymnasium id. :param kwargs: ``gym.make`` keyword arguments.
    :param wrappers: wrappers applied in order. :param normalize_obs: ``VecNormalize``
        observations. :param normalize_reward: ``VecNormalize`` rewards (training only).
    :param max_episode_steps: ``None``: the env spec's. :param eval_episodes: episodes per
        evaluation. :param eval_envs: copies of the env an evaluation runs side by side
        (``None``: one per episode; ``1``: one episode after another; the results are the same).
    :param solved_score: mean return that counts as solved (``None``: unknown).
    :param source: where it was read from (not compared).
    """

    id: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    wrappers: tuple[WrapperSpec, ...] = ()
    normalize_obs: bool = False
    normalize_reward: bool = False
    max_episode_steps: int | None = None
    eval_episodes: int = 20
    eval_envs: int | None = None
    solved_score: float | None = None
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "wrappers", tuple(self.wrappers))
        for key in ("render_mode", "max_episode_steps"):
            if key in self.kwargs:
                raise ConfigError(f"{key!r} is not a gym.make kwarg here", key=f"kwargs.{key}")
        if self.eval_episodes < 1:
            raise ConfigError("eval_episodes must be >= 1", key="eval_episodes")
        if self.eval_envs is not None and self.eval_envs < 1:
            raise ConfigError("eval_envs must be >= 1 (or null)", key="eval_envs")

    def to_dict(self) -> dict[str, Any]:
        """The ``envs/*.yaml`` form."""
        return {
            "id": self.id,
            "kwargs": to_plain(self.kwargs),
            "wrappers": [w.to_dict() for w in self.wrappers],
            "normalize": {"obs": self.normalize_obs, "reward": self.normalize_reward},
            "max_episode_steps": self.max_episode_steps,
            "eval_episodes": self.eval_episodes,
            "eval_envs": self.eval_envs,
            "solved_score": self.solved_score,
        }

    @classmethod
    def from_dict(cls, raw: Any, source: str = "", path: str = "") -> EnvConfig:
        """Parse the ``envs/*.yaml`` form (the inverse of :meth:`to_dict`)."""
        raw = dict(check_keys(raw, ENV_KEYS, source, path, "env"))
        norm_path = join_key(path, "normalize")
        norm = check_keys(raw.pop("normalize", {}), ("obs", "reward"), source, norm_path, "")
        for key, value in norm.items():
            raw[f"normalize_{key}"] = coerce(value, bool, source, join_key(norm_path, key))
        wrappers = coerce(raw.get("wrappers", []), list[Any], source, join_key(path, "wrappers"))
        raw["wrappers"] = [_wrapper_fields(item) for item in wrappers]
        return build(cls, raw, source, path)


def _wrapper_fields(item: Any) -> Any:
    """``name`` or ``{name: ..., **kwargs}`` (YAML) -> ``{name: ..., kwargs: {...}}``."""
    if isinstance(item, str):
        return {"name": item}
    if isinstance(item, Mapping) and "name" in item:
        return {"name": item["name"], "kwargs": {k: v for k, v in item.items() if k != "name"}}
    return item


def read_env_entry(env_id: str, envs_dir: Path | None = None) -> tuple[Any, str]:
    """The raw ``envs/<env_id>.yaml`` mapping and where it came from; gymnasium's spec
    (``solved_score`` = its ``reward_threshold``) for an env it knows without a YAML file."""
    envs_dir = Path(envs_dir) if envs_dir is not None else config_root() / "envs"
    path = envs_dir / f"{env_id}.yaml"
    if path.is_file():
        raw = read_yaml(path)
        if isinstance(raw, Mapping) and raw.get("id", env_id) != env_id:
            raise ConfigError(f"id {raw['id']!r} does not match the file name", str(path), "id")
        return dict(raw) if isinstance(raw, Mapping) else raw, str(path)
    if env_id in gym.registry:
        return {"id": env_id, "solved_score": gym.spec(env_id).reward_threshold}, "gymnasium"
    available = sorted(p.stem for p in envs_dir.glob("*.yaml"))
    raise ConfigError(
        f"unknown environment {env_id!r}{suggest(env_id, available)}: no {path.name} and "
        f"gymnasium does not know it; env YAMLs: {', '.join(available) or '(none)'}",
        str(envs_dir),
        env_id,
    )


def load_env_config(env_id: str, envs_dir: Path | None = None) -> EnvConfig:
    """``envs/<env_id>.yaml``, or gymnasium's defaults for an env it knows without a YAML file.

    :param env_id: gymnasium id. :param envs_dir: default ``config_root() / "envs"``.
    """
    raw, source = read_env_entry(env_id, envs_dir)
    return EnvConfig.from_dict(raw, source)


#: what to install for the gymnasium families that need extra packages (entry point prefix)
EXTRAS = {
    "gymnasium.envs.mujoco": "MuJoCo: pip install 'spikeagents[mujoco]' (gymnasium[mujoco])",
    "gymnasium.envs.box2d": "Box2D: pip install box2d (or gymnasium[box2d])",
}


def _missing_package(env_id: str, error: Exception) -> str:
    """One line naming what ``env_id`` lacks and how to install it."""
    entry = str(getattr(gym.spec(env_id), "entry_point", ""))
    for prefix, hint in EXTRAS.items():
        if entry.startswith(prefix):
            return hint
    return str(error).splitlines()[0]


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
    try:
        env = gym.make(
            env_cfg.id,
            render_mode=render_mode,
            max_episode_steps=env_cfg.max_episode_steps,
            **env_cfg.kwargs,
        )
    except gym.error.DependencyNotInstalled as error:
        raise ConfigError(f"{env_cfg.id} needs {_missing_package(env_cfg.id, error)}") from None
    for spec in env_cfg.wrappers:
        env = WRAPPERS[spec.name](env, **spec.kwargs)
    if seed is not None:
        env.reset(seed=seed)
        env.action_space.seed(seed)
    return env


register_envs()
