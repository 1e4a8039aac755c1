"""Learning curves of spiking and MLP runs in one PNG (used by rl_learning.py and rl_runs.py)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any


def plot_curves(
    runs: Sequence[dict[str, Any]], title: str, target: float | None, out: Path
) -> None:
    """``runs``: dicts with ``kind`` (``spiking`` or ``mlp``), ``seed`` and ``history``
    (``[(step, mean return), ...]``). Spiking solid, MLP dashed, one colour per seed."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
    seeds = sorted({r["seed"] for r in runs}, key=lambda s: (s is None, s))
    for r in runs:
        if not r["history"]:
            continue
        steps, means = zip(*r["history"], strict=True)
        colour = f"C{seeds.index(r['seed']) % 10}"
        style = "-" if r["kind"] == "spiking" else "--"
        ax.plot(steps, means, style, color=colour, label=f"{r['kind']} seed {r['seed']}")
    if target is not None:
        ax.axhline(target, color="grey", linewidth=0.8, linestyle=":", label=f"target {target:g}")
    ax.set(title=title, xlabel="environment steps", ylabel="mean return (periodic evaluation)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.savefig(out, dpi=120)
    plt.close(fig)
