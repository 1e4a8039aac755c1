"""The Python side of the fused kernels is in step with their C sources.

The integer codes (charge kinds, reset modes, surrogates, dtypes) and the argument lists of the
entry points are written twice: once in C (``neuron_step.h``, ``neuron_cpu.c``,
``neuron_cuda.cu``) and once in Python (``_fused.py``, ``cpu.py``, ``cupy_backend.py``,
``_build.py``). A place left out when a surrogate is added or an argument moved would give wrong
numbers, not an error; these tests read the sources and fail naming the file and the code that
is out of step.
"""

from __future__ import annotations

import ctypes
import re
from types import SimpleNamespace
from typing import Any

import pytest
import torch

from spikeagents.snn.kernels import _build, _fused, cpu, cupy_backend
from spikeagents.snn.kernels._build import SOURCE_DIR
from spikeagents.snn.surrogate import SURROGATES

HEADER = "neuron_step.h"
CPU_SOURCE = "neuron_cpu.c"
CUDA_SOURCE = "neuron_cuda.cu"
ENTRY_POINTS = ("sa_forward", "sa_backward")


def _source(name: str) -> str:
    """The C source ``name`` without its comments."""
    return re.sub(r"/\*.*?\*/", " ", (SOURCE_DIR / name).read_text(), flags=re.S)


def _defines(prefix: str) -> dict[str, int]:
    """``#define SA_<prefix>_<NAME> <int>`` of the header, as ``{NAME: int}``."""
    found = re.findall(rf"^#define SA_{prefix}_(\w+)\s+(\d+)\b", _source(HEADER), flags=re.M)
    assert found, f"{HEADER}: no #define SA_{prefix}_* found (was the header reorganised?)"
    return {name: int(code) for name, code in found}


def _function_body(source: str, name: str, file: str) -> str:
    match = re.search(rf"\b{name}\s*\([^)]*\)\s*\{{(.*?)\n\}}", source, flags=re.S)
    assert match, f"{file}: no definition of {name} found"
    return match.group(1)


def _parameters(file: str, name: str) -> list[tuple[str, str]]:
    """``[(C type, parameter name), ...]`` of the entry point ``name`` defined in ``file``."""
    match = re.search(rf"\bvoid\s+{name}\s*\(([^)]*)\)\s*\{{", _source(file))
    assert match, f"{file}: no definition of the entry point {name} found"
    params = []
    for decl in match.group(1).split(","):
        decl = " ".join(decl.split())
        param = re.search(r"(\w+)$", decl)
        assert param, f"{file}: cannot read the parameter {decl!r} of {name}"
        params.append((decl[: param.start()].strip(), param.group(1)))
    return params


# ---- integer codes ---------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", ["CHARGE", "MODE"])
def test_charge_and_mode_codes_match_the_header(prefix: str) -> None:
    in_c = _defines(prefix)
    in_python = {
        name.removeprefix(f"{prefix}_"): getattr(_fused, name)
        for name in _fused.__all__
        if name.startswith(f"{prefix}_")
    }
    for name in sorted(in_c.keys() | in_python.keys()):
        assert name in in_python, (
            f"{HEADER} defines SA_{prefix}_{name}; _fused.py has no {prefix}_{name}"
        )
        assert name in in_c, (
            f"_fused.py has {prefix}_{name}; {HEADER} defines no SA_{prefix}_{name}"
        )
        assert in_c[name] == in_python[name], (
            f"SA_{prefix}_{name} is {in_c[name]} in {HEADER} but {prefix}_{name} is "
            f"{in_python[name]} in _fused.py"
        )


def test_surrogate_codes_match_the_header() -> None:
    in_c = _defines("SUR")
    in_python = {cls.name.upper(): code for cls, code in _fused.SURROGATE_CODES.items()}
    for name in sorted(in_c.keys() | in_python.keys()):
        assert name in in_python, (
            f"{HEADER} defines SA_SUR_{name}; _fused.py SURROGATE_CODES has no surrogate named "
            f"{name.lower()!r}"
        )
        assert name in in_c, (
            f"_fused.py SURROGATE_CODES has {name.lower()!r}; {HEADER} has no SA_SUR_{name}"
        )
        assert in_c[name] == in_python[name], (
            f"SA_SUR_{name} is {in_c[name]} in {HEADER} but SURROGATE_CODES gives "
            f"{name.lower()!r} the code {in_python[name]} in _fused.py"
        )
    assert len(set(in_c.values())) == len(in_c), f"{HEADER}: two SA_SUR_* share a code: {in_c}"


