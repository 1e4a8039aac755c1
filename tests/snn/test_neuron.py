"""Neurons: hand-computed trajectories, step-mode equivalence, state handling."""

from __future__ import annotations

import copy
import pickle

import pytest
import torch

from spikeagents.snn import neuron
from spikeagents.snn.neuron import (
    IFNode,
    LIFNode,
    NonSpikingIFNode,
    NonSpikingLIFNode,
    ParametricLIFNode,
)

# (family, hard reset, decay_input, X[t], S[t], V[t]); threshold 1, hard reset to -0.2,
# LIF tau = 4, ParametricLIF init_tau = 2. Computed by hand from
#   IF: H = V + X;  LIF: H = V + (X - (V - Vr)) / tau  or  H = V - (V - Vr) / tau + X
#   S = [H >= 1];   hard: V = H (1 - S) + Vr S;  soft: V = H - S
TRAJECTORIES = [
    (
        "if",
        True,
        True,
        [1.2, 0.9, 0.2, 2.5, -0.4, 0.8],
        [1, 0, 0, 1, 0, 0],
        [-0.2, 0.7, 0.9, -0.2, -0.6, 0.2],
    ),
    (
        "if",
        False,
        True,
        [1.2, 0.9, 0.2, 2.5, -0.4, 0.8],
        [1, 1, 0, 1, 1, 1],
        [0.2, 0.1, 0.3, 1.8, 0.4, 0.2],
    ),
    (
        "lif",
        True,
        True,
        [3.6, 2.7, 0.6, 7.5, -1.2, 2.4],
        [0, 1, 0, 1, 0, 0],
        [0.7, -0.2, -0.05, -0.2, -0.5, 0.175],
    ),
    (
        "lif",
        True,
        False,
        [1.2, 0.9, 0.2, 2.5, -0.4, 0.8],
        [1, 0, 0, 1, 0, 0],
        [-0.2, 0.7, 0.675, -0.2, -0.6, 0.3],
    ),
    (
        "lif",
        False,
        True,
        [3.6, 2.7, 0.6, 7.5, -1.2, 2.4],
        [0, 1, 0, 1, 0, 1],
        [0.9, 0.35, 0.4125, 1.184375, 0.58828125, 0.0412109375],
    ),
    (
        "lif",
        False,
        False,
        [1.2, 0.9, 0.2, 2.5, -0.4, 0.8],
        [1, 1, 0, 1, 0, 1],
        [0.2, 0.05, 0.2375, 1.678125, 0.85859375, 0.4439453125],
    ),
    (
        "plif",
        True,
        True,
        [2.4, 1.8, 0.4, 5.0, -0.8, 1.6],
        [1, 0, 0, 1, 0, 0],
        [-0.2, 0.7, 0.45, -0.2, -0.6, 0.4],
    ),
    (
        "plif",
        True,
        False,
        [1.2, 0.9, 0.2, 2.5, -0.4, 0.8],
        [1, 0, 0, 1, 0, 0],
        [-0.2, 0.7, 0.45, -0.2, -0.6, 0.4],
    ),
    (
        "plif",
        False,
        True,
        [2.4, 1.8, 0.4, 5.0, -0.8, 1.6],
        [1, 1, 0, 1, 0, 1],
        [0.2, 0.0, 0.2, 1.6, 0.4, 0.0],
    ),
    (
        "plif",
        False,
        False,
        [1.2, 0.9, 0.2, 2.5, -0.4, 0.8],
        [1, 1, 0, 1, 0, 1],
        [0.2, 0.0, 0.2, 1.6, 0.4, 0.0],
    ),
]


def _make(family: str, hard: bool, decay_input: bool, step_mode: str, **kw) -> neuron.BaseNode:
    v_reset = -0.2 if hard else None
    if family == "if":
        return IFNode(v_reset=v_reset, step_mode=step_mode, **kw)
    if family == "lif":
        return LIFNode(tau=4.0, v_reset=v_reset, decay_input=decay_input, step_mode=step_mode, **kw)
    return ParametricLIFNode(
        init_tau=2.0, v_reset=v_reset, decay_input=decay_input, step_mode=step_mode, **kw
    )


