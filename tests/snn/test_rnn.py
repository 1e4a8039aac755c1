"""Tests for spikeagents.snn.rnn: the spiking cells compute the documented equations, the stacks
run them over time (both directions, several layers), padding is ignored, and the collate/mask
helpers behave as the docs show."""

from __future__ import annotations

import doctest
import math

import pytest
import torch
from torch import nn

from spikeagents.snn import layer, rnn
from spikeagents.snn.rnn import (
    SpikingGRU,
    SpikingGRUCell,
    SpikingLSTM,
    SpikingLSTMCell,
    SpikingVanillaRNN,
    SpikingVanillaRNNCell,
    bidirectional_rnn_cell_forward,
    pad_sequence_collate,
    padded_sequence_mask,
)
from spikeagents.snn.surrogate import Erf

STACKS = [SpikingLSTM, SpikingGRU, SpikingVanillaRNN]


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


def theta(x: torch.Tensor) -> torch.Tensor:
    return (x >= 0).float()


def pre(cell: nn.Module, x: torch.Tensor, h: torch.Tensor) -> list[torch.Tensor]:
    """The gate pre-activations ``W_ih x + b_ih + W_hh h + b_hh``, split per gate."""
    total = x @ cell.weight_ih().T + cell.bias_ih() + h @ cell.weight_hh().T + cell.bias_hh()
    return list(total.chunk(cell.n_gates, dim=1))


