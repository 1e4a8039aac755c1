"""Learning benchmark: spiking policy vs SB3's MLP policy, same hyperparameters, side by side.

For each seed, the spiking agent and the MLP agent train at the same time in two processes
(one torch thread each, as RL on a CPU is fastest that way), so both see the same machine load.
Each run evaluates deterministically every ``--eval-freq`` steps (5 episodes; its time is not
counted in ``learn_s``) to find the first step that reaches the solved score, then 20 episodes at
the end. Writes a Markdown table to ``benchmarks/results/rl_<algo>_<env>.md`` (``--plot``: the
periodic evaluations of every run as curves in a PNG beside it; ``--target``: the score counted
as reached, default the env's solved score).

    python benchmarks/rl_learning.py --algo ppo --env CartPole-v1 --seeds 8
  python benchmarks/rl_learning.py --algo sac --env HalfCheetah-v5 --timesteps 1e5 --seeds 1 --plot
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def run_one(
    algo: str,
    env_id: str,
    seed: int,
    kind: str,
    overrides: list[str],
    eval_freq: int,
    timesteps: int | None,
    target: float | None = None,
) -> dict[str, Any]:
    import numpy as np
    import torch
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.evaluation import evaluate_policy

    from spikeagents.rl.recipe import load_train_config
    from spikeagents.rl.training import build_model, make_env

    torch.set_num_threads(1)
    cfg = load_train_config(algo, env_id, overrides=overrides, seed=seed, n_timesteps=timesteps)
    env = make_env(cfg.env, cfg.n_envs, seed, float(getattr(cfg.hyperparams, "gamma", 0.99)))
    if kind == "mlp":  # what `spikeagents train --mlp` trains (DQN: net_arch = hidden_sizes)
        cfg = replace(cfg, policy_type="mlp")
    model = build_model(cfg, env)
    solved = target if target is not None else cfg.env.solved_score

    class Evals(BaseCallback):
        def __init__(self) -> None:
            super().__init__()
            self.seconds, self.first, self.last, self.history = 0.0, None, 0, []
            self.best, self.best_state = -float("inf"), None

        def _on_step(self) -> bool:
            if self.num_timesteps - self.last >= eval_freq:
                self.last = self.num_timesteps
                started = time.time()
                eval_env = make_env(cfg.env, 1, seed + 10_000, training=False)
                if env.__class__.__name__ == "VecNormalize":
                    eval_env.obs_rms = env.obs_rms
                mean, _ = evaluate_policy(self.model, eval_env, 5, deterministic=True)
                self.history.append((self.num_timesteps, round(float(mean), 1)))
                if solved is not None and mean >= solved and self.first is None:
                    self.first = self.num_timesteps
                if mean > self.best:  # keep the best periodic policy, as a run's best_model.zip
                    self.best = mean
                    self.best_state = copy.deepcopy(self.model.policy.state_dict())
                self.seconds += time.time() - started
            return True

    cb = Evals()
    started = time.time()
    model.learn(cfg.n_timesteps, callback=cb)
    learn_s = time.time() - started - cb.seconds
    eval_env = make_env(cfg.env, 1, seed + 20_000, training=False)
    if env.__class__.__name__ == "VecNormalize":
        eval_env.obs_rms = env.obs_rms
    rewards, _ = evaluate_policy(
        model, eval_env, 20, deterministic=True, return_episode_rewards=True
    )
    best_rewards = [float("nan")]
    if cb.best_state is not None:  # the best periodic policy, re-evaluated on 20 fresh episodes
        model.policy.load_state_dict(cb.best_state)
        best_rewards, _ = evaluate_policy(
            model, eval_env, 20, deterministic=True, return_episode_rewards=True
        )
    return {
        "kind": kind,
        "seed": seed,
        "final_mean": float(np.mean(rewards)),
        "final_std": float(np.std(rewards)),
        "best_checkpoint_mean": float(np.mean(best_rewards)),
        "first_solved": cb.first,
        "learn_s": round(learn_s, 1),
        "history": cb.history,
        "solved_score": solved,
    }


def _cells(r: dict[str, Any]) -> str:
    best = r.get("best_checkpoint_mean", float("nan"))
    return f"{r['final_mean']:.1f} | {best:.1f} | {r['first_solved']} | {r['learn_s']}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--algo", default="ppo")
    p.add_argument("--env", default="CartPole-v1")
    p.add_argument("--seeds", type=int, default=8)
    p.add_argument("--first-seed", type=int, default=0)
    p.add_argument("--timesteps", type=lambda text: int(float(text)))  # 1e5 works
    p.add_argument("--eval-freq", type=int, default=10_000)
    p.add_argument("--set", dest="overrides", action="append", default=[])
    p.add_argument("--no-baseline", action="store_true", help="spiking runs only")
    p.add_argument("--out", help="result file (default: results/rl_<algo>_<env>.md)")
    p.add_argument("--workers", type=int, default=2, help="parallel processes (default 2)")
    p.add_argument("--target", type=float, help="score counted as reached (default: solved)")
    p.add_argument("--plot", action="store_true", help="also the curves as a PNG")
    args = p.parse_args(argv)
    cli_args = sys.argv[1:] if argv is None else argv
    kinds = ["spiking"] if args.no_baseline else ["spiking", "mlp"]
    jobs = [
        (args.algo, args.env, s, k, args.overrides, args.eval_freq, args.timesteps, args.target)
        for s in range(args.first_seed, args.first_seed + args.seeds)
        for k in kinds
    ]
    started = time.time()
    with ProcessPoolExecutor(max_workers=args.workers) as pool:
        results = list(pool.map(run_one, *zip(*jobs, strict=True)))
    wall = time.time() - started
    lines = [
        f"# {args.algo.upper()} on {args.env}: spiking policy vs SB3 MlpPolicy",
        "",
        f"Command: `python benchmarks/rl_learning.py {' '.join(cli_args)}`",
        f"Same hyperparameters (configs/rl/{args.algo}.yaml), each seed's two runs side by side in "
        f"{args.workers} processes, one torch thread each. Total wall time {wall:.0f} s.",
        "`final` is a deterministic 20-episode evaluation at the end; `best` the best periodic "
        "policy (as a run's best_model.zip) re-evaluated on 20 fresh episodes; `first solved` "
        "the first periodic 5-episode evaluation at or above the solved score; `learn s` "
        "excludes evaluation time. The MLP is SB3's MlpPolicy as `spikeagents train --mlp` "
        "builds it.",
        "",
        "| seed | spiking final | spiking best | spiking first solved | spiking learn s | "
        "MLP final | MLP best | MLP first solved | MLP learn s | time ratio |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    by = {(r["kind"], r["seed"]): r for r in results}
    ratios = []
    for s in range(args.first_seed, args.first_seed + args.seeds):
        sp, ml = by[("spiking", s)], by.get(("mlp", s))
        ratio = sp["learn_s"] / ml["learn_s"] if ml else None
        if ratio:
            ratios.append(ratio)
        lines.append(
            f"| {s} | {_cells(sp)} | "
            + (f"{_cells(ml)} | {ratio:.2f} |" if ml else "- | - | - | - | - |")
        )
    solved = args.target if args.target is not None else results[0]["solved_score"]
    sp_ok = sum(
        by[("spiking", s)]["final_mean"] >= solved
        for s in range(args.first_seed, args.first_seed + args.seeds)
    )
    sp_best = sum(
        by[("spiking", s)].get("best_checkpoint_mean", float("nan")) >= solved
        for s in range(args.first_seed, args.first_seed + args.seeds)
    )
    lines += [
        "",
        f"Spiking seeds with final >= {solved}: {sp_ok}/{args.seeds}; "
        f"best checkpoint >= {solved}: {sp_best}/{args.seeds}.",
    ]
    if ratios:
        ml_ok = sum(
            by[("mlp", s)]["final_mean"] >= solved
            for s in range(args.first_seed, args.first_seed + args.seeds)
        )
        ml_best = sum(
            by[("mlp", s)]["best_checkpoint_mean"] >= solved
            for s in range(args.first_seed, args.first_seed + args.seeds)
        )
        lines.append(
            f"MLP seeds with final >= {solved}: {ml_ok}/{args.seeds}; "
            f"best checkpoint >= {solved}: {ml_best}/{args.seeds}."
        )
        lines.append(
            f"learn() time ratio spiking/MLP: median {statistics.median(ratios):.2f}, "
            f"max {max(ratios):.2f}."
        )
    lines += ["", "Raw results:", "", "```json", json.dumps(results, indent=1), "```", ""]
    out = Path(args.out) if args.out else RESULTS / f"rl_{args.algo}_{args.env}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    if args.plot:
        from curves import plot_curves  # benchmarks/curves.py

        title = f"{args.algo.upper()} {args.env}: spiking (solid) vs MLP (dashed)"
        plot_curves(results, title, solved, out.with_suffix(".png"))
        lines.insert(lines.index("Raw results:"), f"Curves: {out.with_suffix('.png').name}\n")
    out.write_text("\n".join(lines))
    print("\n".join(lines[: lines.index("Raw results:")]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
