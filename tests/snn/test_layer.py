"""Tests for spikeagents.snn.layer: each test states the property that must hold."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from spikeagents.snn import layer
from spikeagents.snn.functional import reset_net
from spikeagents.snn.layer import (
    ChannelsPool,
    DropConnectLinear,
    Dropout,
    Dropout2d,
    MultiStepContainer,
    MultiStepDropout,
    MultiStepDropout2d,
    NeuNorm,
    SeqToANNContainer,
    SynapseFilter,
    VotingLayer,
)
from spikeagents.snn.neuron import IFNode, LIFNode


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def test_docstring_examples_run():
    result = doctest.testmod(layer, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0


def test_docstring_examples_run_in_every_module_of_the_package():
    """The classes live in submodules, which ``testmod(layer)`` does not search."""
    names = [info.name for info in pkgutil.iter_modules(layer.__path__)]
    assert {"containers", "dropout", "norm", "pooling", "synapse"} <= set(names)
    for name in names:
        module = importlib.import_module(f"{layer.__name__}.{name}")
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0, f"{module.__name__}: {result.failed} examples failed"
        if module.__all__ and not name.startswith("_"):
            assert result.attempted > 0, f"{module.__name__} has no runnable example"


def test_layer_package_exports_the_names_of_the_old_module():
    old_names = {
        "SeqToANNContainer",
        "MultiStepContainer",
        "Dropout",
        "Dropout2d",
        "MultiStepDropout",
        "MultiStepDropout2d",
        "DropConnectLinear",
        "VotingLayer",
        "NeuNorm",
        "SynapseFilter",
        "ChannelsPool",
    }
    assert set(layer.__all__) == old_names
    for name in old_names:
        assert issubclass(getattr(layer, name), nn.Module) and getattr(layer, name).__name__ == name


@pytest.mark.parametrize("make", [lambda: NeuNorm(2, 3, 3, step_mode="m"), IFNode, Dropout])
def test_step_mode_is_validated_by_one_rule_for_neurons_and_layers(make):
    module = make()
    module.step_mode = "m"
    assert module.step_mode == "m"
    with pytest.raises(ValueError, match=r"step_mode must be one of \('s', 'm'\), got 'x'"):
        module.step_mode = "x"
    assert module.step_mode == "m"


@pytest.mark.parametrize(
    "make, x, message",
    [
        (
            lambda: NeuNorm(2, 3, 3, step_mode="m"),
            torch.ones(2, 2, 3, 3),
            "NeuNorm expects [T, B, F, H, W]",
        ),
        (lambda: SynapseFilter(step_mode="m"), torch.tensor(1.0), "SynapseFilter expects [T, ...]"),
    ],
)
def test_multistep_input_without_a_time_dim_is_refused(make, x, message):
    with pytest.raises(ValueError) as err:
        make()(x)
    assert str(err.value).startswith(f"{message} in multi-step mode, got shape")


# ------------------------------------------------------------------------------------- dropout


def test_multistep_dropout_zeroes_the_same_positions_at_every_step():
    drop = Dropout(0.5, step_mode="m")
    y = drop(torch.ones(6, 4, 50))
    zeros = y == 0
    assert zeros[0].any() and (~zeros[0]).any()
    for t in range(1, 6):
        assert torch.equal(zeros[t], zeros[0])


def test_dropout_scales_kept_elements_by_inverse_keep_probability():
    p = 0.25
    x = torch.rand(3, 8, 1000) + 0.5
    y = Dropout(p, step_mode="m")(x)
    kept = y != 0
    assert torch.allclose(y[kept], x[kept] / (1 - p))
    # the expectation is preserved: mean(mask) ~ 1
    assert abs(float((y / x).mean()) - 1.0) < 0.03


def test_single_step_dropout_reuses_its_mask_until_reset():
    drop = Dropout(0.5)
    x = torch.ones(4, 200)
    first = drop(x)
    assert torch.equal(drop(x), first) and torch.equal(drop(2 * x), 2 * first)
    drop.reset()
    assert drop.mask is None
    assert not torch.equal(drop(x), first)


def test_single_step_dropout_refuses_a_stale_mask_of_another_shape():
    drop = Dropout(0.5)
    drop(torch.ones(4, 10))
    with pytest.raises(RuntimeError, match="reset"):
        drop(torch.ones(3, 10))


@pytest.mark.parametrize("cls", [Dropout, Dropout2d])
@pytest.mark.parametrize("step_mode", ["s", "m"])
def test_dropout_is_identity_in_eval_mode(cls, step_mode):
    drop = cls(0.5, step_mode=step_mode).eval()
    x = torch.rand(2, 3, 4, 5, 5)
    x = x if step_mode == "m" else x[0]
    assert torch.equal(drop(x), x)


def test_dropout2d_zeroes_whole_channels_shared_over_time():
    p = 0.5
    y = Dropout2d(p, step_mode="m")(torch.ones(3, 4, 32, 5, 5))  # [T, B, C, H, W]
    per_map = y.flatten(3)  # [T, B, C, H*W]
    # every feature map is either all zero or all 1/(1-p) ...
    assert ((per_map == 0).all(-1) | (per_map == 1 / (1 - p)).all(-1)).all()
    dropped = (per_map == 0).all(-1)
    assert dropped.any() and (~dropped).any()
    # ... and the same maps are dropped at every step
    assert torch.equal(dropped[1], dropped[0]) and torch.equal(dropped[2], dropped[0])


def test_single_step_dropout2d_mask_is_per_channel():
    drop = Dropout2d(0.5)
    drop(torch.ones(2, 16, 3, 3))
    assert drop.mask is not None and drop.mask.shape == (2, 16, 1, 1)


def test_multistep_aliases_are_multistep():
    assert MultiStepDropout().step_mode == "m" and MultiStepDropout().p == 0.5
    assert MultiStepDropout2d(0.3).step_mode == "m" and isinstance(MultiStepDropout2d(), Dropout2d)


@pytest.mark.parametrize("p", [1.0, -0.1, 1.5])
def test_dropout_rejects_p_outside_0_1(p):
    with pytest.raises(ValueError, match="p must be in"):
        Dropout(p)


def test_dropout_rejects_bad_step_mode():
    with pytest.raises(ValueError, match="step_mode"):
        Dropout(0.5, step_mode="multi")


# ---------------------------------------------------------------------------------- containers


def test_seq_to_ann_container_equals_applying_the_modules_per_step():
    conv = SeqToANNContainer(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3).eval(), nn.ReLU())
    x = torch.rand(5, 4, 2, 6, 6)
    expected = torch.stack([conv[2](conv[1](conv[0](x[t]))) for t in range(5)])
    assert torch.allclose(conv(x), expected, atol=1e-6)
    assert SeqToANNContainer(nn.Linear(4, 2), nn.Linear(2, 3))(torch.rand(16, 8, 4)).shape == (
        16,
        8,
        3,
    )


def test_seq_to_ann_container_refuses_stateful_modules():
    with pytest.raises(ValueError, match="stateless"):
        SeqToANNContainer(nn.Linear(2, 2), IFNode())


def test_multistep_container_with_if_equals_the_multistep_if_node():
    x = torch.rand(10, 3, 7) * 1.2
    wrapped = MultiStepContainer(IFNode())
    assert torch.equal(wrapped(x), IFNode(step_mode="m", backend="torch")(x))
    assert isinstance(wrapped[0].v, torch.Tensor)
    wrapped.reset()
    assert wrapped[0].v == 0.0


def test_multistep_container_refuses_multistep_children():
    with pytest.raises(ValueError, match="step_mode"):
        MultiStepContainer(IFNode(step_mode="m"))(torch.rand(4, 2, 3))


# ------------------------------------------------------------------------------------- voting


def test_voting_layer_averages_groups_along_the_last_dim():
    x = torch.tensor([[1.0, 0.0, 0.0, 1.0, 1.0, 0.0]])
    assert torch.allclose(VotingLayer(3)(x), torch.tensor([[1 / 3, 2 / 3]]))
    x_seq = torch.rand(4, 2, 20)
    y = VotingLayer(10)(x_seq)
    assert y.shape == (4, 2, 2)
    assert torch.allclose(y[..., 1], x_seq[..., 10:].mean(-1))
    assert torch.allclose(VotingLayer(5)(x_seq), F.avg_pool1d(x_seq.flatten(0, 1), 5).view(4, 2, 4))
    with pytest.raises(ValueError, match="divisible"):
        VotingLayer(3)(torch.rand(2, 10))


# -------------------------------------------------------------------------------- DropConnect


@pytest.mark.parametrize("step_mode,shape", [("s", (5, 8)), ("m", (3, 5, 8))])
def test_dropconnect_shapes_in_train_and_eval(step_mode, shape):
    fc = DropConnectLinear(8, 4, step_mode=step_mode, samples_num=64)
    out_shape = (*shape[:-1], 4)
    assert fc(torch.rand(shape)).shape == out_shape
    assert fc.mask_w is not None and fc.mask_w.shape == (5, 4, 8)
    assert fc.eval()(torch.rand(shape)).shape == out_shape
    with pytest.raises(ValueError, match="expects"):
        fc(torch.rand(5, 7))


def test_dropconnect_invariant_keeps_its_mask_until_reset():
    x = torch.rand(4, 30)
    fc = DropConnectLinear(30, 20, invariant=True, activation=nn.Identity())
    first = fc(x)
    assert torch.equal(fc(x), first)
    fc.reset()
    assert fc.mask_w is None and fc.mask_b is None
    assert not torch.equal(fc(x), first)
    varying = DropConnectLinear(30, 20, invariant=False, activation=nn.Identity())
    assert not torch.equal(varying(x), varying(x))


def test_dropconnect_multistep_mask_is_shared_over_time():
    fc = DropConnectLinear(30, 20, step_mode="m", activation=nn.Identity())
    y = fc(torch.rand(1, 4, 30).expand(5, 4, 30))
    for t in range(1, 5):
        assert torch.allclose(y[t], y[0])


def test_dropconnect_drops_connections_without_rescaling():
    fc = DropConnectLinear(6, 3, bias=False, p=0.5, activation=nn.Identity())
    x = torch.rand(2, 6)
    y = fc(x)
    assert fc.mask_w is not None
    expected = torch.einsum("boi,bi->bo", fc.weight * fc.mask_w, x)
    assert torch.allclose(y, expected)


def test_dropconnect_eval_is_close_to_the_mean_over_many_sampled_masks():
    torch.manual_seed(1)
    fc = DropConnectLinear(64, 3, p=0.5, samples_num=20000)  # ReLU activation
    x = torch.rand(1, 64)
    with torch.no_grad():
        sampled = fc.train()(x.expand(20000, 64)).mean(0)  # 20000 independent masks
        inferred = fc.eval()(x)[0]
        naive = torch.relu(0.5 * F.linear(x, fc.weight, fc.bias))[0]  # activation of the mean
    assert torch.allclose(inferred, sampled, atol=0.01), (inferred, sampled)
    # the sampling matters: E[relu(u)] differs from relu(E[u])
    assert (inferred - naive).abs().max() > 0.02


def test_dropconnect_refuses_a_stateful_activation():
    with pytest.raises(ValueError, match="stateless"):
        DropConnectLinear(4, 2, activation=LIFNode())


# ------------------------------------------------------------------------ NeuNorm, filter, pool


def test_neunorm_follows_its_equation_and_resets():
    nn_ = NeuNorm(2, 2, 3, k=0.5)
    s1, s2 = (torch.rand(4, 2, 2, 3) > 0.5).float(), (torch.rand(4, 2, 2, 3) > 0.5).float()
    x1 = (1 - 0.5) / 4 * s1.sum(1, keepdim=True)
    x2 = 0.5 * x1 + (1 - 0.5) / 4 * s2.sum(1, keepdim=True)
    assert torch.allclose(nn_(s1), s1 - nn_.w * x1)
    assert torch.allclose(nn_(s2), s2 - nn_.w * x2)
    nn_.reset()
    assert torch.allclose(nn_(s1), s1 - nn_.w * x1)
    multi = NeuNorm(2, 2, 3, k=0.5, step_mode="m")
    multi.w.data.copy_(nn_.w.data)
    nn_.reset()
    seq = torch.stack([s1, s2])
    assert torch.allclose(multi(seq), torch.stack([nn_(s1), nn_(s2)]))
    assert NeuNorm(2, 2, 3, shared_across_channels=True).w.shape == (1, 2, 3)


def test_synapse_filter_decays_without_input_and_jumps_by_one_per_spike():
    syn = SynapseFilter(tau=4.0, step_mode="m")
    s = torch.tensor([1.0, 0.0, 0.0, 1.0]).view(4, 1)
    expected = [1.0, 0.75, 0.5625, 1.5625]
    assert torch.allclose(syn(s).flatten(), torch.tensor(expected))
    syn.reset()
    assert syn.i == 0.0
    learn = SynapseFilter(tau=4.0, learnable=True, step_mode="m")
    assert abs(learn.tau - 4.0) < 1e-5
    learn(s).sum().backward()
    assert learn.w.grad is not None and learn.w.grad != 0


def test_stateful_layers_refuse_a_batch_of_another_shape_until_reset():
    syn, norm = SynapseFilter(), NeuNorm(1, 2, 2)
    syn(torch.ones(3, 4))
    norm(torch.ones(3, 1, 2, 2))
    with pytest.raises(RuntimeError, match="reset"):
        syn(torch.ones(2, 4))
    with pytest.raises(RuntimeError, match="reset"):
        norm(torch.ones(2, 1, 2, 2))
    reset_net(nn.Sequential(syn, norm))
    assert syn(torch.ones(2, 4)).shape == (2, 4) and norm(torch.ones(2, 1, 2, 2)).shape[0] == 2


def test_channels_pool_pools_over_channels():
    x = torch.rand(2, 8, 4, 4)
    y = ChannelsPool(nn.MaxPool1d(2, 2))(x)
    assert torch.equal(y, torch.maximum(x[:, 0::2], x[:, 1::2]))
    y_seq = ChannelsPool(nn.AvgPool1d(4, 4), step_mode="m")(x.unsqueeze(0))
    assert y_seq.shape == (1, 2, 2, 4, 4)
    assert torch.allclose(y_seq[0, :, 1], x[:, 4:].mean(1))


# ----------------------------------------------------------------------------- stateful reset


def test_reset_net_clears_every_layer_state():
    net = nn.Sequential(
        Dropout(0.5), NeuNorm(1, 2, 2), SynapseFilter(), DropConnectLinear(4, 2, invariant=True)
    )
    net[0](torch.ones(3, 1, 2, 2))
    net[1](torch.ones(3, 1, 2, 2))
    net[2](torch.ones(3, 4))
    net[3](torch.ones(3, 4))
    reset_net(net)
    assert net[0].mask is None and net[1].x == 0.0 and net[2].i == 0.0 and net[3].mask_w is None


# --------------------------------------------------------------------------------- training


def test_multistep_network_loss_goes_down_after_one_optimizer_step():
    torch.manual_seed(0)
    T, B, n_in, n_hidden, n_out = 8, 32, 10, 32, 3
    net = nn.Sequential(
        SeqToANNContainer(nn.Linear(n_in, n_hidden)),
        LIFNode(step_mode="m", backend="torch"),
        SeqToANNContainer(nn.Linear(n_hidden, n_out)),
        LIFNode(step_mode="m", backend="torch"),
    )
    with torch.no_grad():  # start near threshold so that both layers fire (a non-silent net)
        net[0][0].bias.fill_(1.0)
        net[2][0].bias.fill_(1.2)
    x = torch.rand(T, B, n_in) * 2.0
    target = F.one_hot(torch.randint(0, n_out, (B,)), n_out).float()

    def loss_now() -> torch.Tensor:
        reset_net(net)
        return F.mse_loss(net(x).mean(0), target)

    opt = torch.optim.SGD(net.parameters(), lr=0.5)
    before = loss_now()
    opt.zero_grad()
    before.backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in net.parameters())
    opt.step()
    with torch.no_grad():
        after = loss_now()
    assert 0.0 < after.item() < before.item() - 1e-3
