"""Spiking recurrent stacks: layers of cells run over sequences ``[T, B, F]``, one or both
directions, with masks for padded steps (equations in :mod:`spikeagents.snn.rnn`)."""

from __future__ import annotations

from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from spikeagents.snn.layer import Dropout
from spikeagents.snn.rnn.cells import (
    SpikingGRUCell,
    SpikingLSTMCell,
    SpikingRNNCellBase,
    SpikingVanillaRNNCell,
    State,
    Surrogate,
    check_positive,
)

__all__ = [
    "SpikingRNNBase",
    "SpikingLSTM",
    "SpikingGRU",
    "SpikingVanillaRNN",
    "bidirectional_rnn_cell_forward",
]


def _check_mask(mask: Tensor | None, x: Tensor, who: str) -> Tensor | None:
    if mask is None:
        return None
    if mask.shape != x.shape[:2]:
        raise ValueError(
            f"{who}: mask must be [T, B] = {tuple(x.shape[:2])}, got {tuple(mask.shape)}"
        )
    return mask.to(device=x.device, dtype=torch.bool)


def _run_direction(
    cell: SpikingRNNCellBase, gi_seq: Tensor, state: State, mask: Tensor | None, reverse: bool
) -> tuple[Tensor, State]:
    """Loop ``cell`` over ``gi_seq [T, B, n_gates H]``; outputs ``h [T, B, H]`` (0 at padded
    steps, where the state is kept) and the final state."""
    steps = gi_seq.shape[0]
    outputs: list[Tensor] = [gi_seq.new_empty(0)] * steps
    for t in range(steps - 1, -1, -1) if reverse else range(steps):
        new = cell.step(gi_seq[t], state)
        if mask is not None:
            keep = mask[t].unsqueeze(1)
            new = tuple(torch.where(keep, n, s) for n, s in zip(new, state, strict=True))
            outputs[t] = new[0] * keep
        else:
            outputs[t] = new[0]
        state = new
    return torch.stack(outputs), state


def _as_stacked(state: Any, n_states: int) -> State | None:
    """Docs layout of one cell's state (``[B, H]`` or ``[n_states, B, H]``) -> a tuple."""
    if state is None:
        return None
    if n_states == 1:
        return (state,)
    return tuple(state.unbind(0)) if isinstance(state, Tensor) else tuple(state)


def bidirectional_rnn_cell_forward(
    cell: SpikingRNNCellBase,
    cell_reverse: SpikingRNNCellBase,
    x: Tensor,
    states: Any = None,
    states_reverse: Any = None,
    mask: Tensor | None = None,
) -> tuple[Tensor, Any, Any]:
    """Run one forward and one reverse cell over ``x [T, B, F]``.

    :param states: the forward cell's initial state, ``[B, H]`` or ``[n_states, B, H]``
        (zeros when ``None``); ``states_reverse`` likewise.
    :param mask: ``[T, B]``, False at padded steps.
    :return: ``y [T, B, 2H]`` with ``y[t] = [forward output at t, reverse output at t]`` (the
        reverse cell reads the sequence from its end, so its output at t has seen steps
        ``t..T-1``), the forward state after the last step and the reverse state after step 0,
        in the layout of ``states``.
    """
    mask = _check_mask(mask, x, "bidirectional_rnn_cell_forward")
    n = cell.n_states
    s_f = _as_stacked(states, n) or cell.zero_state(x.shape[1], x)
    s_r = _as_stacked(states_reverse, n) or cell_reverse.zero_state(x.shape[1], x)
    y_f, s_f = _run_direction(cell, cell.linear_ih(x), s_f, mask, reverse=False)
    y_r, s_r = _run_direction(cell_reverse, cell_reverse.linear_ih(x), s_r, mask, reverse=True)

    def pack(s: State) -> Tensor:
        return s[0] if n == 1 else torch.stack(s)

    return torch.cat([y_f, y_r], dim=2), pack(s_f), pack(s_r)


