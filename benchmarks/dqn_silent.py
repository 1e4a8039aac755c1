"""Why spiking DQN on CartPole-v1 ends unsolved, and what fixes it: silent neurons, before/after.

Trains the shipped DQN recipe (``spikeagents train dqn CartPole-v1``: 5e4 steps, 256x256 IF
neurons, T=8) in variants, every variant on the same seeds, two runs at a time (one torch thread
each), and reports per run

- the final deterministic evaluation (the run's own, 20 episodes) and the best periodic one;
- the share of never-firing neurons per hidden layer of the *final* Q-network over the last
  2000 observations of its replay buffer (the states the agent saw at the end of training),
  and the spread of their input currents;
- ``learn()`` time.

Variants (``--variants``, comma-separated names from ``VARIANTS``; each is ``--set`` overrides
of the recipe):

    python benchmarks/dqn_silent.py --seeds 3 --variants base,homeostasis
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
HOMEOSTASIS = "homeostasis={min_rate: 0.01, gain: 0.5, every: 1000, batch: 512}"
LR_DECAY = "hyperparams.learning_rate={schedule: linear, start: 2.3e-3}"
VARIANTS: dict[str, list[str]] = {
    "base": [],
    "homeostasis": [HOMEOSTASIS],
    "lr_decay": [LR_DECAY],
    "homeostasis+lr_decay": [HOMEOSTASIS, LR_DECAY],
    "normalize_obs": ["env.normalize={obs: true, reward: false}"],
}


def silent_shares(run_dir: Path, n_obs: int = 2000) -> dict[str, Any]:
    """Never-firing share and input-current spread per hidden layer of ``model.zip``."""
    import numpy as np
    import torch
    from stable_baselines3 import DQN

    model = DQN.load(run_dir / "model.zip", device="cpu")
    model.load_replay_buffer(run_dir / "replay_buffer.pkl")
    buffer = model.replay_buffer
    end = buffer.pos if not buffer.full or buffer.pos >= n_obs else buffer.buffer_size
    obs = buffer.observations[max(0, end - n_obs) : end, 0]
    body = model.policy.q_net.features_extractor.body
    out: dict[str, Any] = {"silent": [], "current_std": []}
    with torch.no_grad():
        for current, spikes in body.layers(torch.as_tensor(np.asarray(obs), dtype=torch.float32)):
            drive = current if current.dim() == 2 else current.mean(0)
            out["silent"].append(float((spikes.sum(dim=(0, 1)) == 0).float().mean()))
            out["current_std"].append(float(drive.std()))
    return out


def run_one(variant: str, seed: int, root: str) -> dict[str, Any]:
    import torch

    from spikeagents.rl.recipe import load_train_config
    from spikeagents.rl.training import run_training

    torch.set_num_threads(1)
    cfg = load_train_config("dqn", "CartPole-v1", overrides=VARIANTS[variant], seed=seed)
    run_dir = Path(root) / f"{variant}_s{seed}"
    summary = run_training(cfg, run_dir, command=f"dqn_silent {variant}", progress=False)
    return {"variant": variant, "seed": seed, **summary, **silent_shares(run_dir)}


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| variant | seed | final (20 ep) | best periodic | silent layer 1 | silent layer 2 "
        "| current std 1 / 2 | learn s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['variant']} | {r['seed']} | {r['final_eval_mean']:.1f} | "
            f"{r['best_eval_mean']:.1f} | {r['silent'][0]:.0%} | {r['silent'][1]:.0%} | "
            f"{r['current_std'][0]:.2f} / {r['current_std'][1]:.2f} | {r['learn_seconds']:.0f} |"
        )
    lines += [
        "",
        "| variant | final >= 475 | median final | mean silent 1 / 2 |",
        "|---|---|---|---|",
    ]
    for variant in dict.fromkeys(r["variant"] for r in rows):
        mine = [r for r in rows if r["variant"] == variant]
        solved = sum(r["final_eval_mean"] >= 475 for r in mine)
        median = statistics.median(r["final_eval_mean"] for r in mine)
        s1 = statistics.mean(r["silent"][0] for r in mine)
        s2 = statistics.mean(r["silent"][1] for r in mine)
        lines.append(f"| {variant} | {solved}/{len(mine)} | {median:.1f} | {s1:.0%} / {s2:.0%} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--first-seed", type=int, default=0)
    p.add_argument("--variants", default="base,homeostasis")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out", type=Path, default=RESULTS / "rl_dqn_silent.md")
    args = p.parse_args(argv)
    variants = args.variants.split(",")
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        p.error(f"unknown variant(s) {unknown}; choose from {', '.join(VARIANTS)}")
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    jobs = [(v, s) for s in seeds for v in variants]
    with tempfile.TemporaryDirectory() as root, ProcessPoolExecutor(args.workers) as pool:
        futures = [pool.submit(run_one, v, s, root) for v, s in jobs]
        rows = []
        for future in futures:
            row = future.result()
            rows.append(row)
            print(json.dumps({k: row[k] for k in ("variant", "seed", "final_eval_mean", "silent")}))
    rows.sort(key=lambda r: (variants.index(r["variant"]), r["seed"]))
    cmd = "python benchmarks/dqn_silent.py " + " ".join(argv if argv is not None else sys.argv[1:])
    text = "\n".join(
        [
            "# Spiking DQN, CartPole-v1: silent neurons and the final policy",
            "",
            f"`{cmd}`",
            "",
            "Recipe: configs/rl/dqn.yaml CartPole-v1 (5e4 steps) with each variant's overrides:",
            "",
            *(
                f"- `{v}`: {', '.join(f'`{o}`' for o in VARIANTS[v]) or 'the recipe'}"
                for v in variants
            ),
            "",
            "Silent: never fired over the final Q-network's last 2000 replay-buffer observations.",
            "",
            table(rows),
            "",
        ]
    )
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
