"""Stateful spiking policies (membrane carried across environment steps) under sb3-contrib's
RecurrentPPO: the state is carried exactly, reset per environment at episode starts, trained
through time on the same outputs as the step-by-step rollout; the masked-velocity environments;
the CLI end to end."""

from __future__ import annotations

import json
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium import spaces
from sb3_contrib import RecurrentPPO
from sb3_contrib.common.recurrent.type_aliases import RNNStates

import spikeagents  # noqa: F401  (registers the masked-velocity envs)
from spikeagents.cli import main
from spikeagents.rl.policies import SpikingRecurrentPolicy
from spikeagents.rl.recurrent import SpikingRecurrentLayer

SMALL = dict(T=2, hidden_sizes=[16], neuron="lif", tau=4.0)


def _hand_built() -> SpikingRecurrentPolicy:
    """One IF neuron (threshold 1, soft reset), T=1, fed 0.6 x the observation; action 1 iff it
    fires. It fires on the second of two observations of 1 only if it kept the first one's
    charge."""
    policy = SpikingRecurrentPolicy(
        spaces.Box(-1.0, 1.0, (1,)),
        spaces.Discrete(2),
        lambda _: 1e-3,
        T=1,
        hidden_sizes=[1],
        neuron="if",
        readout_tau=1.0,
        init_gain=1.0,
        backend="torch",
    )
    with torch.no_grad():
        layer = policy.lstm_actor
        layer.linear.weight.fill_(0.6)
        layer.linear.bias.zero_()
        policy.action_net.weight.copy_(torch.tensor([[0.0], [1.0]]))
        policy.action_net.bias.copy_(torch.tensor([0.5, 0.0]))
    return policy


def _act(policy, observations, starts):
    state, actions = None, []
    for obs, start in zip(observations, starts, strict=True):
        action, state = policy.predict(
            np.array(obs, dtype=np.float32), state=state, episode_start=np.array(start),
            deterministic=True,
        )  # fmt: skip
        actions.append(action.tolist())
    return actions, state


def test_the_second_action_depends_on_the_first_observation() -> None:
    policy = _hand_built()
    seen, state = _act(policy, [[[1.0]], [[1.0]]], [[True], [False]])
    unseen, _ = _act(policy, [[[0.0]], [[1.0]]], [[True], [False]])
    assert seen == [[0], [1]]  # 0.6, then 1.2 >= 1: fires
    assert unseen == [[0], [0]]  # 0.0, then 0.6: no spike
    # the state is (membrane above rest, last spikes), each [1 layer, n_envs, hidden]
    assert [s.shape for s in state] == [(1, 1, 1), (1, 1, 1)]
    np.testing.assert_allclose(state[0], [[[0.2]]], atol=1e-6)  # 1.2 - threshold (soft reset)


def test_episode_start_resets_its_environment_and_no_other() -> None:
    policy = _hand_built()
    actions, _ = _act(policy, [[[1.0], [1.0]], [[1.0], [1.0]]], [[True, True], [True, False]])
    assert actions == [[0, 0], [0, 1]]  # env 0 forgot its first observation, env 1 did not


@pytest.mark.parametrize("recurrent_synapses", [False, True])
def test_sequence_training_matches_the_step_by_step_rollout(recurrent_synapses: bool) -> None:
    torch.manual_seed(0)
    policy = SpikingRecurrentPolicy(
        spaces.Box(-2.0, 2.0, (3,)), spaces.Discrete(3), lambda _: 1e-3,
        recurrent_synapses=recurrent_synapses, backend="cpu", **SMALL,
    )  # fmt: skip
    n_seq, length = 2, 6
    obs = torch.randn(n_seq, length, 3) * 2
    actions = torch.randint(0, 3, (n_seq, length))
    starts = torch.zeros(n_seq, length)
    starts[:, 0] = 1
    starts[1, 3] = 1  # sequence 1 holds the start of a new episode
    zeros = torch.zeros(1, n_seq, 16)
    with torch.no_grad():
        pi_state, vf_state = (zeros, zeros), (zeros, zeros)
        step_logp, step_values = [], []
        for t in range(length):
            dist, pi_state = policy.get_distribution(obs[:, t], pi_state, starts[:, t])
            step_logp.append(dist.log_prob(actions[:, t]))
            step_values.append(policy.predict_values(obs[:, t], vf_state, starts[:, t]))
            _, vf_state = policy._process_sequence(obs[:, t], vf_state, starts[:, t],
                                                   policy.lstm_critic)  # fmt: skip
        values, logp, _ = policy.evaluate_actions(
            obs.reshape(-1, 3), actions.reshape(-1),
            RNNStates((zeros, zeros), (zeros, zeros)), starts.reshape(-1),
        )  # fmt: skip
    torch.testing.assert_close(logp.view(n_seq, length), torch.stack(step_logp, 1))
    torch.testing.assert_close(values.view(n_seq, length), torch.cat(step_values, 1))


