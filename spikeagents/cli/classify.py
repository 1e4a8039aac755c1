"""The ``spikeagents classify`` subcommand: argparse over :func:`spikeagents.api.classify`.

::

    spikeagents classify TASK [--config FILE] [--set KEY=VALUE]... [--data-dir D] [--epochs N]
                              [--device D] [--run-dir D] [--runs-root D] [--resume RUN_DIR]
                              [--no-progress]
    spikeagents classify TASK --eval RUN_DIR [--data-dir D] [--device D]
    spikeagents classify names --predict WORD... [--run-dir RUN_DIR] [--runs-root D]
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

from spikeagents import api
from spikeagents.cli.common import add_set_option, call

__all__ = ["add_parser", "run"]

_SUMMARY_KEYS = (
    "task",
    "data",
    "run_dir",
    "epochs",
    "best_epoch",
    "epoch",
    "test_acc",
    "test_loss",
    "train_images_per_s",
    "seconds",
    "device",
)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``classify`` to the ``spikeagents`` subcommands; returns its parser."""
    summaries = api.classify_tasks()
    names = sorted(summaries)
    tasks = "; ".join(f"{name}: {summary}" for name, summary in summaries.items())
    p = subparsers.add_parser(
        "classify",
        help="train or evaluate a spiking classifier (MNIST, Fashion-MNIST, DVS128 Gesture)",
        description=f"Train or evaluate a spiking classifier. Tasks: {tasks}.",
    )
    p.add_argument("task", choices=names, metavar="TASK", help=", ".join(names))
    p.add_argument("--config", help="recipe YAML (default: configs/classify/<task>.yaml)")
    add_set_option(p, "a recipe value, e.g. --set data=digits --set model.tau=2.0")
    p.add_argument("--data-dir", help="dataset folder (default: ./data)")
    p.add_argument("--epochs", type=int, help="number of training epochs")
    p.add_argument("--device", help="cpu, cuda, cuda:N or auto (default: from the recipe)")
    p.add_argument("--run-dir", help="where to write the run (default: runs/classify/<task>_<n>)")
    p.add_argument("--runs-root", default="runs", help="root of the run folders (default: runs)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--eval", dest="eval_dir", metavar="RUN_DIR", help="evaluate a run")
    mode.add_argument("--resume", metavar="RUN_DIR", help="continue an interrupted run")
    mode.add_argument(
        "--predict",
        nargs="+",
        metavar="WORD",
        help="names: print each word's top 3 languages (the latest run, or --run-dir)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    return p


def run(args: argparse.Namespace, argv: Sequence[str] | None = None) -> int:
    """Run a parsed ``classify`` command; prints a JSON summary and returns 0.

    :param argv: the command line (saved as ``command.txt``; default ``sys.argv[1:]``).
    """
    if args.predict:
        return _predict(args)
    metrics = call(api.classify, args, argv)
    summary = {k: metrics[k] for k in _SUMMARY_KEYS if k in metrics}
    print(json.dumps({**summary, **_class_accuracy(metrics)}, indent=2))
    return 0


def _class_accuracy(metrics: dict[str, Any]) -> dict[str, Any]:
    """Accuracy per class (the confusion matrix's row-normalised diagonal) and its mean."""
    if "confusion_matrix" not in metrics:
        return {}
    rows, names = metrics["confusion_matrix"], metrics["class_names"]
    pairs = enumerate(zip(names, rows, strict=True))
    acc = {n: round(r[i] / sum(r), 4) for i, (n, r) in pairs if sum(r)}
    mean = round(sum(acc.values()) / len(acc), 4) if acc else None
    return {"mean_class_acc": mean, "class_acc": acc}


def _predict(args: argparse.Namespace) -> int:
    """``--predict``: the task module's ``predict`` (only ``names`` has one)."""
    if args.task != "names":
        raise ValueError(f"--predict works with the names task, not {args.task!r}")
    device = args.device or "cpu"
    results = api.predict_names(args.predict, args.run_dir, args.runs_root, device=device)
    print(api.format_predictions(results))
    return 0
