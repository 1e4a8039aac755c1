"""Evaluating a loaded agent: mean return over episodes, and how much its spiking layers fire."""

from __future__ import annotations

from typing import Any

import numpy as np
from stable_baselines3.common.base_class import BaseAlgorithm
from torch import nn

from spikeagents.envs import make_wrapped_env
from spikeagents.rl.agents import LoadedAgent
from spikeagents.rl.episodes import evaluate_episodes
from spikeagents.rl.networks import SpikingBody
from spikeagents.rl.recurrent import SpikingRecurrentLayer
from spikeagents.snn.monitor import Monitor

__all__ = ["evaluate_agent", "actor_body", "spikes_per_step"]


def evaluate_agent(
    agent: LoadedAgent, episodes: int | None = None, deterministic: bool = True, seed: int = 0
) -> dict[str, Any]:
    """Mean and std reward over ``episodes`` (default: the env config's eval_episodes; episode
    ``k`` seeded ``seed + k``, all run side by side), and the spikes the actor emits per
    environment step (``None`` for an MLP baseline)."""
    n = int(episodes or agent.config.env.eval_episodes)
    rewards, lengths = evaluate_episodes(
        agent.model,
        lambda: make_wrapped_env(agent.config.env),
        n,
        seed=seed,
        deterministic=deterministic,
        n_envs=agent.config.env.eval_envs,
        normalization=agent.normalization,
    )
    spikes = None if agent.config.policy_type == "mlp" else spikes_per_step(agent, env_seed=seed)
    return {
        "algo": agent.config.algo,
        "env": agent.config.env.id,
        "episodes": n,
        "deterministic": deterministic,
        "mean_reward": float(np.mean(rewards)),
        "std_reward": float(np.std(rewards)),
        "mean_length": float(np.mean(lengths)),
        "spikes_per_step": spikes,
        "source": str(agent.source),
    }


def actor_body(model: BaseAlgorithm) -> nn.Module:
    """The spiking network that picks actions: the actor's body (PPO, A2C, SAC, TD3, DDPG), the
    Q-network's (DQN), or a stateful policy's spiking layer."""
    policy = model.policy
    layer = getattr(policy, "lstm_actor", None)
    if isinstance(layer, SpikingRecurrentLayer):
        return layer
    extractor = getattr(policy, "pi_features_extractor", None)
    if extractor is None and hasattr(policy, "q_net"):
        extractor = policy.q_net.features_extractor  # DQN
    if extractor is None and hasattr(policy, "actor"):
        extractor = policy.actor.features_extractor  # SAC, TD3, DDPG
    body = getattr(extractor, "body", None)
    if not isinstance(body, SpikingBody):
        raise ValueError(
            f"this agent's policy ({type(policy).__name__}) has no spiking network "
            "(an MLP baseline run?): spikes cannot be shown or counted"
        )
    return body


def spikes_per_step(agent: LoadedAgent, env_seed: int = 0, steps: int = 200) -> float:
    """Average spikes emitted by the actor's spiking layers per environment step, over the
    first ``steps`` steps of a deterministic run (each ``predict`` runs the actor once)."""
    body = actor_body(agent.model)
    env = agent.make_env(seed=env_seed)
    obs, state, start = env.reset(), None, np.ones(1, dtype=bool)
    with Monitor(body, keep_records=False) as monitor:
        for _ in range(steps):
            action, state = agent.model.predict(
                obs, state=state, episode_start=start, deterministic=True
            )
            obs, _, start, _ = env.step(action)
        total = sum(float(monitor.spike_counts(name).sum()) for name in monitor.layers)
    env.close()
    return total / steps
