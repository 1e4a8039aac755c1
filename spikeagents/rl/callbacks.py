"""SB3 callbacks of a training run: firing rates, periodic evaluation, crash-safe checkpoints.

- :class:`FiringRateCallback`: per spiking layer, the mean firing rate and the share of silent
  neurons during each rollout, through :class:`spikeagents.snn.monitor.Monitor`.
- :class:`EvalLogCallback`: deterministic evaluations every ``eval_freq`` steps, all episodes
  side by side, appended to ``evaluations.csv``, with ``best_model.zip`` kept; optionally the
  end of training once the environment counts as solved.
- :class:`CheckpointEveryCallback` and :func:`save_checkpoint`: ``checkpoint.zip`` (plus
  normalisation statistics and DQN's replay buffer), written atomically.
"""

from __future__ import annotations

import csv
import os
import time
from collections.abc import Callable
from pathlib import Path

import gymnasium as gym
import numpy as np
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm

from spikeagents.rl.episodes import ObsNormalization, evaluate_episodes
from spikeagents.rl.policies import spiking_modules
from spikeagents.rundir import atomic_save
from spikeagents.snn.monitor import Monitor

__all__ = ["FiringRateCallback", "EvalLogCallback", "CheckpointEveryCallback", "save_checkpoint"]


class FiringRateCallback(BaseCallback):
    """Log per-layer firing rates and the share of silent neurons to the SB3 logger.

    During each rollout a statistics-only :class:`~spikeagents.snn.monitor.Monitor` watches the
    spiking layers of every spiking body in the policy (the actor's, the critic's, the
    Q-network's). After the rollout it records, per layer,

    - ``spikes/<body>/layer<i>/rate``: spikes per neuron per step over the rollout's forward
      passes;
    - ``spikes/<body>/layer<i>/silent``: the share of neurons that never fired in the rollout,

    (TensorBoard scalars when TensorBoard logging is on) and keeps them in :attr:`latest`.
    For a stateful policy (sb3-contrib's ``RecurrentPPO``) it also records
    ``spikes/carried_membrane/pi`` and ``.../vf``: the mean membrane potential above rest that
    the actor's and the critic's spiking layers carry into the next rollout. Training passes
    (minibatch updates) are not measured: they would only repeat the rollout's observations.
    """

    def __init__(self, verbose: int = 0) -> None:
        super().__init__(verbose)
        self.monitors: dict[str, Monitor] = {}
        self.latest: dict[str, float] = {}

    def _on_training_start(self) -> None:
        for name, body in spiking_modules(self.model.policy).items():
            short = name.replace("features_extractor", "fe").replace(".body", "")
            monitor = Monitor(body, keep_records=False)
            monitor.disable()
            self.monitors[short] = monitor

    def _on_rollout_start(self) -> None:
        for monitor in self.monitors.values():
            monitor.reset()
            monitor.enable()

    def _on_step(self) -> bool:
        return True

    def _on_rollout_end(self) -> None:
        for name, monitor in self.monitors.items():
            monitor.disable()
            rates, silent = monitor.firing_rate(), monitor.silent_fraction()
            for i, layer in enumerate(monitor.layers):
                if rates[layer] == rates[layer]:  # nothing recorded yet: NaN, not logged
                    self.latest[f"spikes/{name}/layer{i}/rate"] = rates[layer]
                    self.latest[f"spikes/{name}/layer{i}/silent"] = silent[layer]
        states = getattr(self.model, "_last_lstm_states", None)  # RecurrentPPO's carried state
        if states is not None and self.monitors:
            for part in ("pi", "vf"):
                membrane = getattr(states, part)[0]
                self.latest[f"spikes/carried_membrane/{part}"] = float(membrane.mean())
        for key, value in self.latest.items():
            self.logger.record(key, value)

    def _on_training_end(self) -> None:
        for monitor in self.monitors.values():
            monitor.remove()
        self.monitors.clear()


EVAL_FIELDS = (
    "timesteps",
    "mean_reward",
    "std_reward",
    "min_reward",
    "max_reward",
    "mean_length",
    "wall_time_s",
)


