"""Parity of the fused kernels with the torch reference, forward and backward.

Every case draws random inputs and neuron constants from a seed (see Seeds below) and checks:
spikes equal exactly, voltages equal to float tolerance, and the gradients of ``x_seq``, ``v0``
and the ParametricLIF decay (through ``w``) close to the reference's. The same cases run on

- the ``cpu`` backend (the C kernel),
- the CUDA source run on the host (``cuda_emulation.cpp``: neuron_cuda.cu's kernels, thread
  indexing included, compiled by the C++ compiler and driven by the ``cupy`` backend's launcher),
- the ``cupy`` backend on a GPU (marked ``cuda``: skipped without one).

Seeds: each case's seed is derived from one base seed, ``0`` by default so that every run (CI
included) draws the same cases. The environment variable ``SPIKEAGENTS_TEST_SEED`` changes it:
``SPIKEAGENTS_TEST_SEED=1234`` uses 1234, ``SPIKEAGENTS_TEST_SEED=random`` draws a fresh one. A
failure message names the base seed in use, to replay the run with it.
"""

from __future__ import annotations

import ctypes
import math
import os
import shutil
import subprocess
import zlib
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch import Tensor

from spikeagents.snn.dynamics import NeuronSpec
from spikeagents.snn.kernels import (
    BackendUnavailableError,
    _fused,
    get_kernel,
    resolve_backend,
)
from spikeagents.snn.kernels._build import SOURCE_DIR
from spikeagents.snn.kernels.reference import multistep_reference
from spikeagents.snn.neuron import LIFNode, NonSpikingLIFNode, ParametricLIFNode
from spikeagents.snn.surrogate import SURROGATES, ATan, PiecewiseLeakyReLU, SurrogateFunction


def _base_seed() -> int:
    """``SPIKEAGENTS_TEST_SEED``: unset or empty -> 0, an int -> it, ``random`` -> a fresh seed."""
    value = os.environ.get("SPIKEAGENTS_TEST_SEED", "").strip() or "0"
    if value.lower() == "random":
        return int.from_bytes(os.urandom(4), "little")
    try:
        return int(value)
    except ValueError:
        raise ValueError(
            f"SPIKEAGENTS_TEST_SEED must be an int or 'random', got {value!r}"
        ) from None


#: the base seed of every case; failure messages carry it (see the module docstring)
BASE_SEED = _base_seed()

Kernel = Callable[..., tuple[Tensor, Tensor]]

FAMILIES = ("if", "lif", "plif")
SURROGATE_NAMES = sorted(SURROGATES)
DTYPES = (torch.float32, torch.float64)


def _spiking_cases() -> list[Any]:
    cases = []
    for family in FAMILIES:
        for hard in (True, False):
            for decay_input in (True, False) if family != "if" else (True,):
                for detach in (False, True):
                    for sur in SURROGATE_NAMES:
                        for dtype in DTYPES:
                            name = (
                                f"{family}-{'hard' if hard else 'soft'}"
                                f"{'' if family == 'if' else '-di' if decay_input else '-nodi'}"
                                f"{'-detach' if detach else ''}-{sur}-{str(dtype)[6:]}"
                            )
                            cases.append(
                                pytest.param(family, hard, decay_input, detach, sur, dtype, id=name)
                            )
    return cases


def _readout_cases() -> list[Any]:
    cases = []
    for family in FAMILIES:
        for reset in ("zero", "nonzero", "none"):
            for decay_input in (True, False) if family != "if" else (True,):
                for dtype in DTYPES:
                    name = f"{family}-vreset_{reset}-{'di' if decay_input else 'nodi'}-{dtype}"
                    cases.append(pytest.param(family, reset, decay_input, dtype, id=name))
    return cases


SPIKING_CASES = _spiking_cases()
READOUT_CASES = _readout_cases()


