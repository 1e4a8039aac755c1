r"""Dropout for spiking networks: one mask per sequence, shared by all its time steps.

- :class:`Dropout` (elements) and :class:`Dropout2d` (whole channels), in either step mode;
  :class:`MultiStepDropout` and :class:`MultiStepDropout2d` are the same in multi-step mode.
- :class:`DropConnectLinear`: a linear layer whose connections, not inputs, are dropped.

Masks are plain attributes (never in ``state_dict``), forgotten by ``reset()``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from spikeagents.snn.layer._base import StepModeModule
from spikeagents.snn.layer._checks import check_dim, check_p, check_positive_int

__all__ = [
    "Dropout",
    "Dropout2d",
    "MultiStepDropout",
    "MultiStepDropout2d",
    "DropConnectLinear",
]


def _broadcasts_to(mask: Tensor, x: Tensor) -> bool:
    """Whether ``mask`` has ``x``'s rank and each of its dims is 1 or equal to ``x``'s."""
    return mask.dim() == x.dim() and all(
        m in (1, n) for m, n in zip(mask.shape, x.shape, strict=True)
    )


class Dropout(StepModeModule):
    r"""Dropout whose mask is drawn once per sequence and shared by all its time steps.

    .. math:: Y[t] = X[t] \odot \frac{M}{1 - p}, \qquad M \sim \mathrm{Bernoulli}(1 - p)
              \text{ elementwise, the same } M \text{ for every } t

    If each step drew its own mask the dropout would average out over time (Rathi & Roy,
    "Enabling Spike-based Backpropagation for Training Deep Neural Network Architectures").

    - ``"m"``: ``x_seq [T, B, ...]``; one mask ``[B, ...]`` per call, broadcast over T.
    - ``"s"``: ``x [B, ...]``; the mask is drawn at the first call and reused until
      :meth:`reset` (so reset between sequences, e.g. with ``functional.reset_net``).

    Inverted scaling ``1/(1-p)`` in training keeps the expectation; in eval mode (or with
    ``p=0``) the layer is the identity.

    :param p: probability that an element is zeroed, in [0, 1).
    :param step_mode: ``"s"`` or ``"m"``.

    Example::

        >>> drop = Dropout(0.5, step_mode="m")
        >>> y = drop(torch.ones(3, 2, 4))
        >>> bool((y[0] == y[1]).all() and (y[1] == y[2]).all())   # same mask for every step
        True
    """

    def __init__(self, p: float = 0.5, step_mode: str = "s") -> None:
        super().__init__()
        self.p = check_p(p, type(self).__name__)
        self.step_mode = step_mode
        self.mask: Tensor | None = None

    def create_mask(self, x: Tensor) -> Tensor:
        """A mask for one step ``x [B, ...]``: values 0 or ``1/(1-p)``, shape of ``x``."""
        return self._bernoulli(x.shape, x)

    def _bernoulli(self, shape: tuple[int, ...] | torch.Size, like: Tensor) -> Tensor:
        dtype = like.dtype if like.is_floating_point() else torch.get_default_dtype()
        keep = 1.0 - self.p
        return torch.bernoulli(torch.full(shape, keep, dtype=dtype, device=like.device)) / keep

    def _min_step_dim(self) -> int:
        return 1

    def forward(self, x: Tensor) -> Tensor:
        """``"s"``: ``[B, ...] -> [B, ...]``; ``"m"``: ``[T, B, ...] -> [T, B, ...]``."""
        if not self.training or self.p == 0.0:
            return x
        who = type(self).__name__
        if self.step_mode == "m":
            check_dim(x, self._min_step_dim() + 1, who, "[T, B, ...] in multi-step mode")
            return x * self.create_mask(x[0])
        check_dim(x, self._min_step_dim(), who, "[B, ...] in single-step mode")
        if self.mask is None:
            self.mask = self.create_mask(x)
        elif not _broadcasts_to(self.mask, x):
            raise RuntimeError(
                f"{who}: the stored mask has shape {tuple(self.mask.shape)} but the input step "
                f"has shape {tuple(x.shape)}; call reset() (or functional.reset_net) between "
                "sequences"
            )
        return x * self.mask

    def reset(self) -> None:
        """Forget the mask; the next single-step call draws a new one."""
        self.mask = None

    def extra_repr(self) -> str:
        return f"p={self.p}, step_mode={self.step_mode!r}"


class Dropout2d(Dropout):
    r"""Channel dropout with one mask per sequence: whole feature maps are zeroed.

    .. math:: Y[t]_{b,c} = X[t]_{b,c} \cdot \frac{M_{b,c}}{1-p}, \qquad
              M_{b,c} \sim \mathrm{Bernoulli}(1-p), \text{ the same for every } t

    Shapes: ``"s"`` ``[B, C, H, W]`` (any ``[B, C, ...]``), ``"m"`` ``[T, B, C, ...]``. Otherwise
    as :class:`Dropout`.

    :param p: probability that a channel is zeroed, in [0, 1).
    """

    def __init__(self, p: float = 0.2, step_mode: str = "s") -> None:
        super().__init__(p, step_mode)

    def create_mask(self, x: Tensor) -> Tensor:
        """A mask for one step ``x [B, C, ...]``: shape ``[B, C, 1, ...]``."""
        return self._bernoulli(tuple(x.shape[:2]) + (1,) * (x.dim() - 2), x)

    def _min_step_dim(self) -> int:
        return 2


class MultiStepDropout(Dropout):
    """:class:`Dropout` in multi-step mode (the SpikingJelly name): ``[T, B, ...]``."""

    def __init__(self, p: float = 0.5) -> None:
        super().__init__(p, step_mode="m")


class MultiStepDropout2d(Dropout2d):
    """:class:`Dropout2d` in multi-step mode (the SpikingJelly name): ``[T, B, C, ...]``.

    The default ``p=0.5`` follows the SpikingJelly signature (``Dropout2d`` defaults to 0.2).
    """

    def __init__(self, p: float = 0.5) -> None:
        super().__init__(p, step_mode="m")


class DropConnectLinear(StepModeModule):
    r"""Linear layer with DropConnect (Wan et al. 2013): connections, not inputs, are dropped.

    Training (a fresh mask per sample; per call, or kept until :meth:`reset` if ``invariant``)::

        r = a((M * W) v + m * b),    M ~ Bernoulli(1 - p) per weight, m per bias entry

    Inference (Algorithm 2 of the paper: moment matching, then Monte Carlo through ``a``)::

        mu = (1 - p) (W v + b),    sigma^2 = p (1 - p) (W^2 v^2 + b^2)
        r  = mean over samples_num draws of  a(u),  u ~ N(mu, sigma^2)

    Legend: ``v`` input, ``W, b`` weight and bias, ``p`` drop probability, ``a`` the activation
    (part of the layer, because inference averages *after* it). No ``1/(1-p)`` scaling, as in the
    paper. The inference output is a Monte Carlo estimate, so it varies slightly between calls.

    Shapes: ``"s"`` ``[B, in] -> [B, out]``; ``"m"`` ``[T, B, in] -> [T, B, out]`` with each
    sample's mask shared over T. Masks (``mask_w [B, out, in]``, ``mask_b [B, out]``) are plain
    attributes; in training they take ``B * out * in`` elements.

    :param activation: a stateless module applied elementwise (``None``: ReLU; ``nn.Identity()``
        for a plain linear layer). Stateful modules (with ``reset()``, e.g. spiking neurons) are
        refused: sampling through them has no meaning across time steps; put them after the layer.
    :param samples_num: Gaussian draws per output element at inference.
    :param invariant: keep the training mask until :meth:`reset` instead of drawing per call.

    Example::

        >>> layer = DropConnectLinear(8, 4, p=0.5)
        >>> layer(torch.rand(2, 8)).shape, layer.eval()(torch.rand(2, 8)).shape
        (torch.Size([2, 4]), torch.Size([2, 4]))
    """

    _SAMPLE_CHUNK = 128

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        p: float = 0.5,
        samples_num: int = 1024,
        invariant: bool = False,
        activation: nn.Module | None = None,
        step_mode: str = "s",
    ) -> None:
        super().__init__()
        self.in_features = check_positive_int(in_features, "in_features")
        self.out_features = check_positive_int(out_features, "out_features")
        self.p = check_p(p, "DropConnectLinear")
        self.samples_num = check_positive_int(samples_num, "samples_num")
        self.invariant = bool(invariant)
        self.step_mode = step_mode
        if activation is None:
            activation = nn.ReLU()
        if callable(getattr(activation, "reset", None)):
            raise ValueError(
                f"DropConnectLinear: activation must be stateless, got {type(activation).__name__} "
                "which has reset(); use activation=nn.Identity() and put it after this layer"
            )
        self.activation = activation
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        self.bias: nn.Parameter | None
        if bias:
            self.bias = nn.Parameter(torch.empty(out_features))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()
        self.mask_w: Tensor | None = None
        self.mask_b: Tensor | None = None

    def reset_parameters(self) -> None:
        """Initialise ``weight`` and ``bias`` as ``nn.Linear`` does."""
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.in_features)
            nn.init.uniform_(self.bias, -bound, bound)

    def reset(self) -> None:
        """Back to full connectivity: forget the masks (drawn again at the next training call)."""
        self.mask_w = None
        self.mask_b = None

    def drop(self, batch_size: int) -> None:
        """Draw new masks for ``batch_size`` samples: ``mask_w [B, out, in]``, ``mask_b [B, out]``.

        A connection is kept with probability ``1 - p``.
        """
        keep = 1.0 - self.p
        w = self.weight
        self.mask_w = torch.bernoulli(torch.full((batch_size, *w.shape), keep, device=w.device))
        if self.bias is not None:
            self.mask_b = torch.bernoulli(
                torch.full((batch_size, self.out_features), keep, device=w.device)
            )

    def forward(self, x: Tensor) -> Tensor:
        """``"s"``: ``[B, in] -> [B, out]``; ``"m"``: ``[T, B, in] -> [T, B, out]``."""
        want = 2 if self.step_mode == "s" else 3
        if x.dim() != want or x.shape[-1] != self.in_features:
            layout = "[B, in]" if want == 2 else "[T, B, in]"
            raise ValueError(
                f"DropConnectLinear(step_mode={self.step_mode!r}) expects {layout} with "
                f"in={self.in_features}, got shape {tuple(x.shape)}"
            )
        if self.training:
            return self._train_forward(x)
        return self._eval_forward(x)

    def _train_forward(self, x: Tensor) -> Tensor:
        batch, kept = x.shape[-2], self.mask_w
        if self.invariant and kept is not None and kept.shape[0] != batch:
            raise RuntimeError(
                f"DropConnectLinear: the kept mask is for batch size {kept.shape[0]} but the "
                f"input has {batch}; call reset() between sequences"
            )
        if not self.invariant or kept is None or kept.device != x.device:
            self.drop(batch)
        assert self.mask_w is not None
        w = self.weight * self.mask_w.to(self.weight.dtype)  # [B, out, in]
        y = torch.einsum("boi,...bi->...bo", w, x)
        if self.bias is not None:
            assert self.mask_b is not None
            y = y + self.bias * self.mask_b.to(self.bias.dtype)
        return self.activation(y)

    def _eval_forward(self, x: Tensor) -> Tensor:
        p = self.p
        mu = (1.0 - p) * F.linear(x, self.weight, self.bias)
        if p == 0.0 or isinstance(self.activation, nn.Identity):
            return self.activation(mu)  # E[a(u)] = a(mu) exactly for these
        b2 = None if self.bias is None else self.bias.square()
        sigma = (p * (1.0 - p) * F.linear(x.square(), self.weight.square(), b2)).clamp_min(1e-12)
        sigma = sigma.sqrt()
        total = torch.zeros_like(mu)
        remaining = self.samples_num
        while remaining > 0:  # chunks bound the memory to _SAMPLE_CHUNK * mu.numel()
            n = min(remaining, self._SAMPLE_CHUNK)
            u = mu + sigma * torch.randn((n, *mu.shape), dtype=mu.dtype, device=mu.device)
            total = total + self.activation(u).sum(0)
            remaining -= n
        return total / self.samples_num

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}, p={self.p}, samples_num={self.samples_num}, "
            f"invariant={self.invariant}, step_mode={self.step_mode!r}"
        )
