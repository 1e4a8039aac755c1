"""Tests for spikeagents.snn.monitor: each test states the property that must hold."""

from __future__ import annotations

import doctest
import math

import pytest
import torch
from torch import nn

from spikeagents.snn import monitor
from spikeagents.snn.functional import reset_net
from spikeagents.snn.monitor import Monitor
from spikeagents.snn.neuron import IFNode, LIFNode, NonSpikingLIFNode


def test_docstring_examples_run():
    result = doctest.testmod(monitor, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


def test_if_neuron_with_input_half_fires_every_other_step_in_both_step_modes():
    T, B = 8, 3
    multi = nn.Sequential(IFNode(step_mode="m"))
    with Monitor(multi) as mon:
        multi(torch.full((T, B, 4), 0.5))
        assert mon.firing_rate() == {"0": 0.5}
        assert mon.firing_rate("0") == 0.5
        assert len(mon.records["0"]) == 1 and mon.records["0"][0].shape == (T, B, 4)

    single = nn.Sequential(IFNode())
    with Monitor(single) as mon:
        for _ in range(T):
            single(torch.full((B, 4), 0.5))
        assert mon.firing_rate("0") == 0.5
        assert len(mon.records["0"]) == T
        assert all(r.shape == (B, 4) for r in mon.records["0"])
        assert [float(r.mean()) for r in mon.records["0"]] == [0.0, 1.0] * (T // 2)


def test_firing_rates_equal_the_hand_computed_mean_of_the_recorded_spikes():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(5, 6), LIFNode(), nn.Linear(6, 3), IFNode())
    with Monitor(net) as mon:
        for _ in range(10):
            net(torch.rand(4, 5) * 3)
    first = torch.stack(list(mon.records["1"]))  # [T, B, 6]
    second = torch.stack(list(mon.records["3"]))  # [T, B, 3]
    assert first.sum() > 0 and second.sum() > 0
    assert set(mon.firing_rate()) == {"1", "3"}
    assert math.isclose(mon.firing_rate("1"), float(first.double().mean()), rel_tol=1e-9)
    assert math.isclose(mon.firing_rate("3"), float(second.double().mean()), rel_tol=1e-9)
    total = float(first.sum() + second.sum()) / (first.numel() + second.numel())
    assert math.isclose(mon.average_firing_rate(), total, rel_tol=1e-9)
    assert torch.equal(mon.spike_counts("1"), first.sum(dim=(0, 1)))


def test_silent_fraction_counts_neurons_that_never_fired_for_any_sample_or_step():
    # [T, B, 4]: neuron 0 always fires, neuron 1 fires for sample 1 only, 2 and 3 never
    x = torch.zeros(6, 2, 4)
    x[:, :, 0] = 1.0
    x[:, 1, 1] = 1.0
    x[:, :, 3] = -1.0
    net = nn.Sequential(IFNode(step_mode="m"))
    with Monitor(net) as mon:
        net(x)
        assert mon.silent_fraction("0") == 0.5
        assert mon.silent_fraction() == {"0": 0.5}
        # rates: neuron 0 -> 1, neuron 1 -> 1/2, others 0; mean over 4 neurons
        assert mon.firing_rate("0") == (1.0 + 0.5) / 4


def test_hooks_are_removed_by_remove_and_by_the_context_manager():
    net = nn.Sequential(nn.Linear(2, 2), IFNode(), IFNode(store_v_seq=False))
    mon = Monitor(net, record_v=True)
    assert len(net[1]._forward_hooks) == 1 and len(net[2]._forward_hooks) == 1
    assert net[1].store_v_seq is True
    mon.remove()
    assert all(len(m._forward_hooks) == 0 for m in net.modules())
    assert net[1].store_v_seq is False and net[2].store_v_seq is False
    with Monitor(net):
        assert len(net[1]._forward_hooks) == 1
    assert all(len(m._forward_hooks) == 0 for m in net.modules())


def test_record_v_keeps_membrane_potentials_in_both_step_modes():
    T, B, N = 5, 2, 3
    single = nn.Sequential(LIFNode())
    with Monitor(single, record_v=True) as mon:
        for _ in range(T):
            single(torch.rand(B, N))
        assert len(mon.v_records["0"]) == T
        assert all(v.shape == (B, N) for v in mon.v_records["0"])
        assert torch.equal(mon.v_records["0"][-1], single[0].v)

    multi = nn.Sequential(LIFNode(step_mode="m"))
    with Monitor(multi, record_v=True) as mon:
        multi(torch.rand(T, B, N))
        (v_seq,) = mon.v_records["0"]
        assert v_seq.shape == (T, B, N)
        assert torch.equal(v_seq[-1], multi[0].v)
        assert v_seq.device.type == "cpu" and not v_seq.requires_grad
    assert multi[0].store_v_seq is False


def test_recording_is_on_by_default_and_can_be_paused():
    net = nn.Sequential(IFNode())
    mon = Monitor(net)
    net(torch.ones(2, 3))
    mon.disable()
    net(torch.ones(2, 3))
    assert len(mon.records["0"]) == 1
    mon.enable()
    net(torch.ones(2, 3))
    assert len(mon.records["0"]) == 2
    mon.reset()
    assert len(mon.records["0"]) == 0 and math.isnan(mon.firing_rate("0"))
    assert math.isnan(mon.silent_fraction("0"))
    mon.remove()


def test_max_records_bounds_memory_but_statistics_cover_everything():
    net = nn.Sequential(IFNode())
    with Monitor(net, max_records=2) as mon:
        for _ in range(6):
            net(torch.full((1, 2), 0.5))  # spikes 0, 1, 0, 1, 0, 1
        assert len(mon.records["0"]) == 2
        assert mon.firing_rate("0") == 0.5
    with pytest.raises(ValueError, match="max_records"):
        Monitor(net, max_records=0)


def test_layer_selection_by_default_type_and_name():
    net = nn.Sequential(nn.Linear(2, 3), IFNode(), nn.Linear(3, 1), NonSpikingLIFNode())
    # default: spiking neurons only (the readout outputs voltages, not spikes)
    assert list(Monitor(net).layers) == ["1"]
    assert list(Monitor(net, layer_types=(nn.Linear,)).layers) == ["0", "2"]
    assert list(Monitor(net, names=["3"]).layers) == ["3"]
    with pytest.raises(ValueError, match="valid names"):
        Monitor(net, names=["nope"])
    with pytest.raises(ValueError, match="no spiking neurons"):
        Monitor(nn.Linear(2, 2))
    mon = Monitor(net)
    with pytest.raises(ValueError, match="monitored layers"):
        mon.firing_rate("0")
    mon.remove()


def test_monitor_survives_reset_net_and_multiple_batches():
    net = nn.Sequential(IFNode(step_mode="m"))
    with Monitor(net) as mon:
        net(torch.full((4, 2, 3), 0.5))
        reset_net(net)
        net(torch.ones(4, 5, 3))  # another batch size: same neurons
        assert mon.firing_rate("0") == (0.5 * 24 + 1.0 * 60) / 84
