"""Run directories written by earlier versions still load, act and resume, and a frequency of 0
means never.

``tests/data/run_v0.1_ppo_CartPole-v1`` was written by spikeagents 0.1 before the layout
redesign (its ``model.zip`` refers to ``spikeagents.config.Schedule`` and
``spikeagents.rl.policies.SpikingActorCriticPolicy`` by import path); its ``command.txt`` says how.
"""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import numpy as np

from spikeagents import api
from spikeagents.rl.agents import load_run_agent

OLD_RUN = Path(__file__).resolve().parent.parent / "data" / "run_v0.1_ppo_CartPole-v1"


def test_a_run_saved_before_the_redesign_loads_and_acts() -> None:
    agent = load_run_agent(OLD_RUN, "ppo", "CartPole-v1")
    assert agent.config.policy.T == 2 and agent.config.policy.hidden_sizes == (8,)
    obs = np.zeros((3, 4), dtype=np.float32)
    actions, _ = agent.model.predict(obs, deterministic=True)
    assert actions.shape == (3,) and set(actions.tolist()) <= {0, 1}
    result = api.evaluate("ppo", "CartPole-v1", run_dir=OLD_RUN, episodes=1)
    assert result["mean_reward"] > 0


def test_a_run_saved_before_the_redesign_resumes(tmp_path: Path) -> None:
    run = tmp_path / "run"
    shutil.copytree(OLD_RUN, run)
    shutil.copy(run / "model.zip", run / "checkpoint.zip")  # as if it had been interrupted
    summary = api.train("ppo", "CartPole-v1", resume=run, timesteps=512, progress=False)
    assert summary["status"] == "finished" and summary["timesteps"] >= 512


def test_zero_frequencies_mean_never(tmp_path: Path) -> None:
    run = tmp_path / "run"
    overrides = ["eval_freq=0", "checkpoint_freq=0", "policy.T=2", "policy.hidden_sizes=[8]"]
    api.train("ppo", "CartPole-v1", overrides=overrides, timesteps=256, run_dir=run,
              progress=False, seed=0)  # fmt: skip
    with (run / "evaluations.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1  # only the final evaluation
