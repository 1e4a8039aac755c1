"""The RL subcommands: ``train``, ``enjoy``, ``record``, ``evaluate``, ``benchmark``, ``zoo``."""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from typing import Any

from spikeagents import api
from spikeagents.cli.common import add_agent_source, add_set_option, call, positive_int

__all__ = ["add_parsers", "COMMANDS", "run"]

#: the subcommands this module runs
COMMANDS = ("train", "enjoy", "record", "evaluate", "benchmark", "zoo")


def add_parsers(sub: Any) -> None:
    """Add the RL subcommands to the ``spikeagents`` subparsers."""
    t = sub.add_parser("train", help="train a spiking agent", description="Train a spiking agent.")
    t.add_argument("algo", help=", ".join(api.ALGO_NAMES))
    t.add_argument("env", help="gymnasium env id, e.g. CartPole-v1")
    t.add_argument("--config", help="YAML keyed by env id (default: configs/rl/<algo>.yaml)")
    add_set_option(t, "a config value, e.g. --set policy.T=16")
    t.add_argument("--seed", type=int)
    t.add_argument("--timesteps", type=int, help="total environment steps")
    t.add_argument("--n-envs", type=positive_int)
    t.add_argument("--device", help="cpu or cuda (default: from the config, cpu)")
    t.add_argument("--run-dir", help="where to write the run (default: runs/<algo>/<env>_<n>)")
    t.add_argument("--runs-root", default="runs")
    t.add_argument("--resume", metavar="RUN_DIR", help="continue an interrupted run")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.add_argument(
        "--stop-when-solved",
        action="store_true",
        help="end training at the first evaluation that reaches the env's solved score "
        "(recorded in summary.json; same as --set stop_when_solved=true)",
    )
    t.add_argument(
        "--mlp",
        action="store_true",
        help="train SB3's MlpPolicy with the same recipe instead: the non-spiking baseline "
        "(runs/<algo>/<env>-mlp_<n>; same as --set policy_type=mlp)",
    )

    e = sub.add_parser("enjoy", help="watch an agent play in a window")
    add_agent_source(e)
    e.add_argument("--episodes", type=positive_int, default=3)

    r = sub.add_parser("record", help="record a video (MP4 or GIF) of an agent")
    add_agent_source(r)
    r.add_argument("--out", required=True, help="output file, .mp4 or .gif")
    r.add_argument("--episodes", type=positive_int, default=1)
    r.add_argument(
        "--spikes",
        action="store_true",
        help="add a panel with the hidden layer's spikes and the readout potentials",
    )
    r.add_argument("--max-frames", type=positive_int)
    r.add_argument("--fps", type=positive_int, default=30)

    v = sub.add_parser("evaluate", help="mean and std reward over N episodes, as JSON")
    add_agent_source(v)
    v.add_argument("--episodes", type=positive_int, help="default: the env config's eval_episodes")

    b = sub.add_parser("benchmark", help="re-evaluate the zoo and write zoo/README.md's table")
    b.add_argument("--zoo", dest="zoo_dir", help="zoo directory (default: the shipped zoo)")
    b.add_argument("--episodes", type=positive_int)

    z = sub.add_parser("zoo", help="list the zoo, or add a run to it")
    zsub = z.add_subparsers(dest="zoo_command", required=True, metavar="ZOO_COMMAND")
    zl = zsub.add_parser("list", help="list the zoo's agents")
    zl.add_argument("--zoo", dest="zoo_dir")
    za = zsub.add_parser("add", help="evaluate a run and store it in the zoo")
    za.add_argument("run_dir")
    za.add_argument("--zoo", dest="zoo_dir")
    za.add_argument("--episodes", type=positive_int)
    za.add_argument(
        "--best", action="store_true", help="store the best evaluated checkpoint, not the final"
    )
    za.add_argument(
        "--target",
        type=float,
        help="score the agent must reach in `benchmark` (default: the env's solved score)",
    )


def _train(args: argparse.Namespace, argv: Sequence[str]) -> int:
    flags = ["policy_type=mlp"] if args.mlp else []
    flags += ["stop_when_solved=true"] if args.stop_when_solved else []
    summary = call(api.train, args, argv, overrides=[*args.overrides, *flags])
    print(json.dumps(summary, indent=2))
    print(
        f"saved to {summary['run_dir']}  (watch it: spikeagents record {args.algo} "
        f"{args.env} --run-dir {summary['run_dir']} --out {args.env}.mp4"
        + (" --spikes)" if summary["policy_type"] == "spiking" else ")")
    )
    return 0


def run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    """Run a parsed RL subcommand; returns the exit code."""
    if args.command == "train":
        return _train(args, argv)
    if args.command == "enjoy":
        print(json.dumps({"returns": call(api.enjoy, args, argv)}))
    elif args.command == "benchmark":
        print(call(api.benchmark, args, argv), end="")
    elif args.command == "zoo" and args.zoo_command == "list":
        rows = api.zoo_list(args.zoo_dir)
        if not rows:
            print("the zoo is empty")
        for row in rows:
            print(
                f"{row['algo']:<4} {row['env']:<18} mean {row['mean_reward']:>8.1f} "
                f"± {row['std_reward']:<6.1f} {row['timesteps']:>8} steps  {row['path']}"
            )
    else:  # evaluate, record, zoo add: a JSON result
        func = {"evaluate": api.evaluate, "record": api.record, "zoo": api.zoo_add}[args.command]
        print(json.dumps(call(func, args, argv), indent=2))
    return 0
