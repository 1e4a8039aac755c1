"""Kept for agents saved before the layout redesign (spikeagents 0.1, 2026-11): their
``model.zip`` files refer to ``spikeagents.config.Schedule`` (SB3 pickles the learning-rate and
clip-range schedules by import path). New code imports :class:`~spikeagents.schema.Schedule`
from :mod:`spikeagents.schema`; the recipe schema lives in :mod:`spikeagents.rl.recipe` and the
environment schema in :mod:`spikeagents.envs`.
"""

from spikeagents.schema import Schedule

__all__ = ["Schedule"]
