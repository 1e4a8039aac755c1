"""Gaussian tuning curves: real values -> spike times (the Tempotron's input encoding)."""

from __future__ import annotations

import torch
from torch import Tensor

from spikeagents.snn.encoding.checks import as_float, check_int

__all__ = ["GaussianTuning"]


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
        self.n = check_int(n, "n", 1)
        self.m = check_int(m, "m", 3)
        if not (isinstance(beta, (int, float)) and beta > 0):
            raise ValueError(f"beta must be a float > 0; got {beta!r}")
        for name, t in (("x_min", x_min), ("x_max", x_max)):
            if tuple(t.shape) != (n,):
                raise ValueError(f"{name} must have shape [n={n}]; got {list(t.shape)}")
        x_min, x_max = as_float(x_min), as_float(x_max).to(x_min.device)
        if not bool((x_max > x_min).all()):
            raise ValueError(f"x_max must be > x_min for every feature; got {x_min} and {x_max}")
        self.beta = float(beta)
        width = (x_max - x_min) / (m - 2)
        j = torch.arange(1, m + 1, device=x_min.device, dtype=x_min.dtype)
        self.mu = x_min[:, None] + (2 * j - 3) / 2 * width[:, None]  # [n, m]
        self.sigma = width / self.beta  # [n]

    def encode(self, x: Tensor, max_spike_time: int = 50) -> Tensor:
        check_int(max_spike_time, "max_spike_time", 1)
        if x.dim() < 2 or x.shape[1] != self.n:
            raise ValueError(
                f"encode expects x of shape [batch, n={self.n}, ...]; got {list(x.shape)}"
            )
        x = as_float(x)
        extra = x.dim() - 2
        mu = self.mu.to(x).view(1, self.n, *([1] * extra), self.m)
        sigma = self.sigma.to(x).view(1, self.n, *([1] * extra), 1)
        g = torch.exp(-((x.unsqueeze(-1) - mu) ** 2) / (2 * sigma**2))
        times = torch.round((1 - g) * max_spike_time)
        return torch.where(times >= max_spike_time, torch.full_like(times, -1.0), times)

    def __repr__(self) -> str:
        return f"GaussianTuning(n={self.n}, m={self.m}, beta={self.beta})"
