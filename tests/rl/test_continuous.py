"""Spiking actors for SAC, TD3 and DDPG: smoke learning over encoders x decoders, the population
decoder against a hand computation, save/load, determinism, and target networks as true copies."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from stable_baselines3 import DDPG, SAC, TD3
from stable_baselines3.common.utils import polyak_update

from spikeagents.rl import SpikingSACPolicy, SpikingTD3Policy
from spikeagents.rl.networks import GroupAffine, SpikingNetwork
from spikeagents.rl.policies import spiking_modules
from spikeagents.schema import ConfigError

ALGOS = {
    "sac": (SAC, SpikingSACPolicy),
    "td3": (TD3, SpikingTD3Policy),
    "ddpg": (DDPG, SpikingTD3Policy),
}
PENDULUM_RANGE = dict(obs_low=[-1.0, -1.0, -8.0], obs_high=[1.0, 1.0, 8.0])


def _make(algo: str, seed: int = 0, env: str = "Pendulum-v1", **policy_kwargs):
    sb3_class, policy = ALGOS[algo]
    kwargs = dict(T=3, hidden_sizes=[16], critic_hidden_sizes=[32], decoder_pop_size=4)
    kwargs.update(policy_kwargs)
    return sb3_class(
        policy,
        env,
        learning_starts=32,
        batch_size=16,
        policy_kwargs=kwargs,
        seed=seed,
        device="cpu",
    )


def _actor_parameters(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.policy.actor.state_dict().items()}


@pytest.mark.parametrize("algo", list(ALGOS))
@pytest.mark.parametrize("encoder", ["direct", "population"])
@pytest.mark.parametrize("decoder", ["membrane", "population", "population_rate"])
def test_learn_smoke(algo, encoder, decoder) -> None:
    extra = PENDULUM_RANGE if encoder == "population" else {}
    model = _make(algo, encoder=encoder, decoder=decoder, **extra)
    before = _actor_parameters(model)
    model.learn(96)
    after = model.policy.actor.state_dict()
    changed = [k for k in before if not torch.equal(before[k], after[k])]
    # the spiking layers themselves were trained, not only the decoder
    assert "features_extractor.body.linears.0.weight" in changed, changed
    assert any(k.startswith("mu.") for k in changed), changed
    obs = model.get_env().reset()
    action, _ = model.predict(obs, deterministic=True)
    assert action.shape == (1, 1) and model.action_space.contains(action[0])
    assert np.all(np.abs(action) <= 2.0)  # Pendulum's torque bounds after unscaling


def test_group_affine_by_hand() -> None:
    layer = GroupAffine(action_dim=2, pop_size=3)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor([2.0, -0.5]))
        layer.bias.copy_(torch.tensor([0.1, 1.0]))
    y = torch.tensor([[1.0, 2.0, 3.0, 0.0, 0.0, 6.0]])
    # dimension 0: mean(1, 2, 3) = 2 -> 2 * 2 + 0.1; dimension 1: mean(0, 0, 6) = 2 -> -1 + 1
    torch.testing.assert_close(layer(y), torch.tensor([[4.1, 0.0]]))


def test_population_decoder_matches_hand_computation() -> None:
    """TD3's action = tanh(w_d * mean_j(W f + b)_{d,j} + c_d), computed here in NumPy."""
    model = _make("td3", decoder="population", decoder_pop_size=3, hidden_sizes=[8])
    actor = model.policy.actor
    linear, group = actor.mu[0][0], actor.mu[0][1]
    assert isinstance(group, GroupAffine) and linear.out_features == 3
    obs = torch.as_tensor(np.stack([model.observation_space.sample() for _ in range(5)]))
    with torch.no_grad():
        features = actor.extract_features(obs, actor.features_extractor).numpy()
        action = actor(obs).numpy()
    W, b = linear.weight.detach().numpy(), linear.bias.detach().numpy()
    w, c = group.weight.detach().numpy(), group.bias.detach().numpy()
    per_neuron = features @ W.T + b  # [B, 3]: one action dimension x 3 neurons
    expected = np.tanh(w[0] * per_neuron.mean(axis=1, keepdims=True) + c[0])
    np.testing.assert_allclose(action, expected, rtol=1e-5, atol=1e-6)


def test_rate_decoder_reads_spike_counts() -> None:
    """``population_rate``: the last spiking layer is the output population (A x P neurons) and
    the actor's features are its firing rates, spike counts / T."""
    model = _make("sac", decoder="population_rate", decoder_pop_size=4, T=5)
    extractor = model.policy.actor.features_extractor
    assert extractor.features_dim == 4 and extractor.body.settings.hidden_sizes[-1] == 4
    obs = torch.as_tensor(np.stack([model.observation_space.sample() for _ in range(6)]))
    with torch.no_grad():
        spikes = extractor.body(obs.float())  # [T, B, 4]
        rates = extractor(obs)
    torch.testing.assert_close(rates, spikes.sum(0) / 5)
    assert set(torch.unique(rates * 5).tolist()) <= {0.0, 1.0, 2.0, 3.0, 4.0, 5.0}


