"""Evaluation on a vector of environments gives exactly the episodes of the one-at-a-time loop:
the same per-episode seeds, the same returns, one forward pass per step for all copies."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from stable_baselines3 import PPO

from spikeagents.rl import SpikingActorCriticPolicy
from spikeagents.rl.episodes import ObsNormalization, evaluate_episodes

SMALL = dict(T=4, hidden_sizes=[16], init_gain=3.0)


def _model(env_id: str, seed: int = 0) -> PPO:
    torch.manual_seed(seed)
    return PPO(SpikingActorCriticPolicy, env_id, policy_kwargs=SMALL, seed=seed, device="cpu")


@pytest.mark.parametrize("env_id", ["CartPole-v1", "Pendulum-v1"])
def test_batched_evaluation_equals_the_one_at_a_time_loop(env_id: str) -> None:
    model = _model(env_id)

    def make() -> gym.Env:
        return gym.make(env_id)

    one_by_one = evaluate_episodes(model, make, 6, seed=3, n_envs=1)
    together = evaluate_episodes(model, make, 6, seed=3)  # six copies side by side
    three = evaluate_episodes(model, make, 6, seed=3, n_envs=4)  # copies reused unevenly
    assert together[1] == one_by_one[1] == three[1]  # episode lengths, in episode order
    np.testing.assert_allclose(together[0], one_by_one[0], rtol=1e-6)
    np.testing.assert_allclose(three[0], one_by_one[0], rtol=1e-6)
    if env_id == "CartPole-v1":
        assert len(set(one_by_one[1])) > 1  # the seeds really differ between episodes


def test_episode_k_is_seeded_seed_plus_k() -> None:
    model = _model("CartPole-v1", seed=1)

    def make() -> gym.Env:
        return gym.make("CartPole-v1")

    returns, lengths = evaluate_episodes(model, make, 4, seed=10)
    for k in range(4):
        alone = evaluate_episodes(model, make, 1, seed=10 + k)
        assert alone == ([returns[k]], [lengths[k]])


class _Recorder:
    """A policy that records every call: batch size, observations, episode starts, state."""

    def __init__(self, action: int = 0) -> None:
        self.calls: list[tuple[np.ndarray, np.ndarray, object]] = []
        self.action = action

    def predict(self, obs, state=None, episode_start=None, deterministic=False):
        self.calls.append((obs.copy(), episode_start.copy(), state))
        step = 0 if state is None else state + 1
        return np.full(len(obs), self.action), step


def test_one_forward_pass_per_step_for_all_copies() -> None:
    policy = _Recorder()
    returns, lengths = evaluate_episodes(policy, lambda: gym.make("CartPole-v1"), 5, seed=0)
    assert all(len(obs) == 5 for obs, _, _ in policy.calls)
    assert len(policy.calls) == max(lengths)  # not sum(lengths): the copies step together
    assert returns == [float(n) for n in lengths]  # CartPole: +1 per step


def test_episode_start_and_state_are_carried_per_copy() -> None:
    policy = _Recorder()
    _, lengths = evaluate_episodes(policy, lambda: gym.make("CartPole-v1"), 3, seed=0, n_envs=2)
    starts = np.stack([s for _, s, _ in policy.calls])  # [steps, copies]
    assert starts[0].all()  # every copy starts an episode at the first step
    first_done = int(np.argmin(lengths[:2]))  # the copy whose episode ends first runs episode 2
    later = [tuple(ix) for ix in np.argwhere(starts[1:])]
    assert later == [(min(lengths[:2]) - 1, first_done)]  # flagged at its next step only
    assert [c[2] for c in policy.calls[:3]] == [None, 0, 1]  # the returned state comes back


def test_frozen_normalisation_is_applied() -> None:
    policy = _Recorder()
    norm = ObsNormalization(np.full(4, 0.5), np.full(4, 4.0), clip_obs=0.1)
    evaluate_episodes(policy, lambda: gym.make("CartPole-v1"), 1, seed=0, normalization=norm)
    first = policy.calls[0][0]
    raw, _ = gym.make("CartPole-v1").reset(seed=0)
    expected = np.clip((raw - 0.5) / np.sqrt(4.0 + 1e-8), -0.1, 0.1).astype(np.float32)
    np.testing.assert_allclose(first[0], expected)
    assert first.dtype == np.float32


def test_bad_episode_count() -> None:
    with pytest.raises(ValueError, match="n_episodes"):
        evaluate_episodes(_Recorder(), lambda: gym.make("CartPole-v1"), 0)
