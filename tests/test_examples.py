"""The scripts in examples/ run as written (with a tiny training budget)."""

from __future__ import annotations

from pathlib import Path

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def test_sb3_cartpole_example_runs(tmp_path, monkeypatch, capsys) -> None:
    code = (EXAMPLES / "sb3_cartpole.py").read_text()
    assert "model.learn(100_000" in code
    code = code.replace("model.learn(100_000", "model.learn(256").replace(
        "progress_bar=True", "progress_bar=False"
    )
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "examples/sb3_cartpole.py", "exec"), {"__name__": "__main__"})
    out = capsys.readouterr().out
    assert "firing rates at the end" in out and "deterministic evaluation over 20 episodes" in out
    assert (tmp_path / "spiking_ppo_cartpole.zip").exists()


def test_sb3_stateful_example_runs(tmp_path, monkeypatch, capsys) -> None:
    code = (EXAMPLES / "sb3_stateful.py").read_text()
    assert "model.learn(100_000" in code
    code = code.replace("model.learn(100_000", "model.learn(512").replace(
        "progress_bar=True", "progress_bar=False"
    )
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "examples/sb3_stateful.py", "exec"), {"__name__": "__main__"})
    out = capsys.readouterr().out
    assert "20 episodes:" in out and "membrane carried into the next step" in out
