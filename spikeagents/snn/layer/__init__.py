r"""Layers around the neurons: time-folding containers, shared-mask dropout, voting, and more.

Shapes are time-major. A module with a ``step_mode`` takes one step ``[B, ...]`` in ``"s"`` mode
(keeping state between calls until :meth:`reset`) and a whole sequence ``[T, B, ...]`` in ``"m"``
mode. State (masks, filters) is a plain attribute, never part of ``state_dict``; every stateful
layer here has ``reset()``, so :func:`spikeagents.snn.functional.reset_net` reaches it.

Modules: :mod:`~spikeagents.snn.layer.containers` (run layers over a sequence),
:mod:`~spikeagents.snn.layer.dropout` (dropout and DropConnect with one mask per sequence),
:mod:`~spikeagents.snn.layer.norm` (NeuNorm), :mod:`~spikeagents.snn.layer.synapse`
(SynapseFilter), :mod:`~spikeagents.snn.layer.pooling` (VotingLayer, ChannelsPool).

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

from spikeagents.snn.layer.containers import MultiStepContainer, SeqToANNContainer
from spikeagents.snn.layer.dropout import (
    DropConnectLinear,
    Dropout,
    Dropout2d,
    MultiStepDropout,
    MultiStepDropout2d,
)
from spikeagents.snn.layer.norm import NeuNorm
from spikeagents.snn.layer.pooling import ChannelsPool, VotingLayer
from spikeagents.snn.layer.synapse import SynapseFilter

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
