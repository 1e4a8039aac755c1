"""``mnist-ann`` / ``mnist-cnn`` train through the classify trainer, and ``spikeagents convert``
turns the run into a result folder from which the SNN can be rebuilt."""

from __future__ import annotations

import argparse
import csv
import json

import pytest
import torch

from spikeagents.classify.api import classify
from spikeagents.classify.config import load_classify_config
from spikeagents.classify.tasks import get_task
from spikeagents.cli.convert import add_parser, run
from spikeagents.convert import convert
from spikeagents.convert.api import convert_run, load_converted

SMALL = ["data=digits", "threads=1", "batch_size=64", "optimizer.lr=0.01"]


@pytest.mark.parametrize("task, extra", [("mnist-ann", []), ("mnist-cnn", ["model.hidden=16"])])
def test_ann_tasks_build_convertible_models(task, extra):
    cfg = load_classify_config(task, overrides=["model.channels=4", *extra])
    model = get_task(task).build_model(cfg).eval()
    x = torch.rand(3, 1, 28, 28)
    assert model(x).shape == (3, 10)
    snn = convert(model, x, T=4)  # every layer of both networks is supported
    assert snn.simulate(x).shape == (4, 3, 10)


def test_the_docs_network_is_the_docs():
    model = get_task("mnist-ann").build_model(load_classify_config("mnist-ann"))
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size) for c in convs] == [
        (1, 32, (3, 3)),
        (32, 32, (3, 3)),
        (32, 32, (3, 3)),
    ]
    assert isinstance(model[-1], torch.nn.ReLU) and model[-2].in_features == 32


@pytest.fixture(scope="module")
def ann_run(tmp_path_factory):
    pytest.importorskip("sklearn")
    root = tmp_path_factory.mktemp("runs")
    metrics = classify(
        "mnist-ann",
        overrides=[*SMALL, "model.channels=4"],
        epochs=1,
        runs_root=root,
        progress=False,
    )
    return metrics


def test_convert_run_writes_the_result_folder(ann_run, tmp_path):
    summary = convert_run(
        ann_run["run_dir"], T=8, calibration=64, out_dir=tmp_path / "out", progress=False
    )
    out = tmp_path / "out"
    names = {p.name for p in out.iterdir()}
    assert {
        "summary.json",
        "accuracy_per_step.csv",
        "accuracy_per_step.png",
        "firing_rates.json",
        "snn.safetensors",
        "conversion.json",
    } <= names
    assert json.loads((out / "summary.json").read_text()) == summary
    assert summary["ann_acc"] == pytest.approx(ann_run["test_acc"])
    with open(out / "accuracy_per_step.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["step"]) for r in rows] == list(range(1, 9))
    assert float(rows[-1]["snn_acc"]) == pytest.approx(summary["snn_acc"], abs=1e-6)
    assert set(summary["firing_rates"]) == {"2", "6", "10"}
    snn = load_converted(out)  # no data needed
    x = torch.rand(2, 1, 28, 28)
    assert snn.simulate(x, T=3).shape == (3, 2, 10)


def test_cli_converts_and_reports_errors_in_one_line(ann_run, tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="spikeagents")
    add_parser(parser.add_subparsers(dest="command"))
    argv = ["convert", ann_run["run_dir"], "--T", "4", "--calibration", "32", "--no-progress"]
    argv += ["--out", str(tmp_path / "cli"), "--norm", "max"]
    assert run(parser.parse_args(argv), argv) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["T"] == 4 and printed["task"] == "mnist-ann"
    assert (tmp_path / "cli" / "command.txt").read_text().startswith("spikeagents convert ")
    best = f"{ann_run['run_dir']}/best_model.pt"
    with pytest.raises(ValueError, match="is a 'mnist-ann' run, not 'mnist-cnn'"):
        convert_run(best, task="mnist-cnn", progress=False)
    lone = tmp_path / "lone.pt"
    lone.write_bytes(open(best, "rb").read())
    with pytest.raises(ValueError, match="say which --task built it"):
        convert_run(lone, progress=False)
