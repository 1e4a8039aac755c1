"""Tests for spikeagents.snn.functional: each test states the property that must hold."""

from __future__ import annotations

import doctest

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from spikeagents.snn import functional
from spikeagents.snn.encoding import LatencyEncoder
from spikeagents.snn.functional import (
    first_spike_index,
    kernel_dot_product,
    multi_step_forward,
    redundant_one_hot,
    reset_net,
    seq_to_ann_forward,
    set_backend,
    set_step_mode,
    set_threshold_margin,
    spike_cluster,
    spike_mse_loss,
    spike_similar_loss,
)
from spikeagents.snn.layer import Dropout, MultiStepContainer, SeqToANNContainer
from spikeagents.snn.neuron import BaseNode, IFNode, LIFNode, NonSpikingLIFNode


def test_docstring_examples_run():
    result = doctest.testmod(functional, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


# ----------------------------------------------------------------------- network-wide helpers


class _Counter(nn.Module):
    """A custom stateful module: reset_net must reach it by duck typing."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return x

    def reset(self) -> None:
        self.calls = 0


def _nested_net() -> nn.Sequential:
    return nn.Sequential(
        nn.Linear(3, 4),
        LIFNode(v_reset=-0.5),
        nn.Sequential(Dropout(0.5), IFNode(), _Counter()),
        MultiStepContainer(IFNode()),
        NonSpikingLIFNode(),
    )


def test_reset_net_resets_every_stateful_module_of_a_nested_net():
    torch.manual_seed(0)
    net = _nested_net()
    encoder = LatencyEncoder(T=4)
    wrapper = nn.Sequential(encoder, net[0])
    wrapper(torch.rand(2, 3))
    for _ in range(3):
        net[:3](torch.rand(2, 3) * 3)
    net[3](torch.rand(5, 2, 4) * 3)
    net[4](torch.rand(2, 4))
    neurons = [m for m in net.modules() if isinstance(m, BaseNode)]
    assert len(neurons) == 4
    assert all(isinstance(m.v, torch.Tensor) for m in neurons)
    assert net[2][0].mask is not None and net[2][2].calls == 3 and encoder.spike is not None

    reset_net(net)
    reset_net(wrapper)
    for m in neurons:
        assert m.v == m.v_rest and not isinstance(m.v, torch.Tensor)
    assert net[1].v == -0.5
    assert net[2][0].mask is None and net[2][2].calls == 0 and encoder.spike is None


def test_reset_net_calls_reset_on_the_net_itself():
    counter = _Counter()
    counter(torch.zeros(1))
    reset_net(counter)
    assert counter.calls == 0


def test_set_step_mode_reaches_every_neuron_but_not_the_children_of_single_step_wrappers():
    net = _nested_net()
    changed = set_step_mode(net, "m")
    # LIF, Dropout, IF (nested), NonSpikingLIF; the IF inside MultiStepContainer stays "s"
    assert changed == 4
    assert net[1].step_mode == "m" and net[2][0].step_mode == "m" and net[2][1].step_mode == "m"
    assert net[4].step_mode == "m"
    assert net[3][0].step_mode == "s"
    assert set_step_mode(net, "s") == 4
    assert all(m.step_mode == "s" for m in net.modules() if hasattr(m, "step_mode"))


def test_set_step_mode_leaves_seq_to_ann_children_alone_and_runs():
    net = nn.Sequential(SeqToANNContainer(nn.Linear(3, 2)), IFNode())
    assert set_step_mode(net, "m") == 1
    assert net(torch.rand(4, 5, 3)).shape == (4, 5, 2)


def test_set_step_mode_rejects_bad_values():
    with pytest.raises(ValueError, match=r"step_mode must be one of \('s', 'm'\)"):
        set_step_mode(_nested_net(), "multi")


def test_set_backend_reaches_every_neuron_and_counts():
    net = _nested_net()
    assert set_backend(net, "torch") == 4  # the four neurons, wrapped ones included
    assert all(m.backend == "torch" for m in net.modules() if isinstance(m, BaseNode))
    assert set_backend(nn.Sequential(nn.Linear(2, 2)), "auto") == 0
    with pytest.raises(ValueError, match="valid choices"):
        set_backend(net, "triton")


# -------------------------------------------------------------------------- sequence forwards


def test_seq_to_ann_forward_equals_per_step_application():
    lin = nn.Linear(4, 3)
    x = torch.rand(6, 2, 4)
    expected = torch.stack([lin(x[t]) for t in range(6)])
    assert torch.allclose(seq_to_ann_forward(x, lin), expected, atol=1e-6)
    assert torch.allclose(seq_to_ann_forward(x, [lin, nn.ReLU()]), expected.relu(), atol=1e-6)


def test_multi_step_forward_equals_the_multistep_neuron():
    x = torch.rand(8, 3, 5) * 1.5
    expected = LIFNode(step_mode="m", backend="torch")(x)
    assert torch.equal(multi_step_forward(x, LIFNode()), expected)
    assert multi_step_forward(x, [nn.Linear(5, 2), IFNode()]).shape == (8, 3, 2)


# -------------------------------------------------------------------------- spike utilities


def test_first_spike_index_on_the_docs_example():
    spikes = torch.tensor(
        [
            [[0, 0, 0, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0, 1, 0], [0, 1, 0, 0, 0, 1, 0, 1]],
            [[0, 0, 1, 1, 0, 0, 0, 1], [1, 1, 0, 0, 1, 0, 0, 0], [0, 0, 0, 1, 0, 0, 0, 0]],
        ],
        dtype=torch.float,
    )
    expected = torch.zeros(2, 3, 8, dtype=torch.bool)
    expected[0, 1, 0] = expected[0, 2, 1] = True
    expected[1, 0, 2] = expected[1, 1, 0] = expected[1, 2, 3] = True
    index = first_spike_index(spikes)
    assert index.dtype == torch.bool
    assert torch.equal(index, expected)


def test_redundant_one_hot_on_the_docs_example():
    codes = redundant_one_hot(torch.tensor([0, 1, 1, 0]), num_classes=3, n=2)
    expected = torch.tensor(
        [
            [1.0, 1.0, 0.0, 0.0, 0.0, 0.0],
            [0.0, 0.0, 1.0, 1.0, 0.0, 0.0],
            [0.0, 0.0, 1.0, 1.0, 0.0, 0.0],
            [1.0, 1.0, 0.0, 0.0, 0.0, 0.0],
        ]
    )
    assert torch.equal(codes, expected)


def _explicit_kernel(x: torch.Tensor, y: torch.Tensor, kernel: str, arg: float) -> torch.Tensor:
    out = torch.empty(x.shape[0], y.shape[0])
    for i in range(x.shape[0]):
        for j in range(y.shape[0]):
            dot = float(torch.dot(x[i], y[j]))
            if kernel == "linear":
                out[i, j] = dot
            elif kernel == "polynomial":
                out[i, j] = dot**arg
            elif kernel == "sigmoid":
                out[i, j] = 1.0 / (1.0 + torch.exp(torch.tensor(-arg * dot)))
            else:
                out[i, j] = torch.exp(-((x[i] - y[j]).square().sum()) / (2 * arg**2))
    return out


@pytest.mark.parametrize(
    "kernel,arg", [("linear", 0.0), ("polynomial", 3.0), ("sigmoid", 0.7), ("gaussian", 1.5)]
)
def test_kernel_dot_product_matches_explicit_computation(kernel, arg):
    torch.manual_seed(0)
    x, y = torch.rand(4, 6), torch.rand(5, 6)
    args = () if kernel == "linear" else (arg,)
    got = kernel_dot_product(x, y, kernel, *args)
    assert got.shape == (4, 5)
    assert torch.allclose(got, _explicit_kernel(x, y, kernel, arg), atol=1e-5)


def test_kernel_dot_product_errors_name_the_problem():
    x = torch.rand(2, 3)
    with pytest.raises(ValueError, match="valid choices: linear, polynomial, sigmoid, gaussian"):
        kernel_dot_product(x, x, "rbf")
    with pytest.raises(ValueError, match="sigma"):
        kernel_dot_product(x, x, "gaussian")


def test_spike_similar_loss_is_zero_for_perfectly_separated_spikes():
    spikes = torch.zeros(4, 2, 5)
    spikes[0, 0, :2] = spikes[1, 0, :2] = 1  # class 0: same train
    spikes[2, 1, 3:] = spikes[3, 1, 3:] = 1  # class 1: a disjoint train
    labels = F.one_hot(torch.tensor([0, 0, 1, 1]), 2)
    assert spike_similar_loss(spikes, labels).item() < 1e-6
    assert spike_similar_loss(spikes, labels, "linear", "l1").item() < 1e-6
    assert spike_similar_loss(spikes, labels, "gaussian", "mse", 0.1).item() < 1e-6


def test_spike_similar_loss_matches_explicit_cosine_mse():
    torch.manual_seed(1)
    spikes = (torch.rand(5, 3, 4) > 0.5).float()
    labels = torch.tensor([[1, 0], [0, 1], [1, 1], [0, 1], [1, 0]])
    flat = spikes.flatten(1)
    sim = torch.empty(5, 5)
    sim_p = torch.empty(5, 5)
    for i in range(5):
        for j in range(5):
            sim[i, j] = float((labels[i] * labels[j]).sum() > 0)  # share at least one label
            norm = flat[i].norm() * flat[j].norm()
            sim_p[i, j] = torch.dot(flat[i], flat[j]) / (norm + 1e-8)
    expected = ((sim_p - sim) ** 2).mean()
    assert torch.allclose(spike_similar_loss(spikes, labels), expected, atol=1e-6)
    bce = spike_similar_loss(spikes, labels, "sigmoid", "bce", 1.0)
    assert torch.isfinite(bce) and bce.item() > 0
    with pytest.raises(ValueError, match="loss_type"):
        spike_similar_loss(spikes, labels, "linear", "huber")


def test_spike_mse_loss_equals_mse_in_value():
    torch.manual_seed(0)
    x = torch.rand(3, 4, 5)
    s = (torch.rand(3, 4, 5) > 0.5).float()
    assert torch.allclose(spike_mse_loss(x, s), F.mse_loss(x, s), atol=1e-7)
    assert torch.allclose(spike_mse_loss(x, s.bool()), F.mse_loss(x, s), atol=1e-7)
    with pytest.raises(ValueError, match="shape"):
        spike_mse_loss(x, s[0])


def test_spike_cluster_on_a_hand_made_voltage_trace():
    T = 10
    v = torch.full((T, 3), 0.2)
    # neuron 0: spikes at 0, 2 (gap 2 <= T_in: one cluster of 2) and 6 (a cluster of 1)
    v[[0, 2, 6], 0] = 1.0
    v[9, 0] = 0.5  # the only step further than T_in from every spike
    # neuron 1: one spike at 1; free steps are 4..9, the highest potential there is at 6
    v[1, 1] = 1.5
    v[6, 1] = 0.9
    v[2, 1] = 0.95  # higher, but within T_in of the spike: not eligible
    # neuron 2: never fires; every step is free, the highest is 3
    v[3, 2] = 0.7
    n_o, k_pos, k_neg = spike_cluster(v, 1.0, T_in=2)
    assert n_o.tolist() == [2.0, 1.0, 0.0]
    assert k_pos.shape == k_neg.shape == (T, 3) and k_pos.dtype == torch.bool
    assert k_pos[:, 0].nonzero().flatten().tolist() == [9]
    assert k_pos[:, 1].nonzero().flatten().tolist() == [6]
    assert k_pos[:, 2].nonzero().flatten().tolist() == [3]
    # the smallest cluster of neuron 0 is {6}; neuron 1's only cluster ends at 1; 2 has none
    assert k_neg[:, 0].nonzero().flatten().tolist() == [6]
    assert k_neg[:, 1].nonzero().flatten().tolist() == [1]
    assert not k_neg[:, 2].any()


def test_spike_cluster_per_neuron_threshold_and_dense_spikes():
    v = torch.tensor([[1.0, 0.6], [0.0, 0.6], [1.0, 0.6], [0.0, 0.0]])
    n_o, k_pos, k_neg = spike_cluster(v, torch.tensor([1.0, 0.5]), T_in=1)
    # neuron 0: spikes at 0 and 2 are 2 > T_in apart: two clusters of 1 (tie: the earliest)
    # neuron 1: spikes at 0, 1, 2: one cluster; step 3 is within T_in of a spike
    assert n_o.tolist() == [2.0, 1.0]
    assert k_neg[:, 0].nonzero().flatten().tolist() == [0]
    assert k_neg[:, 1].nonzero().flatten().tolist() == [2]
    assert not k_pos.any()  # no step is further than T_in from all spikes


def test_set_threshold_margin_sets_per_sample_thresholds_in_training():
    node = IFNode()
    labels = F.one_hot(torch.tensor([0, 2]), 3)
    set_threshold_margin(node, labels, eval_threshold=1.0, threshold0=0.9, threshold1=1.1)
    assert torch.allclose(node.v_threshold, torch.tensor([[1.1, 0.9, 0.9], [0.9, 0.9, 1.1]]))
    out = node(torch.full((2, 3), 1.0))  # fires where the threshold is 0.9 only
    assert torch.equal(out, 1.0 - labels.float())
    node.eval()
    set_threshold_margin(node, labels)
    assert node.v_threshold == 1.0
    node.train()
    node.step_mode = "m"
    with pytest.raises(ValueError, match="single-step"):
        set_threshold_margin(node, labels)