class Case:
    """One random problem: a neuron, its inputs, and the loss weights on both outputs."""

    def __init__(
        self,
        spec: NeuronSpec,
        dtype: torch.dtype,
        surrogate: str,
        seed: int,
        T: int = 7,
        N: int = 300,
        device: str = "cpu",
        constant: bool = False,
    ) -> None:
        g = torch.Generator().manual_seed(seed)

        def rand(*shape: int) -> Tensor:
            return torch.rand(*shape, generator=g, dtype=torch.float64)

        def randn(*shape: int) -> Tensor:
            return torch.randn(*shape, generator=g, dtype=torch.float64)

        self.seed, self.spec, self.dtype, self.device = seed, spec, dtype, device
        self.steps = T if constant else None  # a constant input: one row fed at every step
        self.surrogate = _make_surrogate(surrogate, float(rand(1)))
        drive = 1.4 * spec.v_threshold if spec.spiking else 0.9  # plenty of spikes, not all
        x_shape = (N,) if constant else (T, N)
        self.x = (randn(*x_shape) * (0.5 if constant else 1.0) + drive).to(dtype).to(device)
        self.v0 = (randn(N) * 0.4).to(dtype).to(device)
        self.w_out = randn(T, N).to(dtype).to(device)
        self.w_v = randn(T, N).to(dtype).to(device)
        self.tau = 1.5 + 3.0 * float(rand(1))  # an inexact 1/tau checks the scalar rounding
        self.w = torch.tensor(float(randn(1)) * 0.8, dtype=dtype, device=device)

    def run(self, kernel: Kernel) -> dict[str, Tensor]:
        """Forward and backward through ``kernel``: outputs and gradients."""
        x = self.x.clone().requires_grad_(True)
        v0 = self.v0.clone().requires_grad_(True)
        w = self.w.clone().requires_grad_(True)
        if self.spec.family == "if":
            decay: float | Tensor | None = None
        elif self.spec.family == "lif":
            decay = 1.0 / self.tau
        else:
            decay = torch.sigmoid(w)
        if self.steps is None:
            out, v = kernel(x, v0, self.spec, self.surrogate, decay)
        else:
            out, v = kernel(x, v0, self.spec, self.surrogate, decay, steps=self.steps)
        loss = (out * self.w_out).sum() + (v * self.w_v).sum()
        loss.backward()
        result = {"out": out.detach(), "v": v.detach(), "gx": x.grad, "gv0": v0.grad}
        if self.spec.family == "plif":
            result["gw"] = w.grad
        return result

    def msg(self, what: str) -> str:
        return (
            f"{what} differs from the torch reference ({self.spec}, {self.surrogate}, "
            f"{self.dtype}, seed {self.seed}; replay with SPIKEAGENTS_TEST_SEED={BASE_SEED})"
        )


def _make_surrogate(name: str, u: float) -> SurrogateFunction:
    cls = SURROGATES[name]
    if cls is PiecewiseLeakyReLU:
        return PiecewiseLeakyReLU(w=0.4 + u, c=0.01 + 0.1 * u)
    return cls(alpha=cls.default_alpha * (0.6 + 0.8 * u))  # type: ignore[attr-defined]


def _spec(family: str, hard: bool, decay_input: bool, detach: bool, seed: int) -> NeuronSpec:
    g = torch.Generator().manual_seed(seed + 1)
    u = torch.rand(2, generator=g, dtype=torch.float64).tolist()
    v_reset = (0.0 if u[1] < 0.5 else -0.3 * u[1]) if hard else None
    return NeuronSpec(
        family,
        v_threshold=0.6 + 0.8 * u[0],
        v_reset=v_reset,
        decay_input=decay_input,
        detach_reset=detach,
    )


def _seed(*params: object) -> int:
    return (BASE_SEED + zlib.crc32(repr(params).encode())) % 2**31


def _tolerances(dtype: torch.dtype) -> tuple[float, float]:
    if dtype == torch.float64:
        return 1e-10, 1e-12
    if dtype == torch.float32:
        return 2e-4, 2e-5
    return 5e-2, 5e-2  # 16-bit


def assert_parity(case: Case, kernel: Kernel, exact_spikes: bool = True) -> None:
    """``kernel`` matches the reference on ``case``: spikes, voltages, every gradient."""
    got = case.run(kernel)
    want = case.run(multistep_reference)
    if exact_spikes:
        assert torch.equal(got["out"], want["out"]), case.msg("spikes")
    rtol, atol = _tolerances(case.dtype)
    for key in want:
        scale = max(1.0, float(want[key].abs().max()))
        torch.testing.assert_close(
            got[key], want[key], rtol=rtol, atol=atol * scale, msg=lambda m, k=key: case.msg(k) + m
        )


