r"""Spike functions with surrogate gradients.

A spiking neuron fires with the Heaviside step :math:`\Theta(x) = 1` if :math:`x \ge 0` else 0,
whose derivative is zero almost everywhere. A surrogate keeps :math:`\Theta` on the forward pass
and uses the derivative :math:`g'(x)` of a smooth primitive :math:`g(x)` on the backward pass:

.. math::

    \text{forward: } S = \Theta(x), \qquad \text{backward: } \frac{\partial S}{\partial x} := g'(x)

With ``spiking=False`` the forward pass computes the smooth primitive :math:`g(x)` itself (useful
for checking gradients with :func:`torch.autograd.gradcheck` or for annealing).

Every surrogate is a small ``nn.Module`` holding its hyper-parameters as floats; the functions
``primitive`` and ``derivative`` are the closed forms, written once here and used by every kernel
(the fused C kernels implement the same formulas, see ``snn/kernels/neuron_step.h``).

Example::

    >>> import torch
    >>> from spikeagents.snn.surrogate import ATan
    >>> x = torch.tensor([-1.0, 0.0, 0.5], requires_grad=True)
    >>> s = ATan(alpha=2.0)(x)          # tensor([0., 1., 1.])
    >>> s.sum().backward()               # x.grad = alpha / (2 (1 + (pi/2 alpha x)^2))
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import torch
from torch import Tensor, nn

__all__ = [
    "SurrogateFunction",
    "Sigmoid",
    "ATan",
    "PiecewiseQuadratic",
    "PiecewiseExp",
    "SoftSign",
    "NonzeroSignLogAbs",
    "Erf",
    "PiecewiseLeakyReLU",
    "SURROGATES",
    "get_surrogate",
    "heaviside",
]


def heaviside(x: Tensor) -> Tensor:
    r""":math:`\Theta(x) = 1` where ``x >= 0`` else 0, in ``x``'s dtype. Shape: any."""
    return (x >= 0).to(x.dtype)


class _SpikeFunction(torch.autograd.Function):
    """Heaviside forward, ``surrogate.derivative`` backward."""

    @staticmethod
    def forward(ctx: Any, x: Tensor, surrogate: SurrogateFunction) -> Tensor:
        if x.requires_grad:
            ctx.save_for_backward(x)
        ctx.surrogate = surrogate
        return heaviside(x)

    @staticmethod
    def backward(ctx: Any, grad_output: Tensor) -> tuple[Tensor | None, None]:
        (x,) = ctx.saved_tensors
        return grad_output * ctx.surrogate.derivative(x), None


