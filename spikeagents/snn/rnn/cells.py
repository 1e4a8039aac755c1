"""Spiking recurrent cells: one step of a spiking LSTM, GRU or vanilla RNN (equations in
:mod:`spikeagents.snn.rnn`). A cell maps ``x [B, F]`` and its state to the next state ``[B, H]``."""

from __future__ import annotations

import math
from typing import Any, ClassVar

from torch import Tensor, nn

from spikeagents.snn.surrogate import Erf, SurrogateFunction, get_surrogate

__all__ = [
    "Surrogate",
    "State",
    "surrogate_or_default",
    "check_positive",
    "SpikingRNNCellBase",
    "SpikingLSTMCell",
    "SpikingGRUCell",
    "SpikingVanillaRNNCell",
]

Surrogate = str | SurrogateFunction | None
State = tuple[Tensor, ...]


def surrogate_or_default(
    surrogate: Surrogate, fallback: SurrogateFunction | None = None
) -> SurrogateFunction:
    """A surrogate by name or instance; ``None`` -> ``fallback`` or ``Erf(alpha=2)``."""
    if surrogate is None:
        return fallback if fallback is not None else Erf(alpha=2.0)
    return get_surrogate(surrogate)


def check_positive(value: int, name: str, who: str) -> int:
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
        self.input_size = check_positive(input_size, "input_size", who)
        self.hidden_size = check_positive(hidden_size, "hidden_size", who)
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
        self.surrogate_function1 = surrogate_or_default(surrogate_function1)
        self.surrogate_function2 = surrogate_or_default(
            surrogate_function2, self.surrogate_function1
        )


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
        self.surrogate_function = surrogate_or_default(surrogate_function)

    def step(self, gi: Tensor, state: State) -> State:
        return (self.surrogate_function(gi + self.linear_hh(state[0])),)
