"""The task registry: name -> data pipeline, model parameters and model builder.

A :class:`Task` is data, not a subclass: the trainer calls ``task.make_data(cfg, data_dir,
progress)`` and ``task.build_model(cfg)``; every model maps a batch to firing rates
``[B, num_classes]``. Tasks (each in its own module):

- ``mnist-fc``: the docs' two-layer LIF network on Poisson-encoded MNIST (784-196-10).
- ``mnist-single``: the single-layer version (784-10).
- ``fashion-conv``: the docs' convolutional SNN on Fashion-MNIST, layer by layer.
- ``dvs-gesture``: the PLIF network with a voting layer on DVS128 Gesture frames.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from torch import nn

from spikeagents.config import ConfigError, _choice
from spikeagents.snn.neuron import BaseNode, get_neuron

if TYPE_CHECKING:
    from spikeagents.classify.config import ClassifyConfig
    from spikeagents.classify.data import DataSplits

__all__ = ["Task", "TASKS", "get_task", "NEURON_CHOICES", "spiking_neuron", "check_neuron"]

NEURON_CHOICES = ("if", "lif", "plif")


@dataclass(frozen=True)
class Task:
    """One classification task.

    :param params: frozen dataclass of the model's parameters (the recipe's ``model:`` keys).
    :param data_choices: data sources the task accepts (``data:`` in the recipe).
    :param make_data: ``(cfg, data_dir, progress) -> DataSplits``.
    :param build_model: ``cfg -> nn.Module`` mapping a batch to firing rates ``[B, C]``.
    :param uses_frames: whether the recipe's ``frames:`` section applies.
    :param loss: ``(output [B, C], labels [B]) -> loss``: the task's own loss, used instead of
        the recipe's ``loss:`` (e.g. the Tempotron's); ``None``: the recipe's.
    """

    name: str
    summary: str
    params: type
    data_choices: tuple[str, ...]
    make_data: Callable[[ClassifyConfig, Path | None, bool], DataSplits]
    build_model: Callable[[ClassifyConfig], nn.Module]
    uses_frames: bool = False
    data_aliases: Mapping[str, str] = field(default_factory=lambda: {"sklearn-digits": "digits"})
    loss: Callable[[Any, Any], Any] | None = None


def check_neuron(neuron: str, surrogate: str) -> None:
    """Config check shared by the model parameter dataclasses."""
    from spikeagents.snn.surrogate import SURROGATES

    _choice(neuron, NEURON_CHOICES, "neuron", "neuron")
    _choice(surrogate, sorted(SURROGATES), "surrogate", "surrogate")


def check_positive(obj: Any, *keys: str) -> None:
    for key in keys:
        if getattr(obj, key) < 1:
            raise ConfigError(f"{key} must be >= 1, got {getattr(obj, key)}", key=key)


def spiking_neuron(
    neuron: str,
    tau: float,
    surrogate: str,
    backend: str,
    detach_reset: bool = False,
    v_threshold: float = 1.0,
    v_reset: float | None = 0.0,
) -> BaseNode:
    """A multi-step (``[T, B, ...]``) spiking neuron by name; ``tau`` is ignored for IF."""
    kwargs: dict[str, Any] = dict(
        v_threshold=v_threshold,
        v_reset=v_reset,
        surrogate=surrogate,
        detach_reset=detach_reset,
        step_mode="m",
        backend=backend,
    )
    if neuron != "if":
        kwargs["tau"] = tau
    return get_neuron(neuron, **kwargs)


def _registry() -> dict[str, Task]:
    from spikeagents.classify import dvs_gesture, fashion_conv, mnist_fc, mnist_single
    from spikeagents.classify.tasks_extra import ann, tempotron

    tasks = (mnist_fc.TASK, mnist_single.TASK, fashion_conv.TASK, dvs_gesture.TASK)
    tasks += (ann.TASK_ANN, ann.TASK_CNN, tempotron.TASK)
    from spikeagents.classify import names, speech_commands

    tasks += (names.TASK, speech_commands.TASK)
    return {t.name: t for t in tasks}


TASKS: dict[str, Task] = _registry()


def get_task(name: str) -> Task:
    """The registered task ``name`` (``ValueError`` listing the valid ones otherwise)."""
    _choice(name, sorted(TASKS), "task", "task")
    return TASKS[name]
