"""Benchmark the multi-step neuron kernels against a plain autograd loop of the same equation.

One process, the same inputs for every contender; each time is the median of repeats after a
warm-up. The neuron is a multi-step LIF (tau=2, hard reset to 0, threshold 1, decay_input) with
the ATan surrogate. Contenders:

- ``minimal``: the loop a competent user writes (the baseline of the ``x`` columns): the same
  equation with ``x_seq[t]`` in a Python time loop and the ATan surrogate as a small custom
  ``torch.autograd.Function``;
- ``loop``: the equation as a plain autograd loop over ``x_seq.unbind(0)``
  (``h = v + (x - v) * d``, ``s = ATan()(h - 1)`` with spikeagents' surrogate module,
  ``v = h * (1 - s)``, then ``torch.stack``): the baseline of earlier records;
- ``torch``: the reference kernel (the same loop through :mod:`spikeagents.snn.dynamics`; it
  indexes ``x_seq[t]``, whose backward adds a full ``[T, N]`` zero tensor per step);
- every fused backend available for the device (``cpu`` on CPU, ``cupy`` on CUDA).

Columns: forward without gradients, forward+backward (``out.backward(grad)`` with a dense
gradient, as a following layer would give), their speed-ups over ``minimal``, the fused kernel's own
forward and backward (its launcher called directly: no autograd), and the peak memory allocated
during one forward+backward above what existed before it (from the allocator's events).

Usage::

    python benchmarks/neurons.py            # T in {8, 32, 128}, N in {2^14, 2^18, 2^20}
    python benchmarks/neurons.py --quick    # the target sizes only, fewer repeats
    python benchmarks/neurons.py --device cuda --dtype float16   # on a GPU (N up to 2^20)

On a GPU every row also gets its bandwidth floor: the bytes the kernel must move at the least
(forward: read X, write S and V; forward+backward: that plus read X, V and dL/dS, write dL/dX:
7 T N elements) at the device-to-device copy bandwidth measured in the same run.

The table is printed and written to ``benchmarks/results/neurons_<device>.md``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("KINETO_LOG_LEVEL", "5")  # keep the profiler quiet

import torch  # noqa: E402
from torch import Tensor  # noqa: E402
from torch.profiler import ProfilerActivity, profile  # noqa: E402

from spikeagents.snn.dynamics import NeuronSpec  # noqa: E402
from spikeagents.snn.kernels import _fused, available_backends, get_kernel  # noqa: E402
from spikeagents.snn.surrogate import ATan  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
BASELINE = "minimal"  # the row the speed-ups are measured against
SPEC = NeuronSpec("lif", v_threshold=1.0, v_reset=0.0, decay_input=True)
DECAY = 0.5  # 1 / tau
MB = 2**20
REFERENCE_MAX_ELEMENTS = 2**24  # larger calls skip the (slow) reference kernel

Fn = Callable[[Tensor, Tensor], tuple[Tensor, Tensor]]


class _ATanSpike(torch.autograd.Function):
    """Heaviside forward, ATan surrogate backward (alpha 2): what a user writes in ten lines."""

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:  # type: ignore[override]
        ctx.save_for_backward(x)
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:  # type: ignore[override]
        (x,) = ctx.saved_tensors
        return grad / (1 + (torch.pi * x).square())  # alpha/2 / (1 + (pi/2 alpha x)^2)


def minimal_loop(x_seq: Tensor, v0: Tensor) -> tuple[Tensor, Tensor]:
    """The minimal plain-PyTorch LIF loop: hard reset, tau 2, time loop in Python."""
    v = v0
    spikes, vs = [], []
    for t in range(x_seq.shape[0]):
        h = v + (x_seq[t] - v) * DECAY
        s = _ATanSpike.apply(h - 1.0)
        v = h * (1.0 - s)
        spikes.append(s)
        vs.append(v)
    return torch.stack(spikes), torch.stack(vs)


def plain_loop(surrogate: ATan) -> Fn:
    """The LIF equation as a plain autograd loop: the baseline."""

    def run(x_seq: Tensor, v0: Tensor) -> tuple[Tensor, Tensor]:
        v = v0
        spikes, vs = [], []
        for x in x_seq.unbind(0):  # one backward node for all steps (x_seq[t] makes T)
            h = v + (x - v) * DECAY
            s = surrogate(h - 1.0)
            v = h * (1.0 - s)
            spikes.append(s)
            vs.append(v)
        return torch.stack(spikes), torch.stack(vs)

    return run


def kernel_fn(backend: str, device: torch.device, surrogate: ATan) -> Fn:
    kernel = get_kernel("lif", backend, device)
    return lambda x, v0: kernel(x, v0, SPEC, surrogate, DECAY)


def launcher_for(backend: str, dtype: torch.dtype) -> _fused.Launcher | None:
    """The fused backend's launcher (to time the kernel alone), or None for the loops."""
    if backend == "cpu":
        from spikeagents.snn.kernels import cpu

        return cpu._launcher(dtype)
    if backend == "cupy":
        from spikeagents.snn.kernels.cupy_backend import CudaLauncher

        return CudaLauncher(dtype)
    return None


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def median_time(fn: Callable[[], object], device: torch.device, budget: float) -> float:
    """Median seconds of ``fn`` after a warm-up; repeats fill about ``budget`` seconds."""
    sync(device)
    t0 = time.perf_counter()
    fn()  # warm-up (also sizes the repeats)
    sync(device)
    first = time.perf_counter() - t0
    if first < budget / 4:
        fn()
    reps = int(min(25, max(3, budget / max(first, 1e-6))))
    times = []
    for _ in range(reps):
        sync(device)
        t0 = time.perf_counter()
        fn()
        sync(device)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def peak_extra_bytes(fn: Callable[[], object], device: torch.device) -> int:
    """The most memory allocated at once while ``fn`` runs, above what was allocated before."""
    if device.type == "cuda":
        sync(device)
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
        fn()
        sync(device)
        return torch.cuda.max_memory_allocated(device) - base
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        fn()
    events = sorted(
        (e.start_ns(), e.nbytes())
        for e in prof.profiler.kineto_results.events()  # type: ignore[union-attr]
        if e.name() == "[memory]" and e.device_type() == torch.autograd.DeviceType.CPU
    )
    current = peak = 0
    for _, nbytes in events:
        current += nbytes
        peak = max(peak, current)
    return peak


