r"""The Tempotron (Gütig and Sompolinsky 2006): an event-driven neuron that learns spike timing.

A Tempotron is a spike response model: its membrane potential is an explicit sum of
post-synaptic potentials (PSPs), so it is computed for all times at once, with no loop over time
(SpikingJelly's ``event_driven.neuron.Tempotron``; docs L426-540):

.. math::

    K(t) = V_0 \left(e^{-t/\tau} - e^{-t/\tau_s}\right) \quad (t \ge 0), \qquad K(t) = 0
    \quad (t < 0)

    V_0 = \frac{1}{e^{-t_{peak}/\tau} - e^{-t_{peak}/\tau_s}}, \qquad
    t_{peak} = \frac{\tau \tau_s \ln(\tau/\tau_s)}{\tau - \tau_s} \quad \text{(so that
    } \max_t K(t) = 1)

    V_o(t) = \sum_i w_{oi} \sum_{t_i} K(t - t_i) + V_{rest}, \qquad t = 0, 1, \dots, T-1

Legend: :math:`t_i` the spike times of input :math:`i` (one per input here, negative = no
spike), :math:`w_{oi}` the weight from input :math:`i` to output :math:`o`, :math:`\tau` the
membrane and :math:`\tau_s` the synaptic time constant. Output neuron :math:`o` says "yes" when
its peak :math:`V_o(t_{max})` reaches the threshold :math:`V_{th}` (it fires at most once); for
several classes the prediction is the arg-max of the peaks.

Learning (the docs' loss, L636-666): only misclassified output neurons contribute,

.. math::

    E = \frac{1}{B} \sum_{b, o} m_{bo} \left(V_{bo}(t_{max}) - V_{th}\right)^2, \qquad
    m_{bo} = [\,(V_{bo}(t_{max}) \ge V_{th}) \ne y_{bo}\,]

and since :math:`\partial V(t_{max}) / \partial t_{max} = 0` its gradient only flows through
:math:`\sum_{t_i < t_{max}} K(t_{max} - t_i)`, which autograd through the max gives exactly.
One deliberate difference: :math:`t_{max}` is sought after the first input spike only
(``peak_after_input=True``). Over all times, a neuron whose potential never rises above rest
peaks at :math:`t = 0` with a zero gradient and never learns again (a "dead" Tempotron).

Inputs are spike times from the Gaussian tuning-curve encoder
(:class:`spikeagents.snn.encoding.GaussianTuning`, Bohte et al. 2002; see :func:`encode_images`).

Example::

    >>> import torch
    >>> neuron = Tempotron(in_features=3, out_features=2, T=10)
    >>> times = torch.tensor([[0.0, 2.0, -1.0]])          # input 2 never fires
    >>> neuron.voltage(times).shape                        # [B, out, T]
    torch.Size([1, 2, 10])
    >>> neuron(times).shape                                # peak voltages [B, out]
    torch.Size([1, 2])
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from spikeagents.snn.encoding import GaussianTuning

__all__ = ["psp_peak_time", "psp_kernel", "Tempotron", "tempotron_loss", "encode_images"]


def psp_peak_time(tau: float, tau_s: float) -> float:
    r""":math:`t_{peak} = \tau \tau_s \ln(\tau/\tau_s) / (\tau - \tau_s)`, where :math:`K` peaks."""
    if not tau > tau_s > 0:
        raise ValueError(f"need tau > tau_s > 0, got tau={tau}, tau_s={tau_s}")
    return tau * tau_s * math.log(tau / tau_s) / (tau - tau_s)


def psp_kernel(t: Tensor, tau: float = 15.0, tau_s: float = 3.75) -> Tensor:
    r"""The PSP kernel :math:`K(t)`, normalised to a peak of 1; 0 for :math:`t < 0`.

    Shapes: any ``t`` -> the same shape.
    """
    t_peak = psp_peak_time(tau, tau_s)
    v0 = 1.0 / (math.exp(-t_peak / tau) - math.exp(-t_peak / tau_s))
    k = v0 * (torch.exp(-t / tau) - torch.exp(-t / tau_s))
    return torch.where(t >= 0, k, torch.zeros_like(k))


class Tempotron(nn.Module):
    r"""A layer of ``out_features`` Tempotrons over ``in_features`` inputs (one spike each).

    :param T: the times :math:`t = 0 .. T-1` at which :math:`V` is evaluated.
    :param tau: membrane time constant. :param tau_s: synaptic time constant (< ``tau``).
    :param v_threshold: :math:`V_{th}`. :param v_rest: :math:`V_{rest}` (the docs' reset
        potential).
    :param peak_after_input: take the peak only over times after the first input spike
        (default; see ``forward``); ``False``: over all times, as the docs.

    Shapes: spike times ``[B, in_features]`` (float; negative = no spike) ->
    :meth:`voltage` ``[B, out_features, T]``, ``forward`` (peak voltages) ``[B, out_features]``,
    :meth:`spike_times` ``[B, out_features]``.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        T: int,
        tau: float = 15.0,
        tau_s: float = 3.75,
        v_threshold: float = 1.0,
        v_rest: float = 0.0,
        peak_after_input: bool = True,
    ) -> None:
        super().__init__()
        if T < 1:
            raise ValueError(f"T must be >= 1, got {T}")
        psp_peak_time(tau, tau_s)  # validates tau > tau_s > 0
        self.in_features, self.out_features, self.T = in_features, out_features, int(T)
        self.tau, self.tau_s = float(tau), float(tau_s)
        self.v_threshold, self.v_rest = float(v_threshold), float(v_rest)
        self.peak_after_input = bool(peak_after_input)
        self.weight = nn.Parameter(torch.empty(out_features, in_features))
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))  # as nn.Linear

    def _check(self, in_spikes: Tensor) -> None:
        if in_spikes.dim() != 2 or in_spikes.shape[1] != self.in_features:
            raise ValueError(
                f"Tempotron expects spike times [B, {self.in_features}], "
                f"got shape {tuple(in_spikes.shape)}"
            )

    def psp(self, in_spikes: Tensor) -> Tensor:
        """``K(t - t_i)`` for every input and time: ``[B, in] -> [B, in, T]`` (0 where no spike)."""
        self._check(in_spikes)
        t = torch.arange(self.T, device=in_spikes.device, dtype=self.weight.dtype)
        times = in_spikes.to(self.weight.dtype).unsqueeze(-1)
        k = psp_kernel(t - times, self.tau, self.tau_s)
        return torch.where(times >= 0, k, torch.zeros_like(k))

    def voltage(self, in_spikes: Tensor) -> Tensor:
        """:math:`V(t)` for all t at once: ``[B, in] -> [B, out, T]``.

        Integer spike times (what the encoder gives) take a fast path: inputs are grouped by
        spike time, :math:`A_o(s) = \\sum_{i: t_i = s} w_{oi}`, then
        :math:`V_o(t) = \\sum_s A_o(s) K(t - s) + V_{rest}` (the same sum, without the
        ``[B, in, T]`` table of kernel values).
        """
        integral = bool((in_spikes == in_spikes.round()).all())
        if not integral:
            return torch.einsum("bit,oi->bot", self.psp(in_spikes), self.weight) + self.v_rest
        self._check(in_spikes)
        T = self.T
        late = (in_spikes < 0) | (in_spikes >= T)  # no PSP inside the window
        slot = torch.where(late, torch.full_like(in_spikes, T), in_spikes).long()
        onehot = torch.zeros(*in_spikes.shape, T + 1, device=slot.device, dtype=self.weight.dtype)
        onehot.scatter_(2, slot.unsqueeze(-1), 1.0)  # [B, in, T + 1]; slot T: no spike
        grouped = torch.einsum("bis,oi->bso", onehot, self.weight)  # [B, T + 1, out]
        t = torch.arange(T, device=slot.device, dtype=self.weight.dtype)
        s = torch.arange(T + 1, device=slot.device, dtype=self.weight.dtype)
        table = psp_kernel(t - s[:, None], self.tau, self.tau_s)  # [T + 1, T]: K(t - s)
        table[T] = 0.0
        return torch.einsum("bso,st->bot", grouped, table) + self.v_rest

    def forward(self, in_spikes: Tensor) -> Tensor:
        """Peak voltages :math:`V(t_{max})`: ``[B, in] -> [B, out]``.

        The peak is taken over the times at which some input PSP has begun (:math:`t > \\min_i
        t_i`); before that :math:`V = V_{rest}` carries no gradient. This equals the docs' peak
        whenever the potential rises above rest, and keeps a neuron whose potential never does
        trainable (in the docs' version its peak is :math:`V(0) = V_{rest}` with zero gradient:
        a "dead" Tempotron that never learns to fire again; on the digits this left 2-4 of the
        10 classes dead for some seeds).
        """
        v = self.voltage(in_spikes)
        if not self.peak_after_input:
            return v.amax(-1)
        t = torch.arange(self.T, device=v.device, dtype=in_spikes.dtype)
        first = torch.where(in_spikes >= 0, in_spikes, torch.full_like(in_spikes, math.inf))
        active = t > first.amin(1, keepdim=True)  # [B, T]: some PSP has started
        peak = v.masked_fill(~active.unsqueeze(1), -math.inf).amax(-1)
        return torch.where(active.any(-1, keepdim=True), peak, v[..., 0])

    def spike_times(self, in_spikes: Tensor) -> Tensor:
        """The first time each output reaches the threshold, -1 if never: ``[B, out]``."""
        above = self.voltage(in_spikes) >= self.v_threshold
        first = above.float().argmax(-1).to(in_spikes.dtype)
        return torch.where(above.any(-1), first, torch.full_like(first, -1.0))

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, T={self.T}, "
            f"tau={self.tau}, tau_s={self.tau_s}, v_threshold={self.v_threshold}, "
            f"peak_after_input={self.peak_after_input}"
        )


