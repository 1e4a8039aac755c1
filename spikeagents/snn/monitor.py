r"""Record spikes (and membrane potentials) of chosen layers with forward hooks.

:class:`Monitor` hooks the spiking neurons of a network (or layers chosen by type or name) and
keeps, per layer, the detached outputs on the CPU and running statistics:

.. math::

    \text{firing rate} = \frac{1}{|\mathcal{R}|} \sum_{r \in \mathcal{R}} r, \qquad
    \text{silent fraction} = \frac{\#\{\text{neurons that never fired}\}}{\#\{\text{neurons}\}}

where :math:`\mathcal{R}` is every recorded output element (all steps, samples and neurons).
A *neuron* is one feature position, i.e. an index into the output without its time and batch
dimensions (``[C, H, W]`` of a ``[B, C, H, W]`` output); it is silent if its output was 0 at every
recorded step for every sample.

Example::

    >>> import torch
    >>> from torch import nn
    >>> from spikeagents.snn.neuron import IFNode
    >>> net = nn.Sequential(nn.Identity(), IFNode(step_mode="m"))
    >>> with Monitor(net) as mon:
    ...     _ = net(torch.full((8, 2, 3), 0.5))     # IF with input 0.5 fires every other step
    ...     mon.firing_rate()
    {'1': 0.5}
"""

from __future__ import annotations

from collections import deque
from typing import Any, overload

import torch
from torch import Tensor, nn
from torch.utils.hooks import RemovableHandle

from spikeagents.snn.neuron import BaseNode

__all__ = ["Monitor"]


class _LayerStats:
    """Running statistics of one layer: totals over everything recorded since the last reset."""

    def __init__(self) -> None:
        self.total = 0.0  # sum of all recorded output values
        self.elements = 0  # number of recorded output values
        self.counts: Tensor | None = None  # [*features] sum over time and batch
        self.fired: Tensor | None = None  # [*features] bool: nonzero at least once

    def add(self, out: Tensor, lead_dims: int, name: str) -> None:
        features = out.shape[lead_dims:]
        flat = out.reshape(-1, *features).double()
        counts = flat.sum(0)
        fired = (flat != 0).any(0)
        if self.counts is None or self.fired is None:
            self.counts, self.fired = counts, fired
        elif self.counts.shape != counts.shape:
            raise RuntimeError(
                f"Monitor: layer {name!r} had neurons of shape {tuple(self.counts.shape)} and now "
                f"{tuple(counts.shape)}; call monitor.reset() between inputs of different shape"
            )
        else:
            self.counts += counts
            self.fired |= fired
        self.total += float(counts.sum())
        self.elements += out.numel()


