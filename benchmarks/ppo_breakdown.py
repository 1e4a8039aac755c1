"""Where spiking PPO's learn() time goes, next to SB3's MLP policy with the same recipe.

Trains the CartPole-v1 recipe (``configs/rl/ppo.yaml``: 8 envs, n_steps 32, batch 256, 20
epochs) for ``--steps`` environment steps with each policy, one after the other in this process
(torch threads 1), and splits ``learn()``'s wall time into:

- ``rollout forward``: the policy's forward passes while collecting experience (no gradient);
- ``env steps``: stepping the vectorised environments (and SB3's buffer bookkeeping around it);
- ``train forward``: ``evaluate_actions`` on the minibatches (with gradient);
- ``train backward``: ``loss.backward()``;
- ``optimizer``: gradient clipping and the Adam step;
- ``other``: everything else (advantages, logging, SB3's Python around the calls).

The spiking forward passes are split once more, by timing the spiking bodies alone
(``spiking bodies``: encoder, Linear layers and the fused neuron kernel; the rest of the forward is
SB3's heads and distributions). Timing wraps the methods of this one model object; the library is
not changed. Writes a markdown table (``--out``).

    python benchmarks/ppo_breakdown.py [--steps 40960] [--seed 0] [--out FILE]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch

from spikeagents.rl.recipe import load_train_config
from spikeagents.rl.training import build_model, make_env

ROOT = Path(__file__).resolve().parent.parent
PHASES = (
    "rollout forward",
    "env steps",
    "train forward",
    "train backward",
    "optimizer",
    "other",
)


class Timer:
    """Adds the wall time of wrapped calls to named buckets (nested calls count once: the
    outermost timed phase owns the time)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.depth = 0

    def wrap(self, name: str, fn: Callable[..., Any], nested: bool = False) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            if self.depth and not nested:
                return fn(*args, **kwargs)
            self.depth += 0 if nested else 1
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - started
                self.depth -= 0 if nested else 1

        return timed


def instrument(model: Any, timer: Timer) -> None:
    """Wrap this model's policy and env methods with the timer (instance attributes only)."""
    policy = model.policy
    rollout_forward = timer.wrap("rollout forward", policy.forward)
    policy.forward = rollout_forward
    policy.predict_values = timer.wrap("rollout forward", policy.predict_values)
    policy.evaluate_actions = timer.wrap("train forward", policy.evaluate_actions)
    env = model.get_env()
    env.step = timer.wrap("env steps", env.step)
    policy.optimizer.step = timer.wrap("optimizer", policy.optimizer.step)
    clip = torch.nn.utils.clip_grad_norm_
    torch.nn.utils.clip_grad_norm_ = timer.wrap("optimizer", clip)  # this process only
    backward = torch.Tensor.backward

    def timed_backward(self: torch.Tensor, *args: Any, **kwargs: Any) -> Any:
        return timer.wrap("train backward", backward)(self, *args, **kwargs)

    torch.Tensor.backward = timed_backward  # this process only
    for module in policy.modules():
        if type(module).__name__ == "SpikingBody":
            module.forward = timer.wrap("spiking bodies", module.forward, nested=True)


def measure(policy_type: str, steps: int, seed: int) -> dict[str, float]:
    torch.set_num_threads(1)
    overrides = ["policy_type=mlp"] if policy_type == "mlp" else []
    cfg = load_train_config("ppo", "CartPole-v1", overrides=overrides, seed=seed)
    env = make_env(cfg.env, cfg.n_envs, cfg.seed)
    model = build_model(cfg, env)
    model.learn(2048)  # warm-up: kernels built, allocator warm
    saved = (torch.Tensor.backward, torch.nn.utils.clip_grad_norm_)
    timer = Timer()
    instrument(model, timer)
    try:
        started = time.perf_counter()
        model.learn(steps, reset_num_timesteps=False)
        total = time.perf_counter() - started
    finally:
        torch.Tensor.backward, torch.nn.utils.clip_grad_norm_ = saved
    out = {name: timer.seconds.get(name, 0.0) for name in PHASES if name != "other"}
    out["other"] = total - sum(out.values())
    out["spiking bodies"] = timer.seconds.get("spiking bodies", 0.0)
    out["total"] = total
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--steps", type=int, default=40960)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "ppo_breakdown.md"))
    args = p.parse_args(argv)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    mlp = measure("mlp", args.steps, args.seed)
    spiking = measure("spiking", args.steps, args.seed)
    lines = [
        f"# Spiking PPO learn() against the MLP's, CartPole-v1 recipe, commit {commit}",
        "",
        f"`python benchmarks/ppo_breakdown.py --steps {args.steps} --seed {args.seed}`: "
        f"{args.steps} env steps each, MLP first, then spiking, in one process, torch threads 1.",
        "",
        "| phase | MLP s | spiking s | spiking - MLP s | share of the extra time |",
        "|---|---|---|---|---|",
    ]
    extra = spiking["total"] - mlp["total"]
    for name in (*PHASES, "total"):
        d = spiking[name] - mlp[name]
        share = "" if name == "total" else f"{d / extra:.0%}"
        lines.append(f"| {name} | {mlp[name]:.2f} | {spiking[name]:.2f} | {d:+.2f} | {share} |")
    lines += [
        "",
        f"learn() ratio spiking / MLP: {spiking['total'] / mlp['total']:.2f}x. The spiking "
        f"bodies alone (encoder, Linear layers, fused neuron kernel; inside the forward rows): "
        f"{spiking['spiking bodies']:.2f} s.",
        "",
    ]
    text = "\n".join(lines)
    Path(args.out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