@pytest.mark.parametrize("family,hard,decay_input,x,s,v", TRAJECTORIES)
@pytest.mark.parametrize("step_mode", ["s", "m"])
def test_hand_computed_trajectory(family, hard, decay_input, x, s, v, step_mode) -> None:
    node = _make(family, hard, decay_input, step_mode, backend="torch", store_v_seq=True)
    x_seq = torch.tensor(x, dtype=torch.float64).view(-1, 1)
    if step_mode == "m":
        spikes = node(x_seq)
        volts = node.v_seq
    else:
        outs, vs = [], []
        for t in range(len(x)):
            outs.append(node(x_seq[t]))
            vs.append(node.v)
        spikes, volts = torch.stack(outs), torch.stack(vs)
    assert spikes.flatten().tolist() == s
    torch.testing.assert_close(volts.flatten(), torch.tensor(v, dtype=torch.float64))
    assert float(node.v.detach()) == pytest.approx(v[-1])


def test_nonspiking_readouts_integrate_and_never_fire() -> None:
    x = torch.tensor([[2.0], [0.0], [4.0], [-2.0]], dtype=torch.float64)
    lif = NonSpikingLIFNode(tau=2.0, step_mode="m", backend="torch")
    # V = V + (X - V)/2: 1, 0.5, 2.25, 0.125 (never reset, threshold infinite)
    assert lif(x).flatten().tolist() == [1.0, 0.5, 2.25, 0.125]
    nif = NonSpikingIFNode(step_mode="m", backend="torch")
    assert nif(x).flatten().tolist() == [2.0, 2.0, 6.0, 4.0]
    lif_nd = NonSpikingLIFNode(tau=2.0, decay_input=False, step_mode="m", backend="torch")
    # V = V - V/2 + X: 2, 1, 4.5, 0.25
    assert lif_nd(x).flatten().tolist() == [2.0, 1.0, 4.5, 0.25]


ALL_NODES = [
    lambda **k: IFNode(**k),
    lambda **k: IFNode(v_reset=None, **k),
    lambda **k: LIFNode(tau=3.0, **k),
    lambda **k: LIFNode(tau=3.0, v_reset=None, decay_input=False, **k),
    lambda **k: ParametricLIFNode(init_tau=3.0, detach_reset=True, **k),
    lambda **k: NonSpikingLIFNode(**k),
    lambda **k: NonSpikingIFNode(**k),
]


@pytest.mark.parametrize("make", ALL_NODES)
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64])
def test_single_step_loop_equals_multi_step(make, dtype) -> None:
    torch.manual_seed(0)
    x_seq = (torch.rand(7, 3, 5) * 1.5).to(dtype)
    single = make(step_mode="s").to(dtype)
    multi = make(step_mode="m", backend="torch").to(dtype)
    outs = torch.stack([single(x_seq[t]) for t in range(x_seq.shape[0])])
    assert torch.equal(outs, multi(x_seq))
    assert torch.equal(single.v, multi.v)
    assert outs.dtype == dtype


@pytest.mark.parametrize("make", ALL_NODES[:5])
def test_gradients_single_equal_multi(make) -> None:
    torch.manual_seed(1)
    x = torch.rand(6, 4, dtype=torch.float64, requires_grad=True)
    single, multi = make(step_mode="s").double(), make(step_mode="m", backend="torch").double()
    (g1,) = torch.autograd.grad(torch.stack([single(x[t]) for t in range(6)]).sum(), x)
    (g2,) = torch.autograd.grad(multi(x).sum(), x)
    torch.testing.assert_close(g1, g2)
    assert g1.abs().sum() > 0


def test_detach_reset_changes_only_the_gradient() -> None:
    x = torch.tensor([[0.7], [0.6], [0.9], [0.3]], dtype=torch.float64, requires_grad=True)
    a = IFNode(step_mode="m", detach_reset=False)
    b = IFNode(step_mode="m", detach_reset=True)
    ya, yb = a(x), b(x)
    assert torch.equal(ya, yb)
    (ga,) = torch.autograd.grad(ya.sum(), x)
    (gb,) = torch.autograd.grad(yb.sum(), x)
    assert not torch.allclose(ga, gb)


def test_state_shape_from_first_input_and_reset() -> None:
    node = LIFNode(step_mode="s")
    assert node.v == 0.0
    node(torch.ones(2, 3))
    assert node.v.shape == (2, 3)
    with pytest.raises(RuntimeError, match="reset"):
        node(torch.ones(4, 3))
    node.reset()
    assert node.v == 0.0
    node(torch.ones(4, 3))
    assert node.v.shape == (4, 3)
    soft = IFNode(v_reset=None)
    assert soft.v == 0.0


