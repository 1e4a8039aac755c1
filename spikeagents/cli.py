"""The ``spikeagents`` command: a thin argparse layer over :mod:`spikeagents.api`.

User errors (bad config, unknown env, missing run) print one line and exit with code 2;
Ctrl-C during training saves a checkpoint and exits with 130. Tracebacks are for bugs.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Sequence

__all__ = ["main", "build_parser"]


def _add_agent_source(p: argparse.ArgumentParser) -> None:
    p.add_argument("algo", help="ppo, a2c or dqn")
    p.add_argument("env", help="gymnasium env id, e.g. CartPole-v1")
    src = p.add_mutually_exclusive_group()
    src.add_argument("--run-dir", help="a training run directory (default: the latest run)")
    src.add_argument("--zoo", action="store_true", help="use the agent from the zoo")
    p.add_argument("--runs-root", default="runs", help="where runs are looked for (default: runs)")
    p.add_argument("--seed", type=int, default=0, help="env seed (default: 0)")
    det = p.add_mutually_exclusive_group()
    det.add_argument(
        "--deterministic",
        dest="deterministic",
        action="store_true",
        default=True,
        help="act greedily (default)",
    )
    det.add_argument(
        "--stochastic",
        dest="deterministic",
        action="store_false",
        help="sample actions from the policy",
    )


def add_set_option(parser: argparse.ArgumentParser, what: str) -> None:
    """``--set KEY=VALUE`` (repeatable) into ``args.overrides``; ``what`` completes "override"."""
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"override {what} (repeatable)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="spikeagents",
        description="Spiking neural networks as RL agents: train, watch, evaluate, benchmark.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    t = sub.add_parser("train", help="train a spiking agent", description="Train a spiking agent.")
    t.add_argument("algo", help="ppo, a2c or dqn")
    t.add_argument("env", help="gymnasium env id, e.g. CartPole-v1")
    t.add_argument("--config", help="YAML keyed by env id (default: configs/rl/<algo>.yaml)")
    add_set_option(t, "a config value, e.g. --set policy.T=16")
    t.add_argument("--seed", type=int)
    t.add_argument("--timesteps", type=int, help="total environment steps")
    t.add_argument("--n-envs", type=int)
    t.add_argument("--device", help="cpu or cuda (default: from the config, cpu)")
    t.add_argument("--run-dir", help="where to write the run (default: runs/<algo>/<env>_<n>)")
    t.add_argument("--runs-root", default="runs")
    t.add_argument("--resume", metavar="RUN_DIR", help="continue an interrupted run")
    t.add_argument("--no-progress", action="store_true", help="no progress bar")
    t.add_argument(
        "--mlp",
        action="store_true",
        help="train SB3's MlpPolicy with the same recipe instead: the non-spiking baseline "
        "(runs/<algo>/<env>-mlp_<n>; same as --set policy_type=mlp)",
    )

    e = sub.add_parser("enjoy", help="watch an agent play in a window")
    _add_agent_source(e)
    e.add_argument("--episodes", type=int, default=3)

    r = sub.add_parser("record", help="record a video (MP4 or GIF) of an agent")
    _add_agent_source(r)
    r.add_argument("--out", required=True, help="output file, .mp4 or .gif")
    r.add_argument("--episodes", type=int, default=1)
    r.add_argument(
        "--spikes",
        action="store_true",
        help="add a panel with the hidden layer's spikes and the readout potentials",
    )
    r.add_argument("--max-frames", type=int)
    r.add_argument("--fps", type=int, default=30)

    v = sub.add_parser("evaluate", help="mean and std reward over N episodes, as JSON")
    _add_agent_source(v)
    v.add_argument("--episodes", type=int, help="default: the env config's eval_episodes")

    b = sub.add_parser("benchmark", help="re-evaluate the zoo and write zoo/README.md's table")
    b.add_argument("--zoo", dest="zoo_dir", help="zoo directory (default: the shipped zoo)")
    b.add_argument("--episodes", type=int)

    z = sub.add_parser("zoo", help="list the zoo, or add a run to it")
    zsub = z.add_subparsers(dest="zoo_command", required=True, metavar="ZOO_COMMAND")
    zl = zsub.add_parser("list", help="list the zoo's agents")
    zl.add_argument("--zoo", dest="zoo_dir")
    za = zsub.add_parser("add", help="evaluate a run and store it in the zoo")
    za.add_argument("run_dir")
    za.add_argument("--zoo", dest="zoo_dir")
    za.add_argument("--episodes", type=int)
    za.add_argument(
        "--best", action="store_true", help="store the best evaluated checkpoint, not the final"
    )
    za.add_argument(
        "--target",
        type=float,
        help="score the agent must reach in `benchmark` (default: the env's solved score)",
    )

    from spikeagents.classify.cli import add_parser as add_classify_parser

    add_classify_parser(sub)
    from spikeagents.convert.cli import add_parser as add_convert_parser

    add_convert_parser(sub)
    return parser


def _run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    from spikeagents import api

    if args.command == "classify":
        from spikeagents.classify.cli import run as run_classify

        return run_classify(args, argv)
    if args.command == "convert":
        from spikeagents.convert.cli import run as run_convert

        return run_convert(args, argv)
    if args.command == "train":
        command = " ".join(shlex.quote(a) for a in ["spikeagents", *argv])
        summary = api.train(
            args.algo,
            args.env,
            config=args.config,
            overrides=[*args.overrides, *(["policy_type=mlp"] if args.mlp else [])],
            seed=args.seed,
            timesteps=args.timesteps,
            n_envs=args.n_envs,
            device=args.device,
            run_dir=args.run_dir,
            resume=args.resume,
            runs_root=args.runs_root,
            progress=not args.no_progress,
            command=command,
        )
        print(json.dumps(summary, indent=2))
        print(
            f"saved to {summary['run_dir']}  (watch it: spikeagents record {args.algo} "
            f"{args.env} --run-dir {summary['run_dir']} --out {args.env}.mp4"
            + (" --spikes)" if summary["policy_type"] == "spiking" else ")")
        )
        return 0
    if args.command in ("evaluate", "enjoy", "record"):
        # the arguments every agent subcommand shares (_add_agent_source)
        agent = dict(
            run_dir=args.run_dir,
            zoo=args.zoo,
            episodes=args.episodes,
            deterministic=args.deterministic,
            seed=args.seed,
            runs_root=args.runs_root,
        )
        if args.command == "evaluate":
            print(json.dumps(api.evaluate(args.algo, args.env, **agent), indent=2))
        elif args.command == "enjoy":
            print(json.dumps({"returns": api.enjoy(args.algo, args.env, **agent)}))
        else:
            res = api.record(
                args.algo,
                args.env,
                args.out,
                spikes=args.spikes,
                max_frames=args.max_frames,
                fps=args.fps,
                **agent,
            )
            print(json.dumps(res, indent=2))
        return 0
    if args.command == "benchmark":
        print(api.benchmark(args.zoo_dir, args.episodes), end="")
        return 0
    if args.command == "zoo":
        if args.zoo_command == "list":
            rows = api.zoo_list(args.zoo_dir)
            if not rows:
                print("the zoo is empty")
            for row in rows:
                print(
                    f"{row['algo']:<4} {row['env']:<18} mean {row['mean_reward']:>8.1f} "
                    f"± {row['std_reward']:<6.1f} {row['timesteps']:>8} steps  {row['path']}"
                )
            return 0
        added = api.zoo_add(
            args.run_dir, args.zoo_dir, args.episodes, best=args.best, target=args.target
        )
        print(json.dumps(added, indent=2))
        return 0
    raise AssertionError(args.command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    from spikeagents.api import NoDisplayError
    from spikeagents.rl.training import TrainingInterrupted
    from spikeagents.snn.kernels import BackendUnavailableError

    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        return _run(args, argv)
    except TrainingInterrupted as stop:
        print(
            f"\ninterrupted: checkpoint saved in {stop.run_dir}; resume with "
            f"`spikeagents train {args.algo} {args.env} --resume {stop.run_dir}`",
            file=sys.stderr,
        )
        return 130
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except (ValueError, FileNotFoundError, NoDisplayError, BackendUnavailableError) as err:
        print(f"spikeagents: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
