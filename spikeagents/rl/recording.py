"""Watching an agent act: a window (:func:`play`) or frames for a video (:func:`record_frames`),
optionally with a panel of the actor's spikes and readout potentials beside each frame."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from typing import Any

import numpy as np
from stable_baselines3.common.base_class import BaseAlgorithm

from spikeagents.rl.agents import LoadedAgent
from spikeagents.rl.evaluation import actor_body
from spikeagents.snn.monitor import Monitor
from spikeagents.viz import render_raster_panel

__all__ = ["readout_module", "watch_episodes", "play", "record_frames"]


def readout_module(model: BaseAlgorithm) -> str:
    """The name of the policy module whose output is the readout potentials (logits, Gaussian
    means or Q-values): ``action_net``, the Q-network for DQN, the actor's decoder (``actor.mu``)
    for SAC, TD3 and DDPG."""
    if hasattr(model.policy, "q_net"):
        return "q_net"
    return "actor.mu" if hasattr(model.policy, "actor") else "action_net"


def watch_episodes(
    agent: LoadedAgent,
    episodes: int,
    returns: list[float],
    deterministic: bool = True,
    seed: int = 0,
    render_mode: str | None = None,
) -> Iterator[tuple[Any, bool]]:
    """Act in one env until ``episodes`` episodes end, appending each episode's return to
    ``returns``. Yields ``(env, episode_start)`` after every action is chosen and before it is
    taken: the env still shows the state the action was chosen for (render it now), and hooks on
    the policy have seen that choice. A stateful policy's state is carried from step to step and
    reset where an episode starts."""
    env = agent.make_env(seed=seed, render_mode=render_mode)
    obs, state, start = env.reset(), None, np.ones(1, dtype=bool)
    total = 0.0
    try:
        while len(returns) < episodes:
            action, state = agent.model.predict(
                obs, state=state, episode_start=start, deterministic=deterministic
            )
            yield env, bool(start[0])
            obs, reward, start, _ = env.step(action)
            total += float(reward[0])
            if start[0]:
                returns.append(total)
                total = 0.0
    finally:
        env.close()


def play(agent: LoadedAgent, episodes: int = 3, deterministic: bool = True, seed: int = 0) -> list:
    """Render the agent in a window for ``episodes`` episodes; returns their returns."""
    returns: list[float] = []
    for _ in watch_episodes(agent, episodes, returns, deterministic, seed, render_mode="human"):
        pass
    return returns


def record_frames(
    agent: LoadedAgent,
    episodes: int = 1,
    deterministic: bool = True,
    spikes: bool = False,
    max_frames: int | None = None,
    seed: int = 0,
    window_steps: int = 12,
) -> tuple[list[np.ndarray], list[float]]:
    """Run ``episodes`` and return RGB frames and the episode returns.

    With ``spikes`` a panel goes beside each frame: the raster of the actor's first spiking
    layer over the last ``window_steps`` environment steps (T columns each, recorded while the
    agent chose its actions, so a stateful policy's carried membrane shows; a green line marks
    where an episode starts) and the readout potentials that chose this frame's action.
    """
    body = actor_body(agent.model) if spikes else None  # fails early for an MLP baseline
    frames: list[np.ndarray] = []
    returns: list[float] = []
    history: deque[tuple[np.ndarray, bool]] = deque(maxlen=window_steps)
    watchers: list[Monitor] = []
    if body is not None:
        readout = readout_module(agent.model)
        watchers = [
            Monitor(body, max_records=1),
            Monitor(agent.model.policy, names=[readout], max_records=1),
        ]
    try:
        steps = watch_episodes(agent, episodes, returns, deterministic, seed, "rgb_array")
        for env, new_episode in steps:
            if max_frames is not None and len(frames) >= max_frames:
                break
            frame = env.render()
            if watchers:
                panel = _panel(watchers, history, new_episode, frame.shape)
                frame = np.concatenate([frame, panel], axis=1)
            frames.append(frame)
    finally:
        for monitor in watchers:
            monitor.remove()
    return frames, returns


def _panel(
    watchers: list[Monitor],
    history: deque[tuple[np.ndarray, bool]],
    new_episode: bool,
    shape: tuple[int, ...],
) -> np.ndarray:
    """The spike panel of the action just chosen, from what the watchers recorded."""
    spikes, readout = watchers
    layer = spikes.records[next(iter(spikes.layers))][-1][:, 0]  # [T, H], the first layer, env 0
    history.append((layer.T.numpy(), new_episode))
    raster = np.concatenate([cols for cols, _ in history], axis=1)
    widths = np.cumsum([0, *[cols.shape[1] for cols, _ in history]])
    boundaries = [int(widths[i]) for i, (_, start) in enumerate(history) if start and i > 0]
    volts = readout.records[next(iter(readout.layers))][-1][0].numpy()
    return render_raster_panel(raster, volts, shape[1] // 2, shape[0], boundaries=boundaries)