class SurrogateFunction(nn.Module):
    """Base class: a Heaviside spike with the gradient of a smooth ``primitive``.

    Subclasses define ``name`` (the registry key), ``primitive(x)`` and ``derivative(x)``, and
    ``kernel_params()`` (the two numbers the fused kernels need).

    :param spiking: ``True``: Heaviside forward, surrogate gradient backward. ``False``: the
        primitive forward and its exact gradient backward.
    """

    name: ClassVar[str] = ""

    def __init__(self, spiking: bool = True) -> None:
        super().__init__()
        self.spiking = bool(spiking)

    def primitive(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def derivative(self, x: Tensor) -> Tensor:
        raise NotImplementedError

    def kernel_params(self) -> tuple[float, float]:
        """The hyper-parameters as ``(p0, p1)`` for the fused kernels (``p1`` unused by most)."""
        raise NotImplementedError

    def set_spiking_mode(self, spiking: bool) -> None:
        self.spiking = bool(spiking)

    def forward(self, x: Tensor) -> Tensor:
        """``x: [*]`` -> ``[*]``: spikes (``spiking=True``) or the primitive."""
        if self.spiking:
            return _SpikeFunction.apply(x, self)
        return self.primitive(x)

    def extra_repr(self) -> str:
        params = ", ".join(f"{k}={v}" for k, v in self._hyper().items())
        return f"{params}, spiking={self.spiking}"

    def _hyper(self) -> dict[str, float]:
        return {"alpha": self.alpha}  # type: ignore[attr-defined]


class _AlphaSurrogate(SurrogateFunction):
    default_alpha: ClassVar[float] = 1.0

    def __init__(self, alpha: float | None = None, spiking: bool = True) -> None:
        super().__init__(spiking)
        alpha = self.default_alpha if alpha is None else float(alpha)
        if not alpha > 0:
            raise ValueError(f"{type(self).__name__}: alpha must be > 0, got {alpha}")
        self.alpha = alpha

    def kernel_params(self) -> tuple[float, float]:
        return (self.alpha, 0.0)


class Sigmoid(_AlphaSurrogate):
    r"""Sigmoid surrogate.

    .. math:: g(x) = \sigma(\alpha x) = \frac{1}{1 + e^{-\alpha x}}, \qquad
              g'(x) = \alpha\, \sigma(\alpha x) (1 - \sigma(\alpha x))
    """

    name = "sigmoid"
    default_alpha = 1.0

    def primitive(self, x: Tensor) -> Tensor:
        return torch.sigmoid(self.alpha * x)

    def derivative(self, x: Tensor) -> Tensor:
        sg = torch.sigmoid(self.alpha * x)
        return self.alpha * sg * (1.0 - sg)


class ATan(_AlphaSurrogate):
    r"""Arc-tangent surrogate (the neurons' default, ``alpha=2``).

    .. math:: g(x) = \frac{1}{\pi}\arctan\!\left(\frac{\pi}{2}\alpha x\right) + \frac{1}{2}, \qquad
              g'(x) = \frac{\alpha}{2\left(1 + \left(\frac{\pi}{2}\alpha x\right)^2\right)}
    """

    name = "atan"
    default_alpha = 2.0

    def primitive(self, x: Tensor) -> Tensor:
        return torch.atan((math.pi / 2) * self.alpha * x) / math.pi + 0.5

    def derivative(self, x: Tensor) -> Tensor:
        return self.alpha / 2 / (1 + ((math.pi / 2) * self.alpha * x).square())


class PiecewiseQuadratic(_AlphaSurrogate):
    r"""Piecewise quadratic surrogate (Esser 2016, Wu 2018, Bellec 2018).

    .. math::
        g(x) = \begin{cases} 0 & x < -1/\alpha \\
               -\tfrac12 \alpha^2 |x| x + \alpha x + \tfrac12 & |x| \le 1/\alpha \\
               1 & x > 1/\alpha \end{cases}, \qquad
        g'(x) = \max(0, \alpha - \alpha^2 |x|)
    """

    name = "piecewise_quadratic"
    default_alpha = 1.0

    def primitive(self, x: Tensor) -> Tensor:
        a = self.alpha
        inner = -0.5 * a * a * x.abs() * x + a * x + 0.5
        return torch.where(x > 1 / a, torch.ones_like(x), torch.where(x < -1 / a, 0 * x, inner))

    def derivative(self, x: Tensor) -> Tensor:
        a = self.alpha
        return torch.clamp(a - a * a * x.abs(), min=0.0)


class PiecewiseExp(_AlphaSurrogate):
    r"""Piecewise exponential surrogate (SLAYER).

    .. math:: g(x) = \begin{cases} \tfrac12 e^{\alpha x} & x < 0 \\
              1 - \tfrac12 e^{-\alpha x} & x \ge 0 \end{cases}, \qquad
              g'(x) = \tfrac{\alpha}{2} e^{-\alpha |x|}
    """

    name = "piecewise_exp"
    default_alpha = 1.0

    def primitive(self, x: Tensor) -> Tensor:
        e = 0.5 * torch.exp(-self.alpha * x.abs())
        return torch.where(x < 0, e, 1.0 - e)

    def derivative(self, x: Tensor) -> Tensor:
        return (self.alpha / 2) * torch.exp(-self.alpha * x.abs())


class SoftSign(_AlphaSurrogate):
    r"""Soft-sign surrogate (SuperSpike).

    .. math:: g(x) = \tfrac12\left(\frac{\alpha x}{1 + |\alpha x|} + 1\right), \qquad
              g'(x) = \frac{\alpha}{2 (1 + |\alpha x|)^2}
    """

    name = "soft_sign"
    default_alpha = 2.0

    def primitive(self, x: Tensor) -> Tensor:
        ax = self.alpha * x
        return 0.5 * (ax / (1 + ax.abs()) + 1)

    def derivative(self, x: Tensor) -> Tensor:
        return self.alpha / 2 / (1 + (self.alpha * x).abs()).square()


class NonzeroSignLogAbs(_AlphaSurrogate):
    r"""Non-zero-sign log-abs surrogate. Its primitive's range is not (0, 1).

    .. math:: g(x) = \mathrm{NonzeroSign}(x) \log(|\alpha x| + 1), \qquad
              g'(x) = \frac{\alpha}{1 + |\alpha x|}

    where NonzeroSign(x) = 1 for x >= 0 and -1 otherwise.
    """

    name = "nonzero_sign_log_abs"
    default_alpha = 1.0

    def primitive(self, x: Tensor) -> Tensor:
        sign = torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))
        return sign * torch.log1p((self.alpha * x).abs())

    def derivative(self, x: Tensor) -> Tensor:
        return self.alpha / (1 + (self.alpha * x).abs())


