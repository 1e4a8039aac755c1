"""The classification tasks, one module each, and their registry (name -> :class:`Task`).

- ``mnist-fc``: the docs' two-layer LIF network on Poisson-encoded MNIST (784-196-10).
- ``mnist-single``: the single-layer version (784-10).
- ``fashion-conv``: the docs' convolutional SNN on Fashion-MNIST, layer by layer.
- ``dvs-gesture``: the PLIF network with a voting layer on DVS128 Gesture frames.
- ``names``: a spiking GRU/LSTM on surnames (18 languages).
- ``speech-commands``: a spiking network over log-mel frames (Google Speech Commands).
- ``mnist-ann``, ``mnist-cnn``: ReLU CNNs trained as ANNs, for ``spikeagents convert``.
- ``mnist-tempotron``: one layer of Tempotrons on Gaussian-tuning spike times.

A new task is a module here that defines ``TASK = Task(...)`` and one line in :data:`TASKS`.
"""

from __future__ import annotations

from spikeagents.classify.task import Task
from spikeagents.classify.tasks import (
    ann,
    dvs_gesture,
    fashion_conv,
    mnist_fc,
    mnist_single,
    names,
    speech_commands,
    tempotron,
)
from spikeagents.schema import check_choice

__all__ = ["TASKS", "Task", "get_task"]

#: task name -> task, in the order ``--help`` lists them
TASKS: dict[str, Task] = {
    t.name: t
    for t in (
        mnist_fc.TASK,
        mnist_single.TASK,
        fashion_conv.TASK,
        dvs_gesture.TASK,
        ann.TASK_ANN,
        ann.TASK_CNN,
        tempotron.TASK,
        names.TASK,
        speech_commands.TASK,
    )
}


def get_task(name: str) -> Task:
    """The registered task ``name`` (a ``ConfigError``, a ``ValueError``, listing the valid ones
    otherwise)."""
    check_choice(name, sorted(TASKS), "task", "task")
    return TASKS[name]