class SpikingRNNBase(nn.Module):
    """A stack of spiking cells over ``[T, B, F]`` sequences, optionally bidirectional.

    :param input_size: features F of the input. :param hidden_size: features H per direction.
    :param num_layers: stacked layers L; layer l + 1 reads layer l's output ``[T, B, D H]``.
    :param bias: learn the biases. :param dropout_p: dropout on every layer's output except the
        last. :param invariant_dropout_mask: draw one dropout mask per sequence and keep it for
        every step (:class:`~spikeagents.snn.layer.Dropout`) instead of one per step.
    :param bidirectional: add a reverse-direction stack (D = 2).
    :param cell_kwargs: passed to every cell (the surrogate functions).
    """

    cell_class: ClassVar[type[SpikingRNNCellBase]] = SpikingRNNCellBase

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        dropout_p: float = 0.0,
        invariant_dropout_mask: bool = False,
        bidirectional: bool = False,
        **cell_kwargs: Any,
    ) -> None:
        super().__init__()
        who = type(self).__name__
        self.input_size = check_positive(input_size, "input_size", who)
        self.hidden_size = check_positive(hidden_size, "hidden_size", who)
        self.num_layers = check_positive(num_layers, "num_layers", who)
        if not 0.0 <= dropout_p < 1.0:
            raise ValueError(f"{who}: dropout_p must be in [0, 1), got {dropout_p}")
        self.dropout_p = float(dropout_p)
        self.invariant_dropout_mask = bool(invariant_dropout_mask)
        self.bidirectional = bool(bidirectional)
        self.num_directions = 2 if bidirectional else 1
        self.cells = self.create_cells(bias, **cell_kwargs)
        self.cells_reverse = self.create_cells(bias, **cell_kwargs) if bidirectional else None
        self.dropout: nn.Module | None = None
        if self.dropout_p > 0 and num_layers > 1:
            drop = Dropout(self.dropout_p, step_mode="m") if invariant_dropout_mask else None
            self.dropout = drop or nn.Dropout(self.dropout_p)

    def create_cells(self, bias: bool, **cell_kwargs: Any) -> nn.ModuleList:
        """One stack of ``num_layers`` cells (layer 0 reads F features, the others D H)."""
        sizes = [self.input_size] + [self.num_directions * self.hidden_size] * self.num_layers
        cls = self.base_cell()
        return nn.ModuleList(
            cls(sizes[i], self.hidden_size, bias, **cell_kwargs) for i in range(self.num_layers)
        )

    @classmethod
    def base_cell(cls) -> type[SpikingRNNCellBase]:
        """The cell class the stack is made of (e.g. :class:`SpikingLSTMCell`)."""
        return cls.cell_class

    @classmethod
    def states_num(cls) -> int:
        """State tensors per cell: 2 for the LSTM (h, c), 1 otherwise."""
        return cls.cell_class.n_states

    def _initial(self, states: Any, x: Tensor) -> list[State]:
        """Initial states per (layer, direction) from ``[L D, B, H]`` tensors (zeros if None)."""
        n, count = self.states_num(), self.num_layers * self.num_directions
        if states is None:
            return [self.cells[0].zero_state(x.shape[1], x) for _ in range(count)]
        stacked = (states,) if isinstance(states, Tensor) else tuple(states)
        expected = (count, x.shape[1], self.hidden_size)
        if len(stacked) != n or any(tuple(s.shape) != expected for s in stacked):
            shapes = [tuple(s.shape) for s in stacked]
            raise ValueError(
                f"{type(self).__name__}: states must be {n} tensor(s) of shape {expected}, "
                f"got {shapes}"
            )
        return [tuple(s[k] for s in stacked) for k in range(count)]

    def forward(
        self, x: Tensor, states: Any = None, mask: Tensor | None = None
    ) -> tuple[Tensor, Any]:
        """``x [T, B, F]`` -> ``(output [T, B, D H], final states)``.

        :param states: initial states, ``[L D, B, H]`` (a tuple ``(h, c)`` for the LSTM);
            zeros when ``None``. Index ``l D + d`` is layer l, direction d (1: reverse).
        :param mask: ``[T, B]`` bool, False at padded steps (see :func:`padded_sequence_mask`).
        :return: the last layer's outputs (zeros at padded steps) and the final states in the
            layout of ``states`` (the forward state after each sequence's last real step, the
            reverse state after step 0).
        """
        who = type(self).__name__
        if x.dim() != 3 or x.shape[2] != self.input_size:
            raise ValueError(f"{who}: x must be [T, B, {self.input_size}], got {tuple(x.shape)}")
        mask = _check_mask(mask, x, who)
        initial = self._initial(states, x)
        finals: list[State] = []
        layer_in = x
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout is not None:
                layer_in = self.dropout(layer_in)
            outs = []
            for d in range(self.num_directions):
                cell = (self.cells if d == 0 else self.cells_reverse)[layer]  # type: ignore[index]
                out, final = _run_direction(
                    cell,
                    cell.linear_ih(layer_in),
                    initial[layer * self.num_directions + d],
                    mask,
                    reverse=d == 1,
                )
                outs.append(out)
                finals.append(final)
            layer_in = outs[0] if len(outs) == 1 else torch.cat(outs, dim=2)
        stacked = tuple(torch.stack([f[i] for f in finals]) for i in range(self.states_num()))
        return layer_in, stacked[0] if self.states_num() == 1 else stacked

    def extra_repr(self) -> str:
        return (
            f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, "
            f"dropout_p={self.dropout_p}, bidirectional={self.bidirectional}"
        )


class _TwoSurrogateRNN(SpikingRNNBase):
    """A stack whose cells take two surrogate functions (LSTM and GRU)."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        dropout_p: float = 0.0,
        invariant_dropout_mask: bool = False,
        bidirectional: bool = False,
        surrogate_function1: Surrogate = None,
        surrogate_function2: Surrogate = None,
    ) -> None:
        stack = (input_size, hidden_size, num_layers, bias, dropout_p, invariant_dropout_mask)
        sf = dict(surrogate_function1=surrogate_function1, surrogate_function2=surrogate_function2)
        super().__init__(*stack, bidirectional, **sf)


class SpikingLSTM(_TwoSurrogateRNN):
    """Multi-layer spiking LSTM (:class:`SpikingLSTMCell` layers); see :class:`SpikingRNNBase`.

    :param surrogate_function1: surrogate of i, f, o. :param surrogate_function2: of g.
    """

    cell_class = SpikingLSTMCell


class SpikingGRU(_TwoSurrogateRNN):
    """Multi-layer spiking GRU (:class:`SpikingGRUCell` layers); see :class:`SpikingRNNBase`.

    :param surrogate_function1: surrogate of r and z. :param surrogate_function2: of n.
    """

    cell_class = SpikingGRUCell


class SpikingVanillaRNN(SpikingRNNBase):
    """Multi-layer spiking Elman RNN (:class:`SpikingVanillaRNNCell`); see
    :class:`SpikingRNNBase`. :param surrogate_function: the spike's surrogate."""

    cell_class = SpikingVanillaRNNCell

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        dropout_p: float = 0.0,
        invariant_dropout_mask: bool = False,
        bidirectional: bool = False,
        surrogate_function: Surrogate = None,
    ) -> None:
        stack = (input_size, hidden_size, num_layers, bias, dropout_p, invariant_dropout_mask)
        super().__init__(*stack, bidirectional, surrogate_function=surrogate_function)