@dataclass
class Row:
    T: int
    N: int
    name: str
    fwd: float
    fwd_bwd: float
    peak: int
    kernel_fwd: float | None = None
    kernel_bwd: float | None = None
    extra: dict[str, float] = field(default_factory=dict)


def measure(
    name: str,
    fn: Fn,
    launcher: _fused.Launcher | None,
    T: int,
    N: int,
    device: torch.device,
    dtype: torch.dtype,
    budget: float,
) -> Row:
    g = torch.Generator().manual_seed(T * 7919 + N)
    x = (torch.randn(T, N, generator=g) * 0.8 + 0.6).to(device, dtype)
    grad = torch.randn(T, N, generator=g).to(device, dtype)
    v0 = torch.zeros(N, device=device, dtype=dtype)
    xg = x.clone().requires_grad_(True)

    def forward() -> None:
        with torch.no_grad():
            fn(x, v0)

    def forward_backward() -> None:
        out, _ = fn(xg, v0)
        out.backward(grad)

    def fresh_forward_backward() -> None:
        xg.grad = None
        forward_backward()

    fwd = median_time(forward, device, budget)
    fwd_bwd = median_time(fresh_forward_backward, device, budget)
    xg.grad = None  # outside the measured region: it frees a block from before it
    row = Row(T, N, name, fwd=fwd, fwd_bwd=fwd_bwd, peak=peak_extra_bytes(forward_backward, device))
    if launcher is not None:
        cfg = _fused.make_config(SPEC, ATan(), DECAY)
        _, v = launcher.forward(x, v0, cfg, None)
        row.kernel_fwd = median_time(lambda: launcher.forward(x, v0, cfg, None), device, budget)
        row.kernel_bwd = median_time(
            lambda: launcher.backward(x, v0, v, grad, None, cfg, None, False), device, budget
        )
    xg.grad = None
    return row


def copy_bandwidth(device: torch.device, dtype: torch.dtype) -> float | None:
    """Bytes per second of a device-to-device copy (read + write), for the GPU floor; None on
    the CPU."""
    if device.type != "cuda":
        return None
    a = torch.empty(
        2**28 // torch.empty((), dtype=dtype).element_size(), device=device, dtype=dtype
    )
    b = torch.empty_like(a)
    seconds = median_time(lambda: b.copy_(a), device, 0.5)
    return 2 * a.numel() * a.element_size() / seconds


