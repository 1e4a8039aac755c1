"""The ``spikeagents`` command: argparse only, one module per command group, every command a
function of :mod:`spikeagents.api`.

- :mod:`spikeagents.cli.rl`: ``train``, ``enjoy``, ``record``, ``evaluate``, ``benchmark``, ``zoo``
- :mod:`spikeagents.cli.classify`: ``classify`` (train, ``--eval``, ``--resume``, ``--predict``)
- :mod:`spikeagents.cli.convert`: ``convert``
- :mod:`spikeagents.cli.common`: the options several commands share

User errors (bad config, unknown env, missing run) print one line and exit with code 2;
Ctrl-C during training saves a checkpoint and exits with 130; a closed output pipe
(``spikeagents evaluate ... | head``) ends quietly with 141. Tracebacks are for bugs.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from spikeagents import api
from spikeagents.cli import classify, convert, rl

__all__ = ["main", "build_parser"]


def build_parser() -> argparse.ArgumentParser:
    """The whole ``spikeagents`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="spikeagents",
        description="Spiking neural networks as RL agents: train, watch, evaluate, benchmark.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    rl.add_parsers(sub)
    classify.add_parser(sub)
    convert.add_parser(sub)
    return parser


def _run(args: argparse.Namespace, argv: Sequence[str]) -> int:
    if args.command == "classify":
        return classify.run(args, argv)
    if args.command == "convert":
        return convert.run(args, argv)
    return rl.run(args, argv)


def _quiet_stdout() -> None:
    """After a broken pipe: send what is left of stdout nowhere (Python's documented recipe)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        return _run(args, argv)
    except api.TrainingInterrupted as stop:
        print(
            f"\ninterrupted: checkpoint saved in {stop.run_dir}; resume with "
            f"`spikeagents train {args.algo} {args.env} --resume {stop.run_dir}`",
            file=sys.stderr,
        )
        return 130
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _quiet_stdout()
        return 141
    except api.USER_ERRORS as err:
        print(f"spikeagents: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
