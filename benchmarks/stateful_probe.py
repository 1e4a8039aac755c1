"""Can a stateful spiking layer recover CartPole's hidden velocities from its positions?

A supervised probe of the memory a :class:`~spikeagents.rl.recurrent.SpikingRecurrentLayer`
keeps: 20-step CartPole-v1 trajectories under random actions, the velocity entries set to 0 in the
input (as CartPoleNoVel-v1 does), and a Linear readout of the layer trained (BPTT over the 20
steps, Adam, 400 full-batch steps) to predict the two hidden velocities. The mean squared error
is on standardised targets: 1.0 means the layer explains nothing of them, 0 everything. An
``nn.LSTM`` of the same width is the reference. Writes ``benchmarks/results/stateful_probe.md``.

    python benchmarks/stateful_probe.py
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
import torch
from torch import Tensor, nn

from spikeagents.rl.recurrent import SpikingRecurrentLayer
from spikeagents.rl.settings import SpikingSettings

ROOT = Path(__file__).resolve().parent.parent
WIDTH = 64
#: (label, settings, recurrent synapses)
VARIANTS: list[tuple[str, dict[str, Any], bool]] = [
    ("membrane only: lif tau 4, T 2", dict(T=2, neuron="lif", tau=4.0), False),
    ("membrane only: if, T 2", dict(T=2, neuron="if"), False),
    ("recurrent synapses: lif tau 4, T 2", dict(T=2, neuron="lif", tau=4.0), True),
    ("recurrent synapses: if, T 1", dict(T=1, neuron="if"), True),
    ("recurrent synapses: lif tau 2, T 2", dict(T=2, neuron="lif", tau=2.0), True),
    ("recurrent synapses: lif tau 2, T 1", dict(T=1, neuron="lif", tau=2.0), True),
    ("recurrent synapses: lif tau 1.5, T 1, detach_reset false (the recipe)",
     dict(T=1, neuron="lif", tau=1.5, detach_reset=False), True),
]  # fmt: skip


def trajectories(n: int = 300, length: int = 20) -> tuple[Tensor, Tensor]:
    """``(inputs [L, B, 4] with the velocities zeroed, velocities [L, B, 2])``, standardised."""
    env, rng = gym.make("CartPole-v1"), np.random.default_rng(0)
    seqs = []
    for episode in range(n):
        obs, _ = env.reset(seed=episode)
        steps = [obs]
        for _ in range(2 * length):
            obs, _, terminated, truncated, _ = env.step(int(rng.integers(2)))
            steps.append(obs)
            if terminated or truncated:
                break
        if len(steps) >= length:
            seqs.append(np.array(steps[:length]))
    data = torch.tensor(np.stack(seqs), dtype=torch.float32).transpose(0, 1)
    data = data / data.std(dim=(0, 1), keepdim=True)
    x = data.clone()
    x[..., [1, 3]] = 0.0
    return x, data[..., [1, 3]]


class _LSTM(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lstm, self.hidden_size = nn.LSTM(4, WIDTH), WIDTH

    def forward(self, x: Tensor, state: tuple[Tensor, Tensor]) -> tuple[Tensor, Any]:
        return self.lstm(x, state)


def probe(layer: nn.Module, x: Tensor, y: Tensor, iterations: int = 400) -> float:
    torch.manual_seed(0)
    head = nn.Linear(WIDTH, 2)
    opt = torch.optim.Adam([*layer.parameters(), *head.parameters()], lr=3e-3)
    zeros = torch.zeros(1, x.shape[1], WIDTH)
    for _ in range(iterations):
        out, _ = layer(x, (zeros, zeros))
        loss = (head(out)[2:] - y[2:]).square().mean()  # from the third step: a difference exists
        opt.zero_grad()
        loss.backward()
        opt.step()
    return float(loss)


def main() -> int:
    torch.set_num_threads(1)
    x, y = trajectories()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    lines = [
        f"# Velocity probe of the stateful spiking layer (commit {commit})",
        "",
        f"`python benchmarks/stateful_probe.py`: {x.shape[1]} trajectories of {x.shape[0]} "
        "CartPole steps, velocities hidden from the input; the error is on standardised "
        "velocities (1.0: nothing explained). Width 64, soft reset, 400 Adam steps, seed 0.",
        "",
        "| layer | velocity MSE | seconds |",
        "|---|---:|---:|",
    ]
    for label, settings, recurrent in VARIANTS:
        torch.manual_seed(0)
        cfg = SpikingSettings(hidden_sizes=(WIDTH,), v_reset=None, **settings)
        started = time.time()
        mse = probe(SpikingRecurrentLayer(4, cfg, recurrent), x, y)
        lines.append(f"| {label} | {mse:.3f} | {time.time() - started:.0f} |")
        print(lines[-1], flush=True)
    torch.manual_seed(0)
    started = time.time()
    lines.append(
        f"| nn.LSTM (reference) | {probe(_LSTM(), x, y):.3f} | {time.time() - started:.0f} |"
    )
    text = "\n".join([*lines, ""])
    (ROOT / "benchmarks" / "results" / "stateful_probe.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
