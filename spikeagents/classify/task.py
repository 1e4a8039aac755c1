"""What a classification task is: a :class:`Task` record, and the checks its parameters share.

A :class:`Task` is data, not a subclass: the trainer calls ``task.make_data(cfg, data_dir,
progress)`` and ``task.build_model(cfg)``; every model maps a batch to firing rates or logits
``[B, num_classes]``. ``cfg`` is the resolved :class:`~spikeagents.classify.config.ClassifyConfig`
(described here by the :class:`RunConfig` protocol, so that task modules need not import the
config module that imports them). Each task lives in its own module of
:mod:`spikeagents.classify.tasks`, which registers it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from torch import nn

from spikeagents.schema import ConfigError, check_at_least, check_choice
from spikeagents.snn.dynamics import FAMILIES
from spikeagents.snn.neuron import BaseNode, get_neuron
from spikeagents.snn.surrogate import SURROGATES

__all__ = [
    "RunConfig",
    "Task",
    "check_neuron",
    "check_positive",
    "check_fraction",
    "multistep_neuron",
]


class RunConfig(Protocol):
    """The fields of a resolved classification config that tasks read."""

    task: str
    data: str
    T: int
    batch_size: int
    seed: int
    backend: str
    num_workers: int
    model: Any
    frames: Any


@dataclass(frozen=True)
class Task:
    """One classification task.

    :param name: its registered name (``spikeagents classify NAME``).
    :param summary: one line for ``--help``, with the docs' or paper's accuracy.
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
    make_data: Callable[[RunConfig, Path | None, bool], Any]
    build_model: Callable[[RunConfig], nn.Module]
    uses_frames: bool = False
    data_aliases: Mapping[str, str] = field(default_factory=lambda: {"sklearn-digits": "digits"})
    loss: Callable[[Any, Any], Any] | None = None


def check_neuron(neuron: str, surrogate: str) -> None:
    """The neuron family and surrogate of a task's parameters are registered names."""
    check_choice(neuron, FAMILIES, "neuron", "neuron")
    check_choice(surrogate, sorted(SURROGATES), "surrogate", "surrogate")


def check_positive(obj: Any, *keys: str) -> None:
    """Each of ``obj``'s fields ``keys`` is >= 1."""
    check_at_least(obj, **dict.fromkeys(keys, 1))


def check_fraction(obj: Any, key: str) -> None:
    """``obj.key`` (a dropout probability) lies in [0, 1)."""
    value = getattr(obj, key)
    if not 0.0 <= value < 1.0:
        raise ConfigError(f"{key} must be in [0, 1), got {value}", key=key)


def multistep_neuron(params: Any, backend: str) -> BaseNode:
    """A multi-step (``[T, B, ...]``) neuron from a task's model parameters, through the one
    factory :func:`spikeagents.snn.neuron.get_neuron`: their ``neuron``, ``tau`` and
    ``surrogate``, and ``detach_reset``, ``v_threshold``, ``v_reset`` where they have them."""
    optional = ("detach_reset", "v_threshold", "v_reset")
    extra = {key: getattr(params, key) for key in optional if hasattr(params, key)}
    return get_neuron(
        params.neuron,
        tau=params.tau,
        surrogate=params.surrogate,
        step_mode="m",
        backend=backend,
        **extra,
    )
