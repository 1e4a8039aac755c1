r"""ANN-to-SNN conversion: :func:`convert` a trained ReLU network into a :class:`SpikingModel`.

Steps (Rueckauer et al. 2017; the SpikingJelly ann2snn tutorial):

1. trace the model with ``torch.fx``, refuse unknown layers by name, fold BatchNorm into the
   Conv2d / Linear before it, drop dropout (:mod:`spikeagents.convert.graph`);
2. measure each ReLU's activation scale on calibration data and rescale the weights layer by
   layer (:mod:`spikeagents.convert.normalize`);
3. replace every ReLU by an IF neuron that resets by subtraction (:class:`IFLayer`), every
   max pool by the gated max pool (a max pool right after the first layer's ReLU first moves
   before it, where it gates constant currents); average pooling, flatten and additions act on
   spikes as they are (average pooling is spatial subsampling);
4. simulate T steps of constant input currents (or Poisson spikes) and read the class scores
   from the output layer.

Read-out. The output layer integrates its input current :math:`z[t]` without firing
(``readout="membrane"``, the default), and the class scores after :math:`t` steps are

.. math:: \mathrm{score}[t] = s_{out} \cdot \frac{1}{t+1} \sum_{\tau \le t} z[\tau]

which tends to the ANN's output (through a final ReLU if the ANN ends with one). With
``readout="spikes"`` the ANN must end with a ReLU; its IF neurons fire and the score is the spike
rate times :math:`s_{out}`. Scores are in the ANN's units, so they can be compared with its
logits directly.

Example::

    snn = convert(ann, calibration_batches, T=64)
    report = snn.evaluate(test_loader)          # accuracy after every step, firing rates
    report.accuracy[-1], report.min_steps(ann_acc - 0.01)
    scores = snn(x.expand(64, *x.shape))        # [T, B, C]: a normal multi-step module
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
import torch.fx as fx
from torch import Tensor, nn

from spikeagents.convert.graph import ConversionError, node_kind, pool_before_relu, prepare
from spikeagents.convert.layers import GatedMaxPool2d, IFLayer, TimeFolded
from spikeagents.convert.normalize import (
    activation_statistics,
    apply_weight_scales,
    plan_scales,
)
from spikeagents.schema import check_choice
from spikeagents.snn import functional
from spikeagents.snn.encoding import ConstantEncoder, PoissonEncoder
from spikeagents.snn.monitor import Monitor

__all__ = [
    "INPUT_ENCODERS",
    "OUTPUT_READOUTS",
    "MAXPOOLS",
    "SpikingModel",
    "ConversionReport",
    "convert",
]

#: how the input enters the first layer: as a constant current at every step
#: (:class:`~spikeagents.snn.encoding.ConstantEncoder`) or as Poisson spikes
INPUT_ENCODERS = ("constant", "poisson")
#: how the class scores are read: the output layer's average input current, or its spike rate
OUTPUT_READOUTS = ("membrane", "spikes")
MAXPOOLS = ("gated", "max")


@dataclass
class ConversionReport:
    """The result of :meth:`SpikingModel.evaluate`.

    :param accuracy: accuracy after each step, ``[T]`` (``accuracy[t-1]`` after ``t`` steps).
    :param firing_rates: IF layer name -> spikes per neuron per step.
    :param n_samples: test samples seen.
    """

    accuracy: np.ndarray
    firing_rates: dict[str, float] = field(default_factory=dict)
    n_samples: int = 0

    @property
    def steps(self) -> np.ndarray:
        """``[T]``: 1, 2, ..., T."""
        return np.arange(1, len(self.accuracy) + 1)

    def min_steps(self, target: float) -> int | None:
        """The fewest steps after which the accuracy stays >= ``target`` (None: never)."""
        below = np.nonzero(self.accuracy < target - 1e-12)[0]
        if len(below) == 0:
            return 1
        t = int(below[-1]) + 2
        return t if t <= len(self.accuracy) else None


class SpikingModel(nn.Module):
    """A converted network: a multi-step module ``[T, B, ...] -> scores [T, B, C]``.

    ``forward`` takes a sequence of inputs (constant currents or spikes) and returns the class
    scores after every step (see the module docstring). State (membrane potentials, gate
    accumulators, the read-out sum) carries across calls until ``functional.reset_net(model)``
    (or :meth:`reset`), so a long simulation may be fed in chunks; :meth:`simulate` and
    :meth:`evaluate` reset first. Inside, the graph runs on folded sequences ``[T * B, ...]``:
    stateless layers run once for all steps, IF layers through the fused multi-step kernel.

    :param net: the converted graph (from :func:`convert`).
    :param T: default number of steps for :meth:`simulate` / :meth:`evaluate`.
    :param encoder: ``constant`` (the input as a current at every step) or ``poisson``
        (Bernoulli spikes with probability = input, which must lie in [0, 1]).
    :param output_scale: ANN units per SNN unit of the output (a buffer).
    :param final_relu: apply ReLU to the membrane read-out (the ANN ended with a ReLU).
    """

    def __init__(
        self,
        net: fx.GraphModule,
        T: int = 64,
        encoder: str = "constant",
        output_scale: float = 1.0,
        final_relu: bool = False,
    ) -> None:
        super().__init__()
        self.net = net
        self.T = int(T)
        check_choice(encoder, INPUT_ENCODERS, "encoder", "encoder")
        self.encoder = encoder
        self.final_relu = bool(final_relu)
        self.register_buffer("output_scale", torch.tensor(float(output_scale)))
        self._sum: Tensor | None = None
        self._steps = 0
        self.scales: dict[str, float] = {}  # the activation scales it was built with

    # -- the multi-step module -----------------------------------------------------------------
    def forward(self, x_seq: Tensor) -> Tensor:
        """Inputs ``[T, B, ...]`` -> class scores after each step ``[T, B, C]``."""
        if x_seq.dim() < 2:
            raise ValueError(f"SpikingModel expects [T, B, ...], got shape {tuple(x_seq.shape)}")
        T = x_seq.shape[0]
        for m in self.net.modules():
            if isinstance(m, TimeFolded):
                m.steps = T
        out = self.net(x_seq.flatten(0, 1)).unflatten(0, (T, x_seq.shape[1]))
        total = out.cumsum(0)
        if self._sum is not None:
            total = total + self._sum
        self._sum = total[-1]
        count = torch.arange(1, T + 1, device=out.device, dtype=out.dtype) + self._steps
        self._steps += T
        scores = total / count.view(T, *([1] * (out.dim() - 1))) * self.output_scale
        return torch.relu(scores) if self.final_relu else scores

    def reset(self) -> None:
        """Forget the read-out sum (``functional.reset_net`` resets the layers as well)."""
        self._sum, self._steps = None, 0

    # -- simulation ----------------------------------------------------------------------------
    def encode(self, x: Tensor, T: int, generator: torch.Generator | None = None) -> Tensor:
        """``x [B, ...]`` -> ``[T, B, ...]``: repeated (``constant``) or Poisson spikes."""
        if self.encoder == "constant":
            return ConstantEncoder(T)(x)
        return PoissonEncoder(T, generator)(x)

    @torch.no_grad()
    def simulate(self, x: Tensor, T: int | None = None, chunk: int = 16, seed: int = 0) -> Tensor:
        """Reset, then run ``T`` steps on ``x [B, ...]`` in chunks of ``chunk`` steps.

        :return: scores after every step ``[T, B, C]``.
        """
        return torch.cat(list(self._chunks(x, T, chunk, seed)))

    def _chunks(self, x: Tensor, T: int | None, chunk: int, seed: int) -> Iterable[Tensor]:
        T = self.T if T is None else int(T)
        if T < 1 or chunk < 1:
            raise ValueError(f"T and chunk must be >= 1, got T={T}, chunk={chunk}")
        functional.reset_net(self)
        gen = None
        if self.encoder == "poisson":
            gen = torch.Generator(device=x.device).manual_seed(seed)
        for start in range(0, T, chunk):
            steps = min(chunk, T - start)
            yield self(self.encode(x, steps, gen))
        functional.reset_net(self)

    @torch.no_grad()
    def evaluate(
        self,
        data: Iterable[tuple[Tensor, Tensor]],
        T: int | None = None,
        chunk: int = 16,
        seed: int = 0,
        progress: bool = False,
    ) -> ConversionReport:
        """Accuracy after every step and firing rates over ``data`` (``(x, y)`` batches)."""
        from tqdm.auto import tqdm

        T = self.T if T is None else int(T)
        self.eval()
        device = self.output_scale.device
        correct = torch.zeros(T, dtype=torch.long)
        n = 0
        with Monitor(self.net, layer_types=(IFLayer,), keep_records=False) as monitor:
            for x, y in tqdm(data, desc=f"SNN T={T}", disable=not progress, leave=False):
                x, y = x.to(device), y.to(device)
                start = 0
                for scores in self._chunks(x, T, chunk, seed + n):
                    hits = (scores.argmax(-1) == y).sum(1).cpu()
                    correct[start : start + len(hits)] += hits
                    start += len(hits)
                n += len(y)
        if n == 0:
            raise ValueError("evaluate: the data hold no samples")
        acc = (correct.double() / n).numpy()
        return ConversionReport(acc, monitor.firing_rate(), n)

    # -- statistics ----------------------------------------------------------------------------
    def if_layers(self) -> dict[str, IFLayer]:
        """The IF layers by name (the ANN's ReLU module path, or ``<node>_snn``)."""
        return {n: m for n, m in self.net.named_modules() if isinstance(m, IFLayer)}

    def extra_repr(self) -> str:
        return f"T={self.T}, encoder={self.encoder!r}, final_relu={self.final_relu}"


def _set_module(gm: fx.GraphModule, target: str, module: nn.Module) -> None:
    parent, _, name = target.rpartition(".")
    setattr(gm.get_submodule(parent) if parent else gm, name, module)


def _replace_with_module(
    gm: fx.GraphModule, node: fx.Node, module: nn.Module, claimed: set[str]
) -> None:
    """Put ``module`` in place of ``node``: at the same module path the first time a module is
    called, under a new name ``<node>_snn`` otherwise (a ReLU or pool module called twice gets
    two stateful layers)."""
    target = str(node.target)
    if node.op == "call_module" and target not in claimed:
        claimed.add(target)
        _set_module(gm, target, module)
        node.args, node.kwargs = node.args[:1], {}
        return
    name = f"{node.name}_snn"
    while hasattr(gm, name):
        name += "_"
    gm.add_submodule(name, module)
    with gm.graph.inserting_after(node):
        new = gm.graph.call_module(name, (node.args[0],))
    node.replace_all_uses_with(new)
    gm.graph.erase_node(node)


def convert(
    model: nn.Module,
    calibration: Any = None,
    T: int = 64,
    norm: str = "robust",
    percentile: float = 99.9,
    encoder: str = "constant",
    maxpool: str = "gated",
    readout: str = "membrane",
    v_init: float = 0.5,
    backend: str = "auto",
    max_batches: int | None = None,
    scales: dict[str, float] | None = None,
) -> SpikingModel:
    """Convert a trained ReLU network into a :class:`SpikingModel` (the model is not changed).

    :param model: Conv2d, Linear, BatchNorm1d/2d, ReLU, AvgPool2d, MaxPool2d, Flatten, Dropout
        and residual additions, in any graph ``torch.fx`` can trace.
    :param calibration: inputs for the activation statistics: a tensor ``[N, ...]`` or batches
        (a ``DataLoader`` of ``(x, y)``); not needed with ``norm="none"``. A few hundred
        training samples are enough (the docs use 192).
    :param T: default simulation steps. :param norm: ``robust`` (``percentile``), ``max`` or
        ``none``. :param encoder: ``constant`` or ``poisson``.
    :param maxpool: ``gated`` (pass the unit with the most accumulated input; a max pool right
        after the first ReLU moves before it, see
        :func:`~spikeagents.convert.graph.pool_before_relu`) or ``max`` (plain max over
        spikes, which overestimates rates).
    :param readout: ``membrane`` (average output current) or ``spikes`` (output spike rate).
    :param v_init: initial membrane potential as a fraction of the threshold (0: the docs;
        0.5: rounding, less error at small T).
    :param backend: IF kernel backend (``auto`` takes the fused kernel).
    :param max_batches: calibrate on at most this many batches.
    :param scales: the activation scales of a previous conversion (``snn.scales``) instead of
        new statistics: rebuilds the same network without data.
    :raises UnsupportedLayerError: naming the first layer that cannot be converted.
    """
    check_choice(encoder, INPUT_ENCODERS, "encoder", "encoder")
    check_choice(maxpool, MAXPOOLS, "maxpool", "maxpool")
    check_choice(readout, OUTPUT_READOUTS, "readout", "readout")
    if T < 1:
        raise ValueError(f"T must be >= 1, got {T}")
    gm = prepare(model)
    if maxpool == "gated" and encoder == "constant":
        pool_before_relu(gm)
    device = next(iter(gm.parameters()), torch.empty(0)).device
    if scales is None:
        lam = activation_statistics(gm, calibration, norm, percentile, max_batches)
    else:
        lam = {k: float(v) for k, v in scales.items()}
    (output,) = [n for n in gm.graph.nodes if n.op == "output"]
    last = output.args[0]
    final_relu = node_kind(gm, last) == "relu"
    if readout == "spikes" and not final_relu:
        raise ConversionError("readout='spikes' needs a model that ends with a ReLU")
    bypass = frozenset({last.name}) if final_relu and readout == "membrane" else frozenset()
    plan = plan_scales(gm, lam, bypass)
    apply_weight_scales(gm, plan)
    kinds = {node: node_kind(gm, node) for node in gm.graph.nodes}
    for (add_name, operand), factor in plan.rescale.items():  # before nodes get replaced
        add = next(n for n in kinds if n.name == add_name)
        src = next(a for a in add.all_input_nodes if a.name == operand)
        with gm.graph.inserting_before(add):
            scaled = gm.graph.call_function(operator.mul, (src, factor))
        add.replace_input_with(src, scaled)
    claimed: set[str] = set()
    for node, kind in kinds.items():
        if kind == "relu" and node.name in bypass:
            node.replace_all_uses_with(node.args[0])
            gm.graph.erase_node(node)
        elif kind == "relu":
            layer = IFLayer(plan.threshold[node.name], v_init, backend).to(device)
            _replace_with_module(gm, node, layer, claimed)
        elif kind == "maxpool" and maxpool == "gated":
            pool = GatedMaxPool2d(gm.get_submodule(str(node.target)))
            _replace_with_module(gm, node, pool, claimed)
    gm.graph.lint()
    gm.delete_all_unused_submodules()
    gm.recompile()
    snn = SpikingModel(gm, T, encoder, plan.output_scale, final_relu and readout == "membrane")
    snn.scales = dict(lam)
    return snn.to(device)


@torch.no_grad()
def ann_accuracy(model: nn.Module, data: Iterable[tuple[Tensor, Tensor]]) -> float:
    """Test accuracy of an ANN (eval mode) on ``(x, y)`` batches."""
    model.eval()
    device = next(iter(model.parameters()), torch.empty(0)).device
    correct = n = 0
    for x, y in data:
        pred = model(x.to(device)).argmax(-1).cpu()
        correct += int((pred == y).sum())
        n += len(y)
    return correct / n if n else math.nan
