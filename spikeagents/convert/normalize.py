r"""Layer-wise normalisation from activation statistics (Diehl et al. 2015; Rueckauer et al. 2017).

An IF neuron fires at most once per step, so its rate lies in [0, 1]: every activation must be
scaled into that range. For each ReLU :math:`l` the calibration data give a scale
:math:`\lambda_l`: the largest activation (``norm="max"``) or, robust to outliers, its
``percentile``-th percentile (``norm="robust"``, 99.9 by default; over the positive values).
In a chain ``Conv/Linear -> ReLU`` the docs' normalisation follows:

.. math::

    \hat W^l = W^l \frac{\lambda_{l-1}}{\lambda_l}, \qquad \hat b^l = \frac{b^l}{\lambda_l},
    \qquad \theta^l = 1

General graphs (residual additions, pooling between layers, a ``Linear`` feeding another
``Linear``) are handled by giving every tensor a scale :math:`s` (ANN value = :math:`s` x SNN
value) and choosing the scales of the ``Conv/Linear`` outputs where they are free:

- the input has :math:`s = 1`; pooling, flatten and views keep their input's scale;
- a ``Conv/Linear`` output takes the :math:`\lambda` of the ReLU it reaches (through pooling,
  flatten or an addition), which gives :math:`\theta = 1` there; its weights become
  :math:`W s_{in}/s_{out}` and its bias :math:`b / s_{out}`;
- an addition whose operands already have different scales multiplies the odd ones by
  :math:`s_{operand}/s_{sum}`;
- a ReLU whose input scale was fixed elsewhere gets the threshold :math:`\theta = \lambda/s_{in}`;
- the network output, if still free, takes the :math:`\lambda` of its own values.

All of this is exact in the ANN domain: with ReLU in place of IF the rescaled network computes
the original function divided by the output scale.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.fx as fx
from torch import Tensor

from spikeagents.convert.graph import ConversionError, UnsupportedLayerError, node_kind

__all__ = ["NORMS", "ScalePlan", "activation_statistics", "plan_scales", "batches"]

NORMS = ("robust", "max", "none")
_MAX_SAMPLES = 1_000_000  # values kept per node for a percentile


def batches(data: Any) -> Iterable[Tensor]:
    """The input tensors of ``data``: a tensor (one batch), or an iterable of tensors or of
    ``(x, y)`` pairs (a ``DataLoader``)."""
    if isinstance(data, Tensor):
        yield data
        return
    for item in data:
        yield item[0] if isinstance(item, (tuple, list)) else item


class _Recorder(fx.Interpreter):
    def __init__(self, gm: fx.GraphModule, names: set[str]) -> None:
        super().__init__(gm)
        self.names = names
        self.values: dict[str, Tensor] = {}

    def run_node(self, n: fx.Node) -> Any:
        out = super().run_node(n)
        if n.name in self.names:
            self.values[n.name] = out.detach()
        return out


def _statistic_nodes(gm: fx.GraphModule) -> dict[str, bool]:
    """Node name -> whether its values are ReLU outputs (positive part) or the network output."""
    out = {n.name: True for n in gm.graph.nodes if node_kind(gm, n) == "relu"}
    (output,) = [n for n in gm.graph.nodes if n.op == "output"]
    out.setdefault(output.args[0].name, False)
    return out


@torch.no_grad()
def activation_statistics(
    gm: fx.GraphModule,
    data: Any,
    norm: str = "robust",
    percentile: float = 99.9,
    max_batches: int | None = None,
    seed: int = 0,
) -> dict[str, float]:
    r"""The scale :math:`\lambda` of every ReLU output and of the network output.

    :param gm: the prepared ANN graph (:func:`~spikeagents.convert.graph.prepare`).
    :param data: calibration inputs (see :func:`batches`), on the graph's device.
    :param norm: ``robust`` (percentile of the positive values), ``max`` or ``none`` (all 1).
    :param max_batches: use at most this many batches.
    :return: node name -> :math:`\lambda` (1 where a layer never produced a positive value).
    """
    if norm not in NORMS:
        raise ValueError(f"unknown norm {norm!r}; valid choices: {', '.join(NORMS)}")
    if not 0 < percentile <= 100:
        raise ValueError(f"percentile must be in (0, 100], got {percentile}")
    nodes = _statistic_nodes(gm)
    if norm == "none":
        return dict.fromkeys(nodes, 1.0)
    if data is None:
        raise ConversionError(f"norm={norm!r} needs calibration data (or use norm='none')")
    gen = torch.Generator().manual_seed(seed)
    maxima: dict[str, float] = dict.fromkeys(nodes, 0.0)
    kept: dict[str, list[Tensor]] = {name: [] for name in nodes}
    device = next(iter(gm.parameters()), torch.empty(0)).device
    seen = 0
    for i, x in enumerate(batches(data)):
        if max_batches is not None and i >= max_batches:
            break
        rec = _Recorder(gm, set(nodes))
        rec.run(x.to(device))
        seen += 1
        for name, is_relu in nodes.items():
            v = rec.values[name].flatten().float()
            v = v[v > 0] if is_relu else v.abs()
            if v.numel() == 0:
                continue
            maxima[name] = max(maxima[name], float(v.max()))
            if norm == "robust":
                if v.numel() > _MAX_SAMPLES // 4:
                    pick = torch.randint(v.numel(), (_MAX_SAMPLES // 4,), generator=gen)
                    v = v[pick.to(v.device)]
                kept[name].append(v.cpu())
    if seen == 0:
        raise ConversionError("the calibration data hold no batches")
    out: dict[str, float] = {}
    for name in nodes:
        if maxima[name] <= 0:
            out[name] = 1.0
        elif norm == "max" or percentile >= 100:
            out[name] = maxima[name]
        else:
            values = torch.cat(kept[name]).numpy()
            out[name] = float(np.percentile(values, percentile)) or maxima[name]
    return out


@dataclass
class ScalePlan:
    """How the converted network is scaled (see the module docstring).

    :param scale: node name -> :math:`s` (ANN value = :math:`s` x SNN value).
    :param threshold: ReLU node name -> IF threshold :math:`\\theta`.
    :param rescale: ``(add node, operand node)`` -> factor multiplying that operand.
    :param output_scale: :math:`s` of the network output.
    """

    scale: dict[str, float] = field(default_factory=dict)
    threshold: dict[str, float] = field(default_factory=dict)
    rescale: dict[tuple[str, str], float] = field(default_factory=dict)
    output_scale: float = 1.0


class _Groups:
    """Union-find over tensors that must share one scale; a group's scale is fixed at most once."""

    def __init__(self) -> None:
        self.parent: list[int] = []
        self.value: list[float | None] = []

    def new(self, value: float | None = None) -> int:
        self.parent.append(len(self.parent))
        self.value.append(value)
        return len(self.parent) - 1

    def find(self, g: int) -> int:
        while self.parent[g] != g:
            self.parent[g] = self.parent[self.parent[g]]
            g = self.parent[g]
        return g

    def get(self, g: int) -> float | None:
        return self.value[self.find(g)]

    def fix(self, g: int, value: float) -> None:
        self.value[self.find(g)] = value

    def union(self, a: int, b: int) -> int:
        ra, rb = self.find(a), self.find(b)
        self.parent[rb] = ra
        return ra


