"""Encoders: turn real-valued inputs into spikes, spike times or input currents.

Shapes are time-major: a multi-step output is ``[T, *x.shape]`` (time first, then the input's
shape). Two kinds of encoder exist:

* stateless (:class:`PoissonEncoder`, :class:`PopulationEncoder`): every call draws afresh;
* stateful (:class:`StatefulEncoder` and its subclasses): the whole sequence ``spike[0..T-1]`` is
  encoded once, then the t-th single-step call returns ``spike[t % T]``. ``reset()`` clears that
  state; the state is held in plain attributes, so it never enters ``state_dict``.

Random encoders take an optional ``torch.Generator`` (in the constructor, and per call) so that
results are reproducible. The generator must live on the same device as the input.

This module depends on torch only.
"""

from __future__ import annotations

import torch  # noqa: F401  (the docstring examples below run in this namespace)
from torch import nn

from spikeagents.snn.encoding.rate import ConstantEncoder, PoissonEncoder, PopulationEncoder
from spikeagents.snn.encoding.temporal import (
    LATENCY_FUNCTIONS,
    LatencyEncoder,
    PeriodicEncoder,
    StatefulEncoder,
    WeightedPhaseEncoder,
    latency_spike_times,
)
from spikeagents.snn.encoding.tuning import GaussianTuning

__all__ = [
    "ENCODERS",
    "LATENCY_FUNCTIONS",
    "ConstantEncoder",
    "GaussianTuning",
    "LatencyEncoder",
    "PeriodicEncoder",
    "PoissonEncoder",
    "PopulationEncoder",
    "StatefulEncoder",
    "WeightedPhaseEncoder",
    "get_encoder",
    "latency_spike_times",
]

ENCODERS: dict[str, type[nn.Module]] = {
    "poisson": PoissonEncoder,
    "periodic": PeriodicEncoder,
    "latency": LatencyEncoder,
    "weighted_phase": WeightedPhaseEncoder,
    "population": PopulationEncoder,
}


def get_encoder(name: str, **kwargs: object) -> nn.Module:
    """Build the encoder registered under ``name`` with ``kwargs``, e.g.
    ``get_encoder("latency", T=8, enc_function="log")``."""
    if name not in ENCODERS:
        raise ValueError(f"unknown encoder {name!r}; valid names: {sorted(ENCODERS)}")
    return ENCODERS[name](**kwargs)


#: the submodules' docstring examples, found by ``doctest.testmod(spikeagents.snn.encoding)``
__test__ = {name: globals()[name] for name in __all__ if isinstance(globals()[name], type)}
