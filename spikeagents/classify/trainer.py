"""One trainer for every classification task.

Each epoch trains on the whole training set (progress bar, mixed precision on CUDA when
``amp``), resets every neuron after each batch, evaluates on the test set, logs to TensorBoard,
writes ``checkpoint.pt`` (everything needed to resume) and, when the test accuracy improves,
``best_model.pt`` (weights only). At the end the best model is evaluated once more and
``metrics.json`` and ``confusion_matrix.png`` are written. Every file is written atomically.

Run folder (``runs/classify/<task>_<n>/``)::

    config.yaml  command.txt  checkpoint.pt  best_model.pt  metrics.json  confusion_matrix.png
    tb/          TensorBoard events (train/test loss and accuracy, lr, images per second)

The loss is the docs' MSE between the output firing rate ``[B, C]`` and the one-hot label
(``loss: ce`` uses cross-entropy on the rates instead); the prediction is the arg-max rate.
Checkpoints hold tensors and plain data only and are read with ``weights_only=True``.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from spikeagents.classify.config import ClassifyConfig
from spikeagents.classify.data import DataSplits
from spikeagents.classify.task import Task
from spikeagents.classify.tasks import get_task
from spikeagents.rundir import atomic_path, atomic_save, atomic_write_text
from spikeagents.snn import functional
from spikeagents.viz import plot_confusion_matrix

__all__ = ["resolve_device", "torch_threads", "Trainer", "run_training", "evaluate_run"]

CHECKPOINT = "checkpoint.pt"
BEST_MODEL = "best_model.pt"


def resolve_device(name: str) -> torch.device:
    """``"auto"`` (CUDA if available, else CPU) or a torch device string that can run here."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ValueError(f"invalid device {name!r}; use cpu, cuda, cuda:0 or auto") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} asked for, but CUDA is not available here; use cpu")
    return device


def _atomic_torch_save(obj: Any, path: Path) -> None:
    atomic_save(path, lambda tmp: torch.save(obj, tmp))


def _load(path: Path, device: torch.device) -> dict[str, Any]:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file")
    return torch.load(path, map_location=device, weights_only=True)