def plan_scales(
    gm: fx.GraphModule, lam: dict[str, float], bypass: frozenset[str] = frozenset()
) -> ScalePlan:
    r"""Choose every tensor's scale and every IF threshold from the ReLU scales ``lam``.

    :param bypass: ReLU nodes that stay out of the spiking network (the final ReLU when the
        output is read from membrane potentials); they keep their input's scale.
    """
    groups = _Groups()
    of: dict[str, int] = {}
    plan = ScalePlan()
    for node in gm.graph.nodes:
        kind = node_kind(gm, node)
        if kind == "input":
            of[node.name] = groups.new(1.0)
        elif kind == "param":
            of[node.name] = groups.new()
        elif kind in ("maxpool", "linear"):
            of[node.name] = of[node.args[0].name]
        elif kind == "relu":
            g = of[node.args[0].name]
            if groups.get(g) is None:
                groups.fix(g, lam[node.name])
            of[node.name] = g if node.name in bypass else groups.new(lam[node.name])
        elif kind == "add":
            operands = [a for a in (*node.args, *node.kwargs.values()) if isinstance(a, fx.Node)]
            if len(operands) != 2 or len(node.args) + len(node.kwargs) != 2:
                raise UnsupportedLayerError(
                    f"cannot convert addition {node.name!r}: only the sum of two tensors "
                    "(a residual connection) is supported, not a tensor plus a constant"
                )
            fixed = [a for a in operands if groups.get(of[a.name]) is not None]
            if not fixed:
                of[node.name] = groups.union(of[operands[0].name], of[operands[1].name])
                continue
            target = groups.get(of[fixed[0].name])
            assert target is not None
            for a in operands:
                s = groups.get(of[a.name])
                if s is None:
                    groups.fix(of[a.name], target)
                elif s != target:
                    plan.rescale[(node.name, a.name)] = s / target
            of[node.name] = groups.new(target)
        elif kind == "output":
            g = of[node.args[0].name]
            if groups.get(g) is None:
                groups.fix(g, lam[node.args[0].name])
    for node in gm.graph.nodes:
        if node.name not in of:
            continue
        g = of[node.name]
        if groups.get(g) is None:  # e.g. a Linear feeding another Linear: any scale is exact
            groups.fix(g, 1.0)
        plan.scale[node.name] = float(groups.get(g))  # type: ignore[arg-type]
        if node_kind(gm, node) == "relu" and node.name not in bypass:
            plan.threshold[node.name] = lam[node.name] / plan.scale[node.args[0].name]
    (output,) = [n for n in gm.graph.nodes if n.op == "output"]
    plan.output_scale = plan.scale[output.args[0].name]
    return plan


@torch.no_grad()
def apply_weight_scales(gm: fx.GraphModule, plan: ScalePlan) -> None:
    r"""Rescale every Conv2d / Linear in place: :math:`W s_{in}/s_{out}`, :math:`b/s_{out}`."""
    for node in gm.graph.nodes:
        if node_kind(gm, node) != "param":
            continue
        module = gm.get_submodule(str(node.target))
        s_in, s_out = plan.scale[node.args[0].name], plan.scale[node.name]
        module.weight.mul_(s_in / s_out)
        if module.bias is not None:
            module.bias.div_(s_out)
