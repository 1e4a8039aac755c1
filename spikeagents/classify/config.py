"""Classification recipes: ``configs/classify/<task>.yaml`` -> a frozen :class:`ClassifyConfig`.

A recipe is one YAML mapping (keys below); ``--set key=value`` overrides are deep-merged over it
(``--set data=digits``, ``--set model.tau=2.0``, ``--set optimizer.lr=0.01``), then the explicit
arguments (``epochs``, ``device``). Unknown keys, bad types and unknown names are
:class:`~spikeagents.schema.ConfigError` naming the file, the key and the valid choices. The
resolved config is saved as ``config.yaml`` in the run folder and reads back equal.

Example::

    cfg = load_classify_config("mnist-fc", overrides=["data=digits", "epochs=5"])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

from spikeagents.classify.tasks import TASKS
from spikeagents.datasets.events import SPLIT_BY
from spikeagents.paths import config_root
from spikeagents.schema import (
    ConfigError,
    build,
    check_at_least,
    check_choice,
    check_keys,
    deep_merge,
    located,
    parse_override,
    read_yaml,
    to_plain,
)
from spikeagents.snn.kernels import BACKEND_CHOICES

__all__ = [
    "OptimizerConfig",
    "SchedulerConfig",
    "FrameConfig",
    "ClassifyConfig",
    "classify_config_path",
    "load_classify_config",
]

OPTIMIZERS = ("adam", "sgd")
SCHEDULERS = ("none", "cosine", "step")
LOSSES = ("mse", "ce")


@dataclass(frozen=True)
class OptimizerConfig:
    """:param name: ``adam`` or ``sgd``. :param lr: learning rate.
    :param momentum: SGD momentum. :param weight_decay: L2 penalty."""

    name: str = "adam"
    lr: float = 1e-3
    momentum: float = 0.9
    weight_decay: float = 0.0

    def __post_init__(self) -> None:
        check_choice(self.name, OPTIMIZERS, "name", "optimizer")
        if self.lr <= 0:
            raise ConfigError(f"lr must be > 0, got {self.lr}", key="lr")


@dataclass(frozen=True)
class SchedulerConfig:
    """Learning-rate schedule, stepped once per epoch.

    :param name: ``none``, ``cosine`` (``CosineAnnealingLR(T_max)``) or ``step``
        (``StepLR(step_size, gamma)``).
    """

    name: str = "none"
    T_max: int = 64
    step_size: int = 32
    gamma: float = 0.1

    def __post_init__(self) -> None:
        check_choice(self.name, SCHEDULERS, "name", "scheduler")
        for key in ("T_max", "step_size"):
            if getattr(self, key) < 1:
                raise ConfigError(f"{key} must be >= 1", key=key)


@dataclass(frozen=True)
class FrameConfig:
    """How event streams become frames (event-camera tasks only).

    :param split_by: ``number`` (equal event counts) or ``time`` (equal time spans).
    :param frame_size: frame side in pixels; the 128-pixel sensor is downscaled by summing
        blocks when smaller (must divide 128).
    """

    split_by: str = "number"
    frame_size: int = 128

    def __post_init__(self) -> None:
        check_choice(self.split_by, SPLIT_BY, "split_by", "split_by")
        if self.frame_size < 1 or 128 % self.frame_size:
            raise ConfigError(
                f"frame_size must divide 128, got {self.frame_size}", key="frame_size"
            )


@dataclass(frozen=True)
class ClassifyConfig:
    """A resolved classification run.

    :param task: registered task (``mnist-fc``, ``mnist-single``, ``fashion-conv``,
        ``dvs-gesture``). :param data: the task's data source (e.g. ``mnist`` or ``digits``).
    :param T: simulation steps (or frames). :param epochs: passes over the training set.
    :param loss: ``mse`` (firing rate vs one-hot, the docs' choice) or ``ce`` (cross-entropy
        on the firing rates). :param amp: mixed precision where the device allows (CUDA).
    :param backend: neuron kernel (``auto``, ``torch``, ``cpu``, ``cupy``).
    :param num_workers: DataLoader worker processes (event datasets).
    :param threads: CPU threads for torch during the run (0: torch's default). One thread is
        often faster on a machine shared with other work.
    :param model: the task's model parameters (a frozen dataclass of the task).
    :param source: where it was read from (not compared, not saved).
    """

    task: str
    data: str
    T: int
    epochs: int
    batch_size: int
    model: Any
    optimizer: OptimizerConfig = field(default_factory=OptimizerConfig)
    scheduler: SchedulerConfig = field(default_factory=SchedulerConfig)
    frames: FrameConfig = field(default_factory=FrameConfig)
    loss: str = "mse"
    amp: bool = True
    backend: str = "auto"
    device: str = "cpu"
    seed: int = 0
    num_workers: int = 0
    threads: int = 0
    source: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        check_choice(self.loss, LOSSES, "loss", "loss")
        check_choice(self.backend, BACKEND_CHOICES, "backend", "backend")
        check_at_least(self, T=1, epochs=0, batch_size=1, num_workers=0, threads=0)

    def to_dict(self) -> dict[str, Any]:
        """Plain YAML-able data; :meth:`from_dict` reads it back to an equal config."""
        out: dict[str, Any] = {}
        for f in fields(self):
            if f.name == "source" or (f.name == "frames" and not TASKS[self.task].uses_frames):
                continue
            out[f.name] = to_plain(getattr(self, f.name))
        return out

    @classmethod
    def from_dict(cls, raw: Any, source: str = "") -> ClassifyConfig:
        """Build and check a config from a YAML mapping (a recipe or a saved ``config.yaml``)."""
        raw = dict(check_keys(raw, _KEYS, source, "", "ClassifyConfig"))
        if "task" not in raw:
            raise ConfigError("missing required key 'task'", source, "task")
        task_name = raw["task"]
        located(lambda: check_choice(task_name, sorted(TASKS), "task", "task"), source, "")
        task = TASKS[task_name]
        data = raw.get("data")
        if data is not None:
            data = task.data_aliases.get(data, data)
            raw["data"] = data
            located(
                lambda: check_choice(data, task.data_choices, "data", "data source"), source, ""
            )
        if "frames" in raw and not task.uses_frames:
            raise ConfigError(f"task {task_name!r} takes no frame options", source, "frames")
        raw["model"] = build(task.params, raw.get("model") or {}, source, "model")
        return build(cls, raw, source, "")

    def save(self, path: str | Path) -> None:
        """Write the resolved config as YAML."""
        text = yaml.safe_dump(self.to_dict(), sort_keys=False)
        Path(path).write_text(text, encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> ClassifyConfig:
        """Read a ``config.yaml`` written by :meth:`save`."""
        return cls.from_dict(read_yaml(path), source=str(path))


_KEYS = tuple(f.name for f in fields(ClassifyConfig) if f.name != "source")


def classify_config_path(task: str) -> Path:
    """The shipped recipe ``configs/classify/<task>.yaml``."""
    return config_root() / "configs" / "classify" / f"{task}.yaml"


def _model_fields(task: Any) -> set[str]:
    """Field names of the task's model parameters (empty if they are not a dataclass)."""
    import dataclasses

    cls = task.params
    if dataclasses.is_dataclass(cls):
        return {f.name for f in dataclasses.fields(cls)}
    return set()


def load_classify_config(
    task: str,
    config_file: str | Path | None = None,
    overrides: Sequence[str] = (),
    epochs: int | None = None,
    device: str | None = None,
) -> ClassifyConfig:
    """Resolve the recipe of ``task``: the YAML file, then ``overrides``, then the arguments.

    :param config_file: default ``configs/classify/<task>.yaml``.
    :param overrides: ``"key=value"`` strings, values read as YAML (``"model.tau=2.0"``).
    """
    located(lambda: check_choice(task, sorted(TASKS), "task", "task"), "", "")
    path = Path(config_file) if config_file else classify_config_path(task)
    raw = read_yaml(path)
    if not isinstance(raw, Mapping):
        raise ConfigError("expected a mapping of ClassifyConfig keys", str(path))
    merged = dict(raw)
    if merged.get("task", task) != task:
        raise ConfigError(f"this file is for task {merged['task']!r}, not {task!r}", str(path))
    merged["task"] = task
    sources = [str(path)]
    model_keys = _model_fields(TASKS[task])
    for text in overrides:
        # a task's class list is a model field; `--set classes=[...]` is accepted as a shorthand
        if text.startswith("classes=") and "classes" in model_keys:
            text = "model." + text
        merged = deep_merge(merged, parse_override(text))
        sources.append(f"--set {text}")
    explicit = {"epochs": epochs, "device": device}
    merged.update({k: v for k, v in explicit.items() if v is not None})
    return ClassifyConfig.from_dict(merged, " + ".join(sources))