class Trainer:
    """Trains ``task``'s model on ``splits`` as ``cfg`` says, writing into ``run_dir``.

    :param progress: show tqdm progress bars (off in tests).
    """

    def __init__(
        self,
        cfg: ClassifyConfig,
        splits: DataSplits,
        run_dir: Path,
        device: torch.device,
        progress: bool = True,
    ) -> None:
        self.cfg, self.splits, self.run_dir, self.device = cfg, splits, Path(run_dir), device
        self.task: Task = get_task(cfg.task)
        self.progress = progress
        torch.manual_seed(cfg.seed)
        np.random.seed(cfg.seed % 2**32)
        self.model: nn.Module = self.task.build_model(cfg).to(device)
        self.n_classes = len(splits.class_names)
        self.optimizer = self._make_optimizer()
        self.scheduler = self._make_scheduler()
        self.amp = cfg.amp and device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.amp)
        self.epoch = 0  # epochs completed
        self.best_acc, self.best_epoch = -1.0, 0
        self.history: list[dict[str, float]] = []

    # -- set-up --------------------------------------------------------------------------------
    def _make_optimizer(self) -> torch.optim.Optimizer:
        o = self.cfg.optimizer
        params = self.model.parameters()
        if o.name == "sgd":
            return torch.optim.SGD(
                params, lr=o.lr, momentum=o.momentum, weight_decay=o.weight_decay
            )
        return torch.optim.Adam(params, lr=o.lr, weight_decay=o.weight_decay)

    def _make_scheduler(self) -> torch.optim.lr_scheduler.LRScheduler | None:
        s = self.cfg.scheduler
        if s.name == "cosine":
            return torch.optim.lr_scheduler.CosineAnnealingLR(self.optimizer, T_max=s.T_max)
        if s.name == "step":
            return torch.optim.lr_scheduler.StepLR(self.optimizer, s.step_size, s.gamma)
        return None

    def _autocast(self) -> Any:
        return torch.autocast("cuda", dtype=torch.float16) if self.amp else nullcontext()

    # -- one batch, one pass -------------------------------------------------------------------
    def loss(self, rates: Tensor, y: Tensor) -> Tensor:
        """MSE between rates ``[B, C]`` and one-hot labels, or cross-entropy (``loss: ce``)."""
        rates = rates.float()
        if self.task.loss is not None:
            return self.task.loss(rates, y)
        if self.cfg.loss == "ce":
            return F.cross_entropy(rates, y)
        return F.mse_loss(rates, F.one_hot(y, self.n_classes).float())

    def train_epoch(self) -> dict[str, float]:
        """Train on every batch once; returns loss, accuracy, seconds and images per second."""
        from tqdm.auto import tqdm

        self.model.train()
        loader = self.splits.train
        if hasattr(loader, "set_epoch"):
            loader.set_epoch(self.epoch)
        total_loss, correct, seen = 0.0, 0, 0
        start = time.perf_counter()
        desc = f"epoch {self.epoch + 1}/{self.cfg.epochs}"
        bar = tqdm(loader, desc=desc, disable=not self.progress, leave=False)
        for x, y in bar:
            x, y = x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)
            self.optimizer.zero_grad(set_to_none=True)
            with self._autocast():
                rates = self.model(x)
                loss = self.loss(rates, y)
            self.scaler.scale(loss).backward()
            self.scaler.step(self.optimizer)
            self.scaler.update()
            functional.reset_net(self.model)
            total_loss += float(loss.detach()) * len(y)
            correct += int((rates.argmax(1) == y).sum())
            seen += len(y)
            bar.set_postfix(loss=f"{total_loss / seen:.4f}", acc=f"{correct / seen:.3f}")
        seconds = time.perf_counter() - start
        return {
            "train_loss": total_loss / max(seen, 1),
            "train_acc": correct / max(seen, 1),
            "train_seconds": seconds,
            "images_per_s": seen / seconds if seconds > 0 else math.nan,
        }

    @torch.no_grad()
    def evaluate(self) -> tuple[dict[str, float], np.ndarray]:
        """Test loss and accuracy, and the confusion matrix ``[C, C]`` (rows: true class).

        The random encoders draw from a generator seeded with ``cfg.seed``, so evaluating the
        same weights twice gives the same numbers (the training RNG is left untouched).
        """
        self.model.eval()
        confusion = np.zeros((self.n_classes, self.n_classes), dtype=np.int64)
        total_loss, seen = 0.0, 0
        devices = [self.device] if self.device.type == "cuda" else []
        with torch.random.fork_rng(devices=devices):
            torch.manual_seed(self.cfg.seed)
            for x, y in self.splits.test:
                x, y = x.to(self.device), y.to(self.device)
                with self._autocast():
                    rates = self.model(x)
                total_loss += float(self.loss(rates, y)) * len(y)
                pred = rates.argmax(1)
                np.add.at(confusion, (y.cpu().numpy(), pred.cpu().numpy()), 1)
                seen += len(y)
                functional.reset_net(self.model)
        acc = float(np.trace(confusion)) / max(seen, 1)
        return {"test_loss": total_loss / max(seen, 1), "test_acc": acc}, confusion

    # -- checkpoints ---------------------------------------------------------------------------
    def save_checkpoint(self) -> None:
        state = {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict() if self.scheduler else {},
            "scaler": self.scaler.state_dict(),
            "epoch": self.epoch,
            "best_acc": self.best_acc,
            "best_epoch": self.best_epoch,
            "history": self.history,
            "rng": torch.get_rng_state(),
        }
        _atomic_torch_save(state, self.run_dir / CHECKPOINT)

    def load_checkpoint(self) -> None:
        """Continue from ``checkpoint.pt`` in the run folder."""
        state = _load(self.run_dir / CHECKPOINT, self.device)
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        if self.scheduler and state["scheduler"]:
            self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        self.epoch, self.history = int(state["epoch"]), list(state["history"])
        self.best_acc, self.best_epoch = float(state["best_acc"]), int(state["best_epoch"])
        torch.set_rng_state(state["rng"].cpu())

    def save_best(self) -> None:
        state = {"model": self.model.state_dict(), "epoch": self.epoch, "test_acc": self.best_acc}
        _atomic_torch_save(state, self.run_dir / BEST_MODEL)

    def load_weights(self, path: Path) -> int:
        """Load a ``best_model.pt`` or ``checkpoint.pt``; returns its epoch."""
        state = _load(path, self.device)
        self.model.load_state_dict(state["model"])
        return int(state["epoch"])

    # -- the loop ------------------------------------------------------------------------------
    def fit(self) -> dict[str, Any]:
        """Train the remaining epochs, then evaluate the best model; returns the metrics."""
        from torch.utils.tensorboard import SummaryWriter  # slow to import: only when training

        writer = SummaryWriter(str(self.run_dir / "tb"), purge_step=self.epoch + 1)
        started = time.perf_counter()
        try:
            while self.epoch < self.cfg.epochs:
                stats = self.train_epoch()
                test, _ = self.evaluate()
                lr = self.optimizer.param_groups[0]["lr"]
                if self.scheduler is not None:
                    self.scheduler.step()
                self.epoch += 1
                row = {"epoch": self.epoch, **stats, **test, "lr": lr}
                self.history.append(row)
                for key, value in row.items():
                    if key != "epoch":
                        writer.add_scalar(key.replace("_", "/", 1), value, self.epoch)
                if test["test_acc"] > self.best_acc:
                    self.best_acc, self.best_epoch = test["test_acc"], self.epoch
                    self.save_best()
                self.save_checkpoint()
                if self.progress:
                    from tqdm.auto import tqdm

                    tqdm.write(
                        f"epoch {self.epoch}: train {stats['train_acc']:.4f} "
                        f"test {test['test_acc']:.4f} (best {self.best_acc:.4f}) "
                        f"{stats['images_per_s']:.0f} img/s"
                    )
        finally:
            writer.close()
        if not (self.run_dir / BEST_MODEL).is_file():  # epochs == 0: the initial weights
            self.save_best()
        self.load_weights(self.run_dir / BEST_MODEL)
        test, confusion = self.evaluate()
        metrics = self.metrics(test, confusion, time.perf_counter() - started)
        atomic_write_text(self.run_dir / "metrics.json", json.dumps(metrics, indent=2) + "\n")
        self.plot_confusion(confusion, self.run_dir / "confusion_matrix.png")
        return metrics

    def metrics(self, test: dict[str, float], confusion: np.ndarray, seconds: float) -> dict:
        rates = [h["images_per_s"] for h in self.history]
        return {
            "task": self.cfg.task,
            "data": self.cfg.data,
            "run_dir": str(self.run_dir),
            "device": str(self.device),
            "amp": self.amp,
            "epochs": self.epoch,
            "best_epoch": self.best_epoch,
            "test_acc": test["test_acc"],
            "test_loss": test["test_loss"],
            "n_train": self.splits.n_train,
            "n_test": self.splits.n_test,
            "train_images_per_s": float(np.mean(rates)) if rates else None,
            "seconds": seconds,
            "class_names": list(self.splits.class_names),
            "confusion_matrix": confusion.tolist(),
            "history": self.history,
        }

    def plot_confusion(self, confusion: np.ndarray, path: Path) -> None:
        acc = np.trace(confusion) / max(int(confusion.sum()), 1)
        title = f"{self.cfg.task} on {self.cfg.data}: accuracy {acc:.4f}"
        with atomic_path(path) as tmp:
            plot_confusion_matrix(confusion, self.splits.class_names, title=title, save_to=tmp)


