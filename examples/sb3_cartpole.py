"""A spiking PPO agent on CartPole-v1 in plain Stable-Baselines3 code.

The policy: the 4 observations are a constant input current to 128 integrate-and-fire neurons run
for T=8 steps (soft reset); the logits and the value are membrane potentials of non-spiking
LIF readout neurons. Hyperparameters are the RL Zoo's tuned PPO settings for CartPole; the
network is configs/rl/ppo.yaml's (8 of 8 seeds solved, benchmarks/results/rl_ppo_CartPole-v1.md).

Run:  .venv/bin/python examples/sb3_cartpole.py  (about a minute on one CPU core)
"""

import torch
from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy

from spikeagents.rl import SpikingActorCriticPolicy
from spikeagents.rl.callbacks import FiringRateCallback

torch.set_num_threads(1)  # small networks: one thread is fastest


def linear(start: float):
    """SB3 schedule: decays linearly from ``start`` to 0 over training."""
    return lambda progress_remaining: progress_remaining * start


env = make_vec_env("CartPole-v1", n_envs=8, seed=0)
model = PPO(
    SpikingActorCriticPolicy,
    env,
    n_steps=32,
    batch_size=256,
    gae_lambda=0.8,
    gamma=0.98,
    n_epochs=20,
    ent_coef=0.0,
    learning_rate=linear(1e-3),
    clip_range=linear(0.2),
    policy_kwargs=dict(T=8, hidden_sizes=[128], neuron="if", v_reset=None, init_gain=2.0),
    seed=0,
    verbose=0,
)
print(model.policy)

rates = FiringRateCallback()
model.learn(100_000, callback=rates, progress_bar=True)
print("firing rates at the end:", {k: round(v, 3) for k, v in rates.latest.items()})

mean, std = evaluate_policy(model, make_vec_env("CartPole-v1", n_envs=1, seed=1), 20)
print(f"deterministic evaluation over 20 episodes: {mean:.1f} +- {std:.1f}")

model.save("spiking_ppo_cartpole")
loaded = PPO.load("spiking_ppo_cartpole")  # the same spiking policy, ready to act