# ---- the cpu backend ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cpu_kernels() -> dict[str, Kernel]:
    return {family: get_kernel(family, "cpu", "cpu") for family in FAMILIES}


@pytest.mark.parametrize("family, hard, decay_input, detach, surrogate, dtype", SPIKING_CASES)
def test_cpu_matches_reference(
    cpu_kernels: dict[str, Kernel],
    family: str,
    hard: bool,
    decay_input: bool,
    detach: bool,
    surrogate: str,
    dtype: torch.dtype,
) -> None:
    seed = _seed(family, hard, decay_input, detach, surrogate, dtype)
    spec = _spec(family, hard, decay_input, detach, seed)
    assert_parity(Case(spec, dtype, surrogate, seed), cpu_kernels[family])


#: constant-input cases: every family, reset and detach, two surrogates, both dtypes
CONSTANT_CASES = [c for c in SPIKING_CASES if c.values[4] in ("atan", "sigmoid") and c.values[2]]


@pytest.mark.parametrize("family, hard, decay_input, detach, surrogate, dtype", CONSTANT_CASES)
def test_cpu_constant_input_matches_reference(
    cpu_kernels: dict[str, Kernel],
    family: str,
    hard: bool,
    decay_input: bool,
    detach: bool,
    surrogate: str,
    dtype: torch.dtype,
) -> None:
    """One input row fed at every step (``steps=T``): the kernel reads it once and returns its
    gradient summed over the steps, as the reference does through ``expand``."""
    seed = _seed("constant", family, hard, decay_input, detach, surrogate, dtype)
    spec = _spec(family, hard, decay_input, detach, seed)
    case = Case(spec, dtype, surrogate, seed, constant=True)
    assert case.x.dim() == 1
    assert_parity(case, cpu_kernels[family])


def test_cpu_constant_input_on_threads_and_readouts(cpu_kernels: dict[str, Kernel]) -> None:
    """Large enough for several OpenMP threads (T N > 2^18), and the non-spiking readout."""
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        spec = NeuronSpec("lif", v_threshold=1.0, v_reset=None, detach_reset=True)
        case = Case(spec, torch.float64, "atan", _seed("constant-threads"), T=40, N=7000,
                    constant=True)  # fmt: skip
        assert_parity(case, cpu_kernels["lif"])
    finally:
        torch.set_num_threads(before)
    readout = Case(_readout_spec("lif", "none", True), torch.float32, "atan",
                   _seed("constant-readout"), constant=True)  # fmt: skip
    assert_parity(readout, cpu_kernels["lif"])


def _readout_spec(family: str, reset: str, decay_input: bool) -> NeuronSpec:
    v_reset = {"zero": 0.0, "nonzero": -0.35, "none": None}[reset]
    return NeuronSpec(
        family, v_threshold=math.inf, v_reset=v_reset, decay_input=decay_input, spiking=False
    )


@pytest.mark.parametrize("family, reset, decay_input, dtype", READOUT_CASES)
def test_cpu_readout_matches_reference(
    cpu_kernels: dict[str, Kernel], family: str, reset: str, decay_input: bool, dtype: torch.dtype
) -> None:
    seed = _seed("readout", family, reset, decay_input, dtype)
    case = Case(_readout_spec(family, reset, decay_input), dtype, "atan", seed)
    assert_parity(case, cpu_kernels[family])
    out, v = cpu_kernels[family](case.x, case.v0, case.spec, case.surrogate, 0.5)
    assert out is v, "a readout's output is its membrane potential, one tensor as the reference"


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("family", ["lif", "plif"])
def test_cpu_threads_and_ragged_blocks(
    cpu_kernels: dict[str, Kernel], family: str, dtype: torch.dtype
) -> None:
    """Calls big enough for several threads (the last one, over 8 MB, pre-faults its output
    pages in parallel), with N not a multiple of the block: the same results."""
    seed = _seed("threads", family, dtype)
    spec = _spec(family, True, True, False, seed)
    threads = torch.get_num_threads()
    torch.set_num_threads(max(2, threads))
    try:
        sizes = [(5, 70_001)]
        if family == "lif" and dtype == torch.float32:
            sizes.append((2, 1_100_001))  # 8.8 MB per [T, N] array
        for T, N in sizes:
            assert_parity(Case(spec, dtype, "sigmoid", seed, T=T, N=N), cpu_kernels[family])
    finally:
        torch.set_num_threads(threads)