@pytest.mark.parametrize("name", sorted(SURROGATES))
def test_every_registered_surrogate_has_a_kernel_code(name: str) -> None:
    cls = SURROGATES[name]
    assert cls in _fused.SURROGATE_CODES, (
        f"surrogate.SURROGATES registers {name!r} ({cls.__name__}) but _fused.py "
        f"SURROGATE_CODES has no code for it: add one there, SA_SUR_{name.upper()} and its case "
        f"in sa_surrogate_grad ({HEADER}), and SA_SUR_LOOP in surrogate_row ({CPU_SOURCE})"
    )


def test_the_header_derivative_switch_has_a_case_for_every_surrogate() -> None:
    codes = _defines("SUR")
    body = (SOURCE_DIR / HEADER).read_text()  # with comments: the last case is named in one
    body = _function_body(body, "sa_surrogate_grad", HEADER)
    tested = set(re.findall(r"kind == SA_SUR_(\w+)", body))
    assert tested <= codes.keys(), f"{HEADER} sa_surrogate_grad tests undefined codes"
    # the last surrogate is the fall-through `return`, named by the comment above it
    fall_through = set(re.findall(r"/\*\s*SA_SUR_(\w+):", body)) - tested
    assert len(fall_through) == 1, (
        f"{HEADER} sa_surrogate_grad: expected one fall-through case named in a comment "
        f"'/* SA_SUR_<NAME>: ... */' before its last return, found {sorted(fall_through)}"
    )
    for name, code in sorted(codes.items(), key=lambda item: item[1]):
        assert name in tested | fall_through, (
            f"{HEADER} sa_surrogate_grad has no case for SA_SUR_{name} (code {code}): it would "
            "get the fall-through derivative"
        )


def test_the_cpu_dispatch_covers_every_code() -> None:
    source = _source(CPU_SOURCE)
    uses = {
        "SUR": ("SA_SUR_LOOP", r"SA_SUR_LOOP\(SA_SUR_(\w+)\)", "surrogate_row"),
        "CHARGE": ("SA_CHARGE_LOOP", r"SA_CHARGE_LOOP\(SA_CHARGE_(\w+)\)", "charge_row"),
        "MODE": ("SA_FWD_CASE", r"SA_FWD_CASE\(C, SA_MODE_(\w+)\)", "fwd_range"),
    }
    for prefix, (macro, pattern, where) in uses.items():
        found = set(re.findall(pattern, source))
        for name, code in sorted(_defines(prefix).items()):
            assert name in found, (
                f"{CPU_SOURCE} {where} has no {macro}(...SA_{prefix}_{name}) (code {code}): "
                "the CPU kernel would skip it"
            )
    fwd_charges = set(re.findall(r"SA_FWD_CASES\(SA_CHARGE_(\w+)\)", source))
    assert fwd_charges == set(_defines("CHARGE")), (
        f"{CPU_SOURCE} fwd_range dispatches the charges {sorted(fwd_charges)}, {HEADER} defines "
        f"{sorted(_defines('CHARGE'))}"
    )
    bwd_modes = set(re.findall(r"bwd_blocks\(a, b0, b1, SA_MODE_(\w+)", source))
    assert bwd_modes == set(_defines("MODE")), (
        f"{CPU_SOURCE} bwd_range dispatches the modes {sorted(bwd_modes)}, {HEADER} defines "
        f"{sorted(_defines('MODE'))}"
    )


