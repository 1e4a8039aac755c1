"""`make train` on a fresh clone, timed next to SB3's MLP PPO trained with the same recipe.

1. ``git clone`` this repository's HEAD into a temporary folder and run ``make setup`` there
   (creates ``.venv`` and installs everything; timed on its own).
2. At the same time, in two processes: ``make train`` (the spiking PPO agent on CartPole-v1,
   seed 1) and ``spikeagents train ppo CartPole-v1 --seed 1 --mlp`` (SB3's ``MlpPolicy``, same
   hyperparameters, same periodic evaluation), both from the clone's ``.venv``.

Writes ``benchmarks/results/make_train.md`` with both wall times, the ``learn()`` times from each
run's ``summary.json`` and the final 20-episode evaluations.

    python benchmarks/make_train.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"


def _timed(cmd: list[str], cwd: Path, log: Path) -> subprocess.Popen:
    return subprocess.Popen(cmd, cwd=cwd, stdout=log.open("w"), stderr=subprocess.STDOUT)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--keep", help="clone into this folder and keep it (default: a temporary one)")
    args = p.parse_args(argv)
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="make_train_"))
    clone = work / "spikeagents"
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)

    started = time.time()
    subprocess.run(["make", "setup"], cwd=clone, check=True, stdout=subprocess.DEVNULL)
    setup_s = time.time() - started
    print(f"make setup: {setup_s:.0f} s", flush=True)

    mlp_cmd = [".venv/bin/spikeagents", "train", "ppo", "CartPole-v1", "--seed", "1", "--mlp"]
    walls: dict[str, float] = {}
    started = time.time()
    procs = {
        "spiking": _timed(["make", "train"], clone, work / "spiking.log"),
        "mlp": _timed([*mlp_cmd, "--no-progress"], clone, work / "mlp.log"),
    }
    while len(walls) < len(procs):
        for name, proc in procs.items():
            if name not in walls and proc.poll() is not None:
                walls[name] = time.time() - started
                if proc.returncode != 0:
                    print((work / f"{name}.log").read_text()[-3000:], file=sys.stderr)
                    raise SystemExit(f"{name} training failed (rc {proc.returncode})")
        time.sleep(0.5)
    runs = {
        "spiking": clone / "runs" / "ppo" / "CartPole-v1_1",
        "mlp": clone / "runs" / "ppo" / "CartPole-v1-mlp_1",
    }
    summaries = {k: json.loads((v / "summary.json").read_text()) for k, v in runs.items()}
    sp, ml = summaries["spiking"], summaries["mlp"]
    lines = [
        "# `make train` on a fresh clone, next to SB3's MLP PPO (same recipe, same run)",
        "",
        f"Command: `python benchmarks/make_train.py` (commit {commit}). `make setup` ran first "
        f"({setup_s:.0f} s: venv + pip install from the package registry); then `make train` "
        f"and `{' '.join(mlp_cmd)}` ran at the same time in two processes (one torch thread "
        "each). Both run the same periodic and final deterministic evaluations (every 10k "
        "steps, 20 episodes: configs/rl/ppo.yaml, envs/CartPole-v1.yaml).",
        "",
        "| | spiking (`make train`) | MLP | ratio |",
        "|---|---|---|---|",
        f"| wall time of the command, s | {walls['spiking']:.1f} | {walls['mlp']:.1f} | "
        f"{walls['spiking'] / walls['mlp']:.2f} |",
        f"| learn() without evaluation, s | {sp['learn_seconds_without_eval']} | "
        f"{ml['learn_seconds_without_eval']} | "
        f"{sp['learn_seconds_without_eval'] / ml['learn_seconds_without_eval']:.2f} |",
        f"| final evaluation (20 episodes) | {sp['final_eval_mean']} | {ml['final_eval_mean']} | |",
        f"| first periodic evaluation >= 475 at step | {sp['first_solved_step']} | "
        f"{ml['first_solved_step']} | |",
        "",
        f"`make setup` + `make train` on a fresh clone: {setup_s + walls['spiking']:.0f} s.",
        "",
        "Summaries:",
        "",
        "```json",
        json.dumps(summaries, indent=1),
        "```",
        "",
    ]
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "make_train.md").write_text("\n".join(lines))
    print("\n".join(lines[: lines.index("Summaries:")]))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
