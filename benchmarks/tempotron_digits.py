"""The Tempotron classifier (``mnist-tempotron``) on scikit-learn's digits, the docs' recipe.

scikit-learn's 1797 real 8x8 handwritten digits upsampled to 28x28 (1437 train / 360 test,
``data=digits``); Gaussian tuning m = 16 per pixel, T = 10, Tempotron(784 m, 10; tau 15,
tau_s 3.75), the docs' loss on misclassified neurons, Adam lr 1e-3, batch 64::

    spikeagents classify mnist-tempotron --set data=digits --set threads=1 --set seed=S \
        --epochs 10

for seeds 0, 1, 2 (the seed sets the initial weights and the batch order; the Tempotron's
learning is sensitive to both), and the same with ``--set model.peak_after_input=false`` (the
docs' peak over all times, under which a neuron whose potential stays below rest stops
learning). Target: test accuracy above the docs' 67.1% (MNIST); the
Tempotron literature reports ~84%. Accuracy is the best epoch's model (the trainer's
``best_model.pt``), evaluated once more; the per-epoch curves show whether it overfits.

Usage::

    python benchmarks/tempotron_digits.py [--epochs 10] [--seeds 0 1 2]

Writes ``benchmarks/results/tempotron_digits.md``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import tempfile
import time
from pathlib import Path

import torch

from spikeagents.classify.api import classify

RESULTS = Path(__file__).resolve().parent / "results"
TARGET = 0.671
OVERRIDES = ["data=digits", "threads=1"]
VARIANTS = {"default": [], "docs peak": ["model.peak_after_input=false"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seeds", type=int, nargs="*", default=[0, 1, 2])
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    started = datetime.datetime.now().isoformat(timespec="seconds")
    accs: dict[str, list[float]] = {name: [] for name in VARIANTS}
    rows, curves = [], []
    with tempfile.TemporaryDirectory() as runs:
        for name, extra in VARIANTS.items():
            for seed in args.seeds:
                overrides = [*OVERRIDES, *extra, f"seed={seed}"]
                start = time.perf_counter()
                m = classify(
                    "mnist-tempotron",
                    overrides=overrides,
                    epochs=args.epochs,
                    runs_root=runs,
                    progress=False,
                )
                wall = time.perf_counter() - start
                accs[name].append(m["test_acc"])
                sets = " ".join(f"--set {o}" for o in overrides)
                command = f"spikeagents classify mnist-tempotron {sets} --epochs {args.epochs}"
                rows.append(
                    f"| {name} | {seed} | `{command}` | {m['test_acc']:.4f} | "
                    f"{m['best_epoch']} | {m['history'][-1]['train_acc']:.4f} | {wall:.0f} | "
                    f"{m['train_images_per_s']:.0f} |"
                )
                test = ", ".join(f"{h['test_acc']:.3f}" for h in m["history"])
                train = ", ".join(f"{h['train_acc']:.3f}" for h in m["history"])
                curves += [f"- {name}, seed {seed}: test {test}", f"  - train {train}"]
                print(rows[-1], flush=True)

    def summary(name: str) -> str:
        a = accs[name]
        return f"{', '.join(f'{x:.4f}' for x in a)} (mean {sum(a) / len(a):.4f})"

    verdict = "PASS" if min(accs["default"]) > TARGET else "FAIL"
    text = "\n".join(
        [
            "# Tempotron on scikit-learn's digits (CPU)",
            "",
            f"Command: `python benchmarks/tempotron_digits.py --epochs {args.epochs} --seeds "
            f"{' '.join(map(str, args.seeds))}`",
            f"Started {started}; torch {torch.__version__}; {platform.machine()}; 1 thread; "
            f"load average before: {' '.join(f'{v:.2f}' for v in load_before)}, after: "
            f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}.",
            "",
            "Data: scikit-learn's 1797 8x8 digits upsampled to 28x28, stratified 80/20 split "
            "(1437 train, 360 test). Recipe: the docs' (m 16, beta 1.5, T 10, tau 15, tau_s "
            "3.75, threshold 1, Adam lr 1e-3, batch 64, loss on misclassified neurons).",
            "",
            "## Target",
            "",
            f"- {verdict}: test accuracy {summary('default')} over seeds "
            f"{', '.join(map(str, args.seeds))}, every one > {TARGET} (the docs' MNIST figure)",
            f"- with the docs' peak over all times: {summary('docs peak')}",
            "",
            "## Runs",
            "",
            "| variant | seed | command | test acc (best epoch) | best epoch | last train acc | "
            "wall s | train img/s |",
            "|---|---:|---|---:|---:|---:|---:|---:|",
            *rows,
            "",
            "## Accuracy per epoch",
            "",
            *curves,
            "",
        ]
    )
    (RESULTS / "tempotron_digits.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