def run_training(
    cfg: ClassifyConfig,
    run_dir: Path,
    data_dir: Path | None = None,
    progress: bool = True,
    resume: bool = False,
) -> dict[str, Any]:
    """Train ``cfg`` in ``run_dir`` (continuing its checkpoint when ``resume``)."""
    device = resolve_device(cfg.device)
    splits = get_task(cfg.task).make_data(cfg, data_dir, progress)
    with torch_threads(cfg.threads):
        trainer = Trainer(cfg, splits, run_dir, device, progress)
        if resume:
            trainer.load_checkpoint()
        return trainer.fit()


@contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """Run with ``n`` torch CPU threads (0: leave the setting alone), restored afterwards."""
    before = torch.get_num_threads()
    if n > 0:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def evaluate_run(
    run_dir: Path,
    data_dir: Path | None = None,
    device: str | None = None,
    progress: bool = True,
) -> dict[str, Any]:
    """Evaluate a run's best model (or its checkpoint) on the test set; writes
    ``eval_metrics.json`` and ``confusion_matrix_eval.png`` in the run folder."""
    run_dir = Path(run_dir)
    cfg = ClassifyConfig.load(run_dir / "config.yaml")
    dev = resolve_device(device or cfg.device)
    splits = get_task(cfg.task).make_data(cfg, data_dir, progress)
    trainer = Trainer(cfg, splits, run_dir, dev, progress)
    weights = run_dir / BEST_MODEL
    if not weights.is_file():
        weights = run_dir / CHECKPOINT
    if not weights.is_file():
        raise FileNotFoundError(f"{run_dir}: holds no {BEST_MODEL} or {CHECKPOINT}")
    epoch = trainer.load_weights(weights)
    with torch_threads(cfg.threads):
        test, confusion = trainer.evaluate()
    out = {
        "task": cfg.task,
        "data": cfg.data,
        "run_dir": str(run_dir),
        "weights": weights.name,
        "epoch": epoch,
        **test,
        "n_test": splits.n_test,
        "class_names": list(splits.class_names),
        "confusion_matrix": confusion.tolist(),
    }
    atomic_write_text(run_dir / "eval_metrics.json", json.dumps(out, indent=2) + "\n")
    trainer.plot_confusion(confusion, run_dir / "confusion_matrix_eval.png")
    return out
