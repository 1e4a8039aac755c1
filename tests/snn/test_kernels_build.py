"""Building and caching the cpu kernel library: atomic, concurrent, and a clear fallback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from spikeagents.snn.dynamics import NeuronSpec
from spikeagents.snn.kernels import _build, _fused, cpu
from spikeagents.snn.kernels.reference import multistep_reference
from spikeagents.snn.surrogate import ATan

_BUILD_AND_RUN = """
import torch
from spikeagents.snn.dynamics import NeuronSpec
from spikeagents.snn.kernels import _build
from spikeagents.snn.kernels.cpu import multistep_cpu
from spikeagents.snn.surrogate import ATan
print(_build.load_library("float32")._name)
s, v = multistep_cpu(torch.ones(4, 3), torch.zeros(3), NeuronSpec("lif"), ATan(), 0.5)
assert s[:, 0].tolist() == [0.0, 0.0, 0.0, 0.0] and abs(float(v[-1, 0]) - 0.9375) < 1e-7
"""


def test_concurrent_builds_into_a_fresh_cache(tmp_path: Path) -> None:
    """Two processes building the same library at once both succeed and leave one file."""
    env = {**os.environ, "SPIKEAGENTS_CACHE": str(tmp_path)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _BUILD_AND_RUN],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [p.communicate(timeout=600) for p in procs]
    for p, (_, err) in zip(procs, results, strict=True):
        assert p.returncode == 0, err
    paths = {out.strip() for out, _ in results}
    assert len(paths) == 1, "both processes must load the same cached library"
    files = sorted(f.name for f in (tmp_path / "kernels").iterdir())
    libraries = [f for f in files if f.endswith(".so")]
    assert len(libraries) == 1 and Path(paths.pop()).name == libraries[0]
    assert not [f for f in files if f.endswith(".tmp")], f"temporary files left: {files}"


def test_library_name_depends_on_sources_and_dtype(monkeypatch: pytest.MonkeyPatch) -> None:
    """A changed source or another dtype gives another cache entry (never a stale library)."""
    p32, p64 = _build.library_path("float32"), _build.library_path("float64")
    assert p32 != p64 and p32.parent == _build.cache_dir()
    original = _build._sources
    monkeypatch.setattr(_build, "_sources", lambda: original() + b"/* edited */")
    assert _build.library_path("float32") != p32


def test_cache_dir_follows_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SPIKEAGENTS_CACHE", str(tmp_path))
    assert _build.cache_dir() == tmp_path / "kernels"
    monkeypatch.delenv("SPIKEAGENTS_CACHE")
    assert _build.cache_dir() == Path.home() / ".cache" / "spikeagents" / "kernels"


def test_without_compiler_falls_back_with_one_warning(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """No compiler: the check says what to install, warns once, and calls run the reference."""
    monkeypatch.setenv("SPIKEAGENTS_CACHE", str(tmp_path))
    monkeypatch.setenv("CC", str(tmp_path / "no-such-compiler"))
    monkeypatch.setattr(_fused, "_WARNED", set())
    monkeypatch.setattr(cpu, "_LAUNCHERS", {})
    _build.load_library.cache_clear()
    try:
        with pytest.warns(RuntimeWarning, match="torch reference") as record:
            why = cpu.unavailable_reason(torch.device("cpu"))
            assert why is not None and "gcc" in why
            assert cpu.unavailable_reason(torch.device("cpu")) is not None
            x = torch.rand(5, 7) * 2
            got = cpu.multistep_cpu(x, torch.zeros(7), NeuronSpec("lif"), ATan(), 0.5)
        messages = {str(w.message) for w in record}
        assert len(record) == len(messages) <= 2, "each reason is warned about once"
        want = multistep_reference(x, torch.zeros(7), NeuronSpec("lif"), ATan(), 0.5)
        assert torch.equal(got[0], want[0])
        assert not list(tmp_path.glob("kernels/*.so"))
    finally:
        _build.load_library.cache_clear()  # later tests load the real library again


def test_cpu_check_rejects_other_devices() -> None:
    assert "CPU tensors only" in (cpu.unavailable_reason(torch.device("meta")) or "")