class EvalLogCallback(BaseCallback):
    """Every ``eval_freq`` environment steps (0: never), evaluate deterministically on separate
    environments: ``n_episodes`` episodes side by side, episode ``k`` seeded ``seed + k``
    (:func:`~spikeagents.rl.episodes.evaluate_episodes`), observations normalised with the
    training statistics of that moment.

    Appends a row to ``evaluations.csv`` (flushed at once), logs ``eval/*`` scalars, saves
    ``best_model.zip`` when the mean improves, remembers the first step that reached
    ``solved_score`` and, with ``stop_when_solved``, ends training there.

    :param make_env: builds one evaluation environment (the copies are made once and reused).
    :param n_envs: copies side by side (default: one per episode).
    """

    def __init__(
        self,
        make_env: Callable[[], gym.Env],
        run_dir: Path,
        eval_freq: int,
        n_episodes: int,
        solved_score: float | None = None,
        seed: int | None = None,
        stop_when_solved: bool = False,
        n_envs: int | None = None,
    ) -> None:
        super().__init__()
        self.make_env = make_env
        self.run_dir = Path(run_dir)
        self.eval_freq = int(eval_freq)
        self.n_episodes = int(n_episodes)
        self.solved_score = solved_score
        self.seed = seed
        self.n_envs = min(n_envs or self.n_episodes, self.n_episodes)
        self.stop_when_solved = bool(stop_when_solved)
        self.stopped_when_solved = False
        self.best_mean = -np.inf
        self.first_solved_step: int | None = None
        self.last_eval_step = 0
        self.eval_seconds = 0.0
        self.history: list[tuple[int, float, float]] = []
        self.envs: list[gym.Env] = []
        self._start = time.time()

    @property
    def csv_path(self) -> Path:
        return self.run_dir / "evaluations.csv"

    def _on_training_start(self) -> None:
        self.last_eval_step = self.num_timesteps
        if self.csv_path.exists():  # resumed run: keep the history
            with self.csv_path.open() as f:
                for row in csv.DictReader(f):
                    step, mean = int(row["timesteps"]), float(row["mean_reward"])
                    self.history.append((step, mean, float(row["std_reward"])))
                    self.best_mean = max(self.best_mean, mean)
                    if self._solved(mean) and self.first_solved_step is None:
                        self.first_solved_step = step

    def _solved(self, mean: float) -> bool:
        return self.solved_score is not None and mean >= self.solved_score

    def _on_step(self) -> bool:
        if self.eval_freq > 0 and self.num_timesteps - self.last_eval_step >= self.eval_freq:
            self.last_eval_step = self.num_timesteps
            mean = self.evaluate()
            if self.stop_when_solved and self._solved(mean):
                self.stopped_when_solved = True
                return False  # SB3 ends learn() here
        return True

    def close(self) -> None:
        """Close the evaluation environments."""
        for env in self.envs:
            env.close()
        self.envs = []

    def evaluate(self) -> float:
        """Evaluate now (also callable after training, once ``init_callback`` has run)."""
        started = time.time()
        if not self.envs:
            self.envs = [self.make_env() for _ in range(self.n_envs)]
        rewards, lengths = evaluate_episodes(
            self.model,
            self.make_env,
            self.n_episodes,
            seed=self.seed,
            normalization=ObsNormalization.of(self.model.get_vec_normalize_env()),
            envs=self.envs,
        )
        mean, std = float(np.mean(rewards)), float(np.std(rewards))
        row = [
            self.num_timesteps,
            mean,
            std,
            float(np.min(rewards)),
            float(np.max(rewards)),
            float(np.mean(lengths)),
            round(time.time() - self._start, 2),
        ]
        new = not self.csv_path.exists()
        with self.csv_path.open("a", newline="") as f:
            writer = csv.writer(f)
            if new:
                writer.writerow(EVAL_FIELDS)
            writer.writerow(row)
            f.flush()
            os.fsync(f.fileno())
        self.history.append((self.num_timesteps, mean, std))
        self.logger.record("eval/mean_reward", mean)
        self.logger.record("eval/std_reward", std)
        self.logger.record("eval/mean_ep_length", float(np.mean(lengths)))
        if mean > self.best_mean:
            self.best_mean = mean
            atomic_save(self.run_dir / "best_model.zip", self.model.save)
            _save_normalization(self.model, self.run_dir / "best_vecnormalize.pkl")
        if self._solved(mean) and self.first_solved_step is None:
            self.first_solved_step = self.num_timesteps
        self.eval_seconds += time.time() - started
        return mean


def _save_normalization(model: BaseAlgorithm, path: Path) -> None:
    env = model.get_vec_normalize_env()
    if env is not None:
        atomic_save(path, env.save)


def save_checkpoint(model: BaseAlgorithm, run_dir: Path) -> None:
    """Write ``checkpoint.zip`` (+ ``vecnormalize.pkl``, + ``replay_buffer.pkl`` off-policy)."""
    run_dir = Path(run_dir)
    if isinstance(model, OffPolicyAlgorithm) and model.replay_buffer is not None:
        atomic_save(run_dir / "replay_buffer.pkl", model.save_replay_buffer)
    _save_normalization(model, run_dir / "vecnormalize.pkl")
    atomic_save(run_dir / "checkpoint.zip", model.save)  # last: it marks a complete checkpoint


class CheckpointEveryCallback(BaseCallback):
    """Save a checkpoint every ``freq`` environment steps (and once more at the end)."""

    def __init__(self, run_dir: Path, freq: int) -> None:
        super().__init__()
        self.run_dir = Path(run_dir)
        self.freq = int(freq)
        self.last = 0

    def _on_training_start(self) -> None:
        self.last = self.num_timesteps

    def _on_step(self) -> bool:
        if self.freq > 0 and self.num_timesteps - self.last >= self.freq:
            self.last = self.num_timesteps
            save_checkpoint(self.model, self.run_dir)
        return True
