"""Where an agent comes from: a run directory, the zoo, or the latest run of an algorithm on an
environment (falling back to the zoo)."""

from __future__ import annotations

from pathlib import Path

from spikeagents.paths import zoo_root
from spikeagents.rl.agents import LoadedAgent, load_run_agent
from spikeagents.rl.zoo import load_zoo_agent
from spikeagents.rundir import latest_run_dir

__all__ = ["load_agent", "resolve_agent"]


def load_agent(
    algo: str,
    env_id: str | None,
    run_dir: str | Path | None = None,
    zoo_dir: str | Path | None = None,
    best: bool = False,
) -> LoadedAgent:
    """Load from a run directory (see :func:`~spikeagents.rl.agents.load_run_agent`;
    ``best=True`` prefers ``best_model.zip``) or, with ``zoo_dir``, from
    ``zoo_dir/<algo>/<env_id>`` (safetensors, hash-checked)."""
    if zoo_dir is not None:
        path = Path(zoo_dir) / algo / str(env_id)
        if not path.is_dir():
            raise FileNotFoundError(f"no zoo agent for {algo} on {env_id} (looked in {path})")
        return load_zoo_agent(path)
    if run_dir is None:
        raise ValueError("give a run directory or a zoo directory")
    return load_run_agent(run_dir, algo, env_id, best)


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
