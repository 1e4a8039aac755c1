r"""Spiking recurrent networks: LSTM, GRU and vanilla RNN cells whose gates spike, and their stacks.

Every gate is a Heaviside step :math:`\Theta` on the forward pass and the derivative of a smooth
surrogate on the backward pass (:mod:`spikeagents.snn.surrogate`; default ``Erf(alpha=2)``, the
docs' choice). ``surrogate_function1`` drives the gating spikes (i, f, o; r, z) and
``surrogate_function2`` the candidate (g; n); ``None`` reuses the first. A surrogate made with
``spiking=False`` turns a cell into its smooth (non-spiking) twin, which the tests use to check the
equations. Spiking LSTM (Lotfi Rezaabad & Vishwanath 2020, arXiv 2007.04779):

.. math::

    i_t = \Theta(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}), \quad
    f_t = \Theta(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}),

    g_t = \Theta(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}), \quad
    o_t = \Theta(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}),

    c_t = f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot c_t

(the docs print :math:`h_t = o_t \odot c'_{t-1}`; the cell's own equations and code use
:math:`c_t`, as here). So :math:`c_t` counts the spikes let in since the last reset by
:math:`f_t = 0` and :math:`h_t` is that count gated by :math:`o_t`. Spiking GRU and vanilla RNN:

.. math::

    r_t = \Theta(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}), \quad
    z_t = \Theta(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}),

    n_t = \Theta(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})), \quad
    h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1};

    h_t = \Theta(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}) \quad \text{(vanilla)}

Weights and biases start as :math:`U(-\sqrt{k}, \sqrt{k})` with :math:`k = 1 / \text{hidden}`.

Shapes: a cell maps ``x [B, F]`` (and its state) to the next state ``[B, H]``; a stack maps
``x [T, B, F]`` to ``output [T, B, D H]`` (D = 2 when bidirectional) and the final states
``[L D, B, H]`` (a tuple ``(h, c)`` for the LSTM), layer-major as in ``torch.nn.LSTM``.
Variable-length batches: pass ``mask [T, B]`` (True at real steps, e.g. from
:func:`padded_sequence_mask`); a padded step leaves the state as it was and outputs zeros, so the
forward direction ends at each sequence's last step and the reverse direction starts there.

Example::

    >>> import torch
    >>> lstm = SpikingLSTM(input_size=3, hidden_size=4, num_layers=2, bidirectional=True)
    >>> x = torch.nn.utils.rnn.pad_sequence([torch.rand(5, 3), torch.rand(2, 3)])  # [5, 2, 3]
    >>> y, (h, c) = lstm(x, mask=padded_sequence_mask(torch.tensor([5, 2])))
    >>> tuple(y.shape), tuple(h.shape)
    ((5, 2, 8), (4, 2, 4))
    >>> bool((y[2:, 1] == 0).all())                  # padded steps output nothing
    True
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

from spikeagents.snn.layer import Dropout
from spikeagents.snn.surrogate import Erf, SurrogateFunction, get_surrogate

__all__ = [
    "SpikingRNNCellBase",
    "SpikingLSTMCell",
    "SpikingGRUCell",
    "SpikingVanillaRNNCell",
    "SpikingRNNBase",
    "SpikingLSTM",
    "SpikingGRU",
    "SpikingVanillaRNN",
    "bidirectional_rnn_cell_forward",
    "pad_sequence_collate",
    "padded_sequence_mask",
]

Surrogate = str | SurrogateFunction | None
State = tuple[Tensor, ...]


def _surrogate(
    surrogate: Surrogate, fallback: SurrogateFunction | None = None
) -> SurrogateFunction:
    """A surrogate by name or instance; ``None`` -> ``fallback`` or ``Erf(alpha=2)``."""
    if surrogate is None:
        return fallback if fallback is not None else Erf(alpha=2.0)
    return get_surrogate(surrogate)


def _positive(value: int, name: str, who: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{who}: {name} must be a positive int, got {value!r}")
    return value


class SpikingRNNCellBase(nn.Module):
    """Base of the spiking cells: the input and recurrent projections and their initialisation.

    A subclass sets ``n_gates`` (rows of ``W_ih`` per hidden unit), ``n_states`` and
    :meth:`step`, which takes the input projection ``W_ih x + b_ih`` so that a stack can compute
    it for a whole sequence in one matrix product.

    :param input_size: features F of the input x. :param hidden_size: features H of the state.
    :param bias: learn ``b_ih`` and ``b_hh``.
    """

    n_gates: ClassVar[int] = 1
    n_states: ClassVar[int] = 1

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True) -> None:
        super().__init__()
        who = type(self).__name__
        self.input_size = _positive(input_size, "input_size", who)
        self.hidden_size = _positive(hidden_size, "hidden_size", who)
        self.bias = bool(bias)
        self.linear_ih = nn.Linear(input_size, self.n_gates * hidden_size, bias=bias)
        self.linear_hh = nn.Linear(hidden_size, self.n_gates * hidden_size, bias=bias)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Every weight and bias from :math:`U(-\\sqrt{k}, \\sqrt{k})`, ``k = 1 / hidden_size``."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in (*self.linear_ih.parameters(), *self.linear_hh.parameters()):
            nn.init.uniform_(p, -bound, bound)

    def weight_ih(self) -> Tensor:
        """Input-to-hidden weights ``[n_gates H, F]``."""
        return self.linear_ih.weight

    def weight_hh(self) -> Tensor:
        """Hidden-to-hidden weights ``[n_gates H, H]``."""
        return self.linear_hh.weight

    def bias_ih(self) -> Tensor | None:
        """Input-to-hidden bias ``[n_gates H]`` (``None`` without bias)."""
        return self.linear_ih.bias

    def bias_hh(self) -> Tensor | None:
        """Hidden-to-hidden bias ``[n_gates H]`` (``None`` without bias)."""
        return self.linear_hh.bias

    def zero_state(self, batch: int, like: Tensor) -> State:
        """``n_states`` zero tensors ``[B, H]`` on ``like``'s device and dtype."""
        shape = (batch, self.hidden_size)
        return tuple(like.new_zeros(shape) for _ in range(self.n_states))

    def step(self, gi: Tensor, state: State) -> State:
        """One step from the input projection ``gi [B, n_gates H]``; returns the new state."""
        raise NotImplementedError

    def _as_state(self, state: Any, x: Tensor) -> State:
        if state is None:
            return self.zero_state(x.shape[0], x)
        state = (state,) if isinstance(state, Tensor) else tuple(state)
        if len(state) != self.n_states:
            raise ValueError(
                f"{type(self).__name__}: expected {self.n_states} state tensor(s), got {len(state)}"
            )
        return state

    def forward(self, x: Tensor, state: Any = None) -> Any:
        """``x [B, F]`` -> the next state: ``h [B, H]``, or ``(h, c)`` for the LSTM cell."""
        new = self.step(self.linear_ih(x), self._as_state(state, x))
        return new if self.n_states > 1 else new[0]


