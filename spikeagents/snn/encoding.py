"""Encoders: turn real-valued inputs into spikes, spike times or input currents.

Shapes are time-major: a multi-step output is ``[T, *x.shape]`` (time first, then the input's
shape). Two kinds of encoder exist:

* stateless (:class:`PoissonEncoder`, :class:`PopulationEncoder`): every call draws afresh;
* stateful (:class:`StatefulEncoder` and its subclasses): the whole sequence ``spike[0..T-1]`` is
  encoded once, then the t-th single-step call returns ``spike[t % T]``. ``reset()`` clears that
  state; the state is held in plain attributes, so it never enters ``state_dict``.

Random encoders take an optional ``torch.Generator`` (in the constructor, and per call) so that
results are reproducible. The generator must live on the same device as the input.

This module depends on torch only.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

__all__ = [
    "ENCODERS",
    "GaussianTuning",
    "LatencyEncoder",
    "PeriodicEncoder",
    "PoissonEncoder",
    "PopulationEncoder",
    "StatefulEncoder",
    "WeightedPhaseEncoder",
    "get_encoder",
    "latency_spike_times",
]

LATENCY_FUNCTIONS = ("linear", "log")


# ------------------------------------------------------------------------------------------------
# validation helpers
# ------------------------------------------------------------------------------------------------


def _check_int(value: object, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}; got {value!r}")
    return value


def _check_range(x: Tensor, low: float, high: float, who: str) -> None:
    """Raise ValueError unless every element of ``x`` lies in ``[low, high]`` (NaN fails)."""
    if x.numel() == 0:
        return
    bad = ~((x >= low) & (x <= high))
    if bool(bad.any()):
        first = x[bad].flatten()[0].item()
        raise ValueError(
            f"{who} expects x in [{low}, {high}]; got {first} "
            f"(x.min()={x.min().item()}, x.max()={x.max().item()})"
        )


def _as_float(x: Tensor) -> Tensor:
    return x if x.is_floating_point() else x.to(torch.get_default_dtype())


# ------------------------------------------------------------------------------------------------
# stateless encoders
# ------------------------------------------------------------------------------------------------


class PoissonEncoder(nn.Module):
    """Poisson (Bernoulli-per-step) rate encoder: spike with probability ``x`` at every step.

    Equation::

        S[t] ~ Bernoulli(x),   independently for every step t and every element

    Legend: ``x`` intensity in [0, 1] (the firing probability per step), ``S[t]`` spike (0 or 1)
    at step ``t``. Over many steps the firing rate ``mean_t S[t]`` tends to ``x``.

    Shapes: ``x`` is ``[*]``; the output is ``[*]`` when ``T is None`` (single step, stateless:
    call it once per step) and ``[T, *]`` otherwise. Output dtype is ``x``'s float dtype.

    :param T: number of steps to draw at once, or None for one step per call.
    :param generator: default random generator (on ``x``'s device); a per-call one overrides it.

    Example::

        >>> enc = PoissonEncoder(T=4, generator=torch.Generator().manual_seed(0))
        >>> enc(torch.tensor([0.0, 0.5, 1.0])).shape
        torch.Size([4, 3])
    """

    def __init__(self, T: int | None = None, generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.T = None if T is None else _check_int(T, "T", 1)
        self.generator = generator

    def forward(self, x: Tensor, generator: torch.Generator | None = None) -> Tensor:
        x = _as_float(x)
        _check_range(x, 0.0, 1.0, "PoissonEncoder")
        gen = generator if generator is not None else self.generator
        shape = x.shape if self.T is None else (self.T, *x.shape)
        noise = torch.rand(shape, generator=gen, device=x.device, dtype=x.dtype)
        return (noise < x).to(x.dtype)

    def extra_repr(self) -> str:
        return f"T={self.T}"


class _BernoulliStraightThrough(torch.autograd.Function):
    """Forward: ``noise < p`` as 0/1. Backward: the identity, ``dS/dp = 1`` (straight-through)."""

    @staticmethod
    def forward(ctx, p: Tensor, noise: Tensor) -> Tensor:  # type: ignore[override]
        return (noise < p).to(p.dtype)

    @staticmethod
    def backward(ctx, grad_output: Tensor) -> tuple[Tensor, None]:  # type: ignore[override]
        return grad_output, None


class PopulationEncoder(nn.Module):
    """Learnable Gaussian population encoder (PopSAN, Tang et al. 2020).

    Every observation dimension ``i`` is seen by ``pop_size`` Gaussian receptive fields:

    Equation::

        A[b, i, j] = exp(-0.5 * ((x[b, i] - mean[i, j]) / std[i, j]) ** 2)
        deterministic:  O[t, b, i*pop_size + j] = A[b, i, j]                   for all t
        stochastic:     O[t, b, i*pop_size + j] ~ Bernoulli(A[b, i, j])       per step,
                        backward uses dO/dA = 1 (straight-through pseudo-gradient)

    Legend: ``x`` observation, ``mean``/``std`` learnable centres and widths (``nn.Parameter``,
    ``[obs_dim, pop_size]``), initialised to centres evenly spaced over ``[low, high]``
    (``mean[i, j] = low_i + j (high_i - low_i) / (pop_size - 1)``) and
    ``std = (high - low) / (pop_size - 1)`` unless ``std`` is given; ``A`` activation in (0, 1];
    ``O`` output.

    The deterministic mode outputs the analog activation as an input current, the same at every
    step, so :attr:`constant_over_time` is True and a caller may apply the next linear layer once
    to :meth:`activation` instead of T times. The stochastic mode emits Bernoulli spikes; their
    gradient is passed straight through to ``A``, which keeps ``mean`` and ``std`` trainable.

    Shapes: ``x`` is ``[B, obs_dim]``; the output is ``[T, B, obs_dim * pop_size]`` (contiguous).

    :param obs_dim: number of observation dimensions.
    :param pop_size: receptive fields per dimension (>= 2).
    :param low: lower end of the centres' range; a float or a tensor of shape ``[obs_dim]``.
    :param high: upper end of the centres' range; same forms as ``low``, elementwise > ``low``.
    :param std: initial width of every field (> 0), or None for the centre spacing.
    :param deterministic: analog current (True) or Bernoulli spikes (False).
    :param T: number of time steps in the output.
    :param generator: default random generator for the stochastic mode.

    Example::

        >>> enc = PopulationEncoder(obs_dim=3, pop_size=5, T=4)
        >>> enc(torch.zeros(2, 3)).shape
        torch.Size([4, 2, 15])
    """

    def __init__(
        self,
        obs_dim: int,
        pop_size: int = 10,
        low: float | Tensor = -1.0,
        high: float | Tensor = 1.0,
        std: float | None = None,
        deterministic: bool = True,
        T: int = 8,
        generator: torch.Generator | None = None,
    ) -> None:
        super().__init__()
        self.obs_dim = _check_int(obs_dim, "obs_dim", 1)
        self.pop_size = _check_int(pop_size, "pop_size", 2)
        self.T = _check_int(T, "T", 1)
        self.deterministic = bool(deterministic)
        self.generator = generator
        low_t = self._per_dim(low, "low")
        high_t = self._per_dim(high, "high")
        if not bool((high_t > low_t).all()):
            raise ValueError(f"high must be > low in every dimension; got low={low}, high={high}")
        spacing = (high_t - low_t) / (pop_size - 1)
        steps = torch.arange(pop_size, dtype=torch.get_default_dtype())
        self.mean = nn.Parameter(low_t[:, None] + spacing[:, None] * steps)
        if std is None:
            std_t = spacing[:, None].expand(obs_dim, pop_size).clone()
        else:
            if not (isinstance(std, (int, float)) and std > 0):
                raise ValueError(f"std must be a float > 0 or None; got {std!r}")
            std_t = torch.full((obs_dim, pop_size), float(std))
        self.std = nn.Parameter(std_t)

    def _per_dim(self, value: float | Tensor, name: str) -> Tensor:
        t = torch.as_tensor(value, dtype=torch.get_default_dtype())
        try:
            return torch.broadcast_to(t, (self.obs_dim,)).clone()
        except RuntimeError as err:
            raise ValueError(
                f"{name} must be a float or a tensor of shape [{self.obs_dim}]; "
                f"got shape {list(t.shape)}"
            ) from err

    @property
    def constant_over_time(self) -> bool:
        """True when the output is identical at every step (the deterministic mode)."""
        return self.deterministic

    @property
    def out_features(self) -> int:
        return self.obs_dim * self.pop_size

    def activation(self, x: Tensor) -> Tensor:
        """The receptive-field activation ``A``, flattened: ``[B, obs_dim]`` -> ``[B, out]``."""
        if x.dim() != 2 or x.shape[1] != self.obs_dim:
            raise ValueError(
                f"PopulationEncoder expects x of shape [B, {self.obs_dim}]; got {list(x.shape)}"
            )
        z = (x[:, :, None] - self.mean) / self.std
        return torch.exp(-0.5 * z.square()).flatten(1)

    def forward(self, x: Tensor, generator: torch.Generator | None = None) -> Tensor:
        a = self.activation(x)
        a_seq = a.unsqueeze(0).expand(self.T, *a.shape)
        if self.deterministic:
            return a_seq.contiguous()
        gen = generator if generator is not None else self.generator
        noise = torch.rand(a_seq.shape, generator=gen, device=a.device, dtype=a.dtype)
        return _BernoulliStraightThrough.apply(a_seq, noise)

    def extra_repr(self) -> str:
        return (
            f"obs_dim={self.obs_dim}, pop_size={self.pop_size}, T={self.T}, "
            f"deterministic={self.deterministic}"
        )


# ------------------------------------------------------------------------------------------------
# stateful encoders
# ------------------------------------------------------------------------------------------------


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
        self.T = _check_int(T, "T", 1)
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
    _check_int(T, "T", 1)
    if enc_function not in LATENCY_FUNCTIONS:
        raise ValueError(f"enc_function must be one of {LATENCY_FUNCTIONS}; got {enc_function!r}")
    x = _as_float(x)
    _check_range(x, 0.0, 1.0, "LatencyEncoder")
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
        return (steps == times).to(_as_float(x).dtype)

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
        super().__init__(_check_int(K, "K", 1))
        self.K = K

    def _encode(self, x: Tensor) -> Tensor:
        x = _as_float(x)
        r = x.detach().double()
        _check_range(r, 0.0, 1.0 - 2.0**-self.K, f"WeightedPhaseEncoder(K={self.K})")
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
        bits = _as_float(bits)
        weights = torch.pow(2.0, -torch.arange(1, self.K + 1, dtype=torch.float64))
        weights = weights.to(device=bits.device).view(-1, *([1] * (bits.dim() - 1)))
        return (bits.double() * weights).sum(0).to(bits.dtype)

    def extra_repr(self) -> str:
        return f"K={self.K}"


# ------------------------------------------------------------------------------------------------
# event-driven encoder (spike times)
# ------------------------------------------------------------------------------------------------


class GaussianTuning:
    """Gaussian tuning-curve encoder (Bohte et al. 2002), the Tempotron's input encoder.

    Feature ``i`` (range ``[x_min_i, x_max_i]``) is seen by ``m`` Gaussian curves of equal width;
    each curve's value at ``x`` is turned into one spike time. From the SpikingJelly docs dump
    (``spikingjelly-docs.txt``): centres L562-576, width L578-590, beta = 1.5 L592, curves valued
    in [0, 1] L594, spike time L597, late spikes L599-600, API L17415-17444, m > 2 L552.

    Equation::

        mu[i, j]    = x_min_i + (2j - 3)/2 * (x_max_i - x_min_i)/(m - 2),   j = 1 .. m
        sigma_i     = (1/beta) * (x_max_i - x_min_i)/(m - 2)
        g[i, j](x)  = exp(-(x - mu[i, j])^2 / (2 sigma_i^2))
        t[i, j](x)  = round((1 - g[i, j](x)) * T_max)
        t[i, j]     = -1   where t[i, j] >= T_max                 (no spike)

    Legend: ``n`` features, ``m`` neurons per feature, ``beta`` width factor, ``T_max`` =
    ``max_spike_time`` (the encoding window), ``round`` = ``torch.round`` (ties to even).
    Values outside ``[x_min, x_max]`` are allowed (the curves are defined everywhere).

    Shapes: ``x_min``, ``x_max``: ``[n]``; ``encode(x)`` takes ``[batch, n, *]`` (the docs use
    ``[batch, n, k]``) and returns spike times ``[batch, n, *, m]`` in ``x``'s float dtype, with
    integer values in ``[0, T_max - 1]`` or -1. A plain object (no parameters); its tensors live
    on ``x_min.device``.

    Example::

        >>> gt = GaussianTuning(1, 4, torch.tensor([0.0]), torch.tensor([1.0]))
        >>> gt.encode(torch.tensor([[0.25]]), max_spike_time=10).tolist()
        [[[7.0, 0.0, 7.0, -1.0]]]
    """

    def __init__(self, n: int, m: int, x_min: Tensor, x_max: Tensor, beta: float = 1.5) -> None:
        self.n = _check_int(n, "n", 1)
        self.m = _check_int(m, "m", 3)
        if not (isinstance(beta, (int, float)) and beta > 0):
            raise ValueError(f"beta must be a float > 0; got {beta!r}")
        for name, t in (("x_min", x_min), ("x_max", x_max)):
            if tuple(t.shape) != (n,):
                raise ValueError(f"{name} must have shape [n={n}]; got {list(t.shape)}")
        x_min, x_max = _as_float(x_min), _as_float(x_max).to(x_min.device)
        if not bool((x_max > x_min).all()):
            raise ValueError(f"x_max must be > x_min for every feature; got {x_min} and {x_max}")
        self.beta = float(beta)
        width = (x_max - x_min) / (m - 2)
        j = torch.arange(1, m + 1, device=x_min.device, dtype=x_min.dtype)
        self.mu = x_min[:, None] + (2 * j - 3) / 2 * width[:, None]  # [n, m]
        self.sigma = width / self.beta  # [n]

    def encode(self, x: Tensor, max_spike_time: int = 50) -> Tensor:
        _check_int(max_spike_time, "max_spike_time", 1)
        if x.dim() < 2 or x.shape[1] != self.n:
            raise ValueError(
                f"encode expects x of shape [batch, n={self.n}, ...]; got {list(x.shape)}"
            )
        x = _as_float(x)
        extra = x.dim() - 2
        mu = self.mu.to(x).view(1, self.n, *([1] * extra), self.m)
        sigma = self.sigma.to(x).view(1, self.n, *([1] * extra), 1)
        g = torch.exp(-((x.unsqueeze(-1) - mu) ** 2) / (2 * sigma**2))
        times = torch.round((1 - g) * max_spike_time)
        return torch.where(times >= max_spike_time, torch.full_like(times, -1.0), times)

    def __repr__(self) -> str:
        return f"GaussianTuning(n={self.n}, m={self.m}, beta={self.beta})"


# ------------------------------------------------------------------------------------------------
# registry
# ------------------------------------------------------------------------------------------------

ENCODERS: dict[str, type[nn.Module]] = {
    "poisson": PoissonEncoder,
    "periodic": PeriodicEncoder,
    "latency": LatencyEncoder,
    "weighted_phase": WeightedPhaseEncoder,
    "population": PopulationEncoder,
}


def get_encoder(name: str, **kwargs: object) -> nn.Module:
    """Build the encoder registered under ``name`` with ``kwargs``, e.g.
    ``get_encoder("latency", T=8, enc_function="log")``."""
    if name not in ENCODERS:
        raise ValueError(f"unknown encoder {name!r}; valid names: {sorted(ENCODERS)}")
    return ENCODERS[name](**kwargs)
