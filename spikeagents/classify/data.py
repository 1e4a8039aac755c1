"""Data shared by the tasks: the splits every task returns, in-memory batching, the image data
(MNIST, Fashion-MNIST, scikit-learn digits) and DataLoader splits of on-disk datasets.

Every task's data function returns a :class:`DataSplits`: re-iterable train and test batch
sources yielding ``(x, y)`` with ``len()`` in batches, the class names and the split sizes.
Images are ``float32 [B, 1, 28, 28]`` in [0, 1]; labels ``int64 [B]``.

Example::

    splits = image_data("digits", batch_size=64, seed=0)
    for x, y in splits.train: ...
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.utils.data import DataLoader, Dataset

from spikeagents.classify.task import RunConfig, Task
from spikeagents.datasets.mnist import (
    DIGITS_CLASSES,
    FASHION_CLASSES,
    MNIST_CLASSES,
    load_digits_28,
    load_mnist,
)
from spikeagents.paths import default_data_dir

__all__ = [
    "DataSplits",
    "EpochBatches",
    "TensorBatches",
    "IMAGE_SOURCES",
    "image_data",
    "image_task_data",
    "image_task",
    "dataset_root",
    "loader_splits",
]

#: image data sources: name -> class names
IMAGE_SOURCES = {"mnist": MNIST_CLASSES, "fashion": FASHION_CLASSES, "digits": DIGITS_CLASSES}


@dataclass
class DataSplits:
    """Train and test batch sources (re-iterable, ``len()`` in batches) and their metadata."""

    train: Iterable[tuple[Tensor, Tensor]]
    test: Iterable[tuple[Tensor, Tensor]]
    class_names: tuple[str, ...]
    n_train: int
    n_test: int


class EpochBatches:
    """A re-iterable source of ``n`` samples in batches of ``batch_size`` whose order may change
    with the epoch given to :meth:`set_epoch` (so a resumed run sees the same order)."""

    def __init__(self, n: int, batch_size: int, shuffle: bool = False, seed: int = 0) -> None:
        self.n, self.batch_size, self.shuffle, self.seed = n, batch_size, shuffle, seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return math.ceil(self.n / self.batch_size)


class TensorBatches(EpochBatches):
    """Batches of in-memory tensors: ``x [N, ...]`` (uint8 scaled to [0, 1] per batch, or
    float) and ``y [N]``; reshuffled every pass when ``shuffle`` (seeded by ``seed`` and the
    epoch)."""

    def __init__(
        self, x: Tensor, y: Tensor, batch_size: int, shuffle: bool = False, seed: int = 0
    ) -> None:
        if len(x) != len(y):
            raise ValueError(f"x and y differ in length: {len(x)} vs {len(y)}")
        super().__init__(len(x), batch_size, shuffle, seed)
        self.x, self.y = x, y

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        n = len(self.x)
        if self.shuffle:
            gen = torch.Generator().manual_seed(self.seed * 100_003 + self.epoch)
            order = torch.randperm(n, generator=gen)
        else:
            order = torch.arange(n)
        for start in range(0, n, self.batch_size):
            idx = order[start : start + self.batch_size]
            x = self.x[idx]
            yield (x.float().div_(255.0) if x.dtype == torch.uint8 else x), self.y[idx]


def image_data(
    source: str,
    batch_size: int,
    seed: int = 0,
    data_dir: str | Path | None = None,
    progress: bool = False,
) -> DataSplits:
    """Train/test batches of ``mnist``, ``fashion`` (Fashion-MNIST) or ``digits``
    (scikit-learn's digits upsampled to 28x28, stratified 80/20 split).

    :raises DatasetUnavailableError: the files are missing and cannot be downloaded.
    """
    if source not in IMAGE_SOURCES:
        raise ValueError(f"unknown image data {source!r}; valid: {', '.join(IMAGE_SOURCES)}")
    if source == "digits":
        x_train, y_train, x_test, y_test = load_digits_28()
    else:
        root = Path(data_dir) if data_dir is not None else default_data_dir()
        x_train, y_train = load_mnist(root, True, source, progress=progress)
        x_test, y_test = load_mnist(root, False, source, progress=progress)
        x_train, x_test = x_train[:, None], x_test[:, None]

    def tensor(a: np.ndarray) -> Tensor:
        return torch.from_numpy(np.ascontiguousarray(a))

    return DataSplits(
        train=TensorBatches(tensor(x_train), tensor(y_train), batch_size, True, seed),
        test=TensorBatches(tensor(x_test), tensor(y_test), batch_size),
        class_names=IMAGE_SOURCES[source],
        n_train=len(y_train),
        n_test=len(y_test),
    )


def image_task_data(cfg: RunConfig, data_dir: Path | None, progress: bool) -> DataSplits:
    """The image data of ``cfg.data`` (``mnist``, ``fashion`` or ``digits``): the ``make_data`` of
    every image task."""
    return image_data(cfg.data, cfg.batch_size, cfg.seed, data_dir, progress)


def image_task(
    name: str,
    summary: str,
    params: type,
    build_model: Callable[[RunConfig], nn.Module],
    first: str = "mnist",
    loss: Callable[[Any, Any], Any] | None = None,
) -> Task:
    """A :class:`Task` on the image data (``mnist``, ``fashion``, ``digits``; ``first`` listed
    first): the arguments are :class:`Task`'s."""
    choices = (first, *(source for source in IMAGE_SOURCES if source != first))
    return Task(name, summary, params, choices, image_task_data, build_model, loss=loss)


def dataset_root(data_dir: str | Path | None, name: str) -> Path:
    """``data_dir`` if given, else ``./data/<name>``: where a dataset is looked for."""
    return Path(data_dir) if data_dir is not None else default_data_dir() / name


def loader_splits(
    cfg: RunConfig, train: Dataset, test: Dataset, class_names: Sequence[Any]
) -> DataSplits:
    """:class:`DataSplits` of two map-style datasets through ``DataLoader``: the training set
    shuffled by a generator seeded with ``cfg.seed``, ``cfg.num_workers`` workers (never more
    than the machine's CPUs)."""
    gen = torch.Generator().manual_seed(cfg.seed)
    workers = min(cfg.num_workers, os.cpu_count() or 1)
    loader: dict[str, Any] = dict(batch_size=cfg.batch_size, num_workers=workers)
    return DataSplits(
        train=DataLoader(train, shuffle=True, generator=gen, **loader),
        test=DataLoader(test, shuffle=False, **loader),
        class_names=tuple(class_names),
        n_train=len(train),  # type: ignore[arg-type]
        n_test=len(test),  # type: ignore[arg-type]
    )
