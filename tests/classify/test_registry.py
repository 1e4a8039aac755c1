"""Every registered task is complete: a recipe that loads, a model it builds, a line in the
README; every recipe file names a registered task. Adding a task and missing a place fails here."""

from __future__ import annotations

from pathlib import Path

import pytest
from torch import nn

from spikeagents.classify.config import classify_config_path, load_classify_config
from spikeagents.classify.tasks import TASKS
from spikeagents.paths import config_root

README = (Path(__file__).resolve().parent.parent.parent / "README.md").read_text()


def test_every_recipe_file_names_a_registered_task() -> None:
    recipes = {p.stem for p in (config_root() / "configs" / "classify").glob("*.yaml")}
    assert recipes == set(TASKS)


@pytest.mark.parametrize("name", sorted(TASKS))
def test_every_task_has_a_recipe_that_builds_its_model(name: str) -> None:
    task = TASKS[name]
    assert task.name == name and task.summary and task.data_choices
    assert classify_config_path(name).is_file()
    cfg = load_classify_config(name, overrides=["backend=torch"])
    assert cfg.task == name and isinstance(cfg.model, task.params)
    assert isinstance(task.build_model(cfg), nn.Module)
    assert f"`{name}`" in README, f"README.md does not list the task {name!r}"