def test_docstring_examples_run():
    result = doctest.testmod(rnn, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0


def test_lstm_cell_follows_the_spiking_lstm_equations():
    cell = SpikingLSTMCell(3, 4)
    x, h, c = torch.randn(5, 3) * 3, torch.rand(5, 4), torch.rand(5, 4)
    h1, c1 = cell(x, (h, c))
    i, f, g, o = (theta(a) for a in pre(cell, x, h))
    assert torch.equal(c1, f * c + i * g)
    assert torch.equal(h1, o * c1)  # h_t = o_t * c_t (the docs misprint c'_{t-1})


def test_gru_cell_follows_the_spiking_gru_equations():
    cell = SpikingGRUCell(3, 4)
    x, h = torch.randn(5, 3) * 3, theta(torch.randn(5, 4))
    gi = (x @ cell.weight_ih().T + cell.bias_ih()).chunk(3, 1)
    gh = (h @ cell.weight_hh().T + cell.bias_hh()).chunk(3, 1)
    r, z = theta(gi[0] + gh[0]), theta(gi[1] + gh[1])
    n = theta(gi[2] + r * gh[2])
    h1 = cell(x, h)
    assert torch.equal(h1, (1 - z) * n + z * h)
    assert set(h1.unique().tolist()) <= {0.0, 1.0}  # binary states stay binary


def test_vanilla_cell_fires_where_its_input_crosses_zero():
    cell = SpikingVanillaRNNCell(3, 4)
    x, h = torch.randn(5, 3), theta(torch.randn(5, 4))
    assert torch.equal(cell(x, h), theta(pre(cell, x, h)[0]))
    assert torch.equal(cell(x), theta(pre(cell, x, torch.zeros(5, 4))[0]))  # h defaults to 0


def test_gates_pass_the_surrogate_gradient():
    """dh/d(bias) of the vanilla cell is the Erf derivative alpha/sqrt(pi) e^{-alpha^2 u^2}."""
    cell = SpikingVanillaRNNCell(2, 3, surrogate_function=Erf(alpha=2.0))
    x = torch.randn(1, 2)
    cell(x).sum().backward()
    u = pre(cell, x, torch.zeros(1, 3))[0].detach()[0]
    expected = 2.0 / math.sqrt(math.pi) * torch.exp(-((2.0 * u) ** 2))
    assert torch.allclose(cell.bias_hh().grad, expected, atol=1e-6)


def test_non_spiking_surrogate_gives_the_smooth_twin():
    cell = SpikingLSTMCell(3, 4, surrogate_function1=Erf(spiking=False))
    x = torch.randn(2, 3)
    h, c = cell(x)
    i, f, g, o = (0.5 * torch.erfc(-2.0 * a) for a in pre(cell, x, torch.zeros(2, 4)))
    assert torch.allclose(c, i * g, atol=1e-6) and torch.allclose(h, o * c, atol=1e-6)


def test_parameters_start_uniform_in_plus_minus_sqrt_k():
    cell = SpikingGRUCell(10, 16)
    bound = 1 / math.sqrt(16)
    for p in cell.parameters():
        assert p.abs().max() <= bound and p.abs().max() > 0.5 * bound
    assert cell.weight_ih().shape == (48, 10) and cell.weight_hh().shape == (48, 16)
    assert SpikingLSTM.states_num() == 2 and SpikingGRU.states_num() == 1
    assert SpikingLSTM.base_cell() is SpikingLSTMCell


@pytest.mark.parametrize("cls", STACKS)
def test_one_layer_stack_equals_stepping_its_cell(cls):
    net = cls(3, 5)
    x = torch.randn(7, 2, 3) * 2
    y, _ = net(x)
    cell, state, outs = net.cells[0], None, []
    for t in range(7):
        state = cell(x[t], state)
        outs.append(state[0] if isinstance(state, tuple) else state)
    assert torch.equal(y, torch.stack(outs))


@pytest.mark.parametrize("cls", STACKS)
def test_reverse_direction_reads_the_flipped_sequence(cls):
    net = cls(3, 4, bidirectional=True)
    x = torch.randn(6, 2, 3) * 2
    y, _ = net(x)
    forward_only = cls(3, 4)
    forward_only.cells[0].load_state_dict(net.cells_reverse[0].state_dict())
    y_rev, _ = forward_only(x.flip(0))
    assert y.shape == (6, 2, 8)
    assert torch.equal(y[..., 4:], y_rev.flip(0))


@pytest.mark.parametrize("cls", STACKS)
@pytest.mark.parametrize("bidirectional", [False, True])
def test_shapes_of_outputs_and_states(cls, bidirectional):
    d = 2 if bidirectional else 1
    net = cls(3, 4, num_layers=3, bidirectional=bidirectional)
    y, states = net(torch.randn(5, 2, 3))
    assert y.shape == (5, 2, 4 * d)
    states = states if isinstance(states, tuple) else (states,)
    assert len(states) == cls.states_num()
    assert all(s.shape == (3 * d, 2, 4) for s in states)
    y2, _ = net(torch.randn(5, 2, 3), states)  # final states feed back in as initial states
    assert y2.shape == y.shape


def test_initial_states_are_used():
    net = SpikingLSTM(2, 3, num_layers=2)
    x = torch.randn(4, 1, 2)
    h0, c0 = torch.rand(2, 1, 3) * 5, torch.rand(2, 1, 3) * 5
    y, (h, c) = net(x, (h0, c0))
    cell0, cell1 = net.cells
    s0, s1, top = (h0[0], c0[0]), (h0[1], c0[1]), []
    for t in range(4):
        s0 = cell0(x[t], s0)
        s1 = cell1(s0[0], s1)
        top.append(s1[0])
    assert torch.equal(y, torch.stack(top))
    assert torch.equal(h, torch.stack([s0[0], s1[0]])) and torch.equal(c[1], s1[1])


@pytest.mark.parametrize("cls", STACKS)
def test_padding_is_ignored(cls):
    """A padded batch gives each sequence exactly what it gives alone, both ways, two layers."""
    net = cls(3, 4, num_layers=2, bidirectional=True)
    seqs = [torch.randn(n, 3) * 2 for n in (6, 2, 4)]
    x = torch.nn.utils.rnn.pad_sequence(seqs)
    x[4:, 1] = 9.0  # garbage in the padding must not leak anywhere
    mask = padded_sequence_mask(torch.tensor([6, 2, 4]))
    y, states = net(x, mask=mask)
    states = states if isinstance(states, tuple) else (states,)
    for b, seq in enumerate(seqs):
        alone, s_alone = net(seq[:, None])
        s_alone = s_alone if isinstance(s_alone, tuple) else (s_alone,)
        n = len(seq)
        assert torch.equal(y[:n, b], alone[:, 0])
        assert not y[n:, b].any()
        for s, s1 in zip(states, s_alone, strict=True):
            assert torch.equal(s[:, b], s1[:, 0])


def test_bidirectional_cell_forward_matches_the_stack():
    net = SpikingGRU(3, 4, bidirectional=True)
    x = torch.randn(5, 2, 3)
    mask = padded_sequence_mask(torch.tensor([5, 3]))
    y, h = net(x, mask=mask)
    y2, s, s_r = bidirectional_rnn_cell_forward(net.cells[0], net.cells_reverse[0], x, mask=mask)
    assert torch.equal(y, y2) and torch.equal(h[0], s) and torch.equal(h[1], s_r)
    lstm = SpikingLSTM(3, 4, bidirectional=True)
    hc = torch.rand(2, 2, 4)  # [states_num, B, H], as the docs lay it out
    _, ss, ss_r = bidirectional_rnn_cell_forward(lstm.cells[0], lstm.cells_reverse[0], x, hc, hc)
    assert ss.shape == ss_r.shape == (2, 2, 4)


def test_dropout_between_layers():
    plain = SpikingGRU(3, 8, num_layers=2, dropout_p=0.5)
    shared = SpikingGRU(3, 8, num_layers=2, dropout_p=0.5, invariant_dropout_mask=True)
    assert isinstance(plain.dropout, nn.Dropout)
    assert isinstance(shared.dropout, layer.Dropout) and shared.dropout.step_mode == "m"
    assert SpikingGRU(3, 8, num_layers=1, dropout_p=0.5).dropout is None  # nothing between
    shared.eval()
    x = torch.randn(4, 2, 3)
    assert torch.equal(shared(x)[0], shared(x)[0])  # eval: no dropout


def test_bad_inputs_give_clear_errors():
    net = SpikingLSTM(3, 4)
    with pytest.raises(ValueError, match=r"x must be \[T, B, 3\]"):
        net(torch.randn(5, 2, 4))
    with pytest.raises(ValueError, match="mask must be"):
        net(torch.randn(5, 2, 3), mask=torch.ones(4, 2, dtype=torch.bool))
    with pytest.raises(ValueError, match="states must be 2 tensor"):
        net(torch.randn(5, 2, 3), torch.zeros(1, 2, 4))
    with pytest.raises(ValueError, match="dropout_p"):
        SpikingGRU(3, 4, dropout_p=1.0)
    with pytest.raises(ValueError, match="unknown surrogate"):
        SpikingGRU(3, 4, surrogate_function1="nope")


def test_pad_sequence_collate_and_mask_as_in_the_docs():
    batch = [(torch.rand(n, 28, 28), label) for n, label in ((3, 1), (7, 0), (1, 4))]
    x, y, lengths = pad_sequence_collate(batch)
    assert x.shape == (7, 3, 28, 28) and y.tolist() == [1, 0, 4] and lengths.tolist() == [3, 7, 1]
    assert not x[3:, 0].any() and torch.equal(x[:1, 2], batch[2][0])
    mask = padded_sequence_mask(torch.tensor([2, 3, 4]))
    assert mask.T.int().tolist() == [[1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]]
    assert padded_sequence_mask(torch.tensor([1]), T=3).flatten().tolist() == [True, False, False]
