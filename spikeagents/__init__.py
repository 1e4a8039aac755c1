"""spikeagents: spiking neural networks as agents and sequence models.

The core SNN layer lives in :mod:`spikeagents.snn`; Stable-Baselines3 policies in
:mod:`spikeagents.rl`; the command-line tool in :mod:`spikeagents.cli`.
"""

__version__ = "0.1.0"