def test_dtype_codes_match_the_header() -> None:
    header = (SOURCE_DIR / HEADER).read_text()
    types = re.search(r"Types:(.*?)\*/", header, flags=re.S)
    assert types, f"{HEADER}: the 'Types:' comment listing the SA_DTYPE codes is gone"
    in_c = {name: int(code) for code, name in re.findall(r"(\d) (b?float\d+)", types.group(1))}
    cuda = {
        str(dtype).removeprefix("torch."): code for dtype, code in cupy_backend.CUDA_DTYPES.items()
    }
    assert cuda == in_c, (
        f"cupy_backend.py CUDA_DTYPES {cuda} != the SA_DTYPE codes of {HEADER} {in_c}"
    )
    for name, code in _build.DTYPE_CODES.items():
        assert in_c.get(name) == code, (
            f"_build.py DTYPE_CODES gives {name} the code {code}; {HEADER}: {in_c.get(name)}"
        )
    for name in ("float32", "float64"):  # the types the CPU compiles: their C storage type
        block = re.search(
            rf"SA_DTYPE == {in_c[name]}\s*typedef (\w+) sa_real;\s*typedef (\w+) sa_store;", header
        )
        assert block, f"{HEADER}: no typedefs for SA_DTYPE == {in_c[name]} ({name})"
        size = {"float": 4, "double": 8}.get(block.group(2))
        assert size == getattr(torch, name).itemsize, (
            f"{HEADER}: SA_DTYPE {in_c[name]} ({name}) stores {block.group(2)}"
        )


def test_abi_version_matches() -> None:
    match = re.search(r"#define SA_ABI_VERSION (\d+)", _source(CPU_SOURCE))
    assert match, f"{CPU_SOURCE}: no SA_ABI_VERSION"
    assert int(match.group(1)) == _build.ABI_VERSION, (
        f"{CPU_SOURCE} SA_ABI_VERSION is {match.group(1)}, _build.py ABI_VERSION is "
        f"{_build.ABI_VERSION}"
    )


# ---- argument lists --------------------------------------------------------------------------

_CTYPES_OF = {"int64_t": ctypes.c_int64, "double": ctypes.c_double, "int": ctypes.c_int}
_KIND_OF = {"long long": "i", "double": "d"}


@pytest.mark.parametrize("name", ENTRY_POINTS)
def test_cpu_argtypes_match_the_c_entry_points(name: str) -> None:
    params = _parameters(CPU_SOURCE, name)
    argtypes = cpu._ARGTYPES[name]
    want = [ctypes.c_void_p if "*" in ctype else _CTYPES_OF.get(ctype) for ctype, _ in params]
    assert len(argtypes) == len(want), (
        f"{CPU_SOURCE} {name} takes {len(want)} arguments, cpu.py sets {len(argtypes)} argtypes"
    )
    for i, ((ctype, param), got, expected) in enumerate(zip(params, argtypes, want, strict=True)):
        assert got is expected, (
            f"{CPU_SOURCE} {name} argument {i} is `{ctype} {param}`, but cpu.py's argtypes has "
            f"{got.__name__} there"
        )


@pytest.mark.parametrize("name", ENTRY_POINTS)
def test_cuda_arg_kinds_match_the_kernel_parameters(name: str) -> None:
    params = _parameters(CUDA_SOURCE, name)
    kinds = cupy_backend.ARG_KINDS[name]
    want = ["p" if "*" in ctype else _KIND_OF.get(ctype, "?") for ctype, _ in params]
    assert len(kinds) == len(want), (
        f"{CUDA_SOURCE} {name} takes {len(want)} arguments, cupy_backend.py ARG_KINDS has "
        f"{len(kinds)}"
    )
    for i, ((ctype, param), got, expected) in enumerate(zip(params, kinds, want, strict=True)):
        assert got == expected, (
            f"{CUDA_SOURCE} {name} argument {i} is `{ctype} {param}` (kind {expected!r}), but "
            f"cupy_backend.py ARG_KINDS has {got!r} there"
        )


def test_both_sources_define_the_same_entry_points() -> None:
    exported = {
        CPU_SOURCE: (cpu._ARGTYPES, r"^void\s+(\w+)\s*\("),  # not static: the library's symbols
        CUDA_SOURCE: (cupy_backend.ARG_KINDS, r"__global__\s+void\s+(\w+)\s*\("),
    }
    for file, (table, pattern) in exported.items():
        assert set(table) == set(ENTRY_POINTS), f"the table for {file} has {sorted(table)}"
        defined = set(re.findall(pattern, _source(file), flags=re.M))
        assert defined == set(ENTRY_POINTS), f"{file} defines the entry points {sorted(defined)}"


