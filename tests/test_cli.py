"""The ``spikeagents`` command: every subcommand in-process with tiny budgets, the installed
entry point, user errors, crash + resume, the zoo, recording videos."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import imageio.v3 as iio
import pytest

from spikeagents.cli import main

TINY = [
    "--set",
    "eval_freq=400",
    "--set",
    "checkpoint_freq=400",
    "--set",
    "policy.T=4",
    "--set",
    "policy.hidden_sizes=[16]",
    "--no-progress",
]


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("runs")
    rc = main(
        [
            "train",
            "ppo",
            "CartPole-v1",
            "--timesteps",
            "800",
            "--seed",
            "1",
            "--runs-root",
            str(root),
            *TINY,
        ]
    )
    assert rc == 0
    run = root / "ppo" / "CartPole-v1_1"
    return run


def test_train_writes_a_complete_run_dir(trained_run: Path) -> None:
    for name in (
        "model.zip",
        "config.yaml",
        "command.txt",
        "evaluations.csv",
        "summary.json",
        "checkpoint.zip",
        "best_model.zip",
    ):
        assert (trained_run / name).exists(), name
    summary = json.loads((trained_run / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["timesteps"] >= 800
    assert summary["seed"] == 1
    rows = (trained_run / "evaluations.csv").read_text().splitlines()
    assert rows[0].startswith("timesteps,mean_reward") and len(rows) >= 3
    assert "train ppo CartPole-v1" in (trained_run / "command.txt").read_text()
    assert "policy.T=4" in (trained_run / "command.txt").read_text()
    assert list((trained_run / "tb").rglob("events.out.tfevents*"))
    config = (trained_run / "config.yaml").read_text()
    assert "T: 4" in config and "n_timesteps: 800" in config


def test_tensorboard_has_firing_rates(trained_run: Path) -> None:
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = next((trained_run / "tb").rglob("events.out.tfevents*"))
    acc = EventAccumulator(str(events.parent))
    acc.Reload()
    tags = acc.Tags()["scalars"]
    assert any(t.startswith("spikes/") and t.endswith("/rate") for t in tags), tags
    assert "eval/mean_reward" in tags and any(t.startswith("train/") for t in tags)


def test_evaluate_prints_json(trained_run: Path, capsys) -> None:
    assert (
        main(["evaluate", "ppo", "CartPole-v1", "--run-dir", str(trained_run), "--episodes", "3"])
        == 0
    )
    out = json.loads(capsys.readouterr().out)
    assert out["episodes"] == 3 and out["mean_reward"] > 0 and "std_reward" in out
    assert out["spikes_per_step"] >= 0


@pytest.mark.parametrize("suffix", [".gif", ".mp4"])
def test_record_writes_a_playable_video(trained_run: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"agent{suffix}"
    assert (
        main(
            [
                "record",
                "ppo",
                "CartPole-v1",
                "--run-dir",
                str(trained_run),
                "--out",
                str(out),
                "--max-frames",
                "12",
                "--episodes",
                "5",
                "--spikes",
            ]
        )
        == 0
    )
    frames = iio.imread(out, index=None)
    assert frames.shape[0] == 12
    assert frames.shape[2] > 600  # 600-pixel CartPole frame plus the spike panel beside it


def test_enjoy_without_display_says_how_to_record(trained_run, monkeypatch, capsys) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    if not sys.platform.startswith("linux"):
        pytest.skip("display detection is for Linux")
    assert main(["enjoy", "ppo", "CartPole-v1", "--run-dir", str(trained_run)]) == 2
    err = capsys.readouterr().err
    assert "no display" in err and "spikeagents record" in err


def test_zoo_round_trip_and_tampering(trained_run: Path, tmp_path: Path, capsys) -> None:
    zoo = tmp_path / "zoo"
    add = ["zoo", "add", str(trained_run), "--zoo", str(zoo), "--episodes", "2"]
    assert main([*add, "--target", "5"]) == 0
    agent_dir = zoo / "ppo" / "CartPole-v1"
    assert (agent_dir / "weights.safetensors").exists() and (agent_dir / "card.yaml").exists()
    assert (agent_dir / "weights.safetensors").stat().st_size < 300_000
    capsys.readouterr()
    assert main(["zoo", "list", "--zoo", str(zoo)]) == 0
    assert "CartPole-v1" in capsys.readouterr().out
    # the zoo agent acts like the run's model
    from spikeagents.rl.sources import load_agent

    run_agent = load_agent("ppo", "CartPole-v1", run_dir=trained_run)
    zoo_agent = load_agent("ppo", "CartPole-v1", zoo_dir=zoo)
    import numpy as np

    obs = np.stack([run_agent.model.observation_space.sample() for _ in range(32)])
    np.testing.assert_array_equal(
        run_agent.model.predict(obs, deterministic=True)[0],
        zoo_agent.model.predict(obs, deterministic=True)[0],
    )
    assert main(["benchmark", "--zoo", str(zoo), "--episodes", "2"]) == 0
    table = (zoo / "README.md").read_text()
    row = next(line for line in table.splitlines() if line.startswith("| ppo | CartPole-v1 |"))
    assert row.startswith("| ppo | CartPole-v1 | if | 4 |")
    assert row.endswith("| 5.0 |"), row  # the card's target, not the env's solved score
    # one flipped byte in the weights: refused with a clear error, nothing unpickled
    weights = agent_dir / "weights.safetensors"
    data = bytearray(weights.read_bytes())
    data[-1] ^= 0xFF
    weights.write_bytes(bytes(data))
    capsys.readouterr()
    with pytest.raises(ValueError, match="sha256"):
        load_agent("ppo", "CartPole-v1", zoo_dir=zoo)
    assert main(["benchmark", "--zoo", str(zoo), "--episodes", "1"]) == 2
    assert "sha256" in capsys.readouterr().err


def test_mlp_baseline_trains_with_the_same_recipe(tmp_path: Path, capsys) -> None:
    rc = main(
        ["train", "ppo", "CartPole-v1", "--mlp", "--timesteps", "512", "--seed", "3"]
        + ["--runs-root", str(tmp_path), "--set", "eval_freq=256", "--no-progress"]
    )
    assert rc == 0
    run = tmp_path / "ppo" / "CartPole-v1-mlp_1"  # never picked up as the latest spiking run
    summary = json.loads((run / "summary.json").read_text())
    assert summary["policy_type"] == "mlp" and summary["timesteps"] >= 512
    assert "policy_type: mlp" in (run / "config.yaml").read_text()
    from stable_baselines3.common.policies import ActorCriticPolicy

    from spikeagents.rl import SpikingActorCriticPolicy
    from spikeagents.rl.sources import load_agent

    model = load_agent("ppo", "CartPole-v1", run_dir=run).model
    assert type(model.policy) is ActorCriticPolicy
    assert not isinstance(model.policy, SpikingActorCriticPolicy)
    assert model.n_steps == 32 and model.lr_schedule(1.0) == pytest.approx(1e-3)  # the recipe
    capsys.readouterr()
    assert main(["evaluate", "ppo", "CartPole-v1", "--run-dir", str(run), "--episodes", "2"]) == 0
    assert json.loads(capsys.readouterr().out)["spikes_per_step"] is None
    out = tmp_path / "x.gif"
    args = ["record", "ppo", "CartPole-v1", "--run-dir", str(run), "--out", str(out), "--spikes"]
    assert main(args) == 2 and "no spiking network" in capsys.readouterr().err
    assert main(["zoo", "add", str(run), "--zoo", str(tmp_path / "zoo")]) == 2
    assert "spiking agents only" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args,message",
    [
        (["train", "ppo", "CartPole-v1", "--set", "policy.neuron=hh"], "neuron"),
        (["train", "ppo", "CartPole-v1", "--set", "policy.T=eight"], "policy.T"),
        (["train", "ppo", "CartPole-v1", "--set", "colour=blue"], "colour"),
        (["train", "ppo", "NoSuchEnv-v9"], "NoSuchEnv-v9"),
        (["train", "sac", "CartPole-v1"], "ppo"),
        (["train", "ppo", "CartPole-v1", "--set", "policy_type=cnn"], "spiking, mlp"),
        (["evaluate", "ppo", "CartPole-v1", "--run-dir", "/nonexistent/run"], "config.yaml"),
    ],
)
def test_user_errors_are_one_line_and_exit_2(args, message, capsys, tmp_path) -> None:
    assert main([*args, "--runs-root", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("spikeagents: error:") and message in err
    assert "Traceback" not in err and len(err.splitlines()) == 1


def test_bad_config_file_names_the_file(tmp_path, capsys) -> None:
    bad = tmp_path / "mine.yaml"
    bad.write_text("CartPole-v1:\n  policy:\n    T: 8\n    tau_typo: 2.0\n")
    assert main(["train", "ppo", "CartPole-v1", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "mine.yaml" in err and "tau_typo" in err


def test_killed_run_resumes_and_continues_its_step_count(tmp_path: Path) -> None:
    run = tmp_path / "run"
    cmd = [
        sys.executable,
        "-m",
        "spikeagents",
        "train",
        "dqn",
        "CartPole-v1",
        "--timesteps",
        "200000",
        "--run-dir",
        str(run),
        "--set",
        "checkpoint_freq=500",
        "--set",
        "eval_freq=1000000",
        "--set",
        "policy.hidden_sizes=[32]",
        "--no-progress",
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 120
        while not (run / "checkpoint.zip").exists() and time.time() < deadline:
            time.sleep(0.2)
        time.sleep(1.0)
    finally:
        proc.send_signal(signal.SIGKILL)  # a crash: no chance to save anything more
        proc.wait()
    assert (run / "checkpoint.zip").exists() and (run / "replay_buffer.pkl").exists()
    from stable_baselines3 import DQN

    saved_steps = DQN.load(run / "checkpoint.zip").num_timesteps
    assert saved_steps >= 500
    rc = main(
        [
            "train",
            "dqn",
            "CartPole-v1",
            "--resume",
            str(run),
            "--timesteps",
            str(saved_steps + 600),
            "--no-progress",
        ]
    )
    assert rc == 0
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "finished"
    # DQN collects train_freq (256) steps per rollout, so it may overshoot by less than that
    assert saved_steps + 600 <= summary["timesteps"] < saved_steps + 600 + 256
    assert len((run / "command.txt").read_text().splitlines()) == 2


def test_sigterm_saves_a_checkpoint_like_ctrl_c(tmp_path: Path) -> None:
    run = tmp_path / "run"
    cmd = [sys.executable, "-m", "spikeagents", "train", "ppo", "CartPole-v1", "--run-dir"]
    cmd += [str(run), "--timesteps", "1000000", "--no-progress", *TINY[:2]]
    cmd += ["--set", "checkpoint_freq=0", "--set", "policy.T=4"]  # no periodic checkpoints
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 120
        while not (run / "evaluations.csv").exists() and time.time() < deadline:
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGTERM)  # what `kill` or a job scheduler sends
        _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "--resume" in err and (run / "checkpoint.zip").exists()
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "interrupted" and summary["timesteps"] > 0


def test_installed_entry_point(tmp_path: Path) -> None:
    exe = shutil.which("spikeagents", path=str(Path(sys.executable).parent))
    assert exe is not None, "the spikeagents console script is not installed"
    out = subprocess.run([exe, "train", "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and "--resume" in out.stdout
    out = subprocess.run(
        [exe, "train", "ppo", "CartPole-v1", "--set", "policy.neuron=hh"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert out.returncode == 2 and out.stderr.startswith("spikeagents: error:")
