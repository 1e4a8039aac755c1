"""The SB3 hyperparameters of each algorithm: frozen dataclasses with SB3's names and defaults.

The ``hyperparams:`` section of a recipe (``configs/rl/<algo>.yaml``) is one of these; a test
checks every field against the algorithm's signature. Values that change over training are
:class:`~spikeagents.schema.Schedule` data (``{schedule: linear, start: 1.0e-3}``), never strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
from stable_baselines3.common.noise import (
    ActionNoise,
    NormalActionNoise,
    OrnsteinUhlenbeckActionNoise,
)

from spikeagents.schema import ConfigError, Schedule, check_choice, to_plain

__all__ = [
    "NOISE_TYPES",
    "ActionNoiseConfig",
    "PPOParams",
    "A2CParams",
    "DQNParams",
    "SACParams",
    "TD3Params",
    "DDPGParams",
    "HyperParams",
]

NOISE_TYPES = ("normal", "ornstein-uhlenbeck")


@dataclass(frozen=True)
class ActionNoiseConfig:
    """Exploration noise added to a deterministic actor's actions (TD3, DDPG), as the RL Zoo's
    ``noise_type`` / ``noise_std``: ``{type: normal, std: 0.1}``.

    :param type: ``normal`` (independent Gaussian) or ``ornstein-uhlenbeck`` (correlated in time).
    :param std: its standard deviation, the same for every action dimension.
    """

    type: str
    std: float

    def __post_init__(self) -> None:
        check_choice(self.type, NOISE_TYPES, "type", "noise type")
        if not self.std > 0:
            raise ConfigError(f"std must be > 0, got {self.std}", key="std")

    def make(self, action_dim: int) -> ActionNoise:
        """The SB3 noise object for ``action_dim`` action dimensions."""
        mean, sigma = np.zeros(action_dim), np.full(action_dim, self.std)
        if self.type == "normal":
            return NormalActionNoise(mean, sigma)
        return OrnsteinUhlenbeckActionNoise(mean, sigma)


class _Params:
    """Shared behaviour of the per-algorithm hyperparameter dataclasses."""

    def sb3_kwargs(self, action_dim: int | None = None) -> dict[str, Any]:
        """Constructor keyword arguments for the SB3 algorithm (schedules are callables; the
        action noise, which needs ``action_dim``, an SB3 noise object)."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]
        noise = out.get("action_noise")
        if isinstance(noise, ActionNoiseConfig):
            if action_dim is None:
                raise ValueError("action noise needs the action dimension")
            out["action_noise"] = noise.make(action_dim)
        return out

    def to_dict(self) -> dict[str, Any]:
        """Plain YAML-able data (schedules as mappings)."""
        return to_plain(self)


@dataclass(frozen=True)
class PPOParams(_Params):
    """``stable_baselines3.PPO`` hyperparameters (SB3's names and defaults)."""

    learning_rate: float | Schedule = 3e-4
    n_steps: int = 2048
    batch_size: int = 64
    n_epochs: int = 10
    gamma: float = 0.99
    gae_lambda: float = 0.95
    clip_range: float | Schedule = 0.2
    clip_range_vf: float | Schedule | None = None
    normalize_advantage: bool = True
    ent_coef: float = 0.0
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    use_sde: bool = False
    sde_sample_freq: int = -1
    target_kl: float | None = None


@dataclass(frozen=True)
class A2CParams(_Params):
    """``stable_baselines3.A2C`` hyperparameters (SB3's names and defaults)."""

    learning_rate: float | Schedule = 7e-4
    n_steps: int = 5
    gamma: float = 0.99
    gae_lambda: float = 1.0
    ent_coef: float = 0.0
    vf_coef: float = 0.5
    max_grad_norm: float = 0.5
    rms_prop_eps: float = 1e-5
    use_rms_prop: bool = True
    use_sde: bool = False
    sde_sample_freq: int = -1
    normalize_advantage: bool = False


@dataclass(frozen=True)
class DQNParams(_Params):
    """``stable_baselines3.DQN`` hyperparameters (SB3's names and defaults)."""

    learning_rate: float | Schedule = 1e-4
    buffer_size: int = 1_000_000
    learning_starts: int = 100
    batch_size: int = 32
    tau: float = 1.0
    gamma: float = 0.99
    train_freq: int = 4
    gradient_steps: int = 1
    target_update_interval: int = 10000
    exploration_fraction: float = 0.1
    exploration_initial_eps: float = 1.0
    exploration_final_eps: float = 0.05
    max_grad_norm: float = 10.0


def _check_ent_coef(value: float | str) -> None:
    """SAC's ``ent_coef``: a number, ``auto`` or ``auto_<initial value>`` (SB3's spelling)."""
    if isinstance(value, str) and not re.fullmatch(r"auto(_[0-9.eE+-]+)?", value):
        raise ConfigError(
            f"ent_coef must be a number, 'auto' or 'auto_<initial value>', got {value!r}",
            key="ent_coef",
        )


@dataclass(frozen=True)
class DDPGParams(_Params):
    """``stable_baselines3.DDPG`` hyperparameters (SB3's names and defaults); SAC's and TD3's
    add theirs to these."""

    learning_rate: float | Schedule = 1e-3
    buffer_size: int = 1_000_000
    learning_starts: int = 100
    batch_size: int = 256
    tau: float = 0.005
    gamma: float = 0.99
    train_freq: int = 1
    gradient_steps: int = 1
    action_noise: ActionNoiseConfig | None = None


@dataclass(frozen=True)
class TD3Params(DDPGParams):
    """``stable_baselines3.TD3`` hyperparameters (SB3's names and defaults)."""

    policy_delay: int = 2
    target_policy_noise: float = 0.2
    target_noise_clip: float = 0.5


@dataclass(frozen=True)
class SACParams(DDPGParams):
    """``stable_baselines3.SAC`` hyperparameters (SB3's names and defaults)."""

    learning_rate: float | Schedule = 3e-4
    ent_coef: float | str = "auto"
    target_update_interval: int = 1
    target_entropy: float | str = "auto"
    use_sde: bool = False
    sde_sample_freq: int = -1
    use_sde_at_warmup: bool = False

    def __post_init__(self) -> None:
        _check_ent_coef(self.ent_coef)
        if isinstance(self.target_entropy, str) and self.target_entropy != "auto":
            raise ConfigError(
                f"target_entropy must be a number or 'auto', got {self.target_entropy!r}",
                key="target_entropy",
            )


#: any algorithm's hyperparameters (a recipe's ``hyperparams:``)
HyperParams = PPOParams | A2CParams | DQNParams | SACParams | TD3Params | DDPGParams