def tempotron_loss(v_max: Tensor, labels: Tensor, v_threshold: float = 1.0) -> Tensor:
    r"""The docs' loss: squared distance to the threshold of the misclassified neurons only.

    :math:`E = \frac{1}{B}\sum_{b,o} [\,(V_{bo} \ge V_{th}) \ne y_{bo}\,] (V_{bo} - V_{th})^2`
    with one-hot :math:`y` over ``v_max.shape[1]`` classes (the docs hard-code 10).

    Shapes: ``v_max [B, C]``, ``labels [B]`` (int) -> scalar.
    """
    target = F.one_hot(labels, v_max.shape[1]).bool()
    wrong = ((v_max >= v_threshold) != target).to(v_max.dtype)
    return ((v_max - v_threshold) * wrong).pow(2).sum() / v_max.shape[0]


def encode_images(x: Tensor, m: int, T: int, beta: float = 1.5) -> Tensor:
    r"""Gaussian tuning-curve spike times of images in [0, 1] (every pixel one feature range).

    Each pixel value is seen by ``m`` Gaussian curves over [0, 1]; each curve's value becomes
    one spike time :math:`\mathrm{round}((1 - g(x)) T)`, and spikes at :math:`T` or later are
    dropped (-1). Shapes: ``x [B, ...]`` -> ``[B, P * m]`` with ``P`` pixels per image.
    """
    enc = GaussianTuning(
        1, m, torch.zeros(1, device=x.device), torch.ones(1, device=x.device), beta
    )
    flat = x.reshape(x.shape[0], 1, -1)  # [B, n=1, P]
    return enc.encode(flat, max_spike_time=T).reshape(x.shape[0], -1)
