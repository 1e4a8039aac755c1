"""A stateful spiking agent in plain sb3-contrib code: CartPole without its velocities.

CartPoleNoVel-v1 (registered by `import spikeagents`) hides the cart's and the pole's velocity,
so a policy that forgets everything between steps cannot balance the pole. SpikingRecurrentPolicy
keeps its neurons' membrane potentials from one environment step to the next: the memory lives in
RecurrentPPO's state tuple, is reset where an episode starts, and is trained through time over
RecurrentPPO's sequences. The settings are configs/rl/ppo.yaml's CartPoleNoVel-v1 recipe.

Run:  .venv/bin/python examples/sb3_stateful.py  (a few minutes on one CPU core)
"""

import numpy as np
import torch
from sb3_contrib import RecurrentPPO
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.vec_env import VecNormalize

import spikeagents  # noqa: F401  (registers CartPoleNoVel-v1 with gymnasium)
from spikeagents.rl import SpikingRecurrentPolicy

torch.set_num_threads(1)  # small networks: one thread is fastest


def linear(start: float):
    """SB3 schedule: decays linearly from ``start`` to 0 over training."""
    return lambda progress_remaining: progress_remaining * start


env = VecNormalize(make_vec_env("CartPoleNoVel-v1", n_envs=8, seed=0))
model = RecurrentPPO(
    SpikingRecurrentPolicy,
    env,
    n_steps=32,
    batch_size=256,
    gae_lambda=0.8,
    gamma=0.98,
    n_epochs=20,
    learning_rate=linear(1e-3),
    clip_range=linear(0.2),
    policy_kwargs=dict(
        T=1,
        hidden_sizes=[64],
        neuron="lif",
        tau=1.5,
        detach_reset=False,
        recurrent_synapses=True,
    ),
    seed=0,
    verbose=0,
)
model.learn(100_000, progress_bar=True)

# act with the state, exactly as RecurrentPPO's contract says
env.training, env.norm_reward = False, False
obs = env.reset()
state, starts = None, np.ones(env.num_envs, dtype=bool)
returns, totals = [], np.zeros(env.num_envs)
while len(returns) < 20:
    actions, state = model.predict(obs, state=state, episode_start=starts, deterministic=True)
    obs, rewards, starts, _ = env.step(actions)
    totals += env.get_original_reward()
    returns += totals[starts].tolist()
    totals[starts] = 0.0
print(f"20 episodes: {np.mean(returns[:20]):.1f} +- {np.std(returns[:20]):.1f}")
print("membrane carried into the next step (env 0):", state[0][0, 0, :5].round(2))
