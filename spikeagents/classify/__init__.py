"""Supervised spiking classifiers: one trainer, one module per task (its data and model).

Tasks are registered in :mod:`spikeagents.classify.tasks` (one module each); recipes live in
``configs/classify/<task>.yaml``.

Example::

    from spikeagents.classify import classify
    metrics = classify("fashion-conv", overrides=["data=digits"], epochs=3)
"""

from spikeagents.classify.api import classify
from spikeagents.classify.config import ClassifyConfig, load_classify_config
from spikeagents.classify.task import Task
from spikeagents.classify.tasks import TASKS, get_task

__all__ = ["classify", "ClassifyConfig", "load_classify_config", "TASKS", "Task", "get_task"]
