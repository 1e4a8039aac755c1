"""Training-run options: --stop-when-solved ends at the first evaluation that reaches the
environment's solved score and says so in summary.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from spikeagents import api
from spikeagents.cli import main
from spikeagents.schema import ConfigError

TINY = ["policy.T=2", "policy.hidden_sizes=[8]", "eval_freq=256", "checkpoint_freq=0"]


def test_stop_when_solved_ends_training_at_the_first_solved_evaluation(tmp_path: Path) -> None:
    run = tmp_path / "run"
    argv = ["train", "ppo", "CartPole-v1", "--seed", "0", "--timesteps", "20000", "--no-progress"]
    argv += ["--run-dir", str(run), "--stop-when-solved", "--set", "env.solved_score=5"]
    for item in TINY:
        argv += ["--set", item]
    assert main(argv) == 0
    summary = json.loads((run / "summary.json").read_text())
    assert summary["stop_when_solved"] and summary["stopped_when_solved"]
    assert summary["timesteps"] < 20000 and summary["first_solved_step"] <= summary["timesteps"]
    assert summary["status"] == "finished"


def test_without_the_flag_training_runs_its_budget(tmp_path: Path) -> None:
    overrides = [*TINY, "env.solved_score=5"]
    summary = api.train("ppo", "CartPole-v1", overrides=overrides, timesteps=512, seed=0,
                        run_dir=tmp_path / "run", progress=False)  # fmt: skip
    assert not summary["stopped_when_solved"] and summary["timesteps"] >= 512


def test_stop_when_solved_needs_a_solved_score() -> None:
    with pytest.raises(ConfigError, match="stop_when_solved needs a solved_score"):
        api.train(
            "ppo", "CartPole-v1", overrides=["stop_when_solved=true", "env.solved_score=null"]
        )