# ---- the launchers pass each value where the C code expects it -------------------------------

T, N = 3, 5
#: every int and every float distinct, so that two swapped arguments cannot go unseen
CONFIG = _fused.Config(
    charge=1, mode=2, detach=0, surrogate=6, decay=0.125, v_rest=-0.25, v_threshold=0.75,
    v_reset=-0.5, p0=3.5, p1=0.0625,
)  # fmt: skip


class _Entry:
    """Stands for one ctypes function of the CPU library: records its calls."""

    def __init__(self, name: str, calls: list[tuple[str, tuple[Any, ...]]]) -> None:
        self.name, self.calls = name, calls

    def __call__(self, *args: Any) -> None:
        self.calls.append((self.name, args))


def _recorded_calls(
    backend: str, constant: bool = False
) -> tuple[list[tuple[str, tuple[Any, ...]]], dict[str, Any]]:
    """Run the backend's real launcher's forward and backward with the entry points recorded
    (``constant``: one input row fed at every step, the ``xs = 0`` path)."""
    calls: list[tuple[str, tuple[Any, ...]]] = []
    if backend == "cpu":
        lib = SimpleNamespace(**{name: _Entry(name, calls) for name in ENTRY_POINTS})
        launcher: _fused.Launcher = cpu.CpuLauncher(lib)  # type: ignore[arg-type]
    else:
        launcher = cupy_backend.CudaLauncher(
            torch.float32, launch=lambda name, grid, block, args, device: calls.append((name, args))
        )
    x, v0 = (torch.zeros(N) if constant else torch.zeros(T, N)), torch.zeros(N)
    decay_t = torch.zeros(1)
    out, v = launcher.forward(x, v0, CONFIG, decay_t, T if constant else None)
    assert out is not None
    grad_out, grad_v = torch.zeros(T, N), torch.zeros(T, N)
    gx, gv0, gd = launcher.backward(x, v0, v, grad_out, grad_v, CONFIG, decay_t, True)
    assert gd is not None
    pointers = {"x": x, "v0": v0, "out": out, "v": v, "d_ptr": decay_t, "gs": grad_out}
    pointers |= {"gv": grad_v, "gx": gx, "gv0": gv0, "gd": gd}
    values: dict[str, Any] = {name: t.data_ptr() for name, t in pointers.items()}
    values |= {
        "T": T,
        "N": N,
        "xs": 0 if constant else N,
        "d": CONFIG.decay,
        "decay": CONFIG.decay,
        "v_rest": CONFIG.v_rest,
    }
    values |= {"v_th": CONFIG.v_threshold, "v_reset": CONFIG.v_reset, "charge": CONFIG.charge}
    values |= {"mode": CONFIG.mode, "detach": CONFIG.detach, "surrogate": CONFIG.surrogate}
    values |= {"p0": CONFIG.p0, "p1": CONFIG.p1, "nthreads": torch.get_num_threads()}
    return calls, values


@pytest.mark.parametrize("constant", [False, True], ids=["sequence", "constant-input"])
@pytest.mark.parametrize(
    "backend, file, python_file",
    [("cpu", CPU_SOURCE, "cpu.py"), ("cupy", CUDA_SOURCE, "cupy_backend.py")],
)
def test_launcher_passes_each_value_in_the_c_parameter_order(
    backend: str, file: str, python_file: str, constant: bool
) -> None:
    calls, values = _recorded_calls(backend, constant)
    assert [name for name, _ in calls] == list(ENTRY_POINTS)
    for name, args in calls:
        params = _parameters(file, name)
        assert len(args) == len(params), (
            f"{python_file}'s launcher (through _fused.Launcher) passes {len(args)} arguments to "
            f"{name}; {file} declares {len(params)}"
        )
        for i, ((ctype, param), arg) in enumerate(zip(params, args, strict=True)):
            assert param in values, f"{file} {name}: unknown parameter `{param}`; teach this test"
            assert arg == values[param] and type(arg) is type(values[param]), (
                f"{python_file}'s launcher passes {arg!r} as argument {i} of {name}, where "
                f"{file} declares `{ctype} {param}` ({values[param]!r} expected)"
            )
