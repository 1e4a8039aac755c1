"""A trained agent ready to act: its model, its config, where it came from, and the frozen
observation normalisation it was trained with; loading one from a run directory.

A run directory holds up to three models (``model.zip`` at the end, ``best_model.zip`` at the
best periodic evaluation, ``checkpoint.zip`` after Ctrl-C or a crash), each with its own
``VecNormalize`` statistics when the environment normalises observations. Zoo agents are loaded
by :func:`spikeagents.rl.zoo.load_zoo_agent` into the same :class:`LoadedAgent`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.vec_env import VecEnv, VecNormalize

from spikeagents.rl.episodes import ObsNormalization
from spikeagents.rl.recipe import TrainConfig
from spikeagents.rl.training import load_run_config, make_env

__all__ = ["LoadedAgent", "load_run_agent", "RUN_MODELS"]

#: the models of a run directory with their normalisation statistics, in the order they are used
RUN_MODELS = (
    ("model.zip", "model_vecnormalize.pkl"),
    ("best_model.zip", "best_vecnormalize.pkl"),
    ("checkpoint.zip", "vecnormalize.pkl"),
)


@dataclass
class LoadedAgent:
    """An agent ready to act.

    :param model: the SB3 model (on the CPU). :param config: its resolved training config.
    :param source: the file or zoo folder it was loaded from.
    :param normalization: its frozen observation normalisation, if the env normalises.
    :param card: the zoo card (zoo agents only).
    """

    model: BaseAlgorithm
    config: TrainConfig
    source: Path
    normalization: ObsNormalization | None = None
    card: dict[str, Any] = field(default_factory=dict)

    def make_env(self, seed: int | None = None, render_mode: str | None = None) -> VecEnv:
        """One evaluation env with the agent's frozen observation normalisation."""
        return self.make_envs(1, seed, render_mode)

    def make_envs(
        self, n_envs: int, seed: int | None = None, render_mode: str | None = None
    ) -> VecEnv:
        """``n_envs`` evaluation envs (seeded ``seed``, ``seed + 1``, ...), normalised as the
        agent was trained."""
        env = make_env(
            self.config.env, n_envs, seed, training=False, render_mode=render_mode, normalize=False
        )
        return env if self.normalization is None else self.normalization.wrap(env)


def load_run_agent(
    run_dir: str | Path, algo: str | None = None, env_id: str | None = None, best: bool = False
) -> LoadedAgent:
    """Load the agent of a run directory: ``model.zip``, else ``best_model.zip``, else the
    checkpoint (``best=True`` prefers ``best_model.zip``, the best periodic evaluation).

    :param algo: when given, the run must hold this algorithm. :param env_id: likewise the env.
    """
    run_dir = Path(run_dir)
    config = load_run_config(run_dir)
    if algo is not None and config.algo != algo.lower():
        raise ValueError(f"{run_dir} holds a {config.algo} agent, not {algo}")
    if env_id is not None and config.env.id != env_id:
        raise ValueError(f"{run_dir} holds an agent for {config.env.id}, not {env_id}")
    candidates = list(RUN_MODELS)
    if best:
        candidates.insert(0, candidates.pop(1))
    for name, norm_name in candidates:
        if (run_dir / name).exists():
            model = config.algorithm.sb3_class.load(run_dir / name, device="cpu")
            normalization = None
            if (run_dir / norm_name).exists():
                stats = VecNormalize.load(
                    str(run_dir / norm_name), make_env(config.env, 1, normalize=False)
                )
                normalization = ObsNormalization.of(stats)
            return LoadedAgent(model, config, run_dir / name, normalization)
    raise FileNotFoundError(f"{run_dir} has no model.zip, best_model.zip or checkpoint.zip yet")
