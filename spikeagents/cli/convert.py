"""The ``spikeagents convert`` subcommand: argparse over :func:`spikeagents.api.convert_run`.

::

    spikeagents convert CHECKPOINT [--task TASK] [--T N] [--norm robust|max|none]
                        [--percentile P] [--encoder constant|poisson] [--maxpool gated|max]
                        [--readout membrane|spikes] [--v-init F] [--calibration N]
                        [--set KEY=VALUE]... [--data-dir D] [--device D] [--chunk N]
                        [--out DIR] [--runs-root D] [--no-progress]

CHECKPOINT is a ``spikeagents classify`` run folder of an ANN task (``mnist-ann``,
``mnist-cnn``) or its ``best_model.pt``; ``--task`` names the recipe for a bare weights file.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

from spikeagents import api
from spikeagents.cli.common import add_set_option, call, positive_int

__all__ = ["add_parser", "run"]

_SUMMARY_KEYS = (
    "task",
    "data",
    "out_dir",
    "T",
    "ann_acc",
    "snn_acc",
    "steps_within_1_point",
    "acc_at_steps",
    "firing_rates",
    "seconds",
)


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``convert`` to the ``spikeagents`` subcommands; returns its parser."""
    choices = api.CONVERT_CHOICES
    p = subparsers.add_parser(
        "convert",
        help="convert a trained ReLU network (a classify run) into an SNN and evaluate it",
        description=(
            "Convert a trained ANN into a spiking network (BatchNorm folded, layer-wise "
            "normalisation, IF neurons with soft reset) and report its accuracy after every "
            "time step, against the ANN's."
        ),
    )
    p.add_argument("checkpoint", metavar="CHECKPOINT", help="run folder or best_model.pt")
    p.add_argument("--task", help="task of a bare weights file (e.g. mnist-ann, mnist-cnn)")
    p.add_argument("--T", type=positive_int, help="time steps (default: the recipe's T)")
    p.add_argument("--norm", choices=choices["norm"], default="robust", help="default: robust")
    p.add_argument("--percentile", type=float, default=99.9, help="for --norm robust")
    p.add_argument(
        "--encoder", choices=choices["encoder"], default="constant", help="default: constant"
    )
    p.add_argument("--maxpool", choices=choices["maxpool"], default="gated", help="default: gated")
    p.add_argument(
        "--readout", choices=choices["readout"], default="membrane", help="default: membrane"
    )
    p.add_argument(
        "--v-init",
        type=float,
        default=0.5,
        help="initial membrane potential / threshold (0: the docs; default 0.5)",
    )
    p.add_argument("--calibration", type=int, default=256, help="calibration images (256)")
    add_set_option(p, "a recipe value, e.g. --set data=digits")
    p.add_argument("--data-dir", help="dataset folder (default: ./data)")
    p.add_argument("--device", help="cpu, cuda, cuda:N or auto (default: from the recipe)")
    p.add_argument("--chunk", type=int, default=16, help="steps simulated per call (memory)")
    p.add_argument("--out", dest="out_dir", help="result folder (default: runs/convert/<task>_<n>)")
    p.add_argument("--runs-root", default="runs", help="root of the result folders (runs)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    return p


def run(args: argparse.Namespace, argv: Sequence[str] | None = None) -> int:
    """Run a parsed ``convert`` command; prints a JSON summary and returns 0."""
    summary = call(api.convert_run, args, argv)
    print(json.dumps({k: summary[k] for k in _SUMMARY_KEYS if k in summary}, indent=2))
    return 0