@pytest.mark.parametrize("algo", list(ALGOS))
@pytest.mark.parametrize("decoder", ["membrane", "population"])
def test_save_load_round_trip(tmp_path, algo, decoder) -> None:
    model = _make(algo, decoder=decoder, neuron="plif")
    model.learn(64)
    model.save(tmp_path / "agent.zip")
    loaded = ALGOS[algo][0].load(tmp_path / "agent.zip", device="cpu")
    obs = np.stack([model.observation_space.sample() for _ in range(16)])
    np.testing.assert_array_equal(
        model.predict(obs, deterministic=True)[0], loaded.predict(obs, deterministic=True)[0]
    )
    kwargs = loaded.policy_kwargs
    assert kwargs["decoder"] == decoder and kwargs["neuron"] == "plif"  # plain data
    assert type(loaded.policy).__module__ == "spikeagents.rl.continuous"


@pytest.mark.parametrize("algo", ["sac", "td3"])
def test_deterministic_under_seed(algo) -> None:
    params = []
    for _ in range(2):
        model = _make(algo, seed=5, decoder="population")
        model.learn(100)
        params.append(torch.nn.utils.parameters_to_vector(model.policy.parameters()))
    torch.testing.assert_close(params[0], params[1], rtol=0, atol=0)


def _pairs(online: torch.nn.Module, target: torch.nn.Module):
    return list(zip(online.parameters(), target.parameters(), strict=True))


@pytest.mark.parametrize("algo", ["td3", "ddpg"])
@pytest.mark.parametrize("decoder", ["membrane", "population"])
def test_target_actor_is_a_copy(algo, decoder) -> None:
    """The target actor has the actor's structure and values in its own tensors: a gradient step
    on the actor leaves it, a Polyak update moves it."""
    model = _make(algo, decoder=decoder)
    policy = model.policy
    assert type(policy.actor_target.mu) is type(policy.actor.mu)
    for p, t in _pairs(policy.actor, policy.actor_target):
        assert p.data_ptr() != t.data_ptr()
        torch.testing.assert_close(p, t, rtol=0, atol=0)
    target_before = [t.detach().clone() for t in policy.actor_target.parameters()]
    obs = torch.as_tensor(np.stack([model.observation_space.sample() for _ in range(8)]))
    loss = -policy.critic.q1_forward(obs, policy.actor(obs)).mean()
    policy.actor.optimizer.zero_grad()
    loss.backward()
    policy.actor.optimizer.step()
    assert any(not torch.equal(p, t) for p, t in _pairs(policy.actor, policy.actor_target))
    for before, t in zip(target_before, policy.actor_target.parameters(), strict=True):
        torch.testing.assert_close(before, t, rtol=0, atol=0)
    polyak_update(policy.actor.parameters(), policy.actor_target.parameters(), 0.5)
    moved = [
        not torch.equal(b, t)
        for b, t in zip(target_before, policy.actor_target.parameters(), strict=True)
    ]
    assert any(moved)


@pytest.mark.parametrize("algo", ["sac", "td3"])
def test_spiking_critic_option(algo) -> None:
    model = _make(algo, spiking_critic=True, critic_hidden_sizes=[12])
    critic, target = model.policy.critic, model.policy.critic_target
    assert all(isinstance(q, SpikingNetwork) for q in critic.q_networks)
    assert len(critic.q_networks) == 2
    for p, t in _pairs(critic, target):
        assert p.data_ptr() != t.data_ptr()
        torch.testing.assert_close(p, t, rtol=0, atol=0)
    before = [p.detach().clone() for p in critic.parameters()]
    model.learn(64)
    assert any(not torch.equal(b, p) for b, p in zip(before, critic.parameters(), strict=True))
    # diagnostics see the actor and both critics, not the target copies
    names = list(spiking_modules(model.policy))
    assert not any("target" in n for n in names) and len(names) == 3, names


def test_mlp_critic_by_default() -> None:
    model = _make("sac", critic_hidden_sizes=[24, 24])
    q = model.policy.critic.q_networks[0]
    assert isinstance(q, torch.nn.Sequential)
    widths = [m.out_features for m in q if isinstance(m, torch.nn.Linear)]
    assert widths == [24, 24, 1]
    assert list(spiking_modules(model.policy)) == ["actor.features_extractor.body"]


def test_bad_decoder_names_choices() -> None:
    with pytest.raises(ConfigError, match="population_rate"):
        _make("sac", decoder="rates")


def test_gsde_needs_membrane_decoder() -> None:
    with pytest.raises(ConfigError, match="gSDE"):
        SAC(
            SpikingSACPolicy,
            "Pendulum-v1",
            use_sde=True,
            policy_kwargs=dict(T=2, hidden_sizes=[8], decoder="population"),
            device="cpu",
        )
    model = SAC(
        SpikingSACPolicy,
        "Pendulum-v1",
        use_sde=True,
        learning_starts=16,
        batch_size=8,
        policy_kwargs=dict(T=2, hidden_sizes=[8], critic_hidden_sizes=[8]),
        device="cpu",
    )
    model.learn(32)


