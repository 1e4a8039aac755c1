"""Watching an agent act: a window (:func:`play`) or frames for a video (:func:`record_frames`),
optionally with a panel of the actor's spikes and readout potentials beside each frame."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any

import numpy as np
import torch
from stable_baselines3.common.base_class import BaseAlgorithm

from spikeagents.rl.agents import LoadedAgent
from spikeagents.rl.evaluation import actor_body
from spikeagents.snn.monitor import Monitor
from spikeagents.viz import render_raster_panel

__all__ = ["readout_potentials", "watch_episodes", "play", "record_frames"]


def readout_potentials(model: BaseAlgorithm, obs_tensor: torch.Tensor) -> torch.Tensor:
    """The readout membrane potentials ``[B, n_out]`` (logits, Gaussian means or Q-values)."""
    policy = model.policy
    with torch.no_grad():
        if hasattr(policy, "q_net"):
            return policy.q_net(obs_tensor)
        features = policy.pi_features_extractor(obs_tensor)
        return policy.action_net(features)


def watch_episodes(
    agent: LoadedAgent,
    episodes: int,
    deterministic: bool = True,
    seed: int = 0,
    render_mode: str | None = None,
) -> Iterator[tuple[Any, Any, float | None]]:
    """Step one env until ``episodes`` episodes end; yields ``(env, obs, finished_return)`` before
    every action (``finished_return`` is the return of an episode that just ended, else None)."""
    env = agent.make_env(seed=seed, render_mode=render_mode)
    obs = env.reset()
    done_episodes, total, finished = 0, 0.0, None
    try:
        while done_episodes < episodes:
            yield env, obs, finished
            finished = None
            action, _ = agent.model.predict(obs, deterministic=deterministic)
            obs, reward, done, _ = env.step(action)
            total += float(reward[0])
            if done[0]:
                finished, total = total, 0.0
                done_episodes += 1
        if finished is not None:
            yield env, obs, finished
    finally:
        env.close()


def play(agent: LoadedAgent, episodes: int = 3, deterministic: bool = True, seed: int = 0) -> list:
    """Render the agent in a window for ``episodes`` episodes; returns their returns."""
    return [
        ret
        for _, _, ret in watch_episodes(agent, episodes, deterministic, seed, render_mode="human")
        if ret is not None
    ]


def record_frames(
    agent: LoadedAgent,
    episodes: int = 1,
    deterministic: bool = True,
    spikes: bool = False,
    max_frames: int | None = None,
    seed: int = 0,
    window_steps: int = 12,
) -> tuple[list[np.ndarray], list[float]]:
    """Run ``episodes`` and return RGB frames (with a spike panel beside each when ``spikes``:
    the first spiking layer's raster over the last ``window_steps`` environment steps, and the
    readout potentials) and the episode returns."""
    body = actor_body(agent.model) if spikes else None  # fails early for an MLP baseline
    frames: list[np.ndarray] = []
    returns: list[float] = []
    history: deque[np.ndarray] = deque(maxlen=window_steps)
    for env, obs, finished in watch_episodes(agent, episodes, deterministic, seed, "rgb_array"):
        if finished is not None:
            returns.append(finished)
            if len(returns) == episodes:
                break
        if max_frames is not None and len(frames) >= max_frames:
            break
        frame = env.render()
        if body is not None:
            obs_t = agent.model.policy.obs_to_tensor(obs)[0]
            with Monitor(body, max_records=1) as monitor, torch.no_grad():
                body(obs_t.float())
            first = next(iter(monitor.layers))
            layer = monitor.records[first][-1][:, 0]  # [T, H] of the first layer, env 0
            history.append(layer.T.numpy())
            raster = np.concatenate(list(history), axis=1)
            volts = readout_potentials(agent.model, obs_t)[0].numpy()
            panel = render_raster_panel(raster, volts, frame.shape[1] // 2, frame.shape[0])
            frame = np.concatenate([frame, panel], axis=1)
        frames.append(frame)
    return frames, returns
