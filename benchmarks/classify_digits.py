"""Targets of the classification pipelines on scikit-learn's digits (CPU).

scikit-learn's 1797 real 8x8 handwritten digits, upsampled to 28x28 (bilinear), stratified
80/20 split (1437 train / 360 test, split seed 0): ``data=digits``. Each run is the same as

    spikeagents classify mnist-fc --set data=digits --set batch_size=16 \\
        --set optimizer.lr=5e-3 --set threads=1 --epochs 30
    spikeagents classify fashion-conv --set data=digits --set batch_size=64 --epochs 8

(the docs' networks; the docs' batch sizes assume 60000 MNIST images, so on 1437 digits a
smaller batch gives enough optimiser steps per epoch). Target: test accuracy >= 90% in a few
CPU minutes. Accuracy is the best epoch's (the saved best model, evaluated once more).

Usage::

    python benchmarks/classify_digits.py             # both tasks
    python benchmarks/classify_digits.py --quick     # fewer epochs

Writes ``benchmarks/results/classify_digits.md``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import torch

from spikeagents.classify.api import classify

RESULTS = Path(__file__).resolve().parent / "results"
TARGET = 0.90

RUNS = {
    "mnist-fc": (["data=digits", "batch_size=16", "optimizer.lr=5e-3", "threads=1"], 30),
    "fashion-conv": (["data=digits", "batch_size=64"], 8),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a third of the epochs")
    parser.add_argument("--tasks", nargs="*", default=list(RUNS))
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    rows, lines = [], []
    with tempfile.TemporaryDirectory() as runs:
        for task in args.tasks:
            overrides, epochs = RUNS[task]
            epochs = max(1, epochs // 3) if args.quick else epochs
            start = time.perf_counter()
            m = classify(task, overrides=overrides, epochs=epochs, runs_root=runs, progress=False)
            wall = time.perf_counter() - start
            reached = next((h["epoch"] for h in m["history"] if h["test_acc"] >= TARGET), None)
            t_reach = sum(h["train_seconds"] for h in m["history"][:reached]) if reached else None
            sets = " ".join(f"--set {o}" for o in overrides)
            rows.append(
                f"| {task} | `spikeagents classify {task} {sets} --epochs {epochs}` | "
                f"{m['test_acc']:.4f} | {m['best_epoch']} | "
                f"{reached if reached else '-'} | "
                f"{f'{t_reach:.0f}' if t_reach else '-'} | {wall:.0f} | "
                f"{m['train_images_per_s']:.0f} |"
            )
            verdict = "PASS" if m["test_acc"] >= TARGET else "FAIL"
            lines.append(f"- {verdict}: {task} test accuracy {m['test_acc']:.4f} >= {TARGET}")
            curve = ", ".join(f"{h['test_acc']:.3f}" for h in m["history"])
            lines.append(f"  - test accuracy per epoch: {curve}")
            print(rows[-1], flush=True)
    text = "\n".join(
        [
            "# Classification targets on scikit-learn's digits (CPU)",
            "",
            f"Command: `python benchmarks/classify_digits.py{' --quick' if args.quick else ''}`",
            f"Started {datetime.datetime.now().isoformat(timespec='seconds')}; torch "
            f"{torch.__version__}; {platform.processor() or platform.machine()}; "
            f"{torch.get_num_threads()} threads by default; load average before: "
            f"{' '.join(f'{x:.2f}' for x in load_before)}, after: "
            f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}.",
            "",
            "Data: scikit-learn's 1797 8x8 digits upsampled to 28x28, stratified 80/20 split "
            "(1437 train, 360 test). Accuracy: the best epoch's model on the test split.",
            "",
            "## Targets",
            "",
            *lines,
            "",
            "## Runs",
            "",
            "| task | command | test acc | best epoch | first epoch >= 90% | train s to 90% "
            "| wall s | train img/s |",
            "|---|---|---:|---:|---:|---:|---:|---:|",
            *rows,
            "",
        ]
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "classify_digits.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
