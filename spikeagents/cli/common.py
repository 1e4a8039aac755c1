"""What several subcommands share: ``--set``, where an agent comes from, how to act."""

from __future__ import annotations

import argparse
import inspect
from collections.abc import Callable, Sequence
from typing import Any

from spikeagents import api

__all__ = ["add_set_option", "add_agent_source", "positive_int", "call"]


def positive_int(text: str) -> int:
    """An argparse type: an integer >= 1 (``--episodes 0`` is an error, not "the default")."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


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


def add_agent_source(p: argparse.ArgumentParser) -> None:
    """``ALGO ENV [--run-dir D | --zoo] [--runs-root D] [--seed N] [--deterministic |
    --stochastic]``: the arguments of every command that loads an agent."""
    p.add_argument("algo", help=", ".join(api.ALGO_NAMES))
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


def call(
    func: Callable[..., Any],
    args: argparse.Namespace,
    argv: Sequence[str] | None,
    **explicit: Any,
) -> Any:
    """Call the API function ``func`` with the parsed arguments named like its parameters.

    ``--no-progress`` becomes ``progress``, the command line (``argv``; ``None``: this process's)
    ``command``, where ``func`` takes them; an ``env`` argument is ``func``'s ``env_id``;
    ``explicit`` arguments win over parsed ones.
    """
    params = inspect.signature(func).parameters
    parsed = dict(vars(args))
    if "env" in parsed:
        parsed["env_id"] = parsed.pop("env")
    values = {key: value for key, value in parsed.items() if key in params}
    if "progress" in params and hasattr(args, "no_progress"):
        values["progress"] = not args.no_progress
    if "command" in params:
        values["command"] = api.command_line(argv)
    values.update(explicit)
    return func(**values)
