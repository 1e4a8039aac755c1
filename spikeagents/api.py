"""The functions behind every ``spikeagents`` subcommand (the CLI only parses arguments).

Everything the command line can do is a function here, and the command line imports nothing
else of the package. User mistakes raise one of :data:`USER_ERRORS` with a message meant for
the user; anything else is a bug.

Example::

    from spikeagents import api
    summary = api.train("ppo", "CartPole-v1", timesteps=50_000)
    print(api.evaluate("ppo", "CartPole-v1", run_dir=summary["run_dir"]))
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from spikeagents.classify.api import classify
from spikeagents.classify.predict import format_predictions
from spikeagents.classify.predict import predict as predict_names
from spikeagents.classify.tasks import TASKS
from spikeagents.convert.api import convert_run
from spikeagents.convert.model import INPUT_ENCODERS, MAXPOOLS, OUTPUT_READOUTS
from spikeagents.convert.normalize import NORMS
from spikeagents.paths import zoo_root
from spikeagents.rl.algos import ALGOS
from spikeagents.rl.evaluation import evaluate_agent
from spikeagents.rl.recipe import load_train_config
from spikeagents.rl.recording import play, record_frames
from spikeagents.rl.sources import load_agent, resolve_agent
from spikeagents.rl.training import TrainingInterrupted, load_run_config, run_training
from spikeagents.rl.zoo import list_zoo, load_zoo_agent, save_zoo_agent
from spikeagents.rundir import atomic_path, atomic_write_text, next_run_dir
from spikeagents.snn.kernels import BackendUnavailableError


class NoDisplayError(RuntimeError):
    """``enjoy`` was asked for, but no window can open here."""


#: the exceptions that are the user's mistake: the CLI prints their message and exits with 2
USER_ERRORS: tuple[type[BaseException], ...] = (
    ValueError,
    FileNotFoundError,
    NoDisplayError,
    BackendUnavailableError,
)

#: the algorithm names ``train`` and the agent commands take
ALGO_NAMES: tuple[str, ...] = tuple(ALGOS)

__all__ = [
    "ALGO_NAMES",
    "NoDisplayError",
    "TrainingInterrupted",
    "USER_ERRORS",
    "classify",
    "classify_tasks",
    "predict_names",
    "format_predictions",
    "convert_run",
    "CONVERT_CHOICES",
    "command_line",
    "train",
    "evaluate",
    "enjoy",
    "record",
    "benchmark",
    "zoo_list",
    "zoo_add",
    "load_agent",
    "resolve_agent",
]

#: the choices of ``convert_run``'s options, for the command line
CONVERT_CHOICES = {
    "norm": NORMS,
    "encoder": INPUT_ENCODERS,
    "maxpool": MAXPOOLS,
    "readout": OUTPUT_READOUTS,
}


def command_line(argv: Sequence[str] | None = None) -> str:
    """``spikeagents ARG...`` quoted for a shell (what ``command.txt`` records)."""
    words = list(sys.argv[1:] if argv is None else argv)
    return " ".join(shlex.quote(a) for a in ["spikeagents", *words])


def classify_tasks() -> dict[str, str]:
    """Every classification task's name and one-line summary, in registry order."""
    return {name: task.summary for name, task in TASKS.items()}


def train(
    algo: str,
    env_id: str,
    config: str | Path | None = None,
    overrides: Sequence[str] = (),
    seed: int | None = None,
    timesteps: int | None = None,
    n_envs: int | None = None,
    device: str | None = None,
    run_dir: str | Path | None = None,
    resume: str | Path | None = None,
    runs_root: str | Path = "runs",
    progress: bool = True,
    command: str | None = None,
) -> dict[str, Any]:
    """Train a spiking agent; returns the run summary (with ``run_dir``).

    A new run goes to ``run_dir`` or ``runs/<algo>/<env>_<n>/``. ``resume=RUN_DIR`` continues
    an interrupted run from its checkpoint (``timesteps`` may raise its total budget). The
    other arguments are :func:`~spikeagents.rl.recipe.load_train_config`'s.
    """
    command = command or command_line()
    if resume is not None:
        path = Path(resume)
        cfg = load_run_config(path)
        if cfg.algo != algo.lower() or cfg.env.id != env_id:
            raise ValueError(f"{path} is a {cfg.algo} run on {cfg.env.id}, not {algo} on {env_id}")
        if timesteps is not None:
            cfg = replace(cfg, n_timesteps=int(timesteps))
    else:
        cfg = load_train_config(
            algo,
            env_id,
            config_file=config,
            overrides=overrides,
            seed=seed,
            n_timesteps=timesteps,
            n_envs=n_envs,
            device=device,
        )
        name = env_id if cfg.policy_type == "spiking" else f"{env_id}-{cfg.policy_type}"
        path = Path(run_dir) if run_dir is not None else next_run_dir(runs_root, cfg.algo, name)
    summary = run_training(cfg, path, command, resume=resume is not None, progress=progress)
    summary["run_dir"] = str(path)
    return summary


def evaluate(
    algo: str,
    env_id: str,
    run_dir: str | Path | None = None,
    zoo: bool = False,
    episodes: int | None = None,
    deterministic: bool = True,
    seed: int = 0,
    runs_root: str | Path = "runs",
) -> dict[str, Any]:
    """Mean and std reward over ``episodes`` (JSON-able dict)."""
    agent = resolve_agent(algo, env_id, run_dir, zoo, runs_root=runs_root)
    return evaluate_agent(agent, episodes, deterministic, seed)


