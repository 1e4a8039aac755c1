"""Training throughput of ``fashion-conv`` (images per second, CPU): the fused ``cpu`` neuron
backend against the ``torch`` reference backend, in one process.

The docs' network (C=128, H=2048, IF neurons, T=4) is trained with SGD on batches of 28x28
images from scikit-learn's digits (as upsampled for ``data=digits``). One training step is
forward, MSE loss, backward, optimiser step and ``reset_net``, as in the trainer. The two
backends alternate round by round (same weights at the start of each round, same batches) so
that changes in the machine's load hit both alike; each figure is the median over rounds.

Usage::

    python benchmarks/classify_fashion_throughput.py [--batch 64] [--steps 6] [--rounds 3]
        [--threads 0]

Writes ``benchmarks/results/classify_fashion_throughput.md``.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F

from spikeagents.classify.config import load_classify_config
from spikeagents.classify.tasks import get_task
from spikeagents.datasets.mnist import load_digits_28
from spikeagents.snn import functional

RESULTS = Path(__file__).resolve().parent / "results"
BACKENDS = ("torch", "cpu")


def images_per_second(model: torch.nn.Module, batches: list, lr: float) -> float:
    opt = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    model.train()
    start = time.perf_counter()
    n = 0
    for x, y in batches:
        opt.zero_grad(set_to_none=True)
        loss = F.mse_loss(model(x), F.one_hot(y, 10).float())
        loss.backward()
        opt.step()
        functional.reset_net(model)
        n += len(y)
    return n / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=6, help="training steps per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: default)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    x_train, y_train, _, _ = load_digits_28()
    x, y = torch.from_numpy(x_train), torch.from_numpy(y_train)
    batches = [
        (x[i * args.batch : (i + 1) * args.batch], y[i * args.batch : (i + 1) * args.batch])
        for i in range(args.steps)
    ]
    cfg = load_classify_config("fashion-conv", overrides=["data=digits", "backend=torch"])
    base = get_task("fashion-conv").build_model(cfg)
    load_before = os.getloadavg()
    rates: dict[str, list[float]] = {b: [] for b in BACKENDS}
    for backend in BACKENDS:  # warm-up (compiles the cpu kernel, allocator)
        model = copy.deepcopy(base)
        functional.set_backend(model, backend)
        images_per_second(model, batches[:1], cfg.optimizer.lr)
    for r in range(args.rounds):
        for backend in BACKENDS if r % 2 == 0 else BACKENDS[::-1]:
            model = copy.deepcopy(base)
            functional.set_backend(model, backend)
            rates[backend].append(images_per_second(model, batches, cfg.optimizer.lr))
            print(f"round {r + 1}: {backend}: {rates[backend][-1]:.1f} images/s", flush=True)
    med = {b: statistics.median(v) for b, v in rates.items()}
    rows = [
        f"| {b} | {med[b]:.1f} | {', '.join(f'{v:.1f}' for v in rates[b])} | "
        f"{med[b] / med['torch']:.2f} |"
        for b in BACKENDS
    ]
    cmd = "python benchmarks/classify_fashion_throughput.py " + " ".join(argv or sys.argv[1:])
    text = "\n".join(
        [
            "# fashion-conv training throughput on CPU: fused `cpu` backend vs `torch`",
            "",
            f"Command: `{cmd.strip()}`",
            f"Started {datetime.datetime.now().isoformat(timespec='seconds')}; torch "
            f"{torch.__version__}; {platform.processor() or platform.machine()}; "
            f"{torch.get_num_threads()} threads; load average before: "
            f"{' '.join(f'{v:.2f}' for v in load_before)}, after: "
            f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}.",
            "",
            f"The docs' network (C=128, H=2048, IF, ATan, T=4), SGD, batch {args.batch}, "
            f"{args.steps} training steps per measurement on scikit-learn digits at 28x28; "
            f"backends alternate over {args.rounds} rounds; median images per second.",
            "",
            "| backend | images/s (median) | per round | vs torch |",
            "|---|---:|---|---:|",
            *rows,
            "",
        ]
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "classify_fashion_throughput.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
