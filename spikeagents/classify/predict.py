"""Predicting with a trained classifier: the ``names`` task's top languages of a surname.

``spikeagents classify names --predict Dostoevsky Nguyen`` prints each name's top 3 languages,
from the latest ``runs/classify/names_<n>`` run that holds a ``best_model.pt`` (or ``--run-dir``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import torch

from spikeagents.classify.config import ClassifyConfig
from spikeagents.classify.tasks.names import build_model, encode_words
from spikeagents.datasets.names import LANGUAGES
from spikeagents.rundir import latest_run_dir

__all__ = ["predict", "format_predictions"]


def predict(
    words: Sequence[str],
    run_dir: str | Path | None = None,
    runs_root: str | Path = "runs",
    k: int = 3,
    device: str = "cpu",
) -> list[tuple[str, list[tuple[str, float]]]]:
    """The ``k`` most likely languages of each word, from a trained ``names`` run.

    :param run_dir: the run (default: the latest ``<runs_root>/classify/names_<n>`` that holds
        a ``best_model.pt``).
    :return: ``[(word, [(language, probability), ...]), ...]``, best first.
    """
    run = (
        Path(run_dir)
        if run_dir is not None
        else latest_run_dir(runs_root, "classify", "names", ("best_model.pt",))
    )
    if run is None:
        raise FileNotFoundError(
            f"no trained names model in {Path(runs_root) / 'classify'}; train one with "
            "`spikeagents classify names` or pass --run-dir"
        )
    if not (run / "config.yaml").is_file():
        raise FileNotFoundError(f"{run}: not a classification run (no config.yaml)")
    cfg = ClassifyConfig.load(run / "config.yaml")
    if cfg.task != "names":
        raise ValueError(f"{run} is a {cfg.task!r} run, not 'names'")
    model = build_model(cfg)
    state = torch.load(run / "best_model.pt", map_location=device, weights_only=True)
    model.load_state_dict(state["model"])
    model.eval()
    x = encode_words(words, cfg.T)
    with torch.no_grad():
        probs = torch.softmax(model(x), dim=1)
    top = probs.topk(min(k, probs.shape[1]), dim=1)
    classes = sorted(LANGUAGES)
    return [
        (word, [(classes[int(i)], float(v)) for v, i in zip(vals, idx, strict=True)])
        for word, vals, idx in zip(words, top.values, top.indices, strict=True)
    ]


def format_predictions(results: Sequence[tuple[str, Sequence[tuple[str, float]]]]) -> str:
    """One line per word: ``Nguyen: Vietnamese 0.91, Chinese 0.05, Korean 0.02``."""
    return "\n".join(
        f"{word}: " + ", ".join(f"{lang} {prob:.2f}" for lang, prob in top) for word, top in results
    )
