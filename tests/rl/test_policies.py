"""Spiking SB3 policies: smoke runs, determinism, save/load, predict, vec envs, diagnostics."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from stable_baselines3 import A2C, DQN, PPO
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv, VecNormalize

from spikeagents.rl import SpikingActorCriticPolicy, SpikingDQNPolicy
from spikeagents.rl.callbacks import FiringRateCallback
from spikeagents.rl.networks import SpikingExtractor

SMALL = dict(T=4, hidden_sizes=[16])


def _make(algo: type, env_id: str, neuron: str, seed: int = 0, **kw):
    policy_kwargs = dict(SMALL, neuron=neuron, **kw.pop("policy_kwargs", {}))
    if algo is DQN:
        return DQN(
            SpikingDQNPolicy,
            env_id,
            learning_starts=64,
            batch_size=32,
            train_freq=4,
            target_update_interval=50,
            policy_kwargs=policy_kwargs,
            seed=seed,
            device="cpu",
            **kw,
        )
    extra = dict(n_steps=64, batch_size=64) if algo is PPO else dict(n_steps=8)
    return algo(
        SpikingActorCriticPolicy,
        env_id,
        policy_kwargs=policy_kwargs,
        seed=seed,
        device="cpu",
        **extra,
        **kw,
    )


CASES = [
    (PPO, "CartPole-v1"),
    (PPO, "Pendulum-v1"),
    (A2C, "CartPole-v1"),
    (A2C, "Pendulum-v1"),
    (DQN, "CartPole-v1"),
]


@pytest.mark.parametrize("algo,env_id", CASES)
@pytest.mark.parametrize("neuron", ["if", "lif", "plif"])
def test_learn_smoke(algo, env_id, neuron) -> None:
    model = _make(algo, env_id, neuron)
    before = {k: v.clone() for k, v in model.policy.state_dict().items()}
    model.learn(256)
    after = model.policy.state_dict()
    changed = [k for k in before if not torch.equal(before[k], after[k])]
    # the spiking layers themselves were trained, not only the heads
    assert any("body.linears.0.weight" in k for k in changed), changed
    obs = model.get_env().reset()
    action, _ = model.predict(obs, deterministic=True)
    assert model.action_space.contains(action[0])


def test_multidiscrete_action_space() -> None:
    import gymnasium as gym

    class TwoHeads(gym.Wrapper):
        def __init__(self, env):
            super().__init__(env)
            self.action_space = gym.spaces.MultiDiscrete([2, 3])

        def step(self, action):
            return self.env.step(int(action[0]))

    env = DummyVecEnv([lambda: TwoHeads(gym.make("CartPole-v1"))])
    model = PPO(SpikingActorCriticPolicy, env, n_steps=32, batch_size=32, policy_kwargs=SMALL)
    model.learn(64)
    assert model.policy.action_net.out_features == 5


def test_membrane_readout_is_the_output_no_extra_linear() -> None:
    model = _make(PPO, "CartPole-v1", "if")
    policy = model.policy
    assert isinstance(policy.pi_features_extractor, SpikingExtractor)
    assert len(policy.mlp_extractor.policy_net) == 0 and len(policy.mlp_extractor.value_net) == 0
    assert policy.action_net.in_features == 16  # the readout Linear reads the spiking layer


def test_shared_body_option() -> None:
    model = PPO(
        SpikingActorCriticPolicy,
        "CartPole-v1",
        n_steps=32,
        batch_size=32,
        policy_kwargs=dict(SMALL, share_features_extractor=True),
    )
    assert model.policy.pi_features_extractor is model.policy.vf_features_extractor
    model.learn(64)


@pytest.mark.parametrize("algo", [PPO, DQN])
def test_determinism_under_seed(algo) -> None:
    params = []
    for _ in range(2):
        model = _make(algo, "CartPole-v1", "lif", seed=3)
        model.learn(200)
        params.append(torch.nn.utils.parameters_to_vector(model.policy.parameters()))
    assert torch.equal(params[0], params[1])


@pytest.mark.parametrize(
    "algo,env_id",
    [(PPO, "CartPole-v1"), (PPO, "Pendulum-v1"), (A2C, "CartPole-v1"), (DQN, "CartPole-v1")],
)
def test_save_load_round_trip(tmp_path, algo, env_id) -> None:
    model = _make(algo, env_id, "plif")
    model.learn(128)
    path = tmp_path / "agent.zip"
    model.save(path)
    loaded = algo.load(path, device="cpu")
    obs = np.stack([model.observation_space.sample() for _ in range(16)])
    a1, _ = model.predict(obs, deterministic=True)
    a2, _ = loaded.predict(obs, deterministic=True)
    np.testing.assert_array_equal(a1, a2)
    kwargs = loaded.policy_kwargs
    assert kwargs["neuron"] == "plif" and kwargs["T"] == 4  # plain data, not pickled objects
    assert type(loaded.policy).__module__ == "spikeagents.rl.policies"


def test_predict_single_and_batch() -> None:
    model = _make(PPO, "CartPole-v1", "if")
    single = model.observation_space.sample()
    action, _ = model.predict(single, deterministic=True)
    assert np.shape(action) == ()
    batch = np.stack([single] * 5)
    actions, _ = model.predict(batch, deterministic=True)
    assert actions.shape == (5,) and np.all(actions == action)


def test_dqn_target_sync_at_any_batch_size() -> None:
    model = _make(DQN, "CartPole-v1", "lif")
    policy = model.policy
    policy.q_net(torch.randn(7, 4))
    policy.q_net_target(torch.randn(3, 4))
    policy.q_net_target.load_state_dict(policy.q_net.state_dict())
    x = torch.randn(5, 4)
    torch.testing.assert_close(policy.q_net(x), policy.q_net_target(x))


@pytest.mark.parametrize("vec_cls", [DummyVecEnv, SubprocVecEnv])
def test_vec_envs_and_vecnormalize(vec_cls) -> None:
    env = VecNormalize(make_vec_env("CartPole-v1", n_envs=2, vec_env_cls=vec_cls, seed=0))
    model = PPO(SpikingActorCriticPolicy, env, n_steps=32, batch_size=64, policy_kwargs=SMALL)
    model.learn(128)
    assert model.num_timesteps >= 128
    env.close()


def test_firing_rate_callback_logs_rates(tmp_path) -> None:
    from stable_baselines3.common.logger import configure

    model = _make(PPO, "CartPole-v1", "if")
    model.set_logger(configure(str(tmp_path), ["csv"]))
    cb = FiringRateCallback()
    model.learn(128, callback=cb)
    keys = sorted(cb.latest)
    assert any(k.endswith("layer0/rate") for k in keys)
    assert any(k.endswith("layer0/silent") for k in keys)
    assert all(0.0 <= v <= 1.0 for v in cb.latest.values())
    header = (tmp_path / "progress.csv").read_text().splitlines()[0]
    assert "layer0/rate" in header
