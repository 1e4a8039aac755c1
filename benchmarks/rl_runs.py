"""Table of finished `spikeagents train` runs, read from their run directories (never typed).

For each run: the command that made it, its seed, the final evaluation (the env's
``eval_episodes``, deterministic), the best periodic evaluation and the step it came at, the
first step whose periodic evaluation reached the env's solved score, and ``learn()`` time.

    python benchmarks/rl_runs.py runs/a2c/CartPole-v1_* --title "A2C on CartPole-v1" \\
        --out benchmarks/results/rl_a2c_CartPole-v1.md

Spiking runs and their ``--mlp`` twins can be mixed: the table then gives each seed's learn()
time ratio, and ``--plot`` draws both curves (spiking solid, MLP dashed) into a PNG.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path


def run_row(run_dir: Path) -> dict:
    summary = json.loads((run_dir / "summary.json").read_text())
    with (run_dir / "evaluations.csv").open() as f:
        evals = [(int(r["timesteps"]), float(r["mean_reward"])) for r in csv.DictReader(f)]
    best_step, best = max(evals, key=lambda e: e[1]) if evals else (None, None)
    command = (run_dir / "command.txt").read_text().strip().splitlines()
    return {
        "run": run_dir.name,
        "command": command[0] if command else "",
        "resumed": len(command) > 1,
        **summary,
        "best_periodic": best,
        "best_step": best_step,
        "history": evals,
    }


def table(rows: list[dict], title: str) -> list[str]:
    solved = rows[0]["solved_score"]
    lines = [
        f"# {title}",
        "",
        "Read from the run directories by `python benchmarks/rl_runs.py` (evaluations.csv and "
        "summary.json). `final`: deterministic evaluation of the final model; `best periodic`: "
        "the best periodic evaluation during training (its checkpoint is the run's "
        "best_model.zip); `first solved`: first periodic evaluation at or above the solved score "
        f"({solved}).",
        "",
        "| policy | seed | final | best periodic (step) | first solved | steps | learn s "
        "| command |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r.get('policy_type', 'spiking')} | {r['seed']} | {r['final_eval_mean']:.1f} | "
            f"{r['best_periodic']:.1f} "
            f"({r['best_step']}) | {r['first_solved_step']} | {r['timesteps']} | "
            f"{r['learn_seconds_without_eval']} | `{r['command']}` |"
        )
    if solved is not None:
        final_ok = sum(r["final_eval_mean"] >= solved for r in rows)
        best_ok = sum(r["best_periodic"] >= solved for r in rows)
        lines += [
            "",
            f"Final evaluation >= {solved}: {final_ok}/{len(rows)} runs; "
            f"a periodic evaluation >= {solved}: {best_ok}/{len(rows)} runs.",
        ]
    by = {(r.get("policy_type", "spiking"), r["seed"]): r for r in rows}
    ratios = [
        f"seed {seed}: {r['learn_seconds_without_eval'] / mlp['learn_seconds_without_eval']:.2f}"
        for (kind, seed), r in by.items()
        if kind == "spiking" and (mlp := by.get(("mlp", seed))) is not None
    ]
    if ratios:
        lines += [
            "",
            f"learn() time, spiking / MLP (same seed, run side by side): {'; '.join(ratios)}.",
        ]
    return lines


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("run_dirs", nargs="+", type=Path)
    p.add_argument("--title", default="Training runs")
    p.add_argument("--out", type=Path, help="write the Markdown table here (default: print only)")
    p.add_argument("--plot", type=Path, help="also draw the curves into this PNG")
    p.add_argument("--target", type=float, help="a line on the plot (default: the solved score)")
    args = p.parse_args(argv)
    missing = [str(d) for d in args.run_dirs if not (d / "summary.json").exists()]
    if missing:
        p.error(f"not finished run directories (no summary.json): {', '.join(missing)}")
    rows = sorted((run_row(d) for d in args.run_dirs), key=lambda r: (r["seed"] is None, r["seed"]))
    lines = table(rows, args.title)
    if args.plot:
        from curves import plot_curves  # benchmarks/curves.py

        runs = [{**r, "kind": r.get("policy_type", "spiking")} for r in rows]
        target = args.target if args.target is not None else rows[0]["solved_score"]
        plot_curves(runs, args.title, target, args.plot)
        lines += ["", f"Curves: {args.plot.name}"]
    print("\n".join(lines))
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        extra = ["", "Raw results:", "", "```json", json.dumps(rows, indent=1), "```", ""]
        args.out.write_text("\n".join(lines + extra))
    return 0


if __name__ == "__main__":
    sys.exit(main())
