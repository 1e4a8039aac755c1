"""Accuracy of the ``names`` task: overall and mean per-language test accuracy (CPU).

Runs, side by side on the same data, split and training recipe (``configs/classify/names.yaml``:
batches of 64, Adam, cosine schedule, cross-entropy, stratified 80/20 split, names drawn with
weight ``n_class ** -0.5``):

- ``spiking GRU (recipe)``: the shipped network, ``spikeagents classify names``;
- ``spiking LSTM, docs network``: the docs' network (one layer, 256 units, one-hot letters, last
  step), trained by the same batched recipe;
- ``non-spiking GRU``: ``torch.nn.GRU`` in place of the spiking GRU (same embedding, width,
  readout), as a reference;
- ``always Russian``: the majority class.

Data: the tutorial's surname files when ``--data-dir`` holds them (``data.zip`` or
``data/names/*.txt``), else the real-like generated set
(:func:`spikeagents.datasets.names.synthetic_surnames`: the 18 languages with the real files'
sizes, 52% Russian, related languages sharing syllables and borrowing names).

Usage::

    python benchmarks/names_accuracy.py                    # real-like generated set
    python benchmarks/names_accuracy.py --data-dir data/surnames
    python benchmarks/names_accuracy.py --quick            # fewer epochs

Writes ``benchmarks/results/names_accuracy.md`` (``names_accuracy_quick.md`` with --quick).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from torch import nn

from spikeagents.classify import tasks
from spikeagents.classify.api import classify
from spikeagents.datasets.names import ALPHABET, PAD_INDEX

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_OVERALL, TARGET_MEAN = 0.75, 0.45


class GRUBaseline(nn.Module):
    """The recipe's network with ``torch.nn.GRU`` (packed sequences) instead of spiking cells."""

    def __init__(self, embed: int, hidden: int, bidirectional: bool, dropout: float) -> None:
        super().__init__()
        self.embed = nn.Embedding(len(ALPHABET) + 1, embed, padding_idx=PAD_INDEX)
        self.gru = nn.GRU(embed, hidden, batch_first=True, bidirectional=bidirectional)
        self.drop = nn.Dropout(dropout)
        self.fc = nn.Linear((2 if bidirectional else 1) * hidden, 18)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lengths = (x != PAD_INDEX).sum(1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(
            self.embed(x), lengths, batch_first=True, enforce_sorted=False
        )
        _, h = self.gru(packed)  # [D, B, H]
        return self.fc(self.drop(torch.cat(list(h), dim=1)))


@contextlib.contextmanager
def baseline_task() -> Iterator[None]:
    """Swap the names task's model for :class:`GRUBaseline` (data and trainer unchanged)."""

    def build(cfg):  # noqa: ANN001, ANN202
        p = cfg.model
        return GRUBaseline(p.embed, p.hidden, p.bidirectional, p.dropout)

    original = tasks.TASKS["names"]
    tasks.TASKS["names"] = dataclasses.replace(original, build_model=build)
    try:
        yield
    finally:
        tasks.TASKS["names"] = original


RUNS: dict[str, list[str]] = {
    "spiking GRU (recipe)": [],
    "spiking LSTM, docs network": [
        "model.cell=lstm",
        "model.embed=0",
        "model.hidden=256",
        "model.bidirectional=false",
        "model.dropout=0.0",
    ],
    "non-spiking GRU (torch.nn.GRU)": [],
}


def per_class(metrics: dict) -> np.ndarray:
    confusion = np.asarray(metrics["confusion_matrix"], dtype=float)
    return np.diag(confusion) / np.maximum(confusion.sum(1), 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data-dir", type=Path, help="folder with the real surname files")
    parser.add_argument("--epochs", type=int, help="override the recipe's epochs")
    parser.add_argument("--quick", action="store_true", help="3 epochs")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", nargs="*", help="run only these settings (by prefix)")
    args = parser.parse_args(argv)
    real = args.data_dir is not None
    data = "surnames" if real else "synthetic"
    common = [f"data={data}", f"threads={args.threads}"]
    epochs = args.epochs
    if args.quick:
        epochs = epochs or 3
        common += [f"scheduler.T_max={epochs}"]
    elif epochs:
        common += [f"scheduler.T_max={epochs}"]
    started = datetime.datetime.now().isoformat(timespec="seconds")
    load_before = os.getloadavg()
    rows, results = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, extra in RUNS.items():
            if args.only and not any(name.startswith(o) for o in args.only):
                continue
            t0 = time.perf_counter()
            ctx = baseline_task() if name.startswith("non-spiking") else contextlib.nullcontext()
            with ctx:
                m = classify(
                    "names",
                    overrides=[*common, *extra],
                    data_dir=args.data_dir,
                    epochs=epochs,
                    runs_root=tmp,
                    progress=False,
                )
            wall = time.perf_counter() - t0
            acc = per_class(m)
            results[name] = (m, acc)
            sets = " ".join(f"--set {o}" for o in [*common, *extra])
            cmd = f"spikeagents classify names {sets} --epochs {m['epochs']}"
            if real:
                cmd += f" --data-dir {args.data_dir}"
            if name.startswith("non-spiking"):
                cmd = f"(this script: the recipe with torch.nn.GRU) {cmd}"
            rows.append(
                f"| {name} | {m['test_acc']:.4f} | {acc.mean():.4f} | {m['best_epoch']} | "
                f"{wall:.0f} | {m['train_images_per_s']:.0f} | `{cmd}` |"
            )
            print(rows[-1], flush=True)
    first = next(iter(results.values()))[0]
    confusion = np.asarray(first["confusion_matrix"], dtype=float)
    totals = confusion.sum(1)
    majority = totals.max() / totals.sum()
    rows.append(
        f"| always Russian | {majority:.4f} | {1 / len(totals):.4f} | | | | (the majority class) |"
    )
    recipe_m, recipe_acc = results.get("spiking GRU (recipe)", next(iter(results.values())))
    source = (
        f"the tutorial's surname files from {args.data_dir}"
        if real
        else "the real-like generated set (`data=synthetic`: 18 languages with the real files' "
        "sizes after de-duplication, 18,182 names, 51.7% Russian)"
    )
    lines = [
        f"# names: overall and mean per-language accuracy{' (quick)' if args.quick else ''}",
        "",
        f"Command: `python benchmarks/{Path(__file__).name} {' '.join(argv or sys.argv[1:])}`",
        f"Started {started}; torch {torch.__version__}; {platform.machine()}; "
        f"{args.threads} thread(s); load average before: "
        + " ".join(f"{v:.2f}" for v in load_before)
        + ", after: "
        + " ".join(f"{v:.2f}" for v in os.getloadavg()),
        "",
        f"Data: {source}; stratified 80/20 split per language (seed 0), "
        f"{recipe_m['n_train']} train / {recipe_m['n_test']} test names. Accuracy: the best "
        "epoch's model; mean per-language accuracy: the mean over the 18 languages of the share "
        "of that language's test names classified correctly.",
        "",
        "## Targets",
        "",
    ]
    for name, (m, acc) in results.items():
        ok = m["test_acc"] >= TARGET_OVERALL and acc.mean() >= TARGET_MEAN
        lines.append(
            f"- {'PASS' if ok else 'MISS'}: {name}: overall {m['test_acc']:.4f} "
            f"(target >= {TARGET_OVERALL}), mean per-language {acc.mean():.4f} "
            f"(target >= {TARGET_MEAN})" + ("" if real else " -- on the generated set")
        )
    lines += [
        "",
        "## Runs",
        "",
        "| setting | overall | mean per-language | best epoch | wall s | train names/s | command |",
        "|---|---:|---:|---:|---:|---:|---|",
        *rows,
        "",
        "## Per language (spiking GRU, the recipe)",
        "",
        "| language | test names | accuracy |",
        "|---|---:|---:|",
    ]
    conf = np.asarray(recipe_m["confusion_matrix"])
    for i, lang in enumerate(recipe_m["class_names"]):
        lines.append(f"| {lang} | {int(conf[i].sum())} | {recipe_acc[i]:.3f} |")
    lines.append("")
    out = RESULTS / f"names_accuracy{'_quick' if args.quick else ''}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
