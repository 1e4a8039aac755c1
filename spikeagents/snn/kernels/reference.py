"""The ``torch`` backend: a plain loop over :func:`spikeagents.snn.dynamics.neuron_step`.

This is the oracle every fused kernel is tested against. It runs on any device and dtype and
lets autograd build the graph (about six small ops per step).
"""

from __future__ import annotations

import torch
from torch import Tensor

from spikeagents.snn.dynamics import FAMILIES, NeuronSpec, neuron_step
from spikeagents.snn.kernels._contract import Kernel
from spikeagents.snn.surrogate import SurrogateFunction

__all__ = ["multistep_reference", "KERNELS", "unavailable_reason"]


def multistep_reference(
    x_seq: Tensor,
    v0: Tensor,
    spec: NeuronSpec,
    surrogate: SurrogateFunction,
    decay: float | Tensor | None,
    steps: int | None = None,
) -> tuple[Tensor, Tensor]:
    """Run T steps: ``x_seq [T, ...]``, ``v0 [...]`` -> ``(out_seq, v_seq)``, each ``[T, ...]``.

    With ``steps``, ``x_seq`` is one step's input ``[...]``, fed at every one of ``steps`` steps.
    """
    if steps is not None:
        x_seq = x_seq.unsqueeze(0).expand(steps, *x_seq.shape)
    v = v0
    outs: list[Tensor] = []
    vs: list[Tensor] = []
    # unbind (not x_seq[t]): its backward stacks the per-step gradients once instead of adding
    # a full [T, ...] zero tensor per step
    for x in x_seq.unbind(0):
        out, v = neuron_step(v, x, spec, surrogate, decay)
        outs.append(out)
        vs.append(v)
    v_seq = torch.stack(vs)
    out_seq = v_seq if not spec.spiking else torch.stack(outs)
    return out_seq, v_seq


#: the reference serves every neuron family
KERNELS: dict[str, Kernel] = dict.fromkeys(FAMILIES, multistep_reference)


def unavailable_reason(device: torch.device) -> str | None:
    """Always ``None``: the reference runs wherever torch does."""
    return None
