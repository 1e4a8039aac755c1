"""Accuracy of the ``speech-commands`` task per class, on clips made here (CPU).

Without the 2.3 GB dataset, the words are spoken by ``espeak-ng`` (6 English accents x 11 voice
variants, random speed 120-200 words per minute and pitch 25-75, placed at a random time in a
1 s, 16 kHz clip with faint noise; falls back to tone glides when espeak-ng is missing), written
in the Speech Commands layout with a testing list that holds whole speakers (the test voices are
never heard in training) and two background-noise recordings. The shipped recipe
(``configs/classify/speech-commands.yaml``: the convolutional SNN, augmentation, 12 classes)
is then trained through ``spikeagents classify speech-commands``; optionally the 35-word task.

Usage::

    python benchmarks/speech_accuracy.py                   # generated clips, 12 classes
    python benchmarks/speech_accuracy.py --all-words       # also the 35-word task
    python benchmarks/speech_accuracy.py --data-dir data/speech-commands/speech_commands_v0.02

Writes ``benchmarks/results/speech_accuracy.md``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from spikeagents.classify.api import classify
from spikeagents.datasets.speech_commands import WORDS, write_synthetic_speech_folder

RESULTS = Path(__file__).resolve().parent / "results"
TARGET = 0.90


def per_class(metrics: dict) -> np.ndarray:
    confusion = np.asarray(metrics["confusion_matrix"], dtype=float)
    return np.diag(confusion) / np.maximum(confusion.sum(1), 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, help="a Speech Commands folder (real data)")
    parser.add_argument("--speakers", type=int, default=60, help="generated speakers per word")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--all-words", action="store_true", help="also the 35-word task")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    started = datetime.datetime.now().isoformat(timespec="seconds")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory() as tmp:
        if args.data_dir is not None:
            folder, source = args.data_dir, f"Speech Commands v0.02 from {args.data_dir}"
        else:
            kind = "espeak" if shutil.which("espeak-ng") else "chirp"
            t0 = time.perf_counter()
            folder = write_synthetic_speech_folder(
                Path(tmp) / "sc", WORDS, clips_per_word=args.speakers, kind=kind, seed=0
            )
            source = (
                f"{args.speakers} generated speakers ({kind}) x 35 words, 25% of the speakers "
                f"in the testing list; generated in {time.perf_counter() - t0:.0f} s"
            )
        runs = {"12 classes (recipe)": []}
        if args.all_words:
            runs["35 words"] = ["model.classes=[all]"]
        common = ["device=cpu", "num_workers=0", f"threads={args.threads}"]
        common += [f"scheduler.T_max={args.epochs}"]
        rows, results = [], {}
        for name, extra in runs.items():
            t0 = time.perf_counter()
            m = classify(
                "speech-commands",
                overrides=[*common, *extra],
                data_dir=folder,
                epochs=args.epochs,
                runs_root=Path(tmp) / "runs",
                progress=False,
            )
            wall = time.perf_counter() - t0
            acc = per_class(m)
            results[name] = (m, acc)
            sets = " ".join(f"--set {o}" for o in [*common, *extra])
            cmd = "spikeagents classify speech-commands --data-dir <folder>"
            cmd += f" {sets} --epochs {args.epochs}"
            rows.append(
                f"| {name} | {m['test_acc']:.4f} | {acc.mean():.4f} | {m['n_train']} | "
                f"{m['n_test']} | {m['best_epoch']} | {wall:.0f} | `{cmd}` |"
            )
            print(rows[-1], flush=True)
    lines = [
        "# speech-commands: accuracy per class",
        "",
        f"Command: `python benchmarks/{Path(__file__).name} {' '.join(argv or sys.argv[1:])}`",
        f"Started {started}; torch {torch.__version__}; {platform.machine()}; "
        f"{args.threads} thread(s); load average before: "
        + " ".join(f"{v:.2f}" for v in load_before)
        + ", after: "
        + " ".join(f"{v:.2f}" for v in os.getloadavg()),
        "",
        f"Data: {source}. 12 classes: the 10 command words, `unknown` (the other 25 words, 10% "
        "of the known clips) and `silence` (cuts of the background noise, 10%). Accuracy: the "
        "best epoch's model on the test speakers.",
        "",
        "## Targets",
        "",
    ]
    for name, (m, _) in results.items():
        ok = m["test_acc"] >= TARGET
        where = "" if args.data_dir else " -- on generated clips, not the real set"
        lines.append(
            f"- {'PASS' if ok else 'MISS'}: {name}: {m['test_acc']:.4f} (target >= {TARGET}){where}"
        )
    lines += [
        "",
        "## Runs",
        "",
        "| task | accuracy | mean per class | train clips | test clips | best epoch | wall s "
        "| command |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
        *rows,
    ]
    for name, (m, acc) in results.items():
        conf = np.asarray(m["confusion_matrix"])
        lines += ["", f"## Per class: {name}", "", "| class | test clips | accuracy |"]
        lines.append("|---|---:|---:|")
        for i, cls in enumerate(m["class_names"]):
            lines.append(f"| {cls} | {int(conf[i].sum())} | {acc[i]:.3f} |")
    lines.append("")
    out = RESULTS / "speech_accuracy.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
