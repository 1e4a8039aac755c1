"""The functions behind every ``spikeagents`` subcommand (the CLI only parses arguments).

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
from pathlib import Path
from typing import Any

from spikeagents.classify.api import classify
from spikeagents.config import load_train_config, zoo_root
from spikeagents.rl.training import load_run_config, run_training
from spikeagents.rl.watch import LoadedAgent, evaluate_agent, load_agent, record_frames
from spikeagents.rundir import latest_run_dir, next_run_dir


class NoDisplayError(RuntimeError):
    """``enjoy`` was asked for, but no window can open here."""


__all__ = [
    "NoDisplayError",
    "classify",
    "train",
    "evaluate",
    "enjoy",
    "record",
    "benchmark",
    "zoo_list",
    "zoo_add",
    "resolve_agent",
]


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
    an interrupted run from its checkpoint (``timesteps`` may raise its total budget).
    """
    command = command or " ".join(shlex.quote(a) for a in ["spikeagents", *sys.argv[1:]])
    if resume is not None:
        path = Path(resume)
        cfg = load_run_config(path)
        if cfg.algo != algo.lower() or cfg.env.id != env_id:
            raise ValueError(f"{path} is a {cfg.algo} run on {cfg.env.id}, not {algo} on {env_id}")
        if timesteps is not None:
            from dataclasses import replace

            cfg = replace(cfg, n_timesteps=int(timesteps))
        summary = run_training(cfg, path, command, resume=True, progress=progress)
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
        summary = run_training(cfg, path, command, resume=False, progress=progress)
    summary["run_dir"] = str(path)
    return summary


def resolve_agent(
    algo: str,
    env_id: str,
    run_dir: str | Path | None = None,
    zoo: bool = False,
    zoo_dir: str | Path | None = None,
    runs_root: str | Path = "runs",
) -> LoadedAgent:
    """Find the agent to use: ``run_dir``; the zoo (``zoo=True``); else the latest run of
    ``algo`` on ``env_id`` under ``runs_root``, falling back to the zoo."""
    if zoo or zoo_dir is not None:
        return load_agent(algo, env_id, zoo_dir=zoo_dir or zoo_root())
    if run_dir is not None:
        return load_agent(algo, env_id, run_dir=run_dir)
    latest = latest_run_dir(runs_root, algo.lower(), env_id)
    if latest is not None:
        return load_agent(algo, env_id, run_dir=latest)
    if (zoo_root() / algo.lower() / env_id).is_dir():
        return load_agent(algo, env_id, zoo_dir=zoo_root())
    raise FileNotFoundError(
        f"no trained {algo} agent for {env_id}: train one with "
        f"`spikeagents train {algo} {env_id}` or pass --run-dir / --zoo"
    )


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
    env = agent.make_env(seed=seed, render_mode="human")
    obs = env.reset()
    returns: list[float] = []
    total = 0.0
    while len(returns) < episodes:
        action, _ = agent.model.predict(obs, deterministic=deterministic)
        obs, reward, done, _ = env.step(action)
        total += float(reward[0])
        if done[0]:
            returns.append(total)
            total = 0.0
    env.close()
    return returns


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
    import imageio.v2 as imageio

    out = Path(out)
    if out.suffix.lower() not in (".mp4", ".gif"):
        raise ValueError(f"--out must end in .mp4 or .gif, got {out.name!r}")
    agent = resolve_agent(algo, env_id, run_dir, zoo, runs_root=runs_root)
    frames, returns = record_frames(agent, episodes, deterministic, spikes, max_frames, seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.partial{out.suffix}")
    if out.suffix.lower() == ".gif":
        imageio.mimsave(tmp, frames, duration=1000 / fps, loop=0)
    else:
        # macro_block_size=1 keeps odd frame sizes instead of resizing them
        with imageio.get_writer(
            tmp, fps=fps, codec="libx264", macro_block_size=1, quality=7
        ) as writer:
            for frame in frames:
                writer.append_data(frame)
    os.replace(tmp, out)
    return {"out": str(out), "frames": len(frames), "returns": returns, "source": str(agent.source)}


def zoo_list(zoo_dir: str | Path | None = None) -> list[dict[str, Any]]:
    """One row per zoo agent: algo, env, timesteps, recorded evaluation."""
    from spikeagents.rl.zoo import list_zoo

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
    from spikeagents.rl.zoo import save_zoo_agent

    cfg = load_run_config(run_dir)
    if cfg.policy_type != "spiking":
        raise ValueError(
            f"{run_dir} trained a {cfg.policy_type} policy; the zoo holds spiking agents only"
        )
    agent = load_agent(cfg.algo, cfg.env.id, run_dir=run_dir, best=best)
    result = evaluate_agent(agent, episodes)
    dest = Path(zoo_dir or zoo_root()) / cfg.algo / cfg.env.id
    stats = None
    if agent.obs_mean is not None and agent.obs_var is not None:
        stats = (agent.obs_mean, agent.obs_var, agent.clip_obs)
    extra: dict[str, Any] = {"checkpoint": agent.source.name}
    if target is not None:
        extra["target"] = float(target)
    save_zoo_agent(agent.model, cfg, dest, result, extra=extra, obs_stats=stats)
    return {"path": str(dest), **result}


def benchmark(
    zoo_dir: str | Path | None = None, episodes: int | None = None, write: bool = True
) -> str:
    """Re-evaluate every zoo agent and (re)write the table in ``zoo/README.md``."""
    from spikeagents.rl.zoo import list_zoo, load_zoo_agent

    root = Path(zoo_dir or zoo_root())
    lines = [
        "| algo | env | neuron | T | mean reward | std | timesteps | eval episodes | "
        "spikes / step | target |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for path, card in list_zoo(root):
        z = load_zoo_agent(path)
        agent = LoadedAgent(z.model, z.config, path, z.obs_mean, z.obs_var)  # type: ignore[arg-type]
        res = evaluate_agent(agent, episodes)
        pol = z.config.policy
        solved = card.get("target", z.config.env.solved_score)
        mark = "" if solved is None else (" ✓" if res["mean_reward"] >= solved else " ✗")
        lines.append(
            f"| {z.config.algo} | {z.config.env.id} | {pol.neuron} | {pol.T} | "
            f"{res['mean_reward']:.1f}{mark} | {res['std_reward']:.1f} | {card['timesteps']} | "
            f"{res['episodes']} | {res['spikes_per_step']:.0f} | {solved} |"
        )
    table = "\n".join(lines) + "\n"
    if write:
        readme = root / "README.md"
        header = (
            "# The spikeagents zoo\n\nTrained spiking agents (safetensors weights + YAML card). "
            "This table is generated by `spikeagents benchmark`; do not edit it by hand.\n"
            "Each agent is re-evaluated deterministically on the number of episodes shown.\n\n"
        )
        readme.parent.mkdir(parents=True, exist_ok=True)
        readme.write_text(header + table)
    return table