def has_display() -> bool:
    """Whether a window can open (an X/Wayland display, or a non-Linux desktop)."""
    if sys.platform.startswith("linux"):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def enjoy(
    algo: str,
    env_id: str,
    run_dir: str | Path | None = None,
    zoo: bool = False,
    episodes: int = 3,
    deterministic: bool = True,
    seed: int = 0,
    runs_root: str | Path = "runs",
) -> list[float]:
    """Render the agent in a window for ``episodes`` episodes; returns their returns."""
    if not has_display():
        raise NoDisplayError(
            "no display to open a window on; record a video instead: "
            f"spikeagents record {algo} {env_id} --out {env_id}.mp4 --spikes"
        )
    agent = resolve_agent(algo, env_id, run_dir, zoo, runs_root=runs_root)
    return play(agent, episodes, deterministic, seed)


def record(
    algo: str,
    env_id: str,
    out: str | Path,
    run_dir: str | Path | None = None,
    zoo: bool = False,
    episodes: int = 1,
    deterministic: bool = True,
    spikes: bool = False,
    max_frames: int | None = None,
    fps: int = 30,
    seed: int = 0,
    runs_root: str | Path = "runs",
) -> dict[str, Any]:
    """Write an MP4 or GIF of the agent (``spikes``: a raster + readout panel beside it)."""
    import imageio.v2 as imageio  # slow to import: only when recording

    out = Path(out)
    if out.suffix.lower() not in (".mp4", ".gif"):
        raise ValueError(f"--out must end in .mp4 or .gif, got {out.name!r}")
    agent = resolve_agent(algo, env_id, run_dir, zoo, runs_root=runs_root)
    frames, returns = record_frames(agent, episodes, deterministic, spikes, max_frames, seed)
    with atomic_path(out) as tmp:
        if out.suffix.lower() == ".gif":
            imageio.mimsave(tmp, frames, duration=1000 / fps, loop=0)
        else:
            # macro_block_size=1 keeps odd frame sizes instead of resizing them
            with imageio.get_writer(
                tmp, fps=fps, codec="libx264", macro_block_size=1, quality=7
            ) as writer:
                for frame in frames:
                    writer.append_data(frame)
    return {"out": str(out), "frames": len(frames), "returns": returns, "source": str(agent.source)}


def zoo_list(zoo_dir: str | Path | None = None) -> list[dict[str, Any]]:
    """One row per zoo agent: algo, env, timesteps, recorded evaluation."""
    rows = []
    for path, card in list_zoo(zoo_dir or zoo_root()):
        ev = card.get("evaluation", {})
        rows.append(
            {
                "algo": card.get("algo"),
                "env": card.get("env"),
                "path": str(path),
                "timesteps": card.get("timesteps"),
                "mean_reward": ev.get("mean_reward"),
                "std_reward": ev.get("std_reward"),
            }
        )
    return rows


def zoo_add(
    run_dir: str | Path,
    zoo_dir: str | Path | None = None,
    episodes: int | None = None,
    best: bool = False,
    target: float | None = None,
) -> dict[str, Any]:
    """Evaluate a finished run and store it in the zoo as safetensors + card (``best``: the
    run's best evaluated checkpoint instead of its final model; ``target``: the score this
    agent must reach in ``benchmark``, by default the env's solved score)."""
    cfg = load_run_config(run_dir)
    if cfg.policy_type != "spiking":
        raise ValueError(
            f"{run_dir} trained a {cfg.policy_type} policy; the zoo holds spiking agents only"
        )
    agent = load_agent(cfg.algo, cfg.env.id, run_dir=run_dir, best=best)
    result = evaluate_agent(agent, episodes)
    dest = Path(zoo_dir or zoo_root()) / cfg.algo / cfg.env.id
    extra: dict[str, Any] = {"checkpoint": agent.source.name}
    if target is not None:
        extra["target"] = float(target)
    save_zoo_agent(agent.model, cfg, dest, result, extra=extra, normalization=agent.normalization)
    return {"path": str(dest), **result}


def benchmark(
    zoo_dir: str | Path | None = None, episodes: int | None = None, write: bool = True
) -> str:
    """Re-evaluate every zoo agent and (re)write the table in ``zoo/README.md``."""
    root = Path(zoo_dir or zoo_root())
    lines = [
        "| algo | env | neuron | T | mean reward | std | timesteps | eval episodes | "
        "spikes / step | target |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for path, card in list_zoo(root):
        agent = load_zoo_agent(path)
        res = evaluate_agent(agent, episodes)
        cfg = agent.config
        solved = card.get("target", cfg.env.solved_score)
        mark = "" if solved is None else (" ✓" if res["mean_reward"] >= solved else " ✗")
        lines.append(
            f"| {cfg.algo} | {cfg.env.id} | {cfg.policy.neuron} | {cfg.policy.T} | "
            f"{res['mean_reward']:.1f}{mark} | {res['std_reward']:.1f} | {card['timesteps']} | "
            f"{res['episodes']} | {res['spikes_per_step']:.0f} | {solved} |"
        )
    table = "\n".join(lines) + "\n"
    if write:
        header = (
            "# The spikeagents zoo\n\nTrained spiking agents (safetensors weights + YAML card). "
            "This table is generated by `spikeagents benchmark`; do not edit it by hand.\n"
            "Each agent is re-evaluated deterministically on the number of episodes shown.\n\n"
        )
        atomic_write_text(root / "README.md", header + table)
    return table
