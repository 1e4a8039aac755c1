r"""Whole-network helpers (reset, step mode, backend), sequence forwards and spike losses.

Network helpers work by duck typing: anything with a ``reset()`` method, a ``step_mode`` or a
``backend`` attribute is reached, whatever its class (neurons, stateful encoders, dropout, ...).

Example::

    >>> import torch
    >>> from torch import nn
    >>> from spikeagents.snn.neuron import IFNode
    >>> net = nn.Sequential(nn.Linear(3, 2), IFNode())
    >>> set_step_mode(net, "m")                 # number of modules changed
    1
    >>> net(torch.rand(4, 1, 3)).shape          # [T, B, 3] -> [T, B, 2]
    torch.Size([4, 1, 2])
    >>> reset_net(net)                          # before the next sequence
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from spikeagents.snn.kernels import BACKEND_CHOICES

if TYPE_CHECKING:
    from spikeagents.snn.neuron import BaseNode

__all__ = [
    "reset_net",
    "set_step_mode",
    "set_backend",
    "seq_to_ann_forward",
    "multi_step_forward",
    "first_spike_index",
    "redundant_one_hot",
    "kernel_dot_product",
    "spike_similar_loss",
    "spike_cluster",
    "spike_mse_loss",
    "set_threshold_margin",
    "KERNELS",
    "SIMILARITY_LOSSES",
]

STEP_MODES = ("s", "m")
KERNELS = ("linear", "polynomial", "sigmoid", "gaussian")
SIMILARITY_LOSSES = ("mse", "l1", "bce")


# ------------------------------------------------------------------------------------------------
# network-wide helpers
# ------------------------------------------------------------------------------------------------


def reset_net(net: nn.Module) -> None:
    """Call ``reset()`` on ``net`` and every submodule that has one (neurons, encoders, dropout...).

    Call it between independent sequences (e.g. after every batch) so that no state leaks.
    """
    for module in net.modules():
        reset = getattr(module, "reset", None)
        if callable(reset):
            reset()


def _step_mode_targets(module: nn.Module) -> Iterator[nn.Module]:
    """``module`` and its descendants, skipping the children of single-step wrappers."""
    yield module
    if getattr(module, "wraps_single_step", False):
        return  # MultiStepContainer / SeqToANNContainer: children must stay single-step
    for child in module.children():
        yield from _step_mode_targets(child)


def set_step_mode(net: nn.Module, step_mode: str) -> int:
    """Set ``step_mode`` (``"s"`` or ``"m"``) on every module that has that attribute.

    Children of single-step wrappers (``MultiStepContainer``, ``SeqToANNContainer``: modules with
    ``wraps_single_step = True``) are left alone. Reset the net afterwards if it holds state.

    :return: the number of modules changed.
    """
    if step_mode not in STEP_MODES:
        raise ValueError(f"step_mode must be one of {STEP_MODES}, got {step_mode!r}")
    count = 0
    for module in _step_mode_targets(net):
        if hasattr(module, "step_mode"):
            module.step_mode = step_mode
            count += 1
    return count


def set_backend(net: nn.Module, backend: str) -> int:
    """Set ``backend`` (one of ``"auto"``, ``"torch"``, ``"cpu"``, ``"cupy"``) on every module
    that has a ``backend`` attribute (the neurons' multi-step kernel).

    Availability is checked when a kernel is first needed; see :mod:`spikeagents.snn.kernels`.

    :return: the number of modules changed (0 if none has a backend).
    """
    if backend not in BACKEND_CHOICES:
        raise ValueError(
            f"unknown backend {backend!r}; valid choices: {', '.join(BACKEND_CHOICES)}"
        )
    count = 0
    for module in net.modules():
        if hasattr(module, "backend"):
            module.backend = backend
            count += 1
    return count


def _as_sequential(modules: nn.Module | Sequence[nn.Module]) -> nn.Module:
    if isinstance(modules, nn.Module):
        return modules
    return nn.Sequential(*modules)


def seq_to_ann_forward(x_seq: Tensor, stateless_module: nn.Module | Sequence[nn.Module]) -> Tensor:
    """Apply stateless module(s) to every step at once by folding T into the batch.

    Shapes: ``[T, B, ...] -> [T * B, ...] -> module -> [T, B, ...']``.
    """
    if x_seq.dim() < 2:
        raise ValueError(f"seq_to_ann_forward expects [T, B, ...], got shape {tuple(x_seq.shape)}")
    T, B = x_seq.shape[:2]
    y = _as_sequential(stateless_module)(x_seq.flatten(0, 1))
    return y.unflatten(0, (T, B))


def multi_step_forward(
    x_seq: Tensor, single_step_module: nn.Module | Sequence[nn.Module]
) -> Tensor:
    """Run single-step module(s) over time, step by step (state is carried across steps).

    .. math:: Y[t] = f(X[t]), \\quad t = 0, \\dots, T-1

    Shapes: ``[T, B, ...] -> [T, B, ...']``.
    """
    if x_seq.dim() < 2:
        raise ValueError(f"multi_step_forward expects [T, B, ...], got shape {tuple(x_seq.shape)}")
    module = _as_sequential(single_step_module)
    return torch.stack([module(x_seq[t]) for t in range(x_seq.shape[0])])


# ------------------------------------------------------------------------------------------------
# spike utilities and losses
# ------------------------------------------------------------------------------------------------


def first_spike_index(spikes: Tensor) -> Tensor:
    """Mark each neuron's first spike: ``True`` at the first ``t`` with a spike, else ``False``.

    Shapes: ``spikes [*, T]`` (time is the **last** dim here) ``-> bool [*, T]``; a neuron that
    never fires has no ``True``.

    Example::

        >>> first_spike_index(torch.tensor([[0.0, 1.0, 1.0], [0.0, 0.0, 0.0]]))
        tensor([[False,  True, False],
                [False, False, False]])
    """
    with torch.no_grad():
        fired = spikes != 0
        return fired & (fired.cumsum(dim=-1) == 1)


def redundant_one_hot(labels: Tensor, num_classes: int, n: int) -> Tensor:
    """One-hot code with ``n`` ones per class: class ``c`` sets positions ``c*n .. c*n+n-1``.

    Shapes: ``labels [B]`` (int) ``-> [B, num_classes * n]`` (float).

    Example::

        >>> redundant_one_hot(torch.tensor([0, 2]), num_classes=3, n=2)
        tensor([[1., 1., 0., 0., 0., 0.],
                [0., 0., 0., 0., 1., 1.]])
    """
    if n < 1 or num_classes < 1:
        raise ValueError(f"num_classes and n must be >= 1, got num_classes={num_classes}, n={n}")
    return F.one_hot(labels.long(), num_classes).repeat_interleave(n, dim=-1).float()


def _kernel_arg(args: tuple[float, ...], kernel: str, name: str) -> float:
    if len(args) < 1:
        raise ValueError(
            f"kernel {kernel!r} needs its parameter {name} as the first extra argument"
        )
    return float(args[0])


def kernel_dot_product(x: Tensor, y: Tensor, kernel: str = "linear", *args: float) -> Tensor:
    r"""Pairwise kernel inner products: ``ret[i, j] = k(x[i], y[j])``.

    .. math::
        \text{linear: } x_i^\top y_j \qquad
        \text{polynomial: } (x_i^\top y_j)^d \qquad
        \text{sigmoid: } \mathrm{sigmoid}(\alpha\, x_i^\top y_j) \qquad
        \text{gaussian: } \exp\!\Big(-\frac{\lVert x_i - y_j \rVert^2}{2\sigma^2}\Big)

    with :math:`d`, :math:`\alpha` or :math:`\sigma` = ``args[0]``.

    Shapes: ``x [N, M]``, ``y [N', M] -> [N, N']``.
    """
    if kernel not in KERNELS:
        raise ValueError(f"unknown kernel {kernel!r}; valid choices: {', '.join(KERNELS)}")
    if kernel == "gaussian":
        sigma = _kernel_arg(args, kernel, "sigma")
        d2 = (x.square().sum(1, keepdim=True) + y.square().sum(1) - 2.0 * x @ y.t()).clamp_min(0)
        return torch.exp(-d2 / (2.0 * sigma * sigma))
    xy = x @ y.t()
    if kernel == "linear":
        return xy
    if kernel == "polynomial":
        return xy.pow(_kernel_arg(args, kernel, "d"))
    return torch.sigmoid(_kernel_arg(args, kernel, "alpha") * xy)


def spike_similar_loss(
    spikes: Tensor,
    labels: Tensor,
    kernel_type: str = "linear",
    loss_type: str = "mse",
    *args: float,
) -> Tensor:
    r"""Similarity loss: spike trains of samples sharing a label should be alike, others not.

    .. math::
        \mathrm{sim}_{ij} = \min\big(1, \textstyle\sum_c l_{ic} l_{jc}\big), \qquad
        \hat{\mathrm{sim}}_{ij} = k(s_i, s_j), \qquad
        \text{loss} = \mathcal{L}(\hat{\mathrm{sim}}, \mathrm{sim})

    Legend: :math:`s_i` the spikes of sample ``i`` flattened to ``M*T``, :math:`l` the
    (multi-)labels, :math:`k` the kernel of :func:`kernel_dot_product` (``"linear"``,
    ``"sigmoid"`` with :math:`\alpha`, ``"gaussian"`` with :math:`\sigma` = ``args[0]``),
    :math:`\mathcal{L}` = ``loss_type`` (``"mse"``, ``"l1"``, ``"bce"``, mean-reduced).

    The linear kernel is normalised to [0, 1] by the norms (cosine similarity):
    :math:`\hat{\mathrm{sim}}_{ij} = s_i^\top s_j / (\lVert s_i \rVert\, \lVert s_j \rVert
    + 10^{-8})`.
    (The seed docs' normalisation formula was lost from the PDF; this is the standard choice.)

    Shapes: ``spikes [N, M, T]``, ``labels [N, C]`` (0/1) ``->`` a scalar (0-d) tensor.
    """
    if loss_type not in SIMILARITY_LOSSES:
        raise ValueError(
            f"unknown loss_type {loss_type!r}; valid choices: {', '.join(SIMILARITY_LOSSES)}"
        )
    if kernel_type == "polynomial" or kernel_type not in KERNELS:
        valid = ", ".join(k for k in KERNELS if k != "polynomial")
        raise ValueError(f"unknown kernel_type {kernel_type!r}; valid choices: {valid}")
    s = spikes.flatten(1).float()
    sim_p = kernel_dot_product(s, s, kernel_type, *args)
    if kernel_type == "linear":
        norm = s.norm(p=2, dim=1, keepdim=True)
        sim_p = sim_p / (norm @ norm.t() + 1e-8)
    lab = labels.float()
    sim = (lab @ lab.t()).clamp_max(1.0)
    if loss_type == "mse":
        return F.mse_loss(sim_p, sim)
    if loss_type == "l1":
        return F.l1_loss(sim_p, sim)
    return F.binary_cross_entropy(sim_p.clamp(0.0, 1.0), sim)


def spike_cluster(
    v: Tensor, v_threshold: float | Tensor, T_in: int
) -> tuple[Tensor, Tensor, Tensor]:
    r"""Spike clusters of STCA (Gu et al. 2019) and where to push the voltage to add or remove one.

    A neuron spikes where :math:`v[t] \ge V_{th}`. A *cluster* is a maximal run of spikes in which
    neighbouring spikes are at most ``T_in`` steps apart (spikes further apart start a new one).

    :param v: membrane potentials ``[T, N]``.
    :param v_threshold: a float or a ``[N]`` tensor.
    :param T_in: the largest gap (in steps) inside one cluster, >= 1.
    :return: ``(N_o, k_positive, k_negative)``:

        - ``N_o [N]`` (float): the number of clusters of each neuron.
        - ``k_positive [T, N]`` (bool): for each neuron, the step with the highest potential
          among the steps more than ``T_in`` away from every spike (raising ``v`` there adds a
          cluster); all False if there is no such step.
        - ``k_negative [T, N]`` (bool): for each neuron, the last spike of its smallest cluster
          (the earliest one on ties); lowering ``v`` there removes a cluster. All False if the
          neuron never fired.

    The docs say ``[N]`` for ``k_positive``/``k_negative`` but their example sums over dim 0;
    the masks are ``[T, N]`` here, so the STCA loss reads::

        v_k_negative = (out_v * k_negative).sum(dim=0)
        v_k_positive = (out_v * k_positive).sum(dim=0)
        loss = ((N_o > N_d) * (v_k_negative - 1.0)).sum()
        loss = loss + ((N_o < N_d) * (1.0 - v_k_positive)).sum()
    """
    if v.dim() != 2:
        raise ValueError(f"spike_cluster expects v of shape [T, N], got {tuple(v.shape)}")
    if int(T_in) < 1:
        raise ValueError(f"T_in must be >= 1, got {T_in}")
    with torch.no_grad():
        T, N = v.shape
        spike = v >= v_threshold  # [T, N]
        never = -(10 * T + 10 * T_in)
        last = torch.full((N,), never, dtype=torch.long, device=v.device)
        n_clusters = torch.zeros(N, dtype=torch.long, device=v.device)
        size = torch.zeros(N, dtype=torch.long, device=v.device)  # spikes in the current cluster
        best_size = torch.full((N,), T + 1, dtype=torch.long, device=v.device)
        best_end = torch.full((N,), -1, dtype=torch.long, device=v.device)
        for t in range(T):
            s = spike[t]
            new = s & (t - last > T_in)
            # a new cluster closes the previous one: keep it if it is the smallest so far
            closing = new & (size > 0) & (size < best_size)
            best_size = torch.where(closing, size, best_size)
            best_end = torch.where(closing, last, best_end)
            n_clusters += new.long()
            size = torch.where(new, torch.ones_like(size), size + s.long())
            last = torch.where(s, torch.full_like(last, t), last)
        closing = (size > 0) & (size < best_size)
        best_end = torch.where(closing, last, best_end)

        steps = torch.arange(T, device=v.device).unsqueeze(1)  # [T, 1]
        spike_times = torch.where(spike, steps, torch.full_like(steps, never))  # [T, N]
        # distance from every step to the nearest spike of the same neuron: [T, T, N] -> [T, N]
        dist = (steps.unsqueeze(2) - spike_times.unsqueeze(0)).abs().min(dim=1).values
        free = dist > T_in
        masked = torch.where(free, v, torch.full_like(v, -torch.inf))
        k_pos_t = masked.argmax(dim=0)
        k_positive = (steps == k_pos_t) & free.any(dim=0)
        k_negative = steps == best_end  # best_end = -1 (never fired) matches no step
        return n_clusters.to(v.dtype), k_positive, k_negative


def spike_mse_loss(x: Tensor, spikes: Tensor) -> Tensor:
    r"""Mean squared error against spikes, using :math:`s^2 = s` for binary ``s``.

    .. math:: \mathrm{mean}\big((x - s)^2\big) = \mathrm{mean}\big(x^2 + (1 - 2x)\, s\big)

    Equal to ``F.mse_loss(x, spikes)`` in value; the gradient with respect to ``spikes`` differs
    (the graph is different). Shapes: ``x`` and ``spikes`` the same shape ``-> scalar``.
    """
    if x.shape != spikes.shape:
        raise ValueError(
            f"spike_mse_loss: x has shape {tuple(x.shape)} but spikes {tuple(spikes.shape)}"
        )
    s = spikes.to(x.dtype)
    return (x.square() + (1.0 - 2.0 * x) * s).mean()


def set_threshold_margin(
    output_layer: BaseNode,
    label_one_hot: Tensor,
    eval_threshold: float = 1.0,
    threshold0: float = 0.9,
    threshold1: float = 1.1,
) -> None:
    """Give the output neurons a threshold margin for classification.

    Training: the true class's neuron gets ``threshold1`` and the others ``threshold0`` (a
    ``[B, C]`` threshold tensor, one per sample and neuron). Eval: every neuron gets
    ``eval_threshold`` (a float). Call it before each training batch.

    :param output_layer: a single-step spiking neuron whose output is ``[B, C]``. The fused
        multi-step kernels take a scalar threshold, so a multi-step layer is refused in training.
    :param label_one_hot: ``[B, C]``, 1 for the true class.
    """
    if not output_layer.training:
        output_layer.v_threshold = float(eval_threshold)
        return
    if getattr(output_layer, "step_mode", "s") != "s":
        raise ValueError(
            "set_threshold_margin needs the output layer in single-step mode (step_mode='s'); "
            f"got step_mode={output_layer.step_mode!r}"
        )
    if label_one_hot.dim() != 2:
        raise ValueError(f"label_one_hot must be [B, C], got shape {tuple(label_one_hot.shape)}")
    threshold = torch.full(label_one_hot.shape, float(threshold0), device=label_one_hot.device)
    output_layer.v_threshold = threshold.masked_fill(label_one_hot == 1, float(threshold1))
