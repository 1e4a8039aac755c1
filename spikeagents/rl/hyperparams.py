"""The SB3 hyperparameters of each algorithm: frozen dataclasses with SB3's names and defaults.

The ``hyperparams:`` section of a recipe (``configs/rl/<algo>.yaml``) is one of these; a test
checks every field against the algorithm's signature. Values that change over training are
:class:`~spikeagents.schema.Schedule` data (``{schedule: linear, start: 1.0e-3}``), never strings.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from spikeagents.schema import Schedule, to_plain

__all__ = ["PPOParams", "A2CParams", "DQNParams"]


class _Params:
    """Shared behaviour of the per-algorithm hyperparameter dataclasses."""

    def sb3_kwargs(self) -> dict[str, Any]:
        """Constructor keyword arguments for the SB3 algorithm (schedules are callables)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}  # type: ignore[arg-type]

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
