r"""Layers around the neurons: time-folding containers, shared-mask dropout, voting, and more.

Shapes are time-major. A module with a ``step_mode`` takes one step ``[B, ...]`` in ``"s"`` mode
(keeping state between calls until :meth:`reset`) and a whole sequence ``[T, B, ...]`` in ``"m"``
mode. State (masks, filters) is a plain attribute, never part of ``state_dict``; every stateful
layer here has ``reset()``, so :func:`spikeagents.snn.functional.reset_net` reaches it.

Example::

    >>> import torch
    >>> from torch import nn
    >>> from spikeagents.snn.neuron import LIFNode
    >>> net = nn.Sequential(
    ...     SeqToANNContainer(nn.Linear(4, 8)), LIFNode(step_mode="m"),
    ...     Dropout(0.5, step_mode="m"), SeqToANNContainer(nn.Linear(8, 3)))
    >>> net(torch.rand(6, 2, 4)).shape          # [T=6, B=2, 4] -> [T, B, 3]
    torch.Size([6, 2, 3])
"""

from __future__ import annotations

import math
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from spikeagents.snn.dynamics import decay_from_w
from spikeagents.snn.neuron import STEP_MODES

__all__ = [
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
]


def _check_p(p: float, who: str) -> float:
    p = float(p)
    if not 0.0 <= p < 1.0:
        raise ValueError(f"{who}: p must be in [0, 1), got {p}")
    return p