def floor_lines(rows: list[Row], bandwidth: float, dtype: torch.dtype) -> list[str]:
    """Each fused row against its bandwidth floor (7 T N elements moved for forward+backward)."""
    size = torch.empty((), dtype=dtype).element_size()
    lines = [
        f"Copy bandwidth measured: {bandwidth / 1e9:.0f} GB/s (bytes read + written).",
        "",
        "| T | N | impl | fwd ms | fwd floor ms | fwd / floor | fwd+bwd ms | fwd+bwd floor ms | "
        "fwd+bwd / floor |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        if r.kernel_fwd is None:
            continue
        f_floor = 3 * r.T * r.N * size / bandwidth
        fb_floor = 7 * r.T * r.N * size / bandwidth
        lines.append(
            f"| {r.T} | 2^{r.N.bit_length() - 1} | {r.name} | {fmt_ms(r.fwd)} | "
            f"{fmt_ms(f_floor)} | {r.fwd / f_floor:.2f} | {fmt_ms(r.fwd_bwd)} | "
            f"{fmt_ms(fb_floor)} | {r.fwd_bwd / fb_floor:.2f} |"
        )
    return lines


def fmt_ms(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    ms = seconds * 1e3
    return f"{ms:.3f}" if ms < 10 else f"{ms:.1f}"


def table(rows: list[Row]) -> list[str]:
    lines = [
        "| T | N | impl | fwd ms | fwd x | fwd+bwd ms | fwd+bwd x | kernel fwd ms | "
        "kernel bwd ms | peak MB (fwd+bwd) | peak vs minimal |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    base = {(r.T, r.N): r for r in rows if r.name == BASELINE}
    for r in rows:
        b = base.get((r.T, r.N))
        fx = f"{b.fwd / r.fwd:.2f}" if b else "-"
        fbx = f"{b.fwd_bwd / r.fwd_bwd:.2f}" if b else "-"
        mem = f"{r.peak / b.peak:.2f}" if b and b.peak else "-"
        lines.append(
            f"| {r.T} | 2^{r.N.bit_length() - 1 if r.N & (r.N - 1) == 0 else r.N} | {r.name} | "
            f"{fmt_ms(r.fwd)} | {fx} | {fmt_ms(r.fwd_bwd)} | {fbx} | {fmt_ms(r.kernel_fwd)} | "
            f"{fmt_ms(r.kernel_bwd)} | {r.peak / MB:.1f} | {mem} |"
        )
    return lines


def small_calls(
    contenders: dict[str, tuple[Fn, _fused.Launcher | None]],
    device: torch.device,
    dtype: torch.dtype,
    budget: float,
) -> list[str]:
    """Per-call times of RL-sized layers (T=8, small N), in microseconds."""
    lines = [
        "| N (T=8) | impl | fwd us | fwd+bwd us | fwd+bwd x vs minimal |",
        "|---:|---|---:|---:|---:|",
    ]
    for n in (64, 256, 1024, 4096, 16384):
        base = None
        for name, (fn, _) in contenders.items():
            row = measure(name, fn, None, 8, n, device, dtype, budget)
            base = base or row
            lines.append(
                f"| {n} | {name} | {row.fwd * 1e6:.0f} | {row.fwd_bwd * 1e6:.0f} | "
                f"{base.fwd_bwd / row.fwd_bwd:.1f} |"
            )
            print(lines[-1], file=sys.stderr, flush=True)
    return lines


def fixed_costs(
    fn: Fn, launcher: _fused.Launcher, device: torch.device, dtype: torch.dtype, budget: float
) -> list[str]:
    """What one call costs besides its arithmetic, at T=8: each layer of the call timed at a tiny
    N (where it is almost all fixed cost) and at N=2^14 (microseconds)."""
    cfg = _fused.make_config(SPEC, ATan(), DECAY)
    sizes = (64, 2**14)
    rows: dict[str, list[float]] = {}
    for n in sizes:
        x = (torch.randn(8, n) * 0.8 + 0.6).to(device, dtype)
        v0 = torch.zeros(n, device=device, dtype=dtype)
        grad = torch.randn(8, n).to(device, dtype)
        xg = x.clone().requires_grad_(True)
        _, v = launcher.forward(x, v0, cfg, None)

        def no_grad_call(x: Tensor = x, v0: Tensor = v0) -> None:
            with torch.no_grad():
                fn(x, v0)

        def autograd_call(xg: Tensor = xg, v0: Tensor = v0, grad: Tensor = grad) -> None:
            xg.grad = None
            fn(xg, v0)[0].backward(grad)

        timed = {
            "allocate the two [T, N] outputs": lambda x=x: (
                torch.empty_like(x),
                torch.empty_like(x),
            ),
            "C forward (launcher: outputs + ctypes call)": (
                lambda x=x, v0=v0: launcher.forward(x, v0, cfg, None)
            ),
            "C backward (launcher)": (
                lambda x=x, v0=v0, v=v, g=grad: launcher.backward(
                    x, v0, v, g, None, cfg, None, False
                )
            ),
            "kernel call, no grad (checks, config, launcher)": no_grad_call,
            "kernel forward + backward through autograd": autograd_call,
        }
        for name, f in timed.items():
            rows.setdefault(name, []).append(median_time(f, device, budget) * 1e6)
    lines = [
        "| T=8 | N=64 us (fixed cost) | N=2^14 us | arithmetic ns per element (slope) |",
        "|---|---:|---:|---:|",
    ]
    for name, (small, large) in rows.items():
        slope = (large - small) * 1e3 / (8 * (sizes[1] - sizes[0]))
        lines.append(f"| {name} | {small:.1f} | {large:.1f} | {slope:.3f} |")
    return lines


def targets(
    rows: list[Row],
    fused: str,
    bandwidth: float | None = None,
    dtype: torch.dtype = torch.float32,
) -> list[str]:
    """The issues' targets (CPU: 2 threads, float32; GPU: the floor), each with PASS/FAIL."""
    by = {(r.T, r.N, r.name): r for r in rows}
    out = []

    def check(label: str, ok: bool, detail: str) -> None:
        out.append(f"- {'PASS' if ok else 'FAIL'}: {label} ({detail})")

    a, b = by.get((8, 2**14, BASELINE)), by.get((8, 2**14, fused))
    if a and b:
        x = a.fwd_bwd / b.fwd_bwd
        check("T=8, N=2^14 forward+backward >= 5x the minimal loop", x >= 5, f"{x:.1f}x")
    a, b = by.get((32, 2**20, BASELINE)), by.get((32, 2**20, fused))
    if a and b and b.kernel_fwd is not None and bandwidth:
        x = a.fwd_bwd / b.fwd_bwd
        check("T=32, N=2^20 forward+backward >= 5x the minimal loop", x >= 5, f"{x:.1f}x")
        size = torch.empty((), dtype=dtype).element_size()
        ratio = b.fwd_bwd / (7 * 32 * 2**20 * size / bandwidth)
        check("T=32, N=2^20 forward+backward within 2x of the bandwidth floor", ratio <= 2,
              f"{ratio:.2f}x the floor")  # fmt: skip
    a, b = by.get((32, 2**18, BASELINE)), by.get((32, 2**18, fused))
    if a and b:
        x = a.fwd / b.fwd
        check("T=32, N=2^18 forward (no grad) >= 3x the minimal loop", x >= 3, f"{x:.1f}x")
        x = a.fwd_bwd / b.fwd_bwd
        check("T=32, N=2^18 forward+backward >= 1.5x the minimal loop", x >= 1.5, f"{x:.2f}x")
        m = b.peak / a.peak
        check(
            "T=32, N=2^18 peak extra memory <= 0.5x the minimal loop's",
            m <= 0.5,
            f"{b.peak / MB:.0f} MB vs {a.peak / MB:.0f} MB = {m:.2f}x",
        )
    return out


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def busy_note(load: float | None, threads: int) -> list[str]:
    """A warning line when other work loaded the CPUs before the run (load: 1-minute average)."""
    cores = os.cpu_count() or 1
    if load is None or load <= max(0.5, cores - threads):
        return []
    return [
        f"**Warning: the machine was busy before the run (1-minute load average {load:.1f} on "
        f"{cores} cores, this benchmark needing {threads}); times are inflated and ratios noisy. "
        "Rerun on an idle machine.**",
        "",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="target sizes only, fewer repeats")
    parser.add_argument("--device", default="cpu", help="cpu or cuda (default: cpu)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (default: 2)")
    parser.add_argument(
        "--budget", type=float, help="seconds of repeats per measurement (default 1, --quick 0.3)"
    )
    parser.add_argument(
        "--dtype", default="float32", choices=["float32", "float64", "float16", "bfloat16"]
    )
    parser.add_argument("--out", type=Path, default=None, help="result file (.md)")
    args = parser.parse_args(argv)

    device = torch.device(args.device)
    dtype = getattr(torch, args.dtype)
    torch.set_num_threads(args.threads)
    budget = args.budget if args.budget else (0.3 if args.quick else 1.0)
    if args.quick:
        sizes = [(8, 2**14), (32, 2**18)]
    elif device.type == "cuda":
        sizes = [(t, n) for t in (8, 32, 128) for n in (2**14, 2**16, 2**18, 2**20)]
    else:
        sizes = [(t, n) for t in (8, 32, 128) for n in (2**14, 2**18, 2**20)]

    surrogate = ATan()
    contenders: dict[str, tuple[Fn, _fused.Launcher | None]] = {
        BASELINE: (minimal_loop, None),
        "loop": (plain_loop(surrogate), None),
        "torch": (kernel_fn("torch", device, surrogate), None),
    }
    fused = [b for b in available_backends(device) if b != "torch"]
    for backend in fused:
        contenders[backend] = (
            kernel_fn(backend, device, surrogate),
            launcher_for(backend, dtype),
        )
    started = datetime.datetime.now().isoformat(timespec="seconds")
    bandwidth = copy_bandwidth(device, dtype)
    load_before = load_average()
    try:
        busy = busy_note(os.getloadavg()[0], args.threads)
    except OSError:
        busy = []

    rows: list[Row] = []
    for T, N in sizes:
        for name, (fn, launcher) in contenders.items():
            if name == "torch" and T * N > REFERENCE_MAX_ELEMENTS:
                continue  # its x_seq[t] backward is quadratic in T: minutes, and no new news
            row = measure(name, fn, launcher, T, N, device, dtype, budget)
            rows.append(row)
            print(table([row])[-1], file=sys.stderr, flush=True)
    small = small_calls(
        {k: v for k, v in contenders.items() if k != "torch"}, device, dtype, budget / 3
    )
    fixed: list[str] = []
    if fused and contenders[fused[0]][1] is not None:
        fn, launcher = contenders[fused[0]]
        fixed = fixed_costs(fn, launcher, device, dtype, budget / 3)

    header = [
        f"# Multi-step neuron kernels on {device.type}",
        "",
        f"Command: `python benchmarks/neurons.py {' '.join(argv or sys.argv[1:])}`".rstrip(),
        f"Started {started}; torch {torch.__version__}; {cpu_name()}; "
        f"{torch.get_num_threads()} threads; {args.dtype}; "
        f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}; "
        f"load average before: {load_before}, after: {load_average()}.",
        "",
        "LIF (tau=2, hard reset, decay_input) with ATan; median of repeats after warm-up. "
        "`x` = speed-up over `minimal`. Peak MB: most memory allocated at once during one "
        "forward+backward (inputs and the incoming gradient excluded). The `torch` reference "
        f"is skipped above {REFERENCE_MAX_ELEMENTS} elements (T*N).",
        "",
    ]
    lines = [
        *header,
        *busy,
        "## Targets",
        "",
        *targets(rows, fused[0] if fused else "torch", bandwidth, dtype),
        "",
        "## Times",
        "",
        *table(rows),
        "",
        *(
            ["## Against the bandwidth floor", "", *floor_lines(rows, bandwidth, dtype), ""]
            if bandwidth
            else []
        ),
        "## Small calls (RL policy layers)",
        "",
        *small,
        "",
        f"## Fixed cost per call against the arithmetic ({fused[0] if fused else '-'})",
        "",
        *fixed,
        "",
    ]
    text = "\n".join(lines)
    print(text)
    out = args.out or RESULTS / f"neurons_{device.type}{'_quick' if args.quick else ''}.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(f"written to {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
