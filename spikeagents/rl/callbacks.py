"""SB3 callbacks for spiking policies."""

from __future__ import annotations

from stable_baselines3.common.callbacks import BaseCallback

from spikeagents.rl.networks import SpikingBody

__all__ = ["FiringRateCallback"]


class FiringRateCallback(BaseCallback):
    """Log per-layer firing rates and the share of silent neurons to the SB3 logger.

    Each spiking body in the policy measures, on every forward pass, its layers' mean firing
    rate (spikes per neuron per step) and the share of neurons that never fired in that call.
    After each rollout this callback records the latest values as
    ``spikes/<body>/layer<i>/rate`` and ``spikes/<body>/layer<i>/silent`` (TensorBoard scalars
    when TensorBoard logging is on).
    """

    def __init__(self, verbose: int = 0) -> None:
        super().__init__(verbose)
        self.bodies: dict[str, SpikingBody] = {}
        self.latest: dict[str, float] = {}

    def _on_training_start(self) -> None:
        self.bodies = {
            name.replace("features_extractor", "fe").replace(".body", ""): module
            for name, module in self.model.policy.named_modules()
            if isinstance(module, SpikingBody)
        }
        # one measurement per body object, even when SB3 exposes it under several names
        unique: dict[int, str] = {}
        for name, body in list(self.bodies.items()):
            if id(body) in unique:
                del self.bodies[name]
            else:
                unique[id(body)] = name
        for body in self.bodies.values():
            body.track_rates = True

    def _on_step(self) -> bool:
        return True

    def _on_rollout_end(self) -> None:
        for name, body in self.bodies.items():
            for i, (rate, silent) in enumerate(
                zip(body.firing_rates, body.silent_fractions, strict=True)
            ):
                key = f"spikes/{name}/layer{i}"
                self.latest[f"{key}/rate"] = float(rate)
                self.latest[f"{key}/silent"] = float(silent)
        for key, value in self.latest.items():
            self.logger.record(key, value)

    def _on_training_end(self) -> None:
        for body in self.bodies.values():
            body.track_rates = False
