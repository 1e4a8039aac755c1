"""How much of `make train` is evaluation: the one-at-a-time evaluation loop against evaluation
on a vector of environments, same recipe, same seed, in one run.

Runs ``spikeagents train ppo CartPole-v1 --seed 1`` (what ``make train`` runs) twice, one after
the other on an idle machine:

- ``one at a time``: ``--set env.eval_envs=1``, each evaluation episode after the previous one,
  one forward pass per environment step (the loop every evaluation used before);
- ``side by side``: the default, all of an evaluation's episodes at once, one forward pass per
  step for all of them.

Both evaluate the same seeded episodes, so their scores are identical; only the time differs.
The evaluation share is every evaluation's time (periodic and final, ``eval_seconds``) over the
pure learning time (``learn_seconds_without_eval``). Writes ``benchmarks/results/eval_share.md``.

    python benchmarks/eval_share.py [--seed 1] [--out benchmarks/results/eval_share.md]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run(name: str, extra: list[str], seed: int, work: Path) -> dict:
    run_dir = work / name.replace(" ", "_")
    cmd = [sys.executable, "-m", "spikeagents", "train", "ppo", "CartPole-v1", "--seed", str(seed)]
    cmd += ["--run-dir", str(run_dir), "--no-progress", *extra]
    started = time.time()
    subprocess.run(cmd, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    summary = json.loads((run_dir / "summary.json").read_text())
    summary["wall_seconds"] = time.time() - started
    summary["command"] = " ".join(["spikeagents", *cmd[3:]])
    return summary


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "eval_share.md"))
    args = p.parse_args(argv)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    work = Path(tempfile.mkdtemp(prefix="eval_share_"))
    rows = {
        "one at a time": run("one at a time", ["--set", "env.eval_envs=1"], args.seed, work),
        "side by side": run("side by side", [], args.seed, work),
    }
    lines = [
        f"# Evaluation share of `make train` (PPO CartPole-v1, seed {args.seed}), commit {commit}",
        "",
        f"`python benchmarks/eval_share.py --seed {args.seed}`: the two runs one after the other "
        "in one script, 2-core CPU, torch threads 1.",
        "",
        "| evaluation | wall s | learn() s | learning s | eval s (periodic + final) | "
        "eval share | final mean | first solved step |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, s in rows.items():
        share = s["eval_seconds"] / s["learn_seconds_without_eval"]
        lines.append(
            f"| {name} | {s['wall_seconds']:.1f} | {s['learn_seconds']:.1f} | "
            f"{s['learn_seconds_without_eval']:.1f} | {s['eval_seconds']:.1f} | {share:.1%} | "
            f"{s['final_eval_mean']:.1f} | {s['first_solved_step']} |"
        )
    one, side = rows["one at a time"], rows["side by side"]
    lines += [
        "",
        f"Evaluation time, side by side / one at a time: "
        f"{side['eval_seconds'] / one['eval_seconds']:.2f}x; wall time "
        f"{side['wall_seconds'] / one['wall_seconds']:.2f}x.",
        "",
        "Commands:",
        *[f"- {name}: `{s['command']}`" for name, s in rows.items()],
        "",
    ]
    text = "\n".join(lines)
    Path(args.out).write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
