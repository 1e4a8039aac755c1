"""Speed of the spiking policy itself, side by side in one process.

1. Training step of the spiking PPO policy (separate actor and critic, batch 256,
   ``evaluate_actions`` + PPO-style loss + backward) against the same network with its spiking
   neurons replaced by identity (the floor the Linear layers set), for each kernel backend.
2. Single-observation ``predict()`` latency of the spiking policy against SB3's MlpPolicy.

    python benchmarks/rl_policy_speed.py [--T 8] [--hidden 64] [--out FILE]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import gymnasium as gym
import torch
from stable_baselines3 import PPO
from torch import nn

from spikeagents.rl import SpikingActorCriticPolicy

RESULTS = Path(__file__).resolve().parent / "results"


class IdentityNeuron(nn.Module):
    """Stands in for a spiking neuron: passes the input current through (``[T, B, H]``; a
    constant input ``[B, H]`` with ``steps=T`` is repeated T times)."""

    def reset(self) -> None:
        pass

    def forward(self, x: torch.Tensor, steps: int | None = None) -> torch.Tensor:
        return x if steps is None else x.unsqueeze(0).expand(steps, *x.shape)


def median_time(fn, repeats: int, warmup: int = 20) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def make_policy(T: int, hidden: int, backend: str, identity: bool = False):
    model = PPO(
        SpikingActorCriticPolicy,
        "CartPole-v1",
        n_steps=32,
        batch_size=256,
        device="cpu",
        policy_kwargs=dict(T=T, hidden_sizes=[hidden], backend=backend),
        seed=0,
    )
    policy = model.policy
    if identity:
        for extractor in (policy.pi_features_extractor, policy.vf_features_extractor):
            extractor.body.neurons = nn.ModuleList(IdentityNeuron() for _ in extractor.body.neurons)
    return model, policy


def train_step_fn(policy, batch: int):
    obs = torch.randn(batch, 4)
    actions = torch.randint(0, 2, (batch,))
    adv = torch.randn(batch)
    old_logp = torch.randn(batch) * 0.1 - 0.7
    returns = torch.randn(batch)

    def step() -> None:
        values, logp, entropy = policy.evaluate_actions(obs, actions)
        ratio = torch.exp(logp - old_logp)
        loss = -torch.min(adv * ratio, adv * ratio.clamp(0.8, 1.2)).mean()
        loss = loss + 0.5 * (returns - values.flatten()).pow(2).mean() - 0.0 * entropy.mean()
        policy.optimizer.zero_grad()
        loss.backward()
        policy.optimizer.step()

    return step


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--T", type=int, default=8)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--repeats", type=int, default=300)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", type=Path, default=RESULTS / "rl_policy_speed.md")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    from spikeagents.snn.kernels import available_backends

    lines = [
        "# Spiking policy speed (CPU)",
        "",
        f"Command: `python benchmarks/rl_policy_speed.py {' '.join(argv or sys.argv[1:])}`",
        f"torch {torch.__version__}, {args.threads} thread(s), T={args.T}, hidden {args.hidden}, "
        f"separate actor and critic. Median of {args.repeats} repeats after warm-up, all in one "
        "process, variants interleaved in rounds.",
        "",
        f"## PPO training step (batch {args.batch}: evaluate_actions + loss + backward + Adam)",
        "",
        "| variant | ms per step | ratio to identity-neuron floor |",
        "|---|---|---|",
    ]
    variants = {"identity neurons (floor)": make_policy(args.T, args.hidden, "torch", True)[1]}
    for backend in ["torch", *[b for b in available_backends("cpu") if b != "torch"]]:
        variants[f"spiking, backend={backend}"] = make_policy(args.T, args.hidden, backend)[1]
    steps = {name: train_step_fn(pol, args.batch) for name, pol in variants.items()}
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(5):  # interleave rounds so machine noise hits every variant alike
        for name, fn in steps.items():
            times[name].append(median_time(fn, args.repeats // 5))
    floor = statistics.median(times["identity neurons (floor)"])
    for name in steps:
        t = statistics.median(times[name])
        lines.append(f"| {name} | {t * 1e3:.3f} | {t / floor:.2f} |")

    lines += [
        "",
        "## Single-observation predict() latency",
        "",
        "| policy | us per predict | ratio to MlpPolicy |",
        "|---|---|---|",
    ]
    obs = gym.make("CartPole-v1").observation_space.sample()
    mlp = PPO("MlpPolicy", "CartPole-v1", device="cpu", seed=0)
    spiking = PPO(
        SpikingActorCriticPolicy,
        "CartPole-v1",
        device="cpu",
        seed=0,
        policy_kwargs=dict(T=args.T, hidden_sizes=[args.hidden]),
    )
    spiking16 = PPO(SpikingActorCriticPolicy, "CartPole-v1", device="cpu", seed=0)
    preds = {
        "MlpPolicy (SB3 default 64x64 tanh)": lambda: mlp.predict(obs, deterministic=True),
        f"spiking T={args.T}, hidden {args.hidden}": lambda: spiking.predict(
            obs, deterministic=True
        ),
        "spiking (defaults: T=16)": lambda: spiking16.predict(obs, deterministic=True),
    }
    ptimes: dict[str, list[float]] = {n: [] for n in preds}
    for _ in range(5):
        for name, fn in preds.items():
            ptimes[name].append(median_time(fn, 400))
    base = statistics.median(ptimes["MlpPolicy (SB3 default 64x64 tanh)"])
    for name in preds:
        t = statistics.median(ptimes[name])
        lines.append(f"| {name} | {t * 1e6:.0f} | {t / base:.2f} |")
    text = "\n".join(lines) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
