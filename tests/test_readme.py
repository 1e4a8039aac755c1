"""The README's Python examples run as written (the SB3 training one with a smaller budget)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)


def test_readme_has_examples() -> None:
    assert len(BLOCKS) >= 4


def _small(code: str) -> str:
    """A README block with the training budget cut to a smoke run."""
    code = code.replace("model.learn(20_000)", "model.learn(128)")
    return code.replace('"CartPole-v1",', '"CartPole-v1", n_steps=64, batch_size=64,')


@pytest.mark.parametrize("index", range(len(BLOCKS)))
def test_readme_example_runs(index: int, tmp_path, monkeypatch) -> None:
    code = _small(BLOCKS[index])
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    if index > 0:  # later blocks build on earlier ones, as a reader running them in order would
        for i, earlier in enumerate(BLOCKS[1:index], start=1):
            exec(compile(_small(earlier), f"README block {i}", "exec"), namespace)
    exec(compile(code, f"README block {index}", "exec"), namespace)
    if "raster.png" in code:
        assert os.path.getsize(tmp_path / "raster.png") > 1000


COMMANDS = [
    line.split("#", 1)[0].strip()
    for line in README.read_text().splitlines()
    if line.startswith(".venv/bin/spikeagents ")
]


def test_readme_has_commands() -> None:
    assert len(COMMANDS) >= 10


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_lines_parse(command: str) -> None:
    """Every ``spikeagents`` command line in the README is one the CLI accepts (it is parsed,
    not run)."""
    import shlex

    from spikeagents.cli import build_parser

    args = build_parser().parse_args(shlex.split(command)[1:])
    assert args.command == shlex.split(command)[1]