def test_cpu_readout_gradcheck(cpu_kernels: dict[str, Kernel]) -> None:
    """A readout is smooth, so its fused backward must equal the numerical gradient."""
    spec = NeuronSpec("plif", v_threshold=math.inf, v_reset=-0.2, spiking=False)
    g = torch.Generator().manual_seed(_seed("gradcheck"))
    x = torch.randn(5, 6, generator=g, dtype=torch.float64, requires_grad=True)
    v0 = torch.randn(6, generator=g, dtype=torch.float64, requires_grad=True)
    w = torch.tensor(0.3, dtype=torch.float64, requires_grad=True)

    def f(x: Tensor, v0: Tensor, w: Tensor) -> Tensor:
        return cpu_kernels["plif"](x, v0, spec, SURROGATES["atan"](), torch.sigmoid(w))[1]

    assert torch.autograd.gradcheck(f, (x, v0, w))


def test_cpu_without_grad_saves_nothing(cpu_kernels: dict[str, Kernel]) -> None:
    """No input requires grad: no graph, and the same values as with one."""
    case = Case(_spec("lif", True, True, False, 1), torch.float32, "atan", _seed("nograd"))
    out, v = cpu_kernels["lif"](case.x, case.v0, case.spec, case.surrogate, 0.5)
    assert out.grad_fn is None and v.grad_fn is None
    with torch.no_grad():
        out2, v2 = cpu_kernels["lif"](
            case.x.requires_grad_(), case.v0, case.spec, case.surrogate, 0.5
        )
    assert out2.grad_fn is None
    want_out, want_v = multistep_reference(case.x.detach(), case.v0, case.spec, case.surrogate, 0.5)
    assert torch.equal(out, want_out) and torch.equal(out2, want_out)
    torch.testing.assert_close(v, want_v)


@pytest.mark.parametrize("use", ["spikes", "voltages"])
def test_cpu_gradient_through_one_output(cpu_kernels: dict[str, Kernel], use: str) -> None:
    """A loss on the spikes alone or on the voltages alone: the other output gets no gradient."""
    spec = _spec("plif", False, True, False, 3)
    g = torch.Generator().manual_seed(_seed("one-output", use))
    x0, v00 = torch.randn(6, 50, generator=g) + 0.5, torch.randn(50, generator=g) * 0.3
    grads = []
    for kernel in (cpu_kernels["plif"], multistep_reference):
        x, v0 = x0.clone().requires_grad_(), v00.clone().requires_grad_()
        w = torch.tensor(0.2, requires_grad=True)
        out, v = kernel(x, v0, spec, SURROGATES["soft_sign"](), torch.sigmoid(w))
        (out if use == "spikes" else v).pow(2).sum().backward()
        grads.append((x.grad, v0.grad, w.grad))
    for got, want in zip(*grads, strict=True):
        torch.testing.assert_close(got, want, rtol=2e-4, atol=2e-5)


def test_cpu_backward_twice_and_mixed_decay_dtype(cpu_kernels: dict[str, Kernel]) -> None:
    """retain_graph works (nothing saved is overwritten); float64 input with a float32 decay."""
    spec = NeuronSpec("plif", v_threshold=0.9, v_reset=None)
    g = torch.Generator().manual_seed(_seed("twice"))
    x = (torch.randn(5, 40, generator=g, dtype=torch.float64) + 0.5).requires_grad_()
    w = torch.tensor(-0.4, requires_grad=True)  # float32
    out, _ = cpu_kernels["plif"](x, torch.zeros(40, dtype=torch.float64), spec, ATan(), w.sigmoid())
    out.sum().backward(retain_graph=True)
    first = (x.grad.clone(), w.grad.clone())
    out.sum().backward()
    torch.testing.assert_close(x.grad, 2 * first[0])
    torch.testing.assert_close(w.grad, 2 * first[1])
    assert w.grad.dtype == torch.float32
    xr = x.detach().clone().requires_grad_()
    wr = w.detach().clone().requires_grad_()
    ref_out, _ = multistep_reference(
        xr, torch.zeros(40, dtype=torch.float64), spec, ATan(), wr.sigmoid()
    )
    assert torch.equal(out, ref_out)
    ref_out.sum().backward()
    torch.testing.assert_close(first[0], xr.grad)
    torch.testing.assert_close(first[1], wr.grad)


