"""Spiking RL networks: shapes, statelessness, the membrane readout's exactness."""

from __future__ import annotations

import pytest
import torch

from spikeagents.rl.networks import MembraneReadout, SpikingBody, SpikingNetwork
from spikeagents.snn.dynamics import readout_weights
from spikeagents.snn.monitor import Monitor
from spikeagents.snn.neuron import NonSpikingLIFNode


@pytest.mark.parametrize("readout", ["last", "mean"])
@pytest.mark.parametrize("tau", [2.0, 3.5])
def test_readout_equals_linear_then_nonspiking_lif(readout: str, tau: float) -> None:
    torch.manual_seed(0)
    T, B, H, out = 6, 5, 7, 3
    spikes = (torch.rand(T, B, H) < 0.4).double()
    head = MembraneReadout(H, out, T, tau=tau, readout=readout).double()
    # the explicit readout: Linear at every step -> non-spiking LIF; its bias is b / sum(k)
    k_sum = readout_weights(T, tau, readout).sum()
    linear = torch.nn.Linear(H, out).double()
    with torch.no_grad():
        linear.weight.copy_(head.linear.weight)
        linear.bias.copy_(head.linear.bias / k_sum)
    lif = NonSpikingLIFNode(tau=tau, step_mode="m", backend="torch")
    v = lif(linear(spikes))
    expected = v[-1] if readout == "last" else v.mean(0)
    torch.testing.assert_close(head(spikes), expected)


def test_readout_weights_hand_values() -> None:
    # tau = 2, T = 3: V_2 = 0.125 I_0 + 0.25 I_1 + 0.5 I_2
    assert readout_weights(3, 2.0, "last").tolist() == [0.125, 0.25, 0.5]
    # mean of V_0..V_2: I_0 (0.5 + 0.25 + 0.125) / 3, I_1 (0.5 + 0.25) / 3, I_2 0.5 / 3
    torch.testing.assert_close(
        readout_weights(3, 2.0, "mean"),
        torch.tensor([0.875, 0.75, 0.5], dtype=torch.float64) / 3,
    )
    with pytest.raises(ValueError, match="valid choices"):
        readout_weights(3, 2.0, "max")


@pytest.mark.parametrize("encoder", ["direct", "poisson", "population"])
@pytest.mark.parametrize("neuron", ["if", "lif", "plif"])
def test_network_shapes_and_gradients(encoder: str, neuron: str) -> None:
    torch.manual_seed(0)
    net = SpikingNetwork(4, 3, T=5, hidden_sizes=[16, 8], neuron=neuron, encoder=encoder)
    obs = torch.randn(10, 4)
    out = net(obs)
    assert out.shape == (10, 3)
    out.sum().backward()
    assert net.body.linears[0].weight.grad is not None
    assert net.body.linears[0].weight.grad.abs().sum() > 0


def test_calls_are_stateless() -> None:
    torch.manual_seed(0)
    net = SpikingNetwork(4, 2, T=8, hidden_sizes=[32])
    obs = torch.randn(6, 4) * 3
    first = net(obs)
    net(torch.randn(3, 4))  # another batch size in between: no reset needed
    torch.testing.assert_close(net(obs), first)
    net.eval()
    torch.testing.assert_close(net(obs), first)  # train and eval compute the same thing


def test_direct_encoder_computes_first_linear_once() -> None:
    body = SpikingBody(4, hidden_sizes=[8], T=16)
    calls = []
    body.linears[0].register_forward_hook(lambda m, i, o: calls.append(i[0].shape))
    body(torch.randn(3, 4))
    assert calls == [torch.Size([3, 4])]  # [B, D], not [T, B, D]


def test_init_gain_raises_firing_and_rates_are_tracked() -> None:
    obs = torch.randn(256, 4) * 0.5
    rates = []
    for gain in (1.0, 3.0):
        torch.manual_seed(0)
        body = SpikingBody(4, hidden_sizes=[64], T=8, init_gain=gain)
        with Monitor(body, keep_records=False) as monitor:
            spikes = body(obs)
        rate = monitor.firing_rate("neurons.0")
        assert rate == pytest.approx(float(spikes.detach().mean()))
        rates.append(rate)
    assert rates[1] > rates[0]


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="valid choices"):
        SpikingBody(4, hidden_sizes=[8], encoder="rate")
    with pytest.raises(ValueError, match="valid choices"):
        SpikingBody(4, hidden_sizes=[8], neuron="hh")
    with pytest.raises(ValueError, match="T must be"):
        SpikingBody(4, hidden_sizes=[8], T=0)
    with pytest.raises(ValueError, match="hidden_sizes"):
        SpikingBody(4, hidden_sizes=[])
