"""Stateful spiking policies on the masked-velocity tasks, beside RecurrentPPO's LSTM and the
stateless spiking policy, same recipe, same seeds.

For every seed three runs of ``spikeagents train ppo ENV`` (the recipe of configs/rl/ppo.yaml):

- ``stateful spiking``: the recipe as it is (SpikingRecurrentPolicy under RecurrentPPO);
- ``LSTM``: ``--mlp`` (RecurrentPPO's MlpLstmPolicy, the RL Zoo's ppo_lstm);
- ``stateless spiking`` (``--stateless``): ``--set stateful=false`` and the feed-forward spiking
  settings of the plain task's recipe: the same network without memory, which should fail.

Runs go two at a time in separate processes (one torch thread each). Each run's final
deterministic evaluation (the env file's episodes) and its ``learn()`` time without evaluations
come from its ``summary.json``. Writes a markdown table (``--out``).

    python benchmarks/rl_stateful.py --env CartPoleNoVel-v1 --seeds 3 [--stateless]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: the stateless spiking network for the comparison: the plain tasks' recipes' settings
STATELESS = {
    "CartPoleNoVel-v1": ["policy.T=8", "policy.hidden_sizes=[128]", "policy.neuron=if"],
    "PendulumNoVel-v1": ["policy.T=16", "policy.hidden_sizes=[64]", "policy.neuron=if"],
}


def train(env: str, seed: int, kind: str, work: Path, extra: list[str]) -> dict:
    run_dir = work / f"{kind.replace(' ', '_')}_{seed}"
    cmd = ["spikeagents", "train", "ppo", env, "--seed", str(seed), "--no-progress"]
    if kind == "LSTM":
        cmd.append("--mlp")
    if kind == "stateless spiking":
        cmd += ["--set", "stateful=false", "--set", "policy.recurrent_synapses=false"]
        for item in STATELESS.get(env, []):
            cmd += ["--set", item]
    for item in extra:
        cmd += ["--set", item]
    started = time.time()
    subprocess.run(
        [sys.executable, "-m", *cmd, "--run-dir", str(run_dir)],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    summary = json.loads((run_dir / "summary.json").read_text())
    evaluations = (run_dir / "evaluations.csv").read_text().splitlines()[1:]
    summary.update(kind=kind, seed=seed, command=" ".join(cmd), wall=time.time() - started)
    summary["curve"] = [round(float(row.split(",")[1]), 1) for row in evaluations]
    return summary


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--env", default="CartPoleNoVel-v1")
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--first-seed", type=int, default=0)
    p.add_argument("--stateless", action="store_true", help="also the stateless spiking policy")
    p.add_argument("--set", dest="overrides", action="append", default=[], help="recipe override")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out", help="default: benchmarks/results/rl_stateful_<env>.md")
    args = p.parse_args(argv)
    kinds = ["stateful spiking", "LSTM"] + (["stateless spiking"] if args.stateless else [])
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    work = Path(tempfile.mkdtemp(prefix="rl_stateful_"))
    started = time.time()
    with ThreadPoolExecutor(args.workers) as pool:
        jobs = [
            pool.submit(train, args.env, seed, kind, work, args.overrides if kind != "LSTM" else [])
            for seed in seeds
            for kind in kinds
        ]
        results = [job.result() for job in jobs]
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    solved = results[0]["solved_score"]
    lines = [
        f"# Stateful spiking PPO on {args.env} (commit {commit})",
        "",
        f"Command: `python benchmarks/rl_stateful.py {' '.join(argv or sys.argv[1:])}`".rstrip(),
        f"Runs two at a time, one torch thread each; total wall time "
        f"{time.time() - started:.0f} s. `final`: deterministic evaluation at the end (the env "
        "file's episodes); `learn s`: learn() without evaluations; `curve`: the periodic "
        "evaluations.",
        "",
        "| kind | seed | final | learn s | curve |",
        "|---|---|---|---|---|",
    ]
    for r in sorted(results, key=lambda r: (kinds.index(r["kind"]), r["seed"])):
        curve = ", ".join(str(v) for v in r["curve"])
        lines.append(
            f"| {r['kind']} | {r['seed']} | {r['final_eval_mean']:.1f} | "
            f"{r['learn_seconds_without_eval']:.1f} | {curve} |"
        )
    lines.append("")
    for kind in kinds:
        rows = [r for r in results if r["kind"] == kind]
        finals = [r["final_eval_mean"] for r in rows]
        ok = sum(solved is not None and f >= solved for f in finals)
        lines.append(
            f"- {kind}: final >= {solved} in {ok}/{len(rows)}; mean final "
            f"{statistics.mean(finals):.1f}; commands like `{rows[0]['command']}`"
        )
    spiking = {r["seed"]: r for r in results if r["kind"] == "stateful spiking"}
    lstm = {r["seed"]: r for r in results if r["kind"] == "LSTM"}
    ratios = [
        spiking[s]["learn_seconds_without_eval"] / lstm[s]["learn_seconds_without_eval"]
        for s in spiking
        if s in lstm
    ]
    if ratios:
        lines.append(
            f"- learn() time, stateful spiking / LSTM: median {statistics.median(ratios):.2f}, "
            f"max {max(ratios):.2f}"
        )
    lines.append("")
    text = "\n".join(lines)
    env_name = args.env.replace("/", "_")
    out = (
        Path(args.out)
        if args.out
        else ROOT / "benchmarks" / "results" / f"rl_stateful_{env_name}.md"
    )
    out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
