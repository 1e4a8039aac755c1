"""Where spikeagents finds its shipped data and puts downloads.

- :func:`config_root`: the folder holding ``configs/``, ``envs/`` and ``zoo/``:
  ``$SPIKEAGENTS_HOME``, else the repository checkout (when ``configs/rl`` is there), else the
  copy installed inside the package (``spikeagents/_data``).
- :func:`zoo_root`: ``<config_root>/zoo``, the trained agents.
- :func:`default_data_dir`: ``./data``, where datasets go when ``--data-dir`` is not given.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["config_root", "zoo_root", "default_data_dir"]


def config_root() -> Path:
    """Where ``configs/``, ``envs/`` and ``zoo/`` live: ``$SPIKEAGENTS_HOME``, else the repository
    checkout (if ``configs/rl`` is there), else the copy installed with the package."""
    home = os.environ.get("SPIKEAGENTS_HOME")
    if home:
        return Path(home).expanduser()
    package = Path(__file__).resolve().parent
    if (package.parent / "configs" / "rl").is_dir():
        return package.parent
    return package / "_data"


def zoo_root() -> Path:
    """The trained-agent zoo (``<config_root>/zoo``)."""
    return config_root() / "zoo"


def default_data_dir() -> Path:
    """``./data``: where datasets are downloaded when ``--data-dir`` is not given."""
    return Path("data")