def test_feed_forward_policies_refuse_population_decoders() -> None:
    from stable_baselines3 import PPO

    from spikeagents.rl import SpikingActorCriticPolicy

    with pytest.raises(ConfigError, match="continuous actors"):
        PPO(SpikingActorCriticPolicy, "Pendulum-v1", policy_kwargs=dict(decoder="population"))


def test_multi_dimensional_actions() -> None:
    """Groups follow the action dimensions: LunarLanderContinuous has two engines."""
    model = _make("td3", env="LunarLanderContinuous-v3", decoder="population", decoder_pop_size=5)
    assert model.policy.actor.mu[0][0].out_features == 10
    model.learn(48)
    obs = model.get_env().reset()
    action, _ = model.predict(obs, deterministic=True)
    assert action.shape == (1, 2)


def test_missing_mujoco_is_one_line(monkeypatch) -> None:
    import gymnasium as gym

    from spikeagents.envs import load_env_config, make_wrapped_env

    def no_mujoco(*args, **kwargs):
        raise gym.error.DependencyNotInstalled("No module named 'mujoco'")

    monkeypatch.setattr(gym, "make", no_mujoco)
    with pytest.raises(
        ConfigError, match=r"Hopper-v5 needs MuJoCo: pip install 'spikeagents\[mujoco\]'"
    ):
        make_wrapped_env(load_env_config("Hopper-v5"))


def test_action_noise_config() -> None:
    from stable_baselines3.common.noise import NormalActionNoise, OrnsteinUhlenbeckActionNoise

    from spikeagents.rl.hyperparams import ActionNoiseConfig

    noise = ActionNoiseConfig("normal", 0.1).make(3)
    assert isinstance(noise, NormalActionNoise) and np.allclose(noise._sigma, [0.1] * 3)
    assert isinstance(
        ActionNoiseConfig("ornstein-uhlenbeck", 0.5).make(2), OrnsteinUhlenbeckActionNoise
    )
    with pytest.raises(ConfigError, match="normal, ornstein-uhlenbeck"):
        ActionNoiseConfig("pink", 0.1)
    with pytest.raises(ConfigError, match="std must be > 0"):
        ActionNoiseConfig("normal", 0.0)


def test_train_refuses_an_action_space_the_algorithm_cannot_use(tmp_path) -> None:
    from spikeagents import api

    with pytest.raises(
        ConfigError,
        match=r"sac needs Box actions; CartPole-v1 has Discrete\(2\): use ppo, a2c, dqn",
    ):
        api.train("sac", "CartPole-v1", run_dir=tmp_path / "run", progress=False)
    assert not (tmp_path / "run").exists()  # refused before anything was written
    with pytest.raises(ConfigError, match="use ppo, a2c, sac, td3, ddpg"):
        api.train("dqn", "Pendulum-v1", run_dir=tmp_path / "run", progress=False)


@pytest.mark.parametrize("algo", ["sac", "td3"])
def test_cli_train_evaluate_record_and_zoo(algo, tmp_path, capsys) -> None:
    """The commands cover the continuous algorithms like the others: a short run, its
    evaluation with spike counts, a recording with the raster, a zoo agent acting as the run."""
    import json

    from spikeagents.cli import main
    from spikeagents.rl.sources import load_agent

    run = tmp_path / "run"
    args = ["train", algo, "Pendulum-v1", "--timesteps", "300", "--run-dir", str(run)]
    small = ["policy.T=2", "policy.hidden_sizes=[16]", "policy.critic_hidden_sizes=[16]"]
    small += ["hyperparams.learning_starts=100", "eval_freq=150", "--no-progress"]
    assert main([*args, *(x for s in small for x in (("--set", s) if "=" in s else (s,)))]) == 0
    summary = json.loads((run / "summary.json").read_text())
    assert summary["timesteps"] >= 300 and summary["algo"] == algo
    capsys.readouterr()
    assert main(["evaluate", algo, "Pendulum-v1", "--run-dir", str(run), "--episodes", "1"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["spikes_per_step"] > 0
    gif = tmp_path / "a.gif"
    record = ["record", algo, "Pendulum-v1", "--run-dir", str(run), "--out", str(gif)]
    assert main([*record, "--spikes", "--max-frames", "12"]) == 0 and gif.stat().st_size > 0
    zoo = tmp_path / "zoo"
    assert main(["zoo", "add", str(run), "--zoo", str(zoo), "--episodes", "1"]) == 0
    weights = zoo / algo / "Pendulum-v1" / "weights.safetensors"
    from safetensors.torch import load_file

    assert all(k.startswith("actor.") for k in load_file(str(weights)))  # acting needs the actor
    run_agent = load_agent(algo, "Pendulum-v1", run_dir=run)
    zoo_agent = load_agent(algo, "Pendulum-v1", zoo_dir=zoo)
    obs = np.stack([run_agent.model.observation_space.sample() for _ in range(16)])
    np.testing.assert_array_equal(
        run_agent.model.predict(obs, deterministic=True)[0],
        zoo_agent.model.predict(obs, deterministic=True)[0],
    )