def test_state_is_not_in_state_dict_and_not_shared_by_copies() -> None:
    node = ParametricLIFNode(step_mode="m")
    node(torch.rand(4, 2, 3))
    assert set(node.state_dict()) == {"w"}
    other = ParametricLIFNode(step_mode="m")
    other.load_state_dict(node.state_dict())  # works whatever the batch size seen before
    for clone in (copy.deepcopy(node), pickle.loads(pickle.dumps(node))):
        assert clone.v == 0.0  # copies start from a fresh state
        assert torch.equal(clone.w, node.w)
        assert isinstance(node.v, torch.Tensor) and node.v.shape == (2, 3)


def test_plif_tau_and_gradient() -> None:
    node = ParametricLIFNode(init_tau=4.0, step_mode="m")
    assert node.tau == pytest.approx(4.0)
    node(torch.rand(5, 3) * 3).sum().backward()
    assert node.w.grad is not None and node.w.grad != 0


def test_bad_arguments_raise_clear_errors() -> None:
    with pytest.raises(ValueError, match="step_mode"):
        IFNode(step_mode="x")
    with pytest.raises(ValueError, match="valid choices"):
        IFNode(backend="tpu")
    with pytest.raises(ValueError, match="tau"):
        LIFNode(tau=0.5)
    with pytest.raises(ValueError, match="valid choices"):
        IFNode(surrogate="nope")
    with pytest.raises(ValueError, match=r"\[T, B"):
        IFNode(step_mode="m")(torch.ones(3))
    with pytest.raises(ValueError, match="valid choices"):
        neuron.get_neuron("izhikevich")


def test_get_neuron_by_name() -> None:
    assert isinstance(neuron.get_neuron("lif", tau=3.0), LIFNode)
    plif = neuron.get_neuron("plif", tau=3.0)
    assert isinstance(plif, ParametricLIFNode) and plif.tau == pytest.approx(3.0)


def test_multistep_network_trains() -> None:
    torch.manual_seed(0)
    net = torch.nn.Sequential(
        torch.nn.Linear(4, 16), LIFNode(step_mode="m"), torch.nn.Linear(16, 2)
    )
    x = torch.rand(8, 32, 4) * 2
    y = torch.randint(0, 2, (32,))
    opt = torch.optim.Adam(net.parameters(), lr=0.05)

    def loss_fn() -> torch.Tensor:
        net[1].reset()
        return torch.nn.functional.cross_entropy(net(x).mean(0), y)

    before = loss_fn()
    opt.zero_grad()
    before.backward()
    opt.step()
    assert loss_fn().item() < before.item()


@pytest.mark.parametrize("backend", ["torch", "cpu"])
@pytest.mark.parametrize("name", ["if", "lif", "plif"])
def test_a_constant_input_equals_its_expanded_sequence(name: str, backend: str) -> None:
    """``node(x, steps=T)`` is ``node(x.expand(T, ...))``: spikes, potentials, every gradient."""
    from spikeagents.snn.neuron import get_neuron

    torch.manual_seed(0)
    x = torch.randn(5, 3, 4, dtype=torch.float64) + 1.0
    results = []
    for constant in (True, False):
        node = get_neuron(name, tau=3.0, step_mode="m", backend=backend, store_v_seq=True)
        node.double()
        xi = x.clone().requires_grad_(True)
        out = node(xi, steps=6) if constant else node(xi.unsqueeze(0).expand(6, *xi.shape))
        (out * torch.linspace(-1, 1, out.numel(), dtype=out.dtype).view_as(out)).sum().backward()
        grads = [xi.grad] + [p.grad for p in node.parameters()]
        results.append((out.detach(), node.v_seq, grads))
    (out_c, v_c, g_c), (out_e, v_e, g_e) = results
    assert out_c.shape == (6, 5, 3, 4) and torch.equal(out_c, out_e)
    torch.testing.assert_close(v_c, v_e)
    for a, b in zip(g_c, g_e, strict=True):
        torch.testing.assert_close(a, b)


def test_steps_needs_multi_step_mode() -> None:
    with pytest.raises(ValueError, match="steps= needs step_mode='m'"):
        IFNode()(torch.ones(2), steps=3)
