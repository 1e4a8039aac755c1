r"""Bias homeostasis: silent spiking neurons are moved back to their threshold during training.

A spiking neuron whose input current stays below threshold for every observation never fires,
and the surrogate gradient it passes back is small and shrinking, so gradient descent rarely
brings it back: it is dead capacity (spiking DQN on CartPole-v1 ended with about half of its
second hidden layer silent; benchmarks/results/rl_dqn_silent.md). Homeostasis (intrinsic
plasticity) keeps every neuron's firing in range with a local rule outside the gradient.

Every ``every`` environment steps, :class:`HomeostasisCallback` runs each spiking body of the
policy (online networks; target networks follow by their own copies) on ``batch`` observations
the agent has seen (the replay buffer, or the rollout just collected), and for every neuron
that fired less than ``min_rate`` spikes per step it raises the bias by a share ``gain`` of the
distance between its threshold and its drive:

.. math::

    b_j \leftarrow b_j + g \max\left(0,\; \theta / T - q_{0.9}(\bar I_j)\right),

with :math:`g` the ``gain``, :math:`\bar I_j` neuron j's input current averaged over the T
steps (per observation) and :math:`q_{0.9}` its 90th percentile over the batch. An
integrate-and-fire neuron fires at least once in T steps when :math:`\bar I_j \ge \theta / T`,
so a full step (gain 1) makes the neuron fire for the 10% of observations that drive it
most: it comes back selective, not always on. Neurons that fire are left alone; the rule never
lowers a bias.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.off_policy_algorithm import OffPolicyAlgorithm
from torch import Tensor

from spikeagents.rl.networks import SpikingBody
from spikeagents.rl.policies import spiking_modules
from spikeagents.schema import ConfigError

__all__ = ["HomeostasisConfig", "revive_silent_neurons", "HomeostasisCallback"]


@dataclass(frozen=True)
class HomeostasisConfig:
    """The recipe's ``homeostasis:`` section.

    :param min_rate: spikes per neuron per step (over the batch) below which a neuron counts as
        silent. :param gain: share of the gap to threshold closed per application, in (0, 1].
    :param every: environment steps between applications. :param batch: observations measured.
    """

    min_rate: float = 0.01
    gain: float = 0.5
    every: int = 1000
    batch: int = 512

    def __post_init__(self) -> None:
        if not 0 < self.min_rate < 1:
            raise ConfigError(f"min_rate must be in (0, 1), got {self.min_rate}", key="min_rate")
        if not 0 < self.gain <= 1:
            raise ConfigError(f"gain must be in (0, 1], got {self.gain}", key="gain")
        for key in ("every", "batch"):
            if getattr(self, key) < 1:
                raise ConfigError(f"{key} must be >= 1, got {getattr(self, key)}", key=key)


@torch.no_grad()
def revive_silent_neurons(
    body: SpikingBody, obs: Tensor, min_rate: float, gain: float
) -> list[float]:
    """Apply the rule once to every layer of ``body`` on ``obs [B, D]``; return, per layer, the
    share of neurons that were silent (rate below ``min_rate``) before the update."""
    shares = []
    for (current, spikes), linear, node in zip(
        body.layers(obs.float()), body.linears, body.neurons, strict=True
    ):
        drive = current if current.dim() == 2 else current.mean(0)  # [B, H]
        rate = spikes.mean(dim=(0, 1))  # [H]
        silent = rate < min_rate
        shares.append(float(silent.float().mean()))
        if silent.any() and linear.bias is not None:
            threshold = float(node.v_threshold) / body.T
            gap = (threshold - torch.quantile(drive, 0.9, dim=0)).clamp(min=0)
            linear.bias.add_(gain * gap * silent)
    return shares


class HomeostasisCallback(BaseCallback):
    """Apply :func:`revive_silent_neurons` to the policy's spiking bodies every ``every`` steps
    (:class:`HomeostasisConfig`); :attr:`latest` and the logger get ``homeostasis/<body>/layer<i>``:
    the share of silent neurons found at the last application."""

    def __init__(self, config: HomeostasisConfig, verbose: int = 0) -> None:
        super().__init__(verbose)
        self.config = config
        self.last = 0
        self.latest: dict[str, float] = {}

    def _observations(self) -> Tensor | None:
        model = self.model
        if isinstance(model, OffPolicyAlgorithm):
            buffer = model.replay_buffer
            if buffer is None or buffer.size() == 0:
                return None
            obs = buffer.sample(self.config.batch, env=model._vec_normalize_env).observations
            return obs.reshape(obs.shape[0], -1)
        buffer = getattr(model, "rollout_buffer", None)
        if buffer is None or not buffer.full:
            return None
        obs = buffer.observations.reshape(-1, *buffer.obs_shape)
        pick = np.random.default_rng(self.num_timesteps).choice(
            len(obs), min(len(obs), self.config.batch), replace=False
        )
        return torch.as_tensor(obs[pick], device=model.device).reshape(len(pick), -1)

    def _apply(self) -> None:
        obs = self._observations()
        if obs is None:
            return
        for name, body in spiking_modules(self.model.policy).items():
            if not isinstance(body, SpikingBody):
                continue  # a stateful layer: its state, not a batch of observations, drives it
            cfg = self.config
            shares = revive_silent_neurons(body, obs.to(self.model.device), cfg.min_rate, cfg.gain)
            short = name.replace("features_extractor", "fe").replace(".body", "")
            for i, share in enumerate(shares):
                self.latest[f"homeostasis/{short}/layer{i}"] = share
                self.logger.record(f"homeostasis/{short}/layer{i}", share)

    def _on_step(self) -> bool:
        if isinstance(self.model, OffPolicyAlgorithm) and (
            self.num_timesteps - self.last >= self.config.every
        ):
            self.last = self.num_timesteps
            self._apply()
        return True

    def _on_rollout_end(self) -> None:
        if not isinstance(self.model, OffPolicyAlgorithm) and (
            self.num_timesteps - self.last >= self.config.every
        ):
            self.last = self.num_timesteps
            self._apply()
