"""Stateless encoders: every call encodes afresh (constant current, Poisson spikes, Gaussian
population). Shapes are time-major: a multi-step output is ``[T, *x.shape]``."""

from __future__ import annotations

import torch
from torch import Tensor, nn

from spikeagents.snn.encoding.checks import as_float, check_int, check_range

__all__ = ["ConstantEncoder", "PoissonEncoder", "PopulationEncoder"]


class ConstantEncoder(nn.Module):
    """Direct (constant-current) encoding: the input itself is the input current at every step.

    Equation::

        O[t] = x    for every step t

    Legend: ``x`` real-valued input, ``O[t]`` the current fed to the first layer at step ``t``.
    It is the "direct" encoder of the RL policies and the "constant" encoder of ANN-to-SNN
    conversion. Because the output is the same at every step (:attr:`constant_over_time`), a
    caller may apply the next (stateless) layer once to ``x`` and repeat its result instead.

    Shapes: ``x`` is ``[*]``; the output is ``[T, *]``, an expanded view (no copy).

    :param T: number of steps.

    Example::

        >>> ConstantEncoder(T=3)(torch.tensor([0.5, -1.0])).tolist()
        [[0.5, -1.0], [0.5, -1.0], [0.5, -1.0]]
    """

    constant_over_time = True

    def __init__(self, T: int) -> None:
        super().__init__()
        self.T = check_int(T, "T", 1)

    def forward(self, x: Tensor, T: int | None = None) -> Tensor:
        """``x [*] -> [T, *]`` (``T`` overrides the constructor's for this call)."""
        steps = self.T if T is None else check_int(T, "T", 1)
        return x.unsqueeze(0).expand(steps, *x.shape)

    def extra_repr(self) -> str:
        return f"T={self.T}"


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
        self.T = None if T is None else check_int(T, "T", 1)
        self.generator = generator

    def forward(self, x: Tensor, generator: torch.Generator | None = None) -> Tensor:
        x = as_float(x)
        check_range(x, 0.0, 1.0, "PoissonEncoder")
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
        self.obs_dim = check_int(obs_dim, "obs_dim", 1)
        self.pop_size = check_int(pop_size, "pop_size", 2)
        self.T = check_int(T, "T", 1)
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