@pytest.mark.parametrize("n_envs", [1, 8])
def test_learns_saves_and_loads_with_vector_envs(n_envs: int, tmp_path: Path) -> None:
    model = RecurrentPPO(
        SpikingRecurrentPolicy, _vec("CartPoleNoVel-v1", n_envs), n_steps=16, batch_size=32,
        n_epochs=2, policy_kwargs=SMALL, seed=0, device="cpu",
    )  # fmt: skip
    before = {k: v.clone() for k, v in model.policy.state_dict().items()}
    model.learn(128)
    after = model.policy.state_dict()
    assert any(not torch.equal(before[k], after[k]) for k in before if "lstm_actor" in k)
    assert isinstance(model.policy.lstm_actor, SpikingRecurrentLayer)
    model.save(tmp_path / "model")
    loaded = RecurrentPPO.load(tmp_path / "model", device="cpu")
    obs = np.stack([model.observation_space.sample() for _ in range(n_envs)])
    state_a = state_b = None
    starts = np.ones(n_envs, dtype=bool)
    for _ in range(4):  # the same actions and states, step after step
        a, state_a = model.predict(obs, state=state_a, episode_start=starts, deterministic=True)
        b, state_b = loaded.predict(obs, state=state_b, episode_start=starts, deterministic=True)
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(state_a[0], state_b[0])
        assert state_a[0].shape == (1, n_envs, 16)
        starts = np.zeros(n_envs, dtype=bool)


def _vec(env_id: str, n_envs: int):
    from stable_baselines3.common.env_util import make_vec_env

    return make_vec_env(env_id, n_envs=n_envs, seed=0)


def test_masked_velocity_envs_hide_the_velocities() -> None:
    for env_id, hidden in (("CartPoleNoVel-v1", (1, 3)), ("PendulumNoVel-v1", (2,))):
        env = gym.make(env_id)
        obs, _ = env.reset(seed=0)
        for _ in range(20):
            assert all(obs[i] == 0 for i in hidden)
            assert np.any(obs != 0)
            obs, _, terminated, truncated, _ = env.step(env.action_space.sample())
            if terminated or truncated:
                obs, _ = env.reset()


def test_a_stateful_recipe_with_an_algorithm_that_cannot_carry_state_is_refused(capsys) -> None:
    assert main(["train", "dqn", "CartPoleNoVel-v1", "--set", "stateful=true"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "ppo (sb3-contrib's RecurrentPPO)" in err


TINY = ["--set", "n_timesteps=512", "--set", "eval_freq=256", "--set", "policy.hidden_sizes=[8]",
        "--set", "env.eval_episodes=2", "--no-progress"]  # fmt: skip


def test_the_cli_trains_evaluates_records_and_resumes_a_stateful_agent(tmp_path: Path) -> None:
    run = tmp_path / "run"
    assert (
        main(["train", "ppo", "CartPoleNoVel-v1", "--seed", "0", "--run-dir", str(run), *TINY]) == 0
    )
    config = (run / "config.yaml").read_text()
    assert "stateful: true" in config
    summary = json.loads((run / "summary.json").read_text())
    assert summary["status"] == "finished" and summary["final_eval_mean"] > 0
    assert (
        main(["evaluate", "ppo", "CartPoleNoVel-v1", "--run-dir", str(run), "--episodes", "2"]) == 0
    )
    video = tmp_path / "novel.gif"
    argv = ["record", "ppo", "CartPoleNoVel-v1", "--run-dir", str(run), "--out", str(video)]
    assert main([*argv, "--spikes", "--max-frames", "30"]) == 0 and video.stat().st_size > 0
    zoo = tmp_path / "zoo"
    assert main(["zoo", "add", str(run), "--zoo", str(zoo), "--episodes", "2"]) == 0
    assert main(["benchmark", "--zoo", str(zoo), "--episodes", "1"]) == 0
    (run / "model.zip").rename(run / "checkpoint.zip")  # as if it had been interrupted
    assert main(["train", "ppo", "CartPoleNoVel-v1", "--resume", str(run), "--timesteps", "768",
                 "--no-progress"]) == 0  # fmt: skip
    assert json.loads((run / "summary.json").read_text())["timesteps"] >= 768


def test_the_mlp_baseline_is_recurrent_ppos_lstm(tmp_path: Path) -> None:
    run = tmp_path / "lstm"
    assert main(["train", "ppo", "CartPoleNoVel-v1", "--mlp", "--run-dir", str(run), *TINY]) == 0
    from spikeagents.rl.agents import load_run_agent

    agent = load_run_agent(run)
    assert type(agent.model).__name__ == "RecurrentPPO"
    assert isinstance(agent.model.policy.lstm_actor, torch.nn.LSTM)


def test_firing_rates_and_the_carried_membrane_are_logged(tmp_path: Path) -> None:
    from stable_baselines3.common.logger import configure

    from spikeagents.rl.callbacks import FiringRateCallback

    model = RecurrentPPO(
        SpikingRecurrentPolicy, _vec("CartPoleNoVel-v1", 2), n_steps=32, batch_size=32,
        n_epochs=1, policy_kwargs=SMALL, seed=0, device="cpu",
    )  # fmt: skip
    model.set_logger(configure(str(tmp_path), ["csv"]))
    rates = FiringRateCallback()
    model.learn(128, callback=rates)
    keys = set(rates.latest)
    assert {"spikes/lstm_actor/layer0/rate", "spikes/lstm_critic/layer0/rate"} <= keys
    assert {"spikes/carried_membrane/pi", "spikes/carried_membrane/vf"} <= keys
    carried = model._last_lstm_states.pi[0].mean().item()
    assert rates.latest["spikes/carried_membrane/pi"] == pytest.approx(carried)
    assert "carried_membrane" in (tmp_path / "progress.csv").read_text().splitlines()[0]