def test_cpu_non_contiguous_and_broadcast_inputs(cpu_kernels: dict[str, Kernel]) -> None:
    """A transposed x_seq, a [T, B, C] x_seq and a scalar v0 give the reference's results."""
    spec = NeuronSpec("lif", v_threshold=0.8, v_reset=None)
    sur = SURROGATES["erf"]()
    g = torch.Generator().manual_seed(_seed("layout"))
    base = torch.randn(40, 6, generator=g) + 0.5
    x = base.t()  # [6, 40], not contiguous
    assert not x.is_contiguous()
    v0 = torch.zeros(())
    got = cpu_kernels["lif"](x, v0, spec, sur, 0.4)
    want = multistep_reference(x, v0, spec, sur, 0.4)
    assert torch.equal(got[0], want[0]) and torch.equal(got[1], want[1])
    x3 = (torch.randn(5, 3, 7, generator=g) + 0.5).requires_grad_()
    got3 = cpu_kernels["lif"](x3, torch.zeros(3, 7), spec, sur, 0.4)
    assert got3[0].shape == (5, 3, 7)
    got3[0].sum().backward()
    gx = x3.grad.clone()
    x3.grad = None
    multistep_reference(x3, torch.zeros(3, 7), spec, sur, 0.4)[0].sum().backward()
    torch.testing.assert_close(gx, x3.grad)


def test_cpu_unsupported_dtype_and_surrogate_fall_back(cpu_kernels: dict[str, Kernel]) -> None:
    """float16 and a custom surrogate run the reference (with a warning), never crash."""

    class Custom(SurrogateFunction):
        name = "custom"

        def derivative(self, x: Tensor) -> Tensor:
            return torch.ones_like(x)

    spec = NeuronSpec("lif")
    x = torch.rand(4, 10) * 2
    for x_in, sur in ((x.half(), SURROGATES["atan"]()), (x, Custom())):
        with pytest.warns(RuntimeWarning, match="using torch"):
            _fused._WARNED.clear()
            got = cpu_kernels["lif"](x_in, torch.zeros_like(x_in[0]), spec, sur, 0.5)
        want = multistep_reference(x_in, torch.zeros_like(x_in[0]), spec, sur, 0.5)
        assert torch.equal(got[0], want[0]) and got[0].dtype == x_in.dtype


def test_modules_on_cpu_backend_match_torch_backend() -> None:
    """The neuron modules give the same spikes and parameter gradients with either backend."""
    g = torch.Generator().manual_seed(_seed("modules"))
    x = torch.randn(8, 4, 16, generator=g) + 0.6
    for make in (
        lambda b: LIFNode(tau=3.0, v_reset=None, step_mode="m", backend=b),
        lambda b: ParametricLIFNode(init_tau=2.5, detach_reset=True, step_mode="m", backend=b),
        lambda b: NonSpikingLIFNode(tau=2.0, step_mode="m", backend=b),
    ):
        results = []
        for backend in ("cpu", "torch"):
            node = make(backend)
            xr = x.clone().requires_grad_()
            out = node(xr)
            out.square().sum().backward()
            grads = [xr.grad] + [p.grad for p in node.parameters()]
            results.append((out.detach(), node.v.detach(), grads))
        (o1, v1, g1), (o2, v2, g2) = results
        torch.testing.assert_close(o1, o2)
        torch.testing.assert_close(v1, v2)
        for a, b in zip(g1, g2, strict=True):
            torch.testing.assert_close(a, b, rtol=2e-4, atol=2e-5)


def test_registry_picks_cpu_and_explains_missing_cupy() -> None:
    assert resolve_backend("auto", "cpu") == "cpu"
    with pytest.raises(BackendUnavailableError, match="cupy"):
        get_kernel("lif", "cupy", "cpu")
    from spikeagents.snn.kernels import cupy_backend

    why = cupy_backend.unavailable_reason(torch.device("cuda"))
    if why is not None:  # no CuPy or no GPU here: the message says what to install
        assert "cupy-cuda12x" in why


