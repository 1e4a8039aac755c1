"""The trainer end to end on tiny budgets: run folder, metrics, resume, --eval, the CLI
subcommand and its user errors."""

from __future__ import annotations

import argparse
import json

import pytest
import torch
import yaml

from spikeagents.classify.api import classify
from spikeagents.cli.classify import add_parser, run
from spikeagents.datasets.download import DatasetUnavailableError

pytest.importorskip("sklearn")

TINY = ["data=digits", "T=2", "model.channels=4", "model.hidden=16", "threads=1"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    metrics = classify("fashion-conv", overrides=TINY, epochs=1, runs_root=root, progress=False)
    return root, metrics


def test_run_folder_holds_everything(tiny_run):
    root, metrics = tiny_run
    run_dir = root / "classify" / "fashion-conv_1"
    assert metrics["run_dir"] == str(run_dir)
    for name in (
        "config.yaml",
        "checkpoint.pt",
        "best_model.pt",
        "metrics.json",
        "confusion_matrix.png",
    ):
        assert (run_dir / name).is_file(), name
    assert list((run_dir / "tb").glob("events.out.tfevents.*"))
    saved = json.loads((run_dir / "metrics.json").read_text())
    assert saved["test_acc"] == metrics["test_acc"] and saved["n_test"] == 360
    confusion = torch.tensor(saved["confusion_matrix"])
    assert confusion.shape == (10, 10) and int(confusion.sum()) == 360
    assert abs(float(confusion.trace()) / 360 - saved["test_acc"]) < 1e-9
    assert len(saved["history"]) == 1 and saved["history"][0]["images_per_s"] > 0
    cfg = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert cfg["data"] == "digits" and cfg["model"]["channels"] == 4
    state = torch.load(run_dir / "checkpoint.pt", weights_only=True)  # no pickled objects
    assert state["epoch"] == 1


def test_eval_reproduces_the_final_metrics(tiny_run):
    _, metrics = tiny_run
    again = classify("fashion-conv", eval_dir=metrics["run_dir"], progress=False)
    assert again["test_acc"] == metrics["test_acc"]
    assert again["confusion_matrix"] == metrics["confusion_matrix"]
    with pytest.raises(ValueError, match="is a 'fashion-conv' run, not 'mnist-fc'"):
        classify("mnist-fc", eval_dir=metrics["run_dir"])


def test_resume_continues_from_the_checkpoint(tmp_path):
    run_dir = tmp_path / "run"
    first = classify(
        "mnist-single",
        overrides=["data=digits", "T=4", "threads=1"],
        epochs=1,
        run_dir=run_dir,
        progress=False,
    )
    resumed = classify("mnist-single", resume=run_dir, epochs=2, progress=False)
    assert [h["epoch"] for h in resumed["history"]] == [1, 2]
    assert resumed["history"][0] == first["history"][0]
    assert yaml.safe_load((run_dir / "config.yaml").read_text())["epochs"] == 2


def _parse(argv):
    parser = argparse.ArgumentParser(prog="spikeagents")
    sub = parser.add_subparsers(dest="command", required=True)
    add_parser(sub)
    return parser.parse_args(argv)


def test_cli_subcommand(tmp_path, capsys):
    args = _parse(
        [
            "classify",
            "mnist-fc",
            "--set",
            "data=digits",
            "--set",
            "T=2",
            "--set",
            "threads=1",
            "--epochs",
            "1",
            "--runs-root",
            str(tmp_path),
            "--no-progress",
        ]
    )
    assert run(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["task"] == "mnist-fc" and out["data"] == "digits" and 0 <= out["test_acc"] <= 1
    args = _parse(["classify", "mnist-fc", "--eval", out["run_dir"], "--no-progress"])
    assert run(args) == 0
    assert json.loads(capsys.readouterr().out)["test_acc"] == out["test_acc"]
    with pytest.raises(SystemExit):
        _parse(["classify", "cifar-conv"])


def test_user_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a classification run"):
        classify("mnist-fc", eval_dir=tmp_path)
    with pytest.raises(DatasetUnavailableError, match="ibm.ent.box.com"):
        classify(
            "dvs-gesture",
            data_dir=tmp_path / "none",
            overrides=["device=cpu"],
            runs_root=tmp_path,
            progress=False,
        )
    with pytest.raises(ValueError, match="CUDA is not available|invalid device"):
        if torch.cuda.is_available():
            raise ValueError("invalid device")  # nothing to check on a GPU machine
        classify("mnist-fc", overrides=["data=digits"], device="cuda", runs_root=tmp_path)
