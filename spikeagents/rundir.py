"""Run directories and crash-safe files.

A training run lives in ``runs/<algo>/<env>_<n>/``::

    config.yaml        the resolved configuration (loads back with TrainConfig.from_dict)
    command.txt        the command line that started (and resumed) the run
    model.zip          the final SB3 model            best_model.zip   best evaluation so far
    checkpoint.zip     the latest checkpoint           vecnormalize.pkl observation statistics
    replay_buffer.pkl  DQN's buffer at the checkpoint  evaluations.csv  periodic evaluations
    summary.json       written at the end (also after Ctrl-C or a crash)
    tb/                TensorBoard events

Every file is written to a temporary name in the same folder and renamed, so a killed run never
leaves a half-written file behind.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ["next_run_dir", "atomic_path", "atomic_save", "atomic_write_text", "latest_run_dir"]


def next_run_dir(root: str | Path, algo: str, env_id: str) -> Path:
    """Create and return ``root/<algo>/<env_id>_<n>`` with the next free ``n`` (from 1)."""
    parent = Path(root) / algo
    parent.mkdir(parents=True, exist_ok=True)
    runs = _numbered_runs(parent, env_id)
    n = 1 + (runs[0][0] if runs else 0)
    while True:
        path = parent / f"{env_id}_{n}"
        try:
            path.mkdir()  # atomic: two runs started at once get different folders
            return path
        except FileExistsError:
            n += 1


def _numbered_runs(parent: Path, name: str) -> list[tuple[int, Path]]:
    """``(n, parent/<name>_<n>)`` for every such folder, newest (largest n) first."""
    if not parent.is_dir():
        return []
    pattern = re.compile(rf"^{re.escape(name)}_(\d+)$")
    runs = ((int(m.group(1)), p) for p in parent.iterdir() if (m := pattern.match(p.name)))
    return sorted(runs, reverse=True)


def latest_run_dir(
    root: str | Path,
    algo: str,
    env_id: str,
    markers: tuple[str, ...] = ("model.zip", "best_model.zip", "checkpoint.zip"),
) -> Path | None:
    """The most recent ``root/<algo>/<env_id>_<n>`` that holds one of ``markers`` (by default
    an RL model; ``("best_model.pt",)`` for a classification run), or ``None``."""
    for _, path in _numbered_runs(Path(root) / algo, env_id):
        if any((path / f).exists() for f in markers):
            return path
    return None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(final: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``final``; rename it to ``final`` if the block succeeds."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{final.stem}.", suffix=final.suffix, dir=final.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, 0o666 & ~_umask())  # mkstemp (or the writer) made it 0600
        os.replace(tmp_path, final)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def atomic_save(final: str | Path, save: Callable[[Path], None]) -> Path:
    """Call ``save(tmp_path)`` and rename the result to ``final`` (SB3 ``.save`` works)."""
    with atomic_path(final) as tmp:
        save(tmp)
    return Path(final)


def atomic_write_text(final: str | Path, text: str) -> Path:
    """Write ``text`` to ``final`` atomically."""
    return atomic_save(final, lambda p: p.write_text(text))