class _TwoSurrogateCell(SpikingRNNCellBase):
    """A cell with two surrogate functions (LSTM and GRU); the second defaults to the first."""

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        surrogate_function1: Surrogate = None,
        surrogate_function2: Surrogate = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias)
        self.surrogate_function1 = _surrogate(surrogate_function1)
        self.surrogate_function2 = _surrogate(surrogate_function2, self.surrogate_function1)


class SpikingLSTMCell(_TwoSurrogateCell):
    """Spiking LSTM cell (module docstring): gates i, f, g, o spike, ``c' = f c + i g``,
    ``h' = o c'``. ``forward(x [B, F], (h, c) = zeros) -> (h' [B, H], c' [B, H])``.

    :param surrogate_function1: surrogate of i, f, o (name, instance or ``None`` = Erf).
    :param surrogate_function2: surrogate of g (``None``: the same as the first).
    """

    n_gates = 4
    n_states = 2

    def step(self, gi: Tensor, state: State) -> State:
        h, c = state
        i, f, g, o = (gi + self.linear_hh(h)).chunk(4, dim=1)
        sf1 = self.surrogate_function1
        c = sf1(f) * c + sf1(i) * self.surrogate_function2(g)
        return sf1(o) * c, c


class SpikingGRUCell(_TwoSurrogateCell):
    """Spiking GRU cell (module docstring): gates r, z and candidate n spike,
    ``h' = (1 - z) n + z h``. ``forward(x [B, F], h = zeros) -> h' [B, H]``.

    :param surrogate_function1: surrogate of r and z. :param surrogate_function2: of n
        (``None``: the same as the first).
    """

    n_gates = 3

    def step(self, gi: Tensor, state: State) -> State:
        (h,) = state
        i_r, i_z, i_n = gi.chunk(3, dim=1)
        h_r, h_z, h_n = self.linear_hh(h).chunk(3, dim=1)
        r = self.surrogate_function1(i_r + h_r)
        z = self.surrogate_function1(i_z + h_z)
        n = self.surrogate_function2(i_n + r * h_n)
        return ((1.0 - z) * n + z * h,)


class SpikingVanillaRNNCell(SpikingRNNCellBase):
    """Spiking Elman cell: ``h' = Θ(W_ih x + b_ih + W_hh h + b_hh)``.
    ``forward(x [B, F], h = zeros) -> h' [B, H]`` (binary spikes).

    :param surrogate_function: the spike's surrogate (``None`` = Erf).
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        surrogate_function: Surrogate = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias)
        self.surrogate_function = _surrogate(surrogate_function)

    def step(self, gi: Tensor, state: State) -> State:
        return (self.surrogate_function(gi + self.linear_hh(state[0])),)


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
        self.input_size = _positive(input_size, "input_size", who)
        self.hidden_size = _positive(hidden_size, "hidden_size", who)
        self.num_layers = _positive(num_layers, "num_layers", who)
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


def pad_sequence_collate(batch: Sequence[tuple[Any, Any]]) -> tuple[Tensor, Tensor, Tensor]:
    """``collate_fn`` for samples ``(x [T_i, *], y)`` of different lengths.

    :return: ``x [T_max, N, *]`` (zero-padded, time-major), ``y [N]`` and the lengths
        ``[N]`` (int64), e.g. for :func:`padded_sequence_mask`.
    """
    if not batch:
        raise ValueError("pad_sequence_collate: empty batch")
    xs = [torch.as_tensor(x) for x, _ in batch]
    lengths = torch.tensor([len(x) for x in xs], dtype=torch.long)
    y = torch.as_tensor([label for _, label in batch])
    return torch.nn.utils.rnn.pad_sequence(xs), y, lengths


def padded_sequence_mask(sequence_len: Tensor, T: int | None = None) -> Tensor:
    """Bool mask ``[T, N]``, True where step ``t < sequence_len[n]`` (False at padding).

    :param sequence_len: lengths ``[N]``. :param T: steps (default: the longest length).

    Example::

        >>> padded_sequence_mask(torch.tensor([2, 3])).int().T.tolist()
        [[1, 1, 0], [1, 1, 1]]
    """
    lengths = torch.as_tensor(sequence_len)
    if lengths.dim() != 1:
        raise ValueError(f"padded_sequence_mask: sequence_len must be [N], got {lengths.shape}")
    steps = int(lengths.max()) if T is None and len(lengths) else int(T or 0)
    return torch.arange(steps, device=lengths.device).unsqueeze(1) < lengths.unsqueeze(0)