class Erf(_AlphaSurrogate):
    r"""Gaussian-error-function surrogate (the default of the spiking RNN cells).

    .. math:: g(x) = \tfrac12 \operatorname{erfc}(-\alpha x)
              = \tfrac12 (1 + \operatorname{erf}(\alpha x)),
              \qquad g'(x) = \frac{\alpha}{\sqrt\pi} e^{-\alpha^2 x^2}
    """

    name = "erf"
    default_alpha = 2.0

    def primitive(self, x: Tensor) -> Tensor:
        return 0.5 * torch.erfc(-self.alpha * x)

    def derivative(self, x: Tensor) -> Tensor:
        return (self.alpha / math.sqrt(math.pi)) * torch.exp(-((self.alpha * x).square()))


class PiecewiseLeakyReLU(SurrogateFunction):
    r"""Piecewise leaky-ReLU surrogate.

    .. math::
        g(x) = \begin{cases} c x + c w & x < -w \\ \frac{x}{2w} + \frac12 & |x| \le w \\
               c x - c w + 1 & x > w \end{cases}, \qquad
        g'(x) = \begin{cases} \frac{1}{2w} & |x| \le w \\ c & |x| > w \end{cases}

    (The SpikingJelly docs print :math:`1/w` inside; :math:`1/(2w)` is the derivative of the
    primitive they give, and is what we use.)
    """

    name = "piecewise_leaky_relu"

    def __init__(self, w: float = 1.0, c: float = 0.01, spiking: bool = True) -> None:
        super().__init__(spiking)
        if not w > 0:
            raise ValueError(f"PiecewiseLeakyReLU: w must be > 0, got {w}")
        self.w = float(w)
        self.c = float(c)

    def _hyper(self) -> dict[str, float]:
        return {"w": self.w, "c": self.c}

    def kernel_params(self) -> tuple[float, float]:
        return (self.w, self.c)

    def primitive(self, x: Tensor) -> Tensor:
        w, c = self.w, self.c
        return torch.where(
            x < -w, c * x + c * w, torch.where(x > w, c * x - c * w + 1, x / (2 * w) + 0.5)
        )

    def derivative(self, x: Tensor) -> Tensor:
        w, c = self.w, self.c
        return torch.where(x.abs() <= w, torch.full_like(x, 1 / (2 * w)), torch.full_like(x, c))


SURROGATES: dict[str, type[SurrogateFunction]] = {
    cls.name: cls
    for cls in (
        Sigmoid,
        ATan,
        PiecewiseQuadratic,
        PiecewiseExp,
        SoftSign,
        NonzeroSignLogAbs,
        Erf,
        PiecewiseLeakyReLU,
    )
}


def get_surrogate(
    surrogate: str | SurrogateFunction | None = None, **kwargs: float
) -> SurrogateFunction:
    """Resolve a surrogate given by name (``"atan"``), instance or ``None`` (ATan, alpha=2).

    :param surrogate: a registered name, an instance (returned as is), or ``None``.
    :param kwargs: hyper-parameters for a named surrogate (``alpha``, or ``w`` and ``c``).
    """
    if surrogate is None:
        return ATan(**kwargs)  # type: ignore[arg-type]
    if isinstance(surrogate, SurrogateFunction):
        if kwargs:
            raise ValueError("surrogate kwargs are only accepted with a surrogate name")
        return surrogate
    if isinstance(surrogate, str):
        key = surrogate.lower()
        if key not in SURROGATES:
            raise ValueError(
                f"unknown surrogate {surrogate!r}; valid choices: {', '.join(sorted(SURROGATES))}"
            )
        return SURROGATES[key](**kwargs)  # type: ignore[arg-type]
    raise TypeError(
        f"surrogate must be a name, a SurrogateFunction or None, got {type(surrogate).__name__}"
    )
