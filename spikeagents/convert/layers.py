r"""The time-aware layers of a converted network: IF neurons in place of ReLU, and a gated max pool.

A converted network runs its graph on *folded* sequences: the time steps are folded into the
batch, ``[T, B, ...] -> [T * B, ...]``, so every stateless layer (convolution, linear, average
pooling, flatten, ``x.view(x.size(0), -1)``, additions) runs once on all steps. The layers here
need the time axis back: they unfold ``[T * B, ...] -> [T, B, ...]`` with ``T = self.steps``
(set by :class:`~spikeagents.convert.model.SpikingModel` before every call), run, and fold again.
Their state carries across calls until ``reset()``, so a long simulation can run in chunks.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from spikeagents.snn.neuron import IFNode

__all__ = ["TimeFolded", "IFLayer", "GatedMaxPool2d"]


class TimeFolded(nn.Module):
    """Base of the layers that take folded sequences ``[T * B, ...]``; ``steps`` is ``T``."""

    steps: int = 1

    def unfold(self, x: Tensor) -> Tensor:
        """``[T * B, ...] -> [T, B, ...]``."""
        if x.shape[0] % self.steps:
            raise RuntimeError(
                f"{type(self).__name__}: a folded batch of {x.shape[0]} is not a multiple of "
                f"T={self.steps}"
            )
        return x.unflatten(0, (self.steps, x.shape[0] // self.steps))


class IFLayer(TimeFolded):
    r"""The spiking replacement of a ReLU: an IF neuron that resets by subtraction.

    .. math::

        V[t] = V[t-1] + X[t] - \theta S[t], \qquad S[t] = \Theta(V[t-1] + X[t] - \theta),
        \qquad V[-1] = v_{init} \theta

    Over T steps the firing rate is :math:`r = \frac{1}{T}\sum_t S[t] = \bar X/\theta -
    (V[T-1] - V[-1])/(T\theta)`, i.e. :math:`\mathrm{clip}(\bar X/\theta, 0, 1)` up to
    :math:`1/T` (Rueckauer et al. 2017). Starting at half the threshold (``v_init=0.5``) rounds
    instead of truncating, which halves the error at small T. ``threshold`` is a buffer (saved
    in the state dict); it is 1 after plain layer-wise weight normalisation.

    Runs a multi-step :class:`~spikeagents.snn.neuron.IFNode` (``v_reset=None``, fused kernel
    ``backend``). Shapes: ``[T * B, ...] -> [T * B, ...]`` spikes in {0, 1}. Its firing rate is
    measured by :class:`~spikeagents.snn.monitor.Monitor` (``layer_types=(IFLayer,)``).
    """

    def __init__(self, threshold: float = 1.0, v_init: float = 0.5, backend: str = "auto") -> None:
        super().__init__()
        if not threshold > 0:
            raise ValueError(f"threshold must be > 0, got {threshold}")
        self.node = IFNode(v_threshold=threshold, v_reset=None, step_mode="m", backend=backend)
        self.register_buffer("threshold", torch.tensor(float(threshold)))
        self.v_init = float(v_init)

    def forward(self, x: Tensor) -> Tensor:
        """Folded input currents ``[T * B, ...]`` -> folded spikes ``[T * B, ...]``."""
        theta = float(self.threshold)
        self.node.v_threshold = theta
        if not isinstance(self.node.v, Tensor):  # a fresh sequence: start at v_init * theta
            self.node.v = self.v_init * theta
        return self.node(self.unfold(x)).flatten(0, 1)

    def extra_repr(self) -> str:
        return f"threshold={float(self.threshold):.4g}, v_init={self.v_init}"


class GatedMaxPool2d(TimeFolded):
    r"""Max pooling for spikes: pass, in each window, the input of the unit that has accumulated
    the most so far (the gated max pool of Rueckauer et al. 2017, Sec. 2.2.6).

    .. math::

        A[t] = \sum_{\tau \le t} X[\tau], \qquad
        k^*(t) = \arg\max_{k \in \text{window}} A_k[t], \qquad Y[t] = X_{k^*(t)}[t]

    The rate of :math:`Y` tends to the largest rate in the window (a plain max over spikes would
    count a spike of *any* unit and overshoot). Works on spikes and on analog currents alike.
    Kernel, stride, padding, dilation and ``ceil_mode`` are those of the ANN's ``MaxPool2d``.

    Shapes: ``[T * B, C, H, W] -> [T * B, C, H', W']``; state ``A`` ``[B, C, H, W]``.
    """

    def __init__(self, pool: nn.MaxPool2d) -> None:
        super().__init__()
        self.kernel_size, self.stride = pool.kernel_size, pool.stride
        self.padding, self.dilation, self.ceil_mode = pool.padding, pool.dilation, pool.ceil_mode
        self.acc: Tensor | None = None

    def forward(self, x: Tensor) -> Tensor:
        """Folded ``[T * B, C, H, W]`` -> folded pooled ``[T * B, C, H', W']``."""
        acc = torch.cumsum(self.unfold(x), 0)
        if self.acc is not None:
            acc = acc + self.acc
        self.acc = acc[-1]
        _, idx = F.max_pool2d(
            acc.flatten(0, 1),
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            ceil_mode=self.ceil_mode,
            return_indices=True,
        )
        return x.flatten(2).gather(2, idx.flatten(2)).view_as(idx)

    def reset(self) -> None:
        self.acc = None

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
