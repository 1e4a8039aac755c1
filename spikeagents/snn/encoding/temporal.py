"""Stateful encoders: the whole sequence ``spike[0..T-1]`` is encoded once, then the t-th
single-step call returns ``spike[t % T]`` (periodic, latency, weighted phase)."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from spikeagents.snn.encoding.checks import as_float, check_int, check_range

__all__ = [
    "LATENCY_FUNCTIONS",
    "StatefulEncoder",
    "PeriodicEncoder",
    "latency_spike_times",
    "LatencyEncoder",
    "WeightedPhaseEncoder",
]

LATENCY_FUNCTIONS = ("linear", "log")


class StatefulEncoder(nn.Module):
    """Base class: encode a whole sequence once, then replay it one step per call.

    Equation::

        spike = encode(x)                  # [T, *x.shape], on the first call after reset()
        out_t = spike[t mod T]             # the t-th call, t = 0, 1, 2, ...

    Legend: ``T`` the encoding period, ``t`` the number of calls since the last ``encode`` or
    ``reset()``.

    Shapes: ``encode(x)`` returns ``[T, *x.shape]``; ``forward(x)`` returns ``[*x.shape]``.
    ``x`` is only read on the first call after construction or ``reset()``; later calls replay.

    Subclasses implement ``_encode(x) -> Tensor[T, ...]``. ``encode`` stores the result in
    ``self.spike`` and restarts the clock ``self.t``; both are plain attributes (not buffers), so
    ``state_dict`` never holds them. ``reset()`` clears them.
    """

    def __init__(self, T: int) -> None:
        super().__init__()
        self.T = check_int(T, "T", 1)
        self.spike: Tensor | None = None
        self.t = 0

    def _encode(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def encode(self, x: Tensor) -> Tensor:
        """Encode ``x`` to the whole sequence ``[T, *x.shape]``, store it and restart at t=0."""
        self.spike = self._encode(x)
        self.t = 0
        return self.spike

    def forward(self, x: Tensor | None = None) -> Tensor:
        if self.spike is None:
            if x is None:
                raise ValueError(
                    f"{type(self).__name__}: nothing encoded yet; pass x on the first call "
                    "after construction or reset()"
                )
            self.encode(x)
        assert self.spike is not None
        out = self.spike[self.t]
        self.t = (self.t + 1) % self.spike.shape[0]
        return out

    def reset(self) -> None:
        """Forget the encoded sequence and restart the clock."""
        self.spike = None
        self.t = 0

    def extra_repr(self) -> str:
        return f"T={self.T}"


class PeriodicEncoder(StatefulEncoder):
    """Replay a given spike sequence periodically.

    Equation::

        out_t = spike[t mod T],   T = spike.shape[0]

    Legend: ``spike`` the given sequence, ``t`` the number of calls since construction,
    ``encode`` or ``reset()``.

    Shapes: ``spike`` is ``[T, *]``; ``forward()`` returns ``[*]``. ``forward`` takes no input
    (an ``x`` passed for uniformity with other stateful encoders is ignored). ``reset()``
    restarts the clock and keeps the sequence; ``encode(spike)`` replaces it.

    Example::

        >>> spike = torch.tensor([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]])
        >>> enc = PeriodicEncoder(spike)
        >>> torch.stack([enc() for _ in range(4)])[:, 0].tolist()
        [0.0, 1.0, 0.0, 0.0]
    """

    def __init__(self, spike: Tensor) -> None:
        super().__init__(T=1)
        self.encode(spike)

    def _encode(self, x: Tensor) -> Tensor:
        if x.dim() < 1 or x.shape[0] < 1:
            raise ValueError(
                f"PeriodicEncoder expects spike of shape [T, ...] with T >= 1; got {list(x.shape)}"
            )
        self.T = x.shape[0]
        return x

    def reset(self) -> None:
        """Restart the clock at t=0 (the sequence is configuration and is kept)."""
        self.t = 0


def latency_spike_times(x: Tensor, T: int, enc_function: str = "linear") -> Tensor:
    """Firing steps of :class:`LatencyEncoder` (int64, same shape as ``x``, values in [0, T-1])."""
    check_int(T, "T", 1)
    if enc_function not in LATENCY_FUNCTIONS:
        raise ValueError(f"enc_function must be one of {LATENCY_FUNCTIONS}; got {enc_function!r}")
    x = as_float(x)
    check_range(x, 0.0, 1.0, "LatencyEncoder")
    x64 = x.detach().double()
    a = float(T - 1)
    if enc_function == "linear":
        t_f = a * (1.0 - x64)
    else:
        # ln(alpha x + 1), alpha = e^a - 1, equals ln(x e^a + (1 - x)); logaddexp cannot overflow.
        t_f = a - torch.logaddexp(a + torch.log(x64), torch.log1p(-x64))
    return torch.round(t_f).clamp_(0, T - 1).long()


class LatencyEncoder(StatefulEncoder):
    """Latency (time-to-first-spike) encoder: one spike per element, stronger inputs fire earlier.

    Equation::

        linear:  t_f(x) = (T - 1) (1 - x)
        log:     t_f(x) = (T - 1) - ln(alpha x + 1),   alpha = e^(T-1) - 1   (so t_f(1) = 0)
        spike[t] = 1 if t == round(t_f(x)) else 0,     t = 0 .. T-1

    Legend: ``x`` intensity in [0, 1], ``T`` the period (latest firing step is ``T-1``),
    ``t_f`` firing time. ``round`` is ``torch.round``: nearest integer, ties to even (the docs say
    only "Round"). The log form is evaluated as ``ln(x e^(T-1) + 1 - x)`` with ``logaddexp``, so
    alpha is never formed and large T (e.g. 1000) does not overflow.

    Shapes: ``x`` is ``[*]``; ``spike_times(x)`` is int64 ``[*]``; ``encode(x)`` is the one-hot
    sequence ``[T, *]``; the stateful ``forward(x)`` returns ``spike[t mod T]``, shape ``[*]``.

    Example::

        >>> enc = LatencyEncoder(T=5)
        >>> enc.spike_times(torch.tensor([1.0, 0.5, 0.0])).tolist()
        [0, 2, 4]
        >>> enc.encode(torch.tensor([1.0, 0.5, 0.0])).shape
        torch.Size([5, 3])
    """

    def __init__(self, T: int, enc_function: str = "linear") -> None:
        super().__init__(T)
        if enc_function not in LATENCY_FUNCTIONS:
            raise ValueError(
                f"enc_function must be one of {LATENCY_FUNCTIONS}; got {enc_function!r}"
            )
        self.enc_function = enc_function

    def spike_times(self, x: Tensor) -> Tensor:
        """Firing step of every element: int64, shape of ``x``, values in [0, T-1]."""
        return latency_spike_times(x, self.T, self.enc_function)

    def _encode(self, x: Tensor) -> Tensor:
        times = self.spike_times(x).to(x.device)
        steps = torch.arange(self.T, device=x.device).view(-1, *([1] * x.dim()))
        return (steps == times).to(as_float(x).dtype)

    def extra_repr(self) -> str:
        return f"T={self.T}, enc_function={self.enc_function!r}"


class WeightedPhaseEncoder(StatefulEncoder):
    """Weighted phase encoder (Kim et al. 2018): the binary expansion of ``x``, MSB first.

    Equation::

        bit[k] = floor(x 2^(k+1)) mod 2,   k = 0 .. K-1     (phase k+1 has weight 2^-(k+1))
        decode(bit) = sum_k bit[k] 2^-(k+1)                 (= x truncated to K bits)

    Legend: ``x`` in [0, 1 - 2^-K], ``K`` number of phases (the period), ``bit[k]`` the spike at
    phase ``k``. For example with K = 8: 192/256 -> 11000000, 1/256 -> 00000001.

    Shapes: ``x`` is ``[*]``; ``encode(x)`` returns ``[K, *]``; ``decode(bits)`` takes ``[K, *]``
    and returns ``[*]``; the stateful ``forward(x)`` returns ``bit[t mod K]``, shape ``[*]``.

    Example::

        >>> enc = WeightedPhaseEncoder(K=4)
        >>> bits = enc.encode(torch.tensor([0.625]))
        >>> bits[:, 0].tolist(), enc.decode(bits).tolist()
        ([1.0, 0.0, 1.0, 0.0], [0.625])
    """

    def __init__(self, K: int) -> None:
        super().__init__(check_int(K, "K", 1))
        self.K = K

    def _encode(self, x: Tensor) -> Tensor:
        x = as_float(x)
        r = x.detach().double()
        check_range(r, 0.0, 1.0 - 2.0**-self.K, f"WeightedPhaseEncoder(K={self.K})")
        # Doubling a float64 and subtracting the leading bit is exact, so this is the true
        # binary expansion of the stored value, for any K.
        bits = []
        for _ in range(self.K):
            r = 2.0 * r
            bit = (r >= 1.0).double()
            r = r - bit
            bits.append(bit)
        return torch.stack(bits).to(x.dtype)

    def decode(self, bits: Tensor) -> Tensor:
        """Weighted sum of the phases: ``[K, *]`` -> ``[*]``."""
        if bits.dim() < 1 or bits.shape[0] != self.K:
            raise ValueError(
                f"decode expects bits of shape [K={self.K}, ...]; got {list(bits.shape)}"
            )
        bits = as_float(bits)
        weights = torch.pow(2.0, -torch.arange(1, self.K + 1, dtype=torch.float64))
        weights = weights.to(device=bits.device).view(-1, *([1] * (bits.dim() - 1)))
        return (bits.double() * weights).sum(0).to(bits.dtype)

    def extra_repr(self) -> str:
        return f"K={self.K}"