def _check_positive_int(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def _check_state(state: Tensor | float, shape: tuple[int, ...], who: str) -> None:
    """Refuse a step whose shape does not fit the state left by the previous sequence."""
    if isinstance(state, Tensor) and tuple(state.shape) != shape:
        raise RuntimeError(
            f"{who}: the state has shape {tuple(state.shape)} but this step needs {shape}; "
            "call reset() (or functional.reset_net) between sequences of different shape"
        )


def _check_dim(x: Tensor, min_dim: int, who: str, layout: str) -> None:
    if x.dim() < min_dim:
        raise ValueError(f"{who} expects {layout}, got shape {tuple(x.shape)}")


def _broadcasts_to(mask: Tensor, x: Tensor) -> bool:
    """Whether ``mask`` has ``x``'s rank and each of its dims is 1 or equal to ``x``'s."""
    return mask.dim() == x.dim() and all(
        m in (1, n) for m, n in zip(mask.shape, x.shape, strict=True)
    )


class _StepModeModule(nn.Module):
    """A module with a validated ``step_mode`` (``"s"`` or ``"m"``)."""

    _step_mode: str

    @property
    def step_mode(self) -> str:
        """``"s"`` (single step, ``[B, ...]``) or ``"m"`` (multi step, ``[T, B, ...]``)."""
        return self._step_mode

    @step_mode.setter
    def step_mode(self, value: str) -> None:
        if value not in STEP_MODES:
            raise ValueError(f"step_mode must be one of {STEP_MODES}, got {value!r}")
        self._step_mode = value


# ------------------------------------------------------------------------------------------------
# containers
# ------------------------------------------------------------------------------------------------


class SeqToANNContainer(nn.Sequential):
    r"""Run stateless layers on a sequence by folding time into the batch.

    .. math:: Y[t] = f(X[t]) \quad \text{for all } t, \text{ computed as one call of } f

    Shapes: ``[T, B, ...] -> [T * B, ...] -> modules -> [T * B, ...'] -> [T, B, ...']``.
    The wrapped modules must be stateless (``Linear``, ``Conv2d``, ``BatchNorm2d``, pooling, ...):
    a module with a ``reset()`` method is refused, since folding time into the batch would make
    its state meaningless. ``set_step_mode`` leaves the children alone (``wraps_single_step``).

    Example::

        >>> SeqToANNContainer(nn.Linear(4, 2), nn.Linear(2, 3))(torch.rand(16, 8, 4)).shape
        torch.Size([16, 8, 3])
    """

    wraps_single_step: ClassVar[bool] = True

    def __init__(self, *modules: nn.Module) -> None:
        super().__init__(*modules)
        for name, module in self.named_modules():
            if callable(getattr(module, "reset", None)):
                raise ValueError(
                    f"SeqToANNContainer wraps stateless layers only, but {name!r} "
                    f"({type(module).__name__}) has reset(); use MultiStepContainer or the "
                    "module's step_mode='m' instead"
                )

    def forward(self, x_seq: Tensor) -> Tensor:
        """``x_seq [T, B, ...] -> y_seq [T, B, ...']``."""
        _check_dim(x_seq, 2, "SeqToANNContainer", "[T, B, ...]")
        T, B = x_seq.shape[:2]
        y = super().forward(x_seq.flatten(0, 1))
        if y.shape[0] != T * B:
            raise RuntimeError(
                f"SeqToANNContainer: the wrapped modules changed the folded batch size from "
                f"{T * B} (T={T} x B={B}) to {y.shape[0]}"
            )
        return y.unflatten(0, (T, B))


class MultiStepContainer(nn.Sequential):
    r"""Run single-step (possibly stateful) modules over a sequence, one step at a time.

    .. math:: Y[t] = f(X[t]), \quad t = 0, \dots, T-1 \quad \text{(state carried across } t)

    Shapes: ``x_seq [T, B, ...] -> y_seq [T, B, ...']``. Children must be in single-step mode;
    ``set_step_mode`` leaves them alone (``wraps_single_step``). :meth:`reset` resets them.

    Example::

        >>> from spikeagents.snn.neuron import IFNode
        >>> MultiStepContainer(IFNode())(torch.full((4, 1), 0.5)).flatten()
        tensor([0., 1., 0., 1.])
    """

    wraps_single_step: ClassVar[bool] = True

    def forward(self, x_seq: Tensor) -> Tensor:
        """``x_seq [T, B, ...] -> y_seq [T, B, ...']`` by T single-step calls."""
        _check_dim(x_seq, 2, "MultiStepContainer", "[T, B, ...]")
        for name, module in self.named_modules():
            if getattr(module, "step_mode", "s") != "s":
                raise ValueError(
                    f"MultiStepContainer runs its children one step at a time, but {name!r} "
                    f"({type(module).__name__}) has step_mode={module.step_mode!r}; use 's'"
                )
        step = super().forward  # zero-argument super() does not work inside a comprehension
        return torch.stack([step(x_seq[t]) for t in range(x_seq.shape[0])])

    def reset(self) -> None:
        """Reset every stateful descendant."""
        for module in self.modules():
            if module is not self and callable(getattr(module, "reset", None)):
                module.reset()


# ------------------------------------------------------------------------------------------------
# dropout with one mask per sequence
# ------------------------------------------------------------------------------------------------


class Dropout(_StepModeModule):
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
        self.p = _check_p(p, type(self).__name__)
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
            _check_dim(x, self._min_step_dim() + 1, who, "[T, B, ...] in multi-step mode")
            return x * self.create_mask(x[0])
        _check_dim(x, self._min_step_dim(), who, "[B, ...] in single-step mode")
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


# ------------------------------------------------------------------------------------------------
# DropConnect
# ------------------------------------------------------------------------------------------------


class DropConnectLinear(_StepModeModule):
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
        self.in_features = _check_positive_int(in_features, "in_features")
        self.out_features = _check_positive_int(out_features, "out_features")
        self.p = _check_p(p, "DropConnectLinear")
        self.samples_num = _check_positive_int(samples_num, "samples_num")
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


# ------------------------------------------------------------------------------------------------
# readout and normalisation
# ------------------------------------------------------------------------------------------------


class VotingLayer(nn.Module):
    r"""Average groups of ``voting_size`` neighbouring neurons: one vote per class.

    .. math:: Y_{\dots, c} = \frac{1}{n} \sum_{k=0}^{n-1} X_{\dots,\, c n + k}, \qquad n =
              \text{voting\_size}

    Shapes: ``[..., C * n] -> [..., C]`` (works for ``[B, N]`` and ``[T, B, N]``). Equivalent to
    ``AvgPool1d(n, n)`` over the last dimension.

    Example::

        >>> VotingLayer(2)(torch.tensor([[1.0, 0.0, 1.0, 1.0]]))
        tensor([[0.5000, 1.0000]])
    """

    def __init__(self, voting_size: int = 10) -> None:
        super().__init__()
        self.voting_size = _check_positive_int(voting_size, "voting_size")

    def forward(self, x: Tensor) -> Tensor:
        """``[..., C * voting_size] -> [..., C]``."""
        n = self.voting_size
        if x.dim() == 0 or x.shape[-1] % n != 0:
            raise ValueError(
                f"VotingLayer: the last dim must be divisible by voting_size={n}, "
                f"got shape {tuple(x.shape)}"
            )
        return x.unflatten(-1, (x.shape[-1] // n, n)).mean(-1)

    def extra_repr(self) -> str:
        return f"voting_size={self.voting_size}"


class NeuNorm(_StepModeModule):
    r"""NeuNorm (Wu et al. 2019, "Direct Training for SNNs: Faster, Larger, Better").

    An auxiliary neuron per position integrates the spikes of all channels and is subtracted,
    with a learned weight, from every channel: a running lateral normalisation.

    .. math::
        x[t] = k\, x[t-1] + \frac{1 - k}{F^2} \sum_{f=1}^{F} S[t]_{f}, \qquad
        Y[t]_{f} = S[t]_{f} - w_{f} \odot x[t]

    Legend: :math:`S[t]` input spikes ``[B, F, H, W]`` (placed as ``Conv2d -> LIF -> NeuNorm``),
    :math:`F` = ``in_channels``, :math:`k` = ``k`` (the paper's :math:`k_{\tau 2}`; its
    :math:`v_F = 1 - k`), :math:`x` the auxiliary state ``[B, 1, H, W]`` (zero after
    :meth:`reset`), :math:`w` a learned ``[F, H, W]`` weight (``[1, H, W]`` when
    ``shared_across_channels``).

    Shapes: ``"s"`` ``[B, F, H, W]``; ``"m"`` ``[T, B, F, H, W]``.

    Example::

        >>> NeuNorm(2, 3, 3)(torch.ones(4, 2, 3, 3)).shape
        torch.Size([4, 2, 3, 3])
    """

    def __init__(
        self,
        in_channels: int,
        height: int,
        width: int,
        k: float = 0.9,
        shared_across_channels: bool = False,
        step_mode: str = "s",
    ) -> None:
        super().__init__()
        self.in_channels = _check_positive_int(in_channels, "in_channels")
        self.height = _check_positive_int(height, "height")
        self.width = _check_positive_int(width, "width")
        if not 0.0 <= k < 1.0:
            raise ValueError(f"NeuNorm: k must be in [0, 1), got {k}")
        self.k = float(k)
        self.shared_across_channels = bool(shared_across_channels)
        self.step_mode = step_mode
        channels = 1 if shared_across_channels else in_channels
        bound = 1.0 / math.sqrt(height * width)
        self.w = nn.Parameter(torch.empty(channels, height, width).uniform_(-bound, bound))
        self.x: Tensor | float = 0.0

    def reset(self) -> None:
        """Auxiliary state back to 0."""
        self.x = 0.0

    def single_step_forward(self, s: Tensor) -> Tensor:
        """One step: ``s [B, F, H, W] -> [B, F, H, W]``; updates ``x``."""
        expected = (self.in_channels, self.height, self.width)
        if s.dim() != 4 or tuple(s.shape[1:]) != expected:
            raise ValueError(
                f"NeuNorm expects steps of shape [B, {', '.join(map(str, expected))}], "
                f"got {tuple(s.shape)}"
            )
        _check_state(self.x, (s.shape[0], 1, self.height, self.width), "NeuNorm")
        scale = (1.0 - self.k) / self.in_channels**2
        self.x = self.k * self.x + scale * s.sum(dim=1, keepdim=True)
        return s - self.w * self.x

    def forward(self, x: Tensor) -> Tensor:
        """``"s"``: ``[B, F, H, W]``; ``"m"``: ``[T, B, F, H, W]``; same shape out."""
        if self.step_mode == "s":
            return self.single_step_forward(x)
        _check_dim(x, 5, "NeuNorm", "[T, B, F, H, W] in multi-step mode")
        return torch.stack([self.single_step_forward(x[t]) for t in range(x.shape[0])])

    def extra_repr(self) -> str:
        return (
            f"in_channels={self.in_channels}, height={self.height}, width={self.width}, "
            f"k={self.k}, shared_across_channels={self.shared_across_channels}, "
            f"step_mode={self.step_mode!r}"
        )


class SynapseFilter(_StepModeModule):
    r"""Low-pass synapse: the current decays exponentially and jumps by the input spike.

    .. math::
        \tau \frac{dI}{dt} = -I \quad\Rightarrow\quad
        I[t] = I[t-1] - (1 - S[t]) \frac{I[t-1]}{\tau} + S[t]

    Legend: :math:`S[t]` input spikes, :math:`I` the output current (0 after :meth:`reset`),
    :math:`\tau` the time constant. It is a LIF neuron with an infinite threshold whose voltage is
    the output; its last value reflects how many spikes arrived, so it can be an output layer.
    With ``learnable=True``, :math:`1/\tau = \mathrm{sigmoid}(w)` is learned (initialised at
    ``tau``), as in :class:`~spikeagents.snn.neuron.ParametricLIFNode`.

    Shapes: ``"s"`` ``[B, ...]``; ``"m"`` ``[T, B, ...]``; same shape out.

    Example::

        >>> syn = SynapseFilter(tau=2.0, step_mode="m")
        >>> syn(torch.tensor([[1.0], [0.0], [0.0]])).flatten()
        tensor([1.0000, 0.5000, 0.2500])
    """

    def __init__(self, tau: float = 100.0, learnable: bool = False, step_mode: str = "s") -> None:
        super().__init__()
        if not tau > 1.0:
            raise ValueError(f"SynapseFilter: tau must be > 1, got {tau}")
        self.learnable = bool(learnable)
        self.step_mode = step_mode
        if self.learnable:
            self.w = nn.Parameter(torch.tensor(-math.log(tau - 1.0)))
        else:
            self._tau = float(tau)
        self.i: Tensor | float = 0.0

    @property
    def tau(self) -> float:
        """The current time constant."""
        if self.learnable:
            return 1.0 / float(torch.sigmoid(self.w.detach()))
        return self._tau

    def reset(self) -> None:
        """Current back to 0."""
        self.i = 0.0

    def single_step_forward(self, s: Tensor) -> Tensor:
        """One step: ``s [B, ...] -> I [B, ...]``; updates ``i``."""
        _check_state(self.i, tuple(s.shape), "SynapseFilter")
        decay = decay_from_w(self.w) if self.learnable else 1.0 / self._tau
        self.i = self.i - (1.0 - s) * decay * self.i + s
        return self.i

    def forward(self, x: Tensor) -> Tensor:
        """``"s"``: ``[B, ...]``; ``"m"``: ``[T, B, ...]``; same shape out."""
        if self.step_mode == "s":
            return self.single_step_forward(x)
        _check_dim(x, 1, "SynapseFilter", "[T, ...] in multi-step mode")
        return torch.stack([self.single_step_forward(x[t]) for t in range(x.shape[0])])

    def extra_repr(self) -> str:
        return f"tau={self.tau:.4g}, learnable={self.learnable}, step_mode={self.step_mode!r}"


class ChannelsPool(_StepModeModule):
    """Pool over the channel dimension with a 1-d pooling layer.

    ``Y[b, :, h, w] = pool(X[b, :, h, w])``, e.g. ``nn.MaxPool1d(2, 2)`` halves the channels.

    Shapes: ``"s"`` ``[B, C, ...] -> [B, C', ...]``; ``"m"`` ``[T, B, C, ...] -> [T, B, C', ...]``.

    :param pool: ``nn.MaxPool1d`` or ``nn.AvgPool1d`` (any module mapping ``[N, L, C] -> [N, L,
        C']``).

    Example::

        >>> ChannelsPool(nn.MaxPool1d(2, 2))(torch.rand(2, 8, 4, 4)).shape
        torch.Size([2, 4, 4, 4])
    """

    def __init__(self, pool: nn.Module, step_mode: str = "s") -> None:
        super().__init__()
        self.pool = pool
        self.step_mode = step_mode

    def forward(self, x: Tensor) -> Tensor:
        """See the class docstring for shapes."""
        if self.step_mode == "m":
            _check_dim(x, 4, "ChannelsPool", "[T, B, C, ...] in multi-step mode")
            T, B = x.shape[:2]
            return self._pool(x.flatten(0, 1)).unflatten(0, (T, B))
        _check_dim(x, 3, "ChannelsPool", "[B, C, ...] in single-step mode")
        return self._pool(x)

    def _pool(self, x: Tensor) -> Tensor:
        spatial = x.shape[2:]
        y = self.pool(x.flatten(2).transpose(1, 2))  # [B, L, C] -> [B, L, C']
        return y.transpose(1, 2).unflatten(2, spatial)
