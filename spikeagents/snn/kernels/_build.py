"""Build the CPU kernel library once per dtype and cache it on disk, safely across processes.

``neuron_cpu.c`` (with ``neuron_step.h``) is compiled by the system C compiler into one shared
library per dtype (float32, float64); every neuron family and flag combination is inside it, so
there is no per-shape or per-flag compile step. The library lands in the cache directory:
``$SPIKEAGENTS_CACHE/kernels`` if that variable is set, else ``~/.cache/spikeagents/kernels``.
Its file name holds a hash of the sources, the compiler flags, the compiler's version and (for
``-march=native``) the CPU, so a change to any of them builds a new library.

Several processes may build at once (pytest-xdist, ``SubprocVecEnv`` workers): each compiles to
a temporary file in the cache directory and renames it into place with :func:`os.replace`
(atomic), so no process ever loads a half-written library. A lock file, where the platform has
``fcntl``, also keeps them from compiling the same library twice.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import os
import platform
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = [
    "BuildError",
    "SOURCE_DIR",
    "cache_dir",
    "find_compiler",
    "library_path",
    "load_library",
]

SOURCE_DIR = Path(__file__).resolve().parent
HEADER = "neuron_step.h"
CPU_SOURCE = "neuron_cpu.c"
ABI_VERSION = 3  # must equal SA_ABI_VERSION in neuron_cpu.c
#: dtype name -> SA_DTYPE code of neuron_step.h
DTYPE_CODES = {"float32": 0, "float64": 1}

# -ffp-contract=off: no fused multiply-add, so H is rounded exactly as torch rounds it (the
# spikes must match the reference bitwise). -fno-trapping-math lets the compiler turn the
# Heaviside's branch into a vector select; it changes no value.
BASE_FLAGS = (
    "-O3",
    "-std=gnu11",
    "-fPIC",
    "-shared",
    "-ffp-contract=off",
    "-fno-math-errno",
    "-fno-trapping-math",
)
# tried in order; the first that compiles is used (no OpenMP: one thread; no -march: generic)
OPTIONAL_FLAGS = (("-march=native", "-fopenmp"), ("-fopenmp",), ("-march=native",), ())


class BuildError(RuntimeError):
    """The C compiler is missing or failed (the message says which and why)."""


def cache_dir() -> Path:
    """Where compiled kernels live: ``$SPIKEAGENTS_CACHE/kernels`` or ``~/.cache/...``."""
    root = os.environ.get("SPIKEAGENTS_CACHE")
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "spikeagents"
    return base / "kernels"


def find_compiler() -> str | None:
    """The C compiler: ``$CC``, else the first of ``cc``, ``gcc``, ``clang`` on the PATH."""
    cc = os.environ.get("CC")
    if cc:
        return shutil.which(cc) or cc
    for name in ("cc", "gcc", "clang"):
        found = shutil.which(name)
        if found:
            return found
    return None


@functools.cache
def _compiler_version(cc: str) -> str:
    try:
        done = subprocess.run(
            [cc, "--version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.SubprocessError) as err:
        raise BuildError(f"the C compiler {cc!r} cannot be run: {err}") from err
    if done.returncode != 0:
        raise BuildError(f"the C compiler {cc!r} failed on --version: {done.stderr.strip()}")
    return done.stdout.strip()


@functools.cache
def _cpu_signature() -> str:
    """What ``-march=native`` depends on: the CPU model and feature flags."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return f"{platform.machine()} {platform.processor()}"
    lines = [
        line
        for line in text.splitlines()
        if line.startswith(("model name", "flags", "Features", "CPU part"))
    ]
    return "\n".join(sorted(set(lines)))


def _sources() -> bytes:
    return b"".join((SOURCE_DIR / name).read_bytes() for name in (HEADER, CPU_SOURCE))


def library_path(dtype: str, cc: str | None = None) -> Path:
    """The cache path of the library for ``dtype`` (``"float32"``/``"float64"``)."""
    cc = cc or find_compiler()
    if cc is None:
        raise BuildError(
            "no C compiler found (set CC, or install gcc or clang) to build the cpu kernels"
        )
    key = hashlib.sha256()
    for part in (
        _sources(),
        repr((BASE_FLAGS, OPTIONAL_FLAGS, DTYPE_CODES[dtype], ABI_VERSION)).encode(),
        cc.encode(),
        _compiler_version(cc).encode(),
        _cpu_signature().encode(),
    ):
        key.update(part)
        key.update(b"\0")
    return cache_dir() / f"neuron_cpu_{dtype}_{key.hexdigest()[:24]}.so"


@contextlib.contextmanager
def _lock(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` where the platform has ``fcntl`` (else no lock)."""
    try:
        import fcntl
    except ImportError:  # Windows: the atomic rename alone keeps builds safe
        yield
        return
    with open(path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _compile(cc: str, dtype: str, target: Path) -> None:
    """Compile into a temporary file next to ``target``, then rename it into place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=target.name + ".", suffix=".tmp", dir=target.parent)
    os.close(fd)
    errors: list[str] = []
    try:
        for extra in OPTIONAL_FLAGS:
            cmd = [
                cc,
                *BASE_FLAGS,
                *extra,
                f"-DSA_DTYPE={DTYPE_CODES[dtype]}",
                f"-I{SOURCE_DIR}",
                str(SOURCE_DIR / CPU_SOURCE),
                "-o",
                tmp,
                "-lm",
            ]
            try:
                done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
            except (OSError, subprocess.SubprocessError) as err:
                errors.append(f"{' '.join(cmd)}: {err}")
                continue
            if done.returncode == 0:
                os.chmod(tmp, 0o755)  # mkstemp made it private
                os.replace(tmp, target)  # atomic: readers see the old name or the whole file
                return
            errors.append(f"{' '.join(cmd)}:\n{done.stderr.strip()}")
        raise BuildError(f"compiling the cpu kernels with {cc} failed:\n" + "\n".join(errors[:1]))
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


@functools.cache
def load_library(dtype: str) -> ctypes.CDLL:
    """The CPU kernel library for ``dtype``, compiled on first use and cached on disk.

    :param dtype: ``"float32"`` or ``"float64"``.
    :raises BuildError: no working C compiler, or no writable cache (the message says what to
        do).
    """
    if dtype not in DTYPE_CODES:
        raise ValueError(f"no cpu kernel for dtype {dtype!r}; valid choices: {list(DTYPE_CODES)}")
    cc = find_compiler()
    path = library_path(dtype, cc)
    if not path.exists():
        assert cc is not None  # library_path raised otherwise
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with _lock(path.with_name(path.name + ".lock")):
                if not path.exists():  # another process may have built it while we waited
                    _compile(cc, dtype, path)
        except OSError as err:
            raise BuildError(
                f"cannot write the kernel cache {path.parent} ({err}); set SPIKEAGENTS_CACHE "
                "to a writable directory"
            ) from err
    lib = ctypes.CDLL(str(path))
    if lib.sa_abi_version() != ABI_VERSION or lib.sa_dtype() != DTYPE_CODES[dtype]:
        raise BuildError(f"{path} is not a {dtype} kernel library of ABI {ABI_VERSION}")
    return lib
