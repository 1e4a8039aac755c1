"""`--set classes=[...]` picks the speech-commands class list; yes/no/on/off stay words."""

from __future__ import annotations

import pytest

from spikeagents.classify.config import load_classify_config
from spikeagents.schema import ConfigError, parse_yaml


def test_yaml_reads_yes_no_on_off_as_strings_and_true_false_as_bools() -> None:
    assert parse_yaml("[yes, no, on, off, true, False]", "t") == [
        "yes",
        "no",
        "on",
        "off",
        True,
        False,
    ]


def test_top_level_classes_shorthand_sets_the_model_class_list() -> None:
    cfg = load_classify_config("speech-commands", overrides=["classes=[yes,no,on,off,go]"])
    assert cfg.model.classes == ("yes", "no", "on", "off", "go")
    same = load_classify_config("speech-commands", overrides=["model.classes=[yes,no,on,off,go]"])
    assert same.model.classes == cfg.model.classes


def test_classes_is_refused_for_tasks_without_a_class_list() -> None:
    with pytest.raises(ConfigError, match="classes"):
        load_classify_config("mnist-fc", overrides=["classes=[a,b]"])
