"""Bias homeostasis: silent neurons come back to threshold, firing ones are left alone."""

from __future__ import annotations

import pytest
import torch
from stable_baselines3 import DQN, PPO

from spikeagents.rl import SpikingActorCriticPolicy, SpikingDQNPolicy
from spikeagents.rl.homeostasis import (
    HomeostasisCallback,
    HomeostasisConfig,
    revive_silent_neurons,
)
from spikeagents.rl.networks import SpikingBody
from spikeagents.rl.recipe import TrainConfig, load_train_config
from spikeagents.schema import ConfigError


def _body() -> SpikingBody:
    torch.manual_seed(0)
    return SpikingBody(3, T=8, hidden_sizes=[16, 16], neuron="if", v_reset=None)


def test_layers_yield_currents_and_the_forward_spikes() -> None:
    body = _body()
    obs = torch.randn(5, 3)
    layers = list(body.layers(obs))
    assert [c.shape for c, _ in layers] == [(5, 16), (8, 5, 16)]  # constant, then per step
    torch.testing.assert_close(layers[-1][1], body(obs), rtol=0, atol=0)


def test_a_silenced_neuron_is_revived_and_firing_ones_are_untouched() -> None:
    body = _body()
    obs = torch.randn(400, 3)
    with torch.no_grad():
        body.linears[1].bias[3] = -20.0  # neuron 3 of layer 2 can never reach threshold
    before = [lin.bias.detach().clone() for lin in body.linears]
    rates = [s.mean(dim=(0, 1)) for _, s in body.layers(obs)]
    assert rates[1][3] == 0
    shares = revive_silent_neurons(body, obs, min_rate=1e-3, gain=1.0)
    assert shares[1] >= 1 / 16
    silent_before = [r < 1e-3 for r in rates]
    for lin, old, silent in zip(body.linears, before, silent_before, strict=True):
        torch.testing.assert_close(lin.bias[~silent], old[~silent], rtol=0, atol=0)
        assert torch.all(lin.bias[silent] > old[silent])
    with torch.no_grad():
        spikes = list(body.layers(obs))[1][1]
    # a full step puts the neuron at threshold for the 10% of observations driving it most
    fired_on = float((spikes[..., 3].sum(0) > 0).float().mean())
    assert 0.05 <= fired_on <= 0.3, fired_on


def test_config_checks_its_values() -> None:
    with pytest.raises(ConfigError, match="gain must be in"):
        HomeostasisConfig(gain=1.5)
    with pytest.raises(ConfigError, match="min_rate"):
        HomeostasisConfig(min_rate=0.0)
    cfg = load_train_config("dqn", "CartPole-v1", overrides=["homeostasis={every: 500}"])
    assert cfg.homeostasis == HomeostasisConfig(every=500)
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    assert load_train_config("dqn", "CartPole-v1").homeostasis is None


@pytest.mark.parametrize("algo", ["dqn", "ppo"])
def test_callback_measures_and_applies_during_learning(algo) -> None:
    small = dict(T=4, hidden_sizes=[16], v_reset=None)
    if algo == "dqn":
        model = DQN(
            SpikingDQNPolicy, "CartPole-v1", learning_starts=32, policy_kwargs=small, seed=0
        )
    else:
        model = PPO(
            SpikingActorCriticPolicy, "CartPole-v1", n_steps=64, batch_size=32, policy_kwargs=small
        )
    callback = HomeostasisCallback(HomeostasisConfig(every=64, batch=32))
    model.learn(256, callback=callback)
    keys = sorted(callback.latest)
    assert keys and all(k.startswith("homeostasis/") for k in keys), keys
    assert all(0.0 <= v <= 1.0 for v in callback.latest.values())
    assert not any("target" in k for k in keys)
