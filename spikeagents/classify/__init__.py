"""Supervised spiking classifiers: one trainer, one module per task (its data and model).

Tasks: ``mnist-fc``, ``mnist-single``, ``fashion-conv``, ``dvs-gesture`` (see
:mod:`spikeagents.classify.tasks`). Recipes live in ``configs/classify/<task>.yaml``.

Example::

    from spikeagents.classify import classify
    metrics = classify("fashion-conv", overrides=["data=digits"], epochs=3)
"""

from spikeagents.classify.api import classify
from spikeagents.classify.config import ClassifyConfig, load_classify_config
from spikeagents.classify.tasks import TASKS, Task, get_task

__all__ = ["classify", "ClassifyConfig", "load_classify_config", "TASKS", "Task", "get_task"]