# ---- the CUDA source, run on the host --------------------------------------------------------


@pytest.fixture(scope="module")
def emulated_kernels(tmp_path_factory: pytest.TempPathFactory) -> dict[torch.dtype, Kernel]:
    """``neuron_cuda.cu`` built for the host and driven by the cupy backend's launcher."""
    from spikeagents.snn.kernels.cupy_backend import ARG_KINDS, CudaLauncher

    cxx = os.environ.get("CXX") or shutil.which("c++") or shutil.which("g++")
    if cxx is None:
        pytest.skip("no C++ compiler to build the CUDA emulation")
    if not (SOURCE_DIR / "cuda_emulation.cpp").is_file():
        pytest.skip("cuda_emulation.cpp is not installed (a source checkout has it)")
    kernels: dict[torch.dtype, Kernel] = {}
    for dtype, code in ((torch.float32, 0), (torch.float64, 1)):
        lib_path = tmp_path_factory.mktemp("cuda_emulation") / f"emu{code}.so"
        subprocess.run(
            [
                cxx,
                "-std=c++14",
                "-O1",
                "-ffp-contract=off",
                "-fPIC",
                "-shared",
                f"-DSA_DTYPE={code}",
                f"-I{SOURCE_DIR}",
                str(SOURCE_DIR / "cuda_emulation.cpp"),
                "-o",
                str(lib_path),
            ],
            check=True,
            capture_output=True,
        )
        lib = ctypes.CDLL(str(lib_path))
        lib.sa_emulate.argtypes = [
            ctypes.c_char_p,
            ctypes.c_longlong,
            ctypes.c_longlong,
            ctypes.POINTER(ctypes.c_void_p),
        ]
        lib.sa_emulate.restype = ctypes.c_int

        def launch(name: str, grid: int, block: int, args: tuple, device: Any, lib=lib) -> None:
            kinds = ARG_KINDS[name]
            assert len(kinds) == len(args), f"{name}: {len(args)} arguments, {len(kinds)} kinds"
            boxed = [
                ctypes.c_void_p(a)
                if k == "p"
                else ctypes.c_longlong(a)
                if k == "i"
                else ctypes.c_double(a)
                for k, a in zip(kinds, args, strict=True)
            ]
            ptrs = (ctypes.c_void_p * len(boxed))(*[ctypes.addressof(b) for b in boxed])
            assert lib.sa_emulate(name.encode(), grid, block, ptrs) == 0

        launcher = CudaLauncher(dtype, launch=launch)

        def kernel(x, v0, spec, surrogate, decay, steps=None, launcher=launcher):  # type: ignore[no-untyped-def]
            return _fused.run_fused(launcher, x, v0, spec, surrogate, decay, steps)

        kernels[dtype] = kernel
    return kernels


@pytest.mark.parametrize("family, hard, decay_input, detach, surrogate, dtype", SPIKING_CASES)
def test_cuda_source_on_host_matches_reference(
    emulated_kernels: dict[torch.dtype, Kernel],
    family: str,
    hard: bool,
    decay_input: bool,
    detach: bool,
    surrogate: str,
    dtype: torch.dtype,
) -> None:
    seed = _seed("emulated", family, hard, decay_input, detach, surrogate, dtype)
    spec = _spec(family, hard, decay_input, detach, seed)
    assert_parity(Case(spec, dtype, surrogate, seed, N=200), emulated_kernels[dtype])


@pytest.mark.parametrize("family, hard, decay_input, detach, surrogate, dtype", CONSTANT_CASES)
def test_cuda_source_on_host_constant_input(
    emulated_kernels: dict[torch.dtype, Kernel],
    family: str,
    hard: bool,
    decay_input: bool,
    detach: bool,
    surrogate: str,
    dtype: torch.dtype,
) -> None:
    seed = _seed("emulated-constant", family, hard, decay_input, detach, surrogate, dtype)
    spec = _spec(family, hard, decay_input, detach, seed)
    case = Case(spec, dtype, surrogate, seed, N=200, constant=True)
    assert_parity(case, emulated_kernels[dtype])


