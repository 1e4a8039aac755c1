"""Shipped recipes (the docs' hyperparameters), strict overrides, and the task models' shapes
and layer-by-layer structure."""

from __future__ import annotations

import re

import pytest
import torch

from spikeagents.classify.config import ClassifyConfig, load_classify_config
from spikeagents.classify.tasks import TASKS, get_task
from spikeagents.schema import ConfigError
from spikeagents.snn import functional
from spikeagents.snn.layer import SeqToANNContainer
from spikeagents.snn.neuron import BaseNode, ParametricLIFNode


def test_recipes_hold_the_docs_hyperparameters():
    fc = load_classify_config("mnist-fc")
    assert (fc.T, fc.batch_size, fc.optimizer.name, fc.optimizer.lr) == (50, 128, "adam", 1e-3)
    assert (fc.model.hidden, fc.model.tau) == (196, 100.0)
    single = load_classify_config("mnist-single")
    assert (single.T, single.model.tau) == (100, 2.0)
    conv = load_classify_config("fashion-conv")
    assert (conv.T, conv.optimizer.name, conv.optimizer.lr, conv.scheduler.name) == (
        4,
        "sgd",
        0.1,
        "cosine",
    )
    assert (conv.model.channels, conv.model.hidden, conv.model.neuron, conv.seed) == (
        128,
        2048,
        "if",
        2020,
    )
    dvs = load_classify_config("dvs-gesture")
    assert (dvs.T, dvs.batch_size, dvs.frames.split_by, dvs.model.neuron) == (
        16,
        16,
        "number",
        "plif",
    )
    assert dvs.model.voting_size == 10 and dvs.model.detach_reset


def test_overrides_and_round_trip(tmp_path):
    cfg = load_classify_config(
        "mnist-fc",
        overrides=["data=sklearn-digits", "model.tau=2.0", "optimizer.lr=0.01"],
        epochs=3,
        device="cpu",
    )
    assert (cfg.data, cfg.model.tau, cfg.optimizer.lr, cfg.epochs) == ("digits", 2.0, 0.01, 3)
    for task in TASKS:
        c = load_classify_config(task)
        c.save(tmp_path / f"{task}.yaml")
        assert ClassifyConfig.load(tmp_path / f"{task}.yaml") == c


@pytest.mark.parametrize(
    "override, message",
    [
        ("data=cifar", "unknown data source 'cifar'; valid choices: mnist, fashion, digits"),
        ("model.tau_m=2", "model.tau_m: unknown key 'tau_m' (did you mean 'tau'?)"),
        ("optimizer.name=rmsprop", "valid choices: adam, sgd"),
        ("frames.frame_size=32", "takes no frame options"),
        ("epochs=-1", "epochs must be >= 0"),
        ("model.neuron=izhikevich", "valid choices: if, lif, plif"),
        ("T=four", "expected an integer"),
    ],
)
def test_config_errors_name_the_key(override, message):
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_classify_config("mnist-fc", overrides=[override])


def test_unknown_task_lists_the_tasks():
    with pytest.raises(ValueError, match="valid choices") as err:
        get_task("cifar-conv")
    for name in ("dvs-gesture", "fashion-conv", "mnist-fc", "mnist-single", "mnist-ann"):
        assert name in str(err.value)


def _small(task, *extra):
    return load_classify_config(task, overrides=["backend=torch", *extra])


@pytest.mark.parametrize(
    "task, extra, x",
    [
        ("mnist-fc", ["T=5"], torch.rand(3, 1, 28, 28)),
        ("mnist-single", ["T=5"], torch.rand(3, 1, 28, 28)),
        ("fashion-conv", ["model.channels=4", "model.hidden=16"], torch.rand(3, 1, 28, 28)),
        (
            "dvs-gesture",
            ["T=3", "frames.frame_size=32", "model.channels=4", "model.hidden=8"],
            torch.rand(3, 3, 2, 32, 32) * 3,
        ),
    ],
)
def test_models_map_a_batch_to_firing_rates(task, extra, x):
    cfg = _small(task, *extra)
    model = get_task(task).build_model(cfg)
    rates = model(x)
    low, high = float(rates.detach().min()), float(rates.detach().max())
    n_classes = 11 if task == "dvs-gesture" else 10
    assert rates.shape == (3, n_classes) and 0.0 <= low <= high <= 1.0
    rates.sum().backward()  # gradients reach the first layer through the surrogate
    first = next(p for p in model.parameters() if p.dim() > 1)
    assert first.grad is not None
    neurons = [m for m in model.modules() if isinstance(m, BaseNode)]
    assert neurons and all(n.step_mode == "m" for n in neurons)  # layer by layer
    functional.reset_net(model)


def test_fashion_conv_is_the_docs_network():
    model = get_task("fashion-conv").build_model(load_classify_config("fashion-conv"))
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(6272, 2048), (2048, 10)]
    assert all(m.bias is None for m in linears)
    assert sum(isinstance(m, SeqToANNContainer) for m in model.modules()) == 5


def test_dvs_network_is_the_plif_paper_network():
    model = get_task("dvs-gesture").build_model(load_classify_config("dvs-gesture"))
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    assert len(convs) == 5 and all(c.out_channels == 128 for c in convs)
    linears = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linears] == [(2048, 512), (512, 110)]
    plif = [m for m in model.modules() if isinstance(m, ParametricLIFNode)]
    assert len(plif) == 7 and all(n.detach_reset for n in plif)
