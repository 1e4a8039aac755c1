"""Watching agents: load from a run or the zoo, evaluate, render, record videos with spikes."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from stable_baselines3.common.base_class import BaseAlgorithm
from stable_baselines3.common.evaluation import evaluate_policy
from stable_baselines3.common.vec_env import VecEnv, VecNormalize

from spikeagents.config import TrainConfig
from spikeagents.rl.algos import get_algo
from spikeagents.rl.networks import SpikingBody
from spikeagents.rl.training import load_run_config, make_env

__all__ = [
    "LoadedAgent",
    "load_agent",
    "evaluate_agent",
    "actor_body",
    "readout_potentials",
    "record_frames",
]


@dataclass
class LoadedAgent:
    """An agent ready to act: the model, its config, where it came from, and how to make envs."""

    model: BaseAlgorithm
    config: TrainConfig
    source: Path
    obs_mean: np.ndarray | None = None
    obs_var: np.ndarray | None = None
    clip_obs: float = 10.0

    def make_env(self, seed: int | None = None, render_mode: str | None = None) -> VecEnv:
        """One evaluation env with the agent's frozen observation normalisation."""
        env = make_env(
            self.config.env, 1, seed, training=False, render_mode=render_mode, normalize=False
        )
        if self.obs_mean is None:
            return env
        norm = VecNormalize(
            env, training=False, norm_obs=True, norm_reward=False, clip_obs=self.clip_obs
        )
        norm.obs_rms.mean, norm.obs_rms.var = self.obs_mean.copy(), self.obs_var.copy()
        return norm


def load_agent(
    algo: str,
    env_id: str | None,
    run_dir: str | Path | None = None,
    zoo_dir: str | Path | None = None,
    best: bool = False,
) -> LoadedAgent:
    """Load from a run directory (``model.zip``, else ``best_model.zip``, else the checkpoint;
    ``best=True`` prefers ``best_model.zip``, the best periodic evaluation) or, with
    ``zoo_dir``, from ``zoo_dir/<algo>/<env_id>`` (safetensors, hash-checked)."""
    if zoo_dir is not None:
        from spikeagents.rl.zoo import load_zoo_agent

        path = Path(zoo_dir) / algo / str(env_id)
        if not path.is_dir():
            raise FileNotFoundError(f"no zoo agent for {algo} on {env_id} (looked in {path})")
        z = load_zoo_agent(path)
        assert z.model is not None
        clip = float(z.card.get("normalization", {}).get("clip_obs", 10.0))
        return LoadedAgent(z.model, z.config, path, z.obs_mean, z.obs_var, clip)
    if run_dir is None:
        raise ValueError("give a run directory or a zoo directory")
    run_dir = Path(run_dir)
    config = load_run_config(run_dir)
    if config.algo != algo.lower():
        raise ValueError(f"{run_dir} holds a {config.algo} agent, not {algo}")
    if env_id is not None and config.env.id != env_id:
        raise ValueError(f"{run_dir} holds an agent for {config.env.id}, not {env_id}")
    candidates = [
        ("model.zip", "model_vecnormalize.pkl"),
        ("best_model.zip", "best_vecnormalize.pkl"),
        ("checkpoint.zip", "vecnormalize.pkl"),
    ]
    if best:
        candidates.insert(0, candidates.pop(1))
    for name, norm_name in candidates:
        if (run_dir / name).exists():
            algo_cls, _ = get_algo(config.algo)
            model = algo_cls.load(run_dir / name, device="cpu")
            mean = var = None
            clip = 10.0
            if (run_dir / norm_name).exists():
                stats = VecNormalize.load(
                    str(run_dir / norm_name), make_env(config.env, 1, normalize=False)
                )
                if stats.norm_obs:
                    mean, var, clip = stats.obs_rms.mean, stats.obs_rms.var, stats.clip_obs
            return LoadedAgent(model, config, run_dir / name, mean, var, clip)
    raise FileNotFoundError(f"{run_dir} has no model.zip, best_model.zip or checkpoint.zip yet")