@pytest.mark.parametrize("family, reset, decay_input, dtype", READOUT_CASES)
def test_cuda_source_on_host_readout(
    emulated_kernels: dict[torch.dtype, Kernel],
    family: str,
    reset: str,
    decay_input: bool,
    dtype: torch.dtype,
) -> None:
    seed = _seed("emulated-readout", family, reset, decay_input, dtype)
    case = Case(_readout_spec(family, reset, decay_input), dtype, "atan", seed, N=200)
    assert_parity(case, emulated_kernels[dtype])


# ---- the cupy backend on a GPU ---------------------------------------------------------------

CUDA_DTYPES = (torch.float32, torch.float64, torch.float16, torch.bfloat16)


def _cuda_cases() -> list[Any]:
    cases = []
    for p in SPIKING_CASES:
        family, hard, decay_input, detach, sur, dtype = p.values
        if dtype == torch.float64:  # add the 16-bit types next to each float64 case
            for extra in (torch.float16, torch.bfloat16):
                cases.append(
                    pytest.param(
                        family,
                        hard,
                        decay_input,
                        detach,
                        sur,
                        extra,
                        id=p.id.replace("float64", str(extra)[6:]),
                    )
                )
        cases.append(p)
    return cases


@pytest.mark.cuda
@pytest.mark.parametrize("family, hard, decay_input, detach, surrogate, dtype", CONSTANT_CASES)
def test_cupy_constant_input_matches_reference(
    family: str, hard: bool, decay_input: bool, detach: bool, surrogate: str, dtype: torch.dtype
) -> None:
    kernel = get_kernel(family, "cupy", "cuda")
    seed = _seed("cupy-constant", family, hard, decay_input, detach, surrogate, dtype)
    spec = _spec(family, hard, decay_input, detach, seed)
    assert_parity(Case(spec, dtype, surrogate, seed, N=1000, device="cuda", constant=True), kernel)


@pytest.mark.cuda
@pytest.mark.parametrize("family, hard, decay_input, detach, surrogate, dtype", _cuda_cases())
def test_cupy_matches_reference(
    family: str, hard: bool, decay_input: bool, detach: bool, surrogate: str, dtype: torch.dtype
) -> None:
    kernel = get_kernel(family, "cupy", "cuda")
    seed = _seed("cupy", family, hard, decay_input, detach, surrogate, dtype)
    spec = _spec(family, hard, decay_input, detach, seed)
    case = Case(spec, dtype, surrogate, seed, N=1000, device="cuda")
    if dtype in (torch.float32, torch.float64):
        assert_parity(case, kernel)
        return
    # 16-bit: every op is rounded as torch rounds it, but allow the rare spike that a
    # different rounding of a scalar flips; compare the neurons whose spike trains agree
    got, want = case.run(kernel), case.run(multistep_reference)
    same = (got["out"] == want["out"]).all(dim=0)
    assert same.float().mean() > 0.97, case.msg("spikes")
    rtol, atol = _tolerances(dtype)
    for key in ("v", "gx"):
        scale = max(1.0, float(want[key][:, same].abs().max()))
        torch.testing.assert_close(
            got[key][:, same].float(), want[key][:, same].float(), rtol=rtol, atol=atol * scale
        )


@pytest.mark.cuda
@pytest.mark.parametrize("family, reset, decay_input, dtype", READOUT_CASES)
def test_cupy_readout_matches_reference(
    family: str, reset: str, decay_input: bool, dtype: torch.dtype
) -> None:
    seed = _seed("cupy-readout", family, reset, decay_input, dtype)
    case = Case(_readout_spec(family, reset, decay_input), dtype, "atan", seed, device="cuda")
    assert_parity(case, get_kernel(family, "cupy", "cuda"))


@pytest.mark.cuda
def test_auto_picks_cupy_on_cuda() -> None:
    assert resolve_backend("auto", "cuda") == "cupy"


def test_kernel_sources_ship_with_the_package() -> None:
    """The sources the backends compile at run time ship with the package."""
    for name in ("neuron_step.h", "neuron_cpu.c", "neuron_cuda.cu"):
        assert (SOURCE_DIR / name).is_file(), name
    for name in ("neuron_cpu.c", "neuron_cuda.cu"):  # one source for the arithmetic
        assert (SOURCE_DIR / name).read_text().count('#include "neuron_step.h"') == 1, name
