"""spikeagents: spiking neural networks as agents and sequence models.

The core SNN layer lives in :mod:`spikeagents.snn`; Stable-Baselines3 policies in
:mod:`spikeagents.rl`; the command-line tool in :mod:`spikeagents.cli`. Importing the package
registers the masked-velocity environments (``CartPoleNoVel-v1``, ``PendulumNoVel-v1``,
``LunarLanderNoVel-v3``) with gymnasium.
"""

import spikeagents.envs  # noqa: F401  (registers the masked-velocity envs with gymnasium)

__version__ = "0.1.0"