def evaluate_agent(
    agent: LoadedAgent, episodes: int | None = None, deterministic: bool = True, seed: int = 0
) -> dict[str, Any]:
    """Mean and std reward over ``episodes`` (default: the env config's eval_episodes)."""
    n = int(episodes or agent.config.env.eval_episodes)
    env = agent.make_env(seed=seed)
    rewards, lengths = evaluate_policy(
        agent.model, env, n, deterministic=deterministic, return_episode_rewards=True
    )
    env.close()
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


def actor_body(model: BaseAlgorithm) -> SpikingBody:
    """The spiking body that picks actions (the actor's, or the Q-network's)."""
    policy = model.policy
    extractor = getattr(policy, "pi_features_extractor", None)
    if extractor is None:
        extractor = policy.q_net.features_extractor  # DQN
    body = getattr(extractor, "body", None)
    if not isinstance(body, SpikingBody):
        raise ValueError(
            f"this agent's policy ({type(policy).__name__}) has no spiking network "
            "(an MLP baseline run?): spikes cannot be shown or counted"
        )
    return body


def readout_potentials(model: BaseAlgorithm, obs_tensor: torch.Tensor) -> torch.Tensor:
    """The readout membrane potentials ``[B, n_out]`` (logits, Gaussian means or Q-values)."""
    policy = model.policy
    with torch.no_grad():
        if hasattr(policy, "q_net"):
            return policy.q_net(obs_tensor)
        features = policy.pi_features_extractor(obs_tensor)
        return policy.action_net(features)


def spikes_per_step(agent: LoadedAgent, env_seed: int = 0, steps: int = 200) -> float:
    """Average spikes emitted by the actor's spiking layers per environment step."""
    body = actor_body(agent.model)
    env = agent.make_env(seed=env_seed)
    obs = env.reset()
    counts = []
    for _ in range(steps):
        with torch.no_grad():
            spikes = _all_layer_spikes(body, agent.model.policy.obs_to_tensor(obs)[0])
        counts.append(sum(float(s.sum()) for s in spikes))
        action, _ = agent.model.predict(obs, deterministic=True)
        obs, _, _, _ = env.step(action)
    env.close()
    return float(np.mean(counts))


def _all_layer_spikes(body: SpikingBody, obs: torch.Tensor) -> list[torch.Tensor]:
    out: list[torch.Tensor] = []
    hooks = [n.register_forward_hook(lambda m, i, o: out.append(o)) for n in body.neurons]
    try:
        body(obs.float())
    finally:
        for h in hooks:
            h.remove()
    return out


def record_frames(
    agent: LoadedAgent,
    episodes: int = 1,
    deterministic: bool = True,
    spikes: bool = False,
    max_frames: int | None = None,
    seed: int = 0,
    window_steps: int = 12,
) -> tuple[list[np.ndarray], list[float]]:
    """Run ``episodes`` and return RGB frames (with a spike panel beside each when ``spikes``)
    and the episode returns."""
    from spikeagents.viz import render_raster_panel

    body = actor_body(agent.model) if spikes else None  # fails early for an MLP baseline
    env = agent.make_env(seed=seed, render_mode="rgb_array")
    frames: list[np.ndarray] = []
    returns: list[float] = []
    history: deque[np.ndarray] = deque(maxlen=window_steps)
    obs = env.reset()
    total = 0.0
    while len(returns) < episodes and (max_frames is None or len(frames) < max_frames):
        frame = env.render()
        if body is not None:
            obs_t = agent.model.policy.obs_to_tensor(obs)[0]
            with torch.no_grad():
                layer = _all_layer_spikes(body, obs_t)[0][:, 0]  # [T, H] of the first layer
            history.append(layer.T.numpy())
            raster = np.concatenate(list(history), axis=1)
            volts = readout_potentials(agent.model, obs_t)[0].numpy()
            panel = render_raster_panel(raster, volts, frame.shape[1] // 2, frame.shape[0])
            frame = np.concatenate([frame, panel], axis=1)
        frames.append(frame)
        action, _ = agent.model.predict(obs, deterministic=deterministic)
        obs, reward, done, _ = env.step(action)
        total += float(reward[0])
        if done[0]:
            returns.append(total)
            total = 0.0
    env.close()
    return frames, returns
