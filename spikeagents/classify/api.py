"""``classify``: train a task's spiking classifier, resume a run, or evaluate one.

Example::

    from spikeagents.classify.api import classify
    metrics = classify("mnist-fc", overrides=["data=digits"], epochs=5)
    print(metrics["test_acc"], metrics["run_dir"])
    classify("mnist-fc", eval_dir=metrics["run_dir"])          # re-evaluate the best model
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from spikeagents.classify.config import ClassifyConfig, load_classify_config
from spikeagents.classify.tasks import get_task
from spikeagents.classify.trainer import evaluate_run, run_training
from spikeagents.rundir import atomic_write_text, next_run_dir

__all__ = ["classify"]


def _run_config(run_dir: Path) -> ClassifyConfig:
    path = run_dir / "config.yaml"
    if not path.is_file():
        raise FileNotFoundError(f"{run_dir}: not a classification run (no config.yaml)")
    return ClassifyConfig.load(path)


def classify(
    task: str,
    config: str | Path | None = None,
    overrides: Sequence[str] = (),
    data_dir: str | Path | None = None,
    epochs: int | None = None,
    device: str | None = None,
    run_dir: str | Path | None = None,
    runs_root: str | Path = "runs",
    eval_dir: str | Path | None = None,
    progress: bool = True,
    resume: str | Path | None = None,
    command: str | None = None,
) -> dict[str, Any]:
    """Train ``task`` (or evaluate/resume a run) and return its metrics.

    :param task: ``mnist-fc``, ``mnist-single``, ``fashion-conv`` or ``dvs-gesture``.
    :param config: recipe file (default ``configs/classify/<task>.yaml``).
    :param overrides: ``"key=value"`` strings (``"data=digits"``, ``"model.tau=2.0"``).
    :param data_dir: dataset folder (default ``./data``; ``./data/dvs128-gesture`` for DVS).
    :param run_dir: where to write the run (default ``<runs_root>/classify/<task>_<n>``).
    :param eval_dir: evaluate this run's best model instead of training.
    :param resume: continue this interrupted run from its checkpoint (``epochs`` may raise
        its total).
    :param command: the command line, saved as ``command.txt``.
    :raises ValueError: a bad task, config or device. :raises FileNotFoundError: a missing run
        or dataset (the message says how to get it).
    """
    get_task(task)
    data = Path(data_dir) if data_dir is not None else None
    if eval_dir is not None:
        cfg = _run_config(Path(eval_dir))
        if cfg.task != task:
            raise ValueError(f"{eval_dir} is a {cfg.task!r} run, not {task!r}")
        return evaluate_run(Path(eval_dir), data, device, progress)
    if resume is not None:
        path = Path(resume)
        cfg = _run_config(path)
        if cfg.task != task:
            raise ValueError(f"{resume} is a {cfg.task!r} run, not {task!r}")
        changes = {k: v for k, v in {"epochs": epochs, "device": device}.items() if v is not None}
        if changes:
            cfg = dataclasses.replace(cfg, **changes)
            cfg.save(path / "config.yaml")
        if command:
            with open(path / "command.txt", "a", encoding="utf-8") as f:
                f.write(command + "\n")
        return run_training(cfg, path, data, progress, resume=(path / "checkpoint.pt").is_file())
    cfg = load_classify_config(task, config, overrides, epochs=epochs, device=device)
    if run_dir is not None:
        path = Path(run_dir)
        path.mkdir(parents=True, exist_ok=True)
    else:
        path = next_run_dir(runs_root, "classify", task)
    cfg.save(path / "config.yaml")
    if command:
        atomic_write_text(path / "command.txt", command + "\n")
    return run_training(cfg, path, data, progress)