class Monitor:
    """Record the outputs of a network's spiking layers through forward hooks.

    :param net: the network to watch.
    :param layer_types: record every submodule of these types. ``None`` (default): the spiking
        neurons, i.e. :class:`~spikeagents.snn.neuron.BaseNode` instances with ``spiking=True``
        (non-spiking readouts output voltages, not spikes). Ignored when ``names`` is given.
    :param names: record exactly these submodules (names as in ``net.named_modules()``).
    :param record_v: also record the membrane potential: ``module.v`` after a single-step call,
        ``module.v_seq`` after a multi-step call (``store_v_seq`` is switched on while the
        monitor is attached and restored by :meth:`remove`).
    :param max_records: keep at most this many recent outputs per layer in :attr:`records`
        (``None``: all). Statistics (rates, silent fraction, counts) always cover everything
        recorded since :meth:`reset`, whatever this limit.
    :param keep_records: ``False`` keeps statistics only (nothing is copied to the CPU, nothing
        grows): the cheap mode for logging firing rates during training.

    Recording is **on** from construction (the SpikingJelly monitor started disabled, which made
    an unrecorded run look silent); :meth:`disable` / :meth:`enable` pause and resume it.

    Records: ``records[name]`` is a sequence (a ``deque``, indexable like a list) of detached CPU
    tensors, one per forward call: ``[B, ...]`` per step for a single-step module, ``[T, B, ...]``
    per call for a multi-step one (``step_mode == "m"``; a module without ``step_mode`` counts as
    single-step). ``v_records[name]`` is the same for membrane potentials.

    Use as a context manager to remove the hooks at the end::

        with Monitor(net) as mon:
            net(x)
            rates = mon.firing_rate()
    """

    def __init__(
        self,
        net: nn.Module,
        layer_types: tuple[type[nn.Module], ...] | None = None,
        names: list[str] | None = None,
        record_v: bool = False,
        max_records: int | None = None,
        keep_records: bool = True,
    ) -> None:
        if max_records is not None and (isinstance(max_records, bool) or max_records < 1):
            raise ValueError(f"max_records must be a positive int or None, got {max_records!r}")
        self.record_v = bool(record_v)
        self.max_records = max_records
        self.keep_records = bool(keep_records)
        self.enabled = True
        self.layers: dict[str, nn.Module] = self._select(net, layer_types, names)
        self.records: dict[str, deque[Tensor]] = {}
        self.v_records: dict[str, deque[Tensor]] = {}
        self._stats: dict[str, _LayerStats] = {}
        self.reset()
        self._handles: list[RemovableHandle] = []
        self._saved_store_v_seq: dict[str, bool] = {}
        for name, module in self.layers.items():
            if self.record_v and hasattr(module, "store_v_seq"):
                self._saved_store_v_seq[name] = module.store_v_seq
                module.store_v_seq = True
            self._handles.append(module.register_forward_hook(self._make_hook(name)))

    @staticmethod
    def _select(
        net: nn.Module,
        layer_types: tuple[type[nn.Module], ...] | None,
        names: list[str] | None,
    ) -> dict[str, nn.Module]:
        modules = dict(net.named_modules())
        if names is not None:
            unknown = [n for n in names if n not in modules]
            if unknown:
                valid = ", ".join(repr(n) for n in modules)
                raise ValueError(f"Monitor: no submodule named {unknown}; valid names: {valid}")
            return {n: modules[n] for n in names}
        if layer_types is None:
            chosen = {n: m for n, m in modules.items() if isinstance(m, BaseNode) and m.spiking}
        else:
            chosen = {n: m for n, m in modules.items() if isinstance(m, tuple(layer_types))}
        if not chosen:
            what = "spiking neurons" if layer_types is None else f"modules of types {layer_types}"
            raise ValueError(f"Monitor: the network has no {what} to record")
        return chosen

    def _make_hook(self, name: str) -> Any:
        def hook(module: nn.Module, inputs: Any, output: Any) -> None:
            if not self.enabled or not isinstance(output, Tensor):
                return
            lead = 2 if getattr(module, "step_mode", "s") == "m" else 1
            out = output.detach()
            self._stats[name].add(out, lead, name)
            if not self.keep_records:
                return
            self.records[name].append(out.to("cpu", copy=True))
            if self.record_v:
                v = getattr(module, "v_seq" if lead == 2 else "v", None)
                if isinstance(v, Tensor):
                    self.v_records[name].append(v.detach().to("cpu", copy=True))

        return hook

    # -- control ----------------------------------------------------------------------------------
    def enable(self) -> None:
        """Resume recording."""
        self.enabled = True

    def disable(self) -> None:
        """Pause recording (hooks stay attached)."""
        self.enabled = False

    def reset(self) -> None:
        """Clear all records and statistics."""
        for name in self.layers:
            self.records[name] = deque(maxlen=self.max_records)
            self.v_records[name] = deque(maxlen=self.max_records)
            self._stats[name] = _LayerStats()

    def remove(self) -> None:
        """Remove the hooks and restore ``store_v_seq``; the records stay readable."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()
        for name, value in self._saved_store_v_seq.items():
            self.layers[name].store_v_seq = value
        self._saved_store_v_seq.clear()

    def __enter__(self) -> Monitor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    # -- statistics -------------------------------------------------------------------------------
    def _stat(self, name: str) -> _LayerStats:
        if name not in self._stats:
            raise ValueError(
                f"Monitor: layer {name!r} is not monitored; monitored layers: {list(self.layers)}"
            )
        return self._stats[name]

    @overload
    def firing_rate(self, name: None = None) -> dict[str, float]: ...
    @overload
    def firing_rate(self, name: str) -> float: ...
    def firing_rate(self, name: str | None = None) -> dict[str, float] | float:
        """Mean recorded output (spikes per neuron per step).

        ``firing_rate()`` gives ``{layer name: rate}``, ``firing_rate(name)`` one layer's rate;
        ``nan`` for a layer with nothing recorded.
        """
        if name is None:
            return {n: self.firing_rate(n) for n in self.layers}
        stat = self._stat(name)
        return stat.total / stat.elements if stat.elements else float("nan")

    def average_firing_rate(self) -> float:
        """Mean recorded output over all neurons of all layers (each element weighs the same)."""
        elements = sum(s.elements for s in self._stats.values())
        total = sum(s.total for s in self._stats.values())
        return total / elements if elements else float("nan")

    @overload
    def silent_fraction(self, name: None = None) -> dict[str, float]: ...
    @overload
    def silent_fraction(self, name: str) -> float: ...
    def silent_fraction(self, name: str | None = None) -> dict[str, float] | float:
        """Share of neurons (feature positions) that never fired for any sample at any step.

        ``silent_fraction()`` gives ``{layer name: fraction}``, ``silent_fraction(name)`` one
        layer's; ``nan`` for a layer with nothing recorded.
        """
        if name is None:
            return {n: self.silent_fraction(n) for n in self.layers}
        fired = self._stat(name).fired
        if fired is None:
            return float("nan")
        return 1.0 - float(fired.double().mean())

    def spike_counts(self, name: str) -> Tensor:
        """Total output of each neuron over all recorded steps and samples: ``[*features]``."""
        counts = self._stat(name).counts
        if counts is None:
            raise ValueError(f"Monitor: nothing recorded for layer {name!r} yet")
        return counts.to(torch.get_default_dtype()).cpu()

    def __repr__(self) -> str:
        state = "enabled" if self.enabled else "disabled"
        return f"Monitor(layers={list(self.layers)}, record_v={self.record_v}, {state})"
