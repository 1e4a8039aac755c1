"""Safe extraction (path traversal refused) and crash-safe caches (a killed write leaves
nothing that loads)."""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
import textwrap
import warnings
import zipfile

import numpy as np
import pytest

from spikeagents.datasets.archive import UnsafeArchiveError, extract_archive
from spikeagents.datasets.cache import CacheError, load_arrays, load_or_build, save_arrays


def _tar(path, members):
    """members: (name, data or None for a dir, linkname or None)."""
    with tarfile.open(path, "w:gz") as tf:
        for name, data, link in members:
            info = tarfile.TarInfo(name)
            if link is not None:
                info.type, info.linkname = tarfile.SYMTYPE, link
                tf.addfile(info)
            elif data is None:
                info.type = tarfile.DIRTYPE
                tf.addfile(info)
            else:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    return path


def test_extracts_a_normal_archive(tmp_path):
    arc = _tar(tmp_path / "a.tar.gz", [("d", None, None), ("d/x.txt", b"hello", None)])
    out = extract_archive(arc, tmp_path / "out")
    assert (out / "d" / "x.txt").read_bytes() == b"hello"
    assert [p.name for p in out.iterdir()] == ["d"]  # no staging folder left


@pytest.mark.parametrize(
    "member",
    [
        ("../evil.txt", b"x", None),
        ("d/../../evil.txt", b"x", None),
        ("/tmp/evil.txt", b"x", None),
        ("link", None, "../../outside"),
        ("link", None, "/etc/passwd"),
    ],
)
def test_refuses_path_traversal_in_tar(tmp_path, member):
    arc = _tar(tmp_path / "evil.tar.gz", [("ok.txt", b"fine", None), member])
    with pytest.raises(UnsafeArchiveError, match="refusing member"):
        extract_archive(arc, tmp_path / "out")
    assert not (tmp_path / "evil.txt").exists()
    assert not list((tmp_path / "out").iterdir())  # nothing at all was extracted


def test_refuses_path_traversal_in_zip(tmp_path):
    arc = tmp_path / "evil.zip"
    with zipfile.ZipFile(arc, "w") as zf:
        zf.writestr("ok.txt", "fine")
        zf.writestr("../../evil.txt", "x")
    with pytest.raises(UnsafeArchiveError, match="climbs out"):
        extract_archive(arc, tmp_path / "out")
    assert not list((tmp_path / "out").iterdir())


def test_truncated_archive_is_a_clear_error(tmp_path):
    arc = _tar(tmp_path / "a.tar.gz", [("x.bin", bytes(range(256)) * 400, None)])
    arc.write_bytes(arc.read_bytes()[:200])
    with pytest.raises(ValueError, match="corrupt or truncated|not a tar or zip"):
        extract_archive(arc, tmp_path / "out")


def test_cache_round_trip_and_damage(tmp_path):
    path = save_arrays(tmp_path / "c.npz", frames=np.arange(6).reshape(2, 3), label=np.int64(4))
    data = load_arrays(path, ("frames", "label"))
    np.testing.assert_array_equal(data["frames"], np.arange(6).reshape(2, 3))
    with pytest.raises(CacheError, match="lacks"):
        load_arrays(path, ("other",))
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2])
    with pytest.raises(CacheError, match="damaged"):
        load_arrays(path)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        rebuilt = load_or_build(path, lambda: {"frames": np.ones(3)})
    np.testing.assert_array_equal(rebuilt["frames"], np.ones(3))
    np.testing.assert_array_equal(load_arrays(path)["frames"], np.ones(3))


def test_killed_cache_write_leaves_no_readable_cache(tmp_path):
    """A process SIGKILLed in the middle of writing leaves no file under the final name."""
    target = tmp_path / "frames.npz"
    script = textwrap.dedent(
        f"""
        import os, signal, numpy as np
        from spikeagents.datasets import cache
        def half_then_die(f, **arrays):
            f.write(b"PK\\x03\\x04" + b"\\0" * 1000)   # the start of a zip, then killed
            f.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        cache.np.savez = half_then_die
        cache.save_arrays({str(target)!r}, frames=np.zeros(100000))
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert proc.returncode == -9, proc.stderr.decode()
    assert not target.exists()
    leftovers = list(tmp_path.iterdir())
    assert leftovers and all(p.name.startswith(".frames.") for p in leftovers)
    with pytest.raises(FileNotFoundError):
        load_arrays(target)
    built = load_or_build(target, lambda: {"frames": np.arange(3)})
    np.testing.assert_array_equal(built["frames"], np.arange(3))
