"""Convert a trained classification run into an SNN and record how it does, step by step.

``convert_run`` is what ``spikeagents convert CHECKPOINT`` runs: it rebuilds the run's ANN from
its ``config.yaml`` (or a task's recipe), loads the checkpoint, calibrates on training images,
converts, simulates the test set for T steps and writes a result folder
(``runs/convert/<task>_<n>/``)::

    summary.json              ANN and SNN accuracy, fewest steps within 1 point, firing rates
    accuracy_per_step.csv     step, snn_acc, ann_acc            (one row per step 1..T)
    accuracy_per_step.png     the curve against the ANN's accuracy
    firing_rates.json         IF layer -> spikes per neuron per step
    snn.safetensors           the converted network's state (weights, thresholds)
    conversion.json           everything needed to rebuild it (load_converted)
    command.txt

Example::

    summary = convert_run("runs/classify/mnist-ann_1", T=64)
    snn = load_converted(summary["out_dir"])
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file
from torch import Tensor

from spikeagents.classify.config import ClassifyConfig, load_classify_config
from spikeagents.classify.tasks import get_task
from spikeagents.classify.trainer import resolve_device, torch_threads
from spikeagents.convert.model import SpikingModel, ann_accuracy, convert
from spikeagents.rundir import atomic_path, atomic_save, atomic_write_text, next_run_dir
from spikeagents.viz import plot_learning_curve

__all__ = ["convert_run", "load_converted", "calibration_images"]

WEIGHT_FILES = ("best_model.pt", "checkpoint.pt")


def _resolve(checkpoint: str | Path) -> tuple[Path, Path | None]:
    """``(weights file, run folder or None)`` of a run folder or a checkpoint file."""
    path = Path(checkpoint)
    if path.is_dir():
        for name in WEIGHT_FILES:
            if (path / name).is_file():
                return path / name, path
        raise FileNotFoundError(f"{path}: holds no {' or '.join(WEIGHT_FILES)}")
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such checkpoint or run folder")
    return path, (path.parent if (path.parent / "config.yaml").is_file() else None)


def calibration_images(batches: Any, n: int) -> Tensor:
    """The first ``n`` images of ``(x, y)`` batches, as one tensor ``[n, ...]``."""
    taken: list[Tensor] = []
    count = 0
    for x, _ in batches:
        taken.append(x[: n - count])
        count += len(taken[-1])
        if count >= n:
            break
    if not taken:
        raise ValueError("no calibration images: the training data are empty")
    return torch.cat(taken)


def _plot(steps: Any, acc: Any, ann_acc: float, title: str, path: Path) -> None:
    fig = plot_learning_curve(steps, acc, title=title, xlabel="time steps T", ylabel="accuracy")
    ax = fig.axes[0]
    ax.axhline(ann_acc, color="tab:red", linestyle="--", label=f"ANN {ann_acc:.4f}")
    ax.axhspan(ann_acc - 0.01, ann_acc, color="tab:red", alpha=0.1, label="within 1 point")
    ax.set_xscale("log", base=2)
    ax.set_ylim(max(0.0, min(float(min(acc)), ann_acc) - 0.05), 1.0)
    ax.lines[0].set_label("SNN")
    ax.legend(loc="lower right")
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=fig.dpi, format="png")


def convert_run(
    checkpoint: str | Path,
    task: str | None = None,
    T: int | None = None,
    norm: str = "robust",
    percentile: float = 99.9,
    encoder: str = "constant",
    maxpool: str = "gated",
    readout: str = "membrane",
    v_init: float = 0.5,
    calibration: int = 256,
    overrides: Sequence[str] = (),
    data_dir: str | Path | None = None,
    device: str | None = None,
    chunk: int = 16,
    out_dir: str | Path | None = None,
    runs_root: str | Path = "runs",
    progress: bool = True,
    command: str | None = None,
) -> dict[str, Any]:
    """Convert a classification run's ANN and evaluate the SNN after every step up to ``T``.

    :param checkpoint: a run folder (``best_model.pt`` or ``checkpoint.pt`` inside) or one of
        those files. :param task: the task whose recipe builds the ANN when the checkpoint has
        no ``config.yaml`` beside it (must match the run's otherwise).
    :param T: steps (default: the recipe's ``T``). :param calibration: training images for the
        activation statistics. :param overrides: ``key=value`` recipe overrides
        (``data=digits``). Other parameters: see :func:`~spikeagents.convert.model.convert`.
    :return: the summary (also written to ``summary.json``), with ``out_dir``.
    """
    weights, run_dir = _resolve(checkpoint)
    if run_dir is not None:
        run_task = ClassifyConfig.load(run_dir / "config.yaml").task
        if task is not None and task != run_task:
            raise ValueError(f"{run_dir} is a {run_task!r} run, not {task!r}")
        cfg = load_classify_config(run_task, run_dir / "config.yaml", overrides, device=device)
    elif task is None:
        raise ValueError(f"{weights}: no config.yaml beside it; say which --task built it")
    else:
        cfg = load_classify_config(task, None, overrides, device=device)
    steps = cfg.T if T is None else int(T)
    dev = resolve_device(cfg.device)
    spec = get_task(cfg.task)
    model = spec.build_model(cfg).to(dev)
    state = torch.load(weights, map_location=dev, weights_only=True)
    model.load_state_dict(state["model"] if "model" in state else state)
    started = time.perf_counter()
    with torch_threads(cfg.threads):
        splits = spec.make_data(cfg, Path(data_dir) if data_dir else None, progress)
        calib = calibration_images(splits.train, calibration).to(dev)
        ann_acc = ann_accuracy(model, splits.test)
        options = dict(
            norm=norm,
            percentile=percentile,
            encoder=encoder,
            maxpool=maxpool,
            readout=readout,
            v_init=v_init,
        )
        snn = convert(model, calib, steps, backend=cfg.backend, **options)
        report = snn.evaluate(splits.test, steps, chunk, cfg.seed, progress)
    seconds = time.perf_counter() - started
    out = Path(out_dir) if out_dir else next_run_dir(runs_root, "convert", cfg.task)
    out.mkdir(parents=True, exist_ok=True)
    acc = report.accuracy
    checkpoints = sorted({2**k for k in range(steps.bit_length()) if 2**k <= steps} | {steps})
    summary: dict[str, Any] = {
        "task": cfg.task,
        "data": cfg.data,
        "checkpoint": str(weights),
        "out_dir": str(out),
        "T": steps,
        **options,
        "calibration": len(calib),
        "n_test": report.n_samples,
        "ann_acc": ann_acc,
        "snn_acc": float(acc[-1]),
        "snn_acc_best": float(acc.max()),
        "steps_within_1_point": report.min_steps(ann_acc - 0.01),
        "acc_at_steps": {str(t): float(acc[t - 1]) for t in checkpoints},
        "firing_rates": report.firing_rates,
        "seconds": seconds,
    }
    rows = ["step,snn_acc,ann_acc"] + [
        f"{t},{a:.6f},{ann_acc:.6f}" for t, a in zip(report.steps, acc, strict=True)
    ]
    atomic_write_text(out / "accuracy_per_step.csv", "\n".join(rows) + "\n")
    title = f"{cfg.task} on {cfg.data}: ANN {ann_acc:.4f}, SNN {acc[-1]:.4f} at T={steps}"
    _plot(report.steps, acc, ann_acc, title, out / "accuracy_per_step.png")
    atomic_write_text(out / "firing_rates.json", json.dumps(report.firing_rates, indent=2) + "\n")
    tensors = {k: v.detach().cpu().contiguous() for k, v in snn.state_dict().items()}
    atomic_save(out / "snn.safetensors", lambda p: save_file(tensors, str(p)))
    recipe = {"T": steps, **options, "scales": snn.scales, "config": cfg.to_dict()}
    atomic_write_text(out / "conversion.json", json.dumps(recipe, indent=2) + "\n")
    atomic_write_text(out / "summary.json", json.dumps(summary, indent=2) + "\n")
    if command:
        atomic_write_text(out / "command.txt", command + "\n")
    return summary


def load_converted(folder: str | Path, device: str = "cpu") -> SpikingModel:
    """Rebuild a converted network from a ``convert_run`` folder (no data needed)."""
    folder = Path(folder)
    path = folder / "conversion.json"
    if not path.is_file():
        raise FileNotFoundError(f"{folder}: not a conversion folder (no conversion.json)")
    recipe = json.loads(path.read_text())
    cfg = ClassifyConfig.from_dict(recipe["config"], str(path))
    model = get_task(cfg.task).build_model(cfg)
    options = {k: recipe[k] for k in ("norm", "encoder", "maxpool", "readout", "v_init")}
    snn = convert(model, None, recipe["T"], scales=recipe["scales"], **options)
    snn.load_state_dict(load_file(str(folder / "snn.safetensors")))
    return snn.to(device)
