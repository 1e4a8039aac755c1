"""Training runs: build envs and the model from a config, learn with evaluation, checkpoints and
TensorBoard, survive Ctrl-C and crashes, and resume."""

from __future__ import annotations

import contextlib
import json
import platform
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
import yaml
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.callbacks import CallbackList, ProgressBarCallback
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm
from stable_baselines3.common.vec_env import DummyVecEnv, VecEnv, VecNormalize

from spikeagents.envs import EnvConfig, make_wrapped_env
from spikeagents.rl.algos import check_action_space
from spikeagents.rl.callbacks import (
    CheckpointEveryCallback,
    EvalLogCallback,
    FiringRateCallback,
    save_checkpoint,
)
from spikeagents.rl.homeostasis import HomeostasisCallback
from spikeagents.rl.recipe import TrainConfig
from spikeagents.rundir import atomic_save, atomic_write_text

__all__ = ["make_env", "build_model", "run_training", "load_run_config", "TrainingInterrupted"]


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C during training, after the checkpoint was saved. ``run_dir`` says where."""

    def __init__(self, run_dir: Path) -> None:
        super().__init__(str(run_dir))
        self.run_dir = run_dir


@contextlib.contextmanager
def sigterm_as_keyboard_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM (``kill``, a job scheduler's stop) raises ``KeyboardInterrupt``,
    so that training stops the way Ctrl-C stops it: checkpoint saved. Main thread only."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    before = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, before)


def make_env(
    env_cfg: EnvConfig,
    n_envs: int = 1,
    seed: int | None = None,
    gamma: float = 0.99,
    training: bool = True,
    vecnormalize_path: Path | None = None,
    render_mode: str | None = None,
    normalize: bool = True,
) -> VecEnv:
    """A ``DummyVecEnv`` of ``n_envs`` wrapped envs with ``Monitor``, plus ``VecNormalize`` when
    the env config asks for it (statistics loaded from ``vecnormalize_path`` when it exists).
    Evaluation envs (``training=False``) never update statistics or normalise rewards;
    ``normalize=False`` leaves normalisation to the caller (zoo agents bring their own)."""
    env = make_vec_env(
        lambda **_: make_wrapped_env(env_cfg, render_mode=render_mode),
        n_envs=n_envs,
        seed=seed,
        vec_env_cls=DummyVecEnv,
    )
    if normalize and (env_cfg.normalize_obs or env_cfg.normalize_reward):
        if vecnormalize_path is not None and Path(vecnormalize_path).exists():
            env = VecNormalize.load(str(vecnormalize_path), env)
        else:
            env = VecNormalize(
                env,
                norm_obs=env_cfg.normalize_obs,
                norm_reward=env_cfg.normalize_reward,
                gamma=gamma,
            )
        env.training = training
        if not training:
            env.norm_reward = False
    return env


def _gamma(cfg: TrainConfig) -> float:
    return float(getattr(cfg.hyperparams, "gamma", 0.99))


def build_model(cfg: TrainConfig, env: VecEnv, tensorboard_log: str | None = None) -> BaseAlgorithm:
    """``ALGO(SpikingPolicy, env, **cfg.sb3_kwargs())`` (``"MlpPolicy"`` for the MLP baseline)."""
    algo = cfg.algorithm
    policy = algo.mlp_policy if cfg.policy_type == "mlp" else algo.policy_class
    shape = env.action_space.shape
    action_dim = int(shape[0]) if shape else None
    return algo.sb3_class(
        policy, env, tensorboard_log=tensorboard_log, verbose=0, **cfg.sb3_kwargs(action_dim)
    )


def load_run_config(run_dir: str | Path) -> TrainConfig:
    """The resolved ``config.yaml`` saved in a run directory."""
    path = Path(run_dir) / "config.yaml"
    if not path.exists():
        raise FileNotFoundError(f"{run_dir} is not a run directory: it has no config.yaml")
    return TrainConfig.load(path)


def run_training(
    cfg: TrainConfig,
    run_dir: Path,
    command: str,
    resume: bool = False,
    progress: bool = True,
    threads: int | None = 1,
) -> dict[str, Any]:
    """Train ``cfg`` in ``run_dir`` and return the summary (also written to ``summary.json``).

    A checkpoint is saved every ``cfg.checkpoint_freq`` steps and on Ctrl-C; ``resume=True``
    continues from ``checkpoint.zip`` (replay buffer and normalisation statistics included) up
    to ``cfg.n_timesteps`` in total.
    """
    if threads:
        torch.set_num_threads(threads)  # small RL networks: one thread per process is fastest
    probe = make_wrapped_env(cfg.env)  # before anything is written: can the algorithm act here?
    check_action_space(cfg.algo, cfg.env.id, probe.action_space)
    probe.close()
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    with (run_dir / "command.txt").open("a") as f:
        f.write(command.rstrip() + "\n")
    if not resume:
        atomic_write_text(run_dir / "config.yaml", yaml.safe_dump(cfg.to_dict(), sort_keys=False))

    vec_path = run_dir / "vecnormalize.pkl"
    env = make_env(cfg.env, cfg.n_envs, cfg.seed, _gamma(cfg), True, vec_path if resume else None)
    tb = str(run_dir / "tb")
    algo_cls = cfg.algorithm.sb3_class
    if resume:
        ckpt = run_dir / "checkpoint.zip"
        if not ckpt.exists():
            raise FileNotFoundError(f"cannot resume {run_dir}: no checkpoint.zip there yet")
        model = algo_cls.load(ckpt, env=env, device=cfg.device, tensorboard_log=tb)
        buffer = run_dir / "replay_buffer.pkl"
        if isinstance(model, OffPolicyAlgorithm) and buffer.exists():
            model.load_replay_buffer(buffer)
    else:
        model = build_model(cfg, env, tensorboard_log=tb)

    evaluator = EvalLogCallback(
        lambda: make_wrapped_env(cfg.env),
        run_dir,
        cfg.eval_freq,
        cfg.env.eval_episodes,
        cfg.env.solved_score,
        seed=None if cfg.seed is None else cfg.seed + 10_000,
        stop_when_solved=cfg.stop_when_solved,
        n_envs=cfg.env.eval_envs,
    )
    callbacks = [
        evaluator,
        CheckpointEveryCallback(run_dir, cfg.checkpoint_freq),
        FiringRateCallback(),
    ]
    if cfg.homeostasis is not None and cfg.policy_type == "spiking":
        callbacks.append(HomeostasisCallback(cfg.homeostasis))
    if progress:
        callbacks.append(ProgressBarCallback())
    remaining = cfg.n_timesteps - model.num_timesteps
    started = time.time()
    status = "finished"
    try:
        if remaining > 0:
            with sigterm_as_keyboard_interrupt():  # a scheduler's SIGTERM saves like Ctrl-C
                model.learn(
                    total_timesteps=remaining,  # SB3 adds num_timesteps when resuming
                    callback=CallbackList(callbacks),
                    reset_num_timesteps=not resume,
                    tb_log_name="run",
                )
    except KeyboardInterrupt:
        status = "interrupted"
        save_checkpoint(model, run_dir)
        raise TrainingInterrupted(run_dir) from None
    except Exception as err:
        status = f"crashed: {type(err).__name__}: {err}"
        save_checkpoint(model, run_dir)
        raise
    finally:
        learn_seconds = time.time() - started
        periodic_eval_seconds = evaluator.eval_seconds
        summary = _summary(cfg, model, evaluator, status, learn_seconds, periodic_eval_seconds)
        atomic_write_text(run_dir / "summary.json", json.dumps(summary, indent=2) + "\n")
        env.close()
    # final model, final evaluation
    save_checkpoint(model, run_dir)
    atomic_save(run_dir / "model.zip", model.save)
    if model.get_vec_normalize_env() is not None:
        atomic_save(run_dir / "model_vecnormalize.pkl", model.get_vec_normalize_env().save)
    try:
        final = evaluator.evaluate()
    finally:
        evaluator.close()
    summary = _summary(
        cfg, model, evaluator, status, learn_seconds, periodic_eval_seconds, final_mean=final
    )
    atomic_write_text(run_dir / "summary.json", json.dumps(summary, indent=2) + "\n")
    return summary


def _summary(
    cfg: TrainConfig,
    model: BaseAlgorithm,
    evaluator: EvalLogCallback,
    status: str,
    seconds: float,
    periodic_eval_seconds: float,
    final_mean: float | None = None,
) -> dict[str, Any]:
    """The run's ``summary.json``: ``learn_seconds`` is ``learn()``'s wall time (periodic
    evaluations included, ``learn_seconds_without_eval`` without them); ``eval_seconds`` is
    every evaluation's (periodic and final)."""
    last = evaluator.history[-1] if evaluator.history else None
    return {
        "algo": cfg.algo,
        "env": cfg.env.id,
        "policy_type": cfg.policy_type,
        "status": status,
        "timesteps": int(model.num_timesteps),
        "n_timesteps_target": cfg.n_timesteps,
        "seed": cfg.seed,
        "learn_seconds": round(seconds, 2),
        "learn_seconds_without_eval": round(seconds - periodic_eval_seconds, 2),
        "eval_seconds": round(evaluator.eval_seconds, 2),
        "stop_when_solved": cfg.stop_when_solved,
        "stopped_when_solved": evaluator.stopped_when_solved,
        "final_eval_mean": final_mean if final_mean is not None else (last[1] if last else None),
        "final_eval_std": last[2] if last else None,
        "best_eval_mean": None if evaluator.best_mean == float("-inf") else evaluator.best_mean,
        "first_solved_step": evaluator.first_solved_step,
        "solved_score": cfg.env.solved_score,
        "solved": bool(
            cfg.env.solved_score is not None
            and final_mean is not None
            and final_mean >= cfg.env.solved_score
        ),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }
