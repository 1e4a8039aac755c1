"""AEDAT 3.1 recordings written byte by byte (independently of the writer) and synthesised
moving-bar recordings in the DVS128 Gesture layout, read through the real loader."""

from __future__ import annotations

import json
import struct
import tarfile

import numpy as np
import pytest

from spikeagents.datasets import dvs_gesture
from spikeagents.datasets.aedat import AedatFormatError, read_aedat31, write_aedat31
from spikeagents.datasets.download import ChecksumError, DatasetUnavailableError, file_md5
from spikeagents.datasets.dvs_gesture import (
    DVSGestureFrames,
    GestureFormatError,
    iter_gesture_samples,
    read_gesture_labels,
)
from spikeagents.datasets.synthetic import write_synthetic_gesture_folder

HEADER = b"#!AER-DAT3.1\r\n#Format: RAW\r\n#Source 1: DVS128\r\n#!END-HEADER\r\n"


def _packet(e_type, events, size=8, overflow=0, capacity=None):
    """One packet per the AEDAT 3.1 spec: 28-byte header + capacity * size bytes."""
    n = len(events)
    capacity = n if capacity is None else capacity
    head = struct.pack("<hhiiiiii", e_type, 1, size, 4, overflow, capacity, n, n)
    body = b"".join(struct.pack("<Ii", d, ts) for d, ts in events)
    return head + body + b"\0" * (capacity - n) * size


def _polarity(x, y, p, valid=1):
    return (x << 17) | (y << 2) | (p << 1) | valid


def test_reads_hand_written_aedat31(tmp_path):
    data = HEADER
    data += _packet(1, [(_polarity(5, 9, 1), 100), (_polarity(127, 0, 0), 105)], capacity=4)
    data += _packet(0, [(0xFFFF, 106)], size=8)  # a special-event packet: skipped
    data += _packet(1, [(_polarity(3, 4, 1, valid=0), 107)])  # invalid event: dropped
    data += _packet(1, [(_polarity(64, 127, 0), 5)], overflow=1)  # t = 1 << 31 | 5
    path = tmp_path / "rec.aedat"
    path.write_bytes(data)
    ev = read_aedat31(path)
    assert ev["t"].tolist() == [100, 105, (1 << 31) | 5]
    assert ev["x"].tolist() == [5, 127, 64] and ev["y"].tolist() == [9, 0, 127]
    assert ev["p"].tolist() == [1, 0, 0]


def test_writer_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    n = 10_000
    t = np.sort(rng.integers(0, 1 << 33, n))  # crosses timestamp overflows
    ev = {
        "t": t,
        "x": rng.integers(0, 128, n),
        "y": rng.integers(0, 128, n),
        "p": rng.integers(0, 2, n),
    }
    back = read_aedat31(write_aedat31(tmp_path / "r.aedat", ev, packet_size=777))
    for key in "txyp":
        np.testing.assert_array_equal(back[key], ev[key])


def test_corrupt_and_truncated_aedat(tmp_path):
    good = HEADER + _packet(1, [(_polarity(1, 2, 1), 10)] * 4)
    path = tmp_path / "bad.aedat"
    cases = {
        "truncated packet 0": good[:-5],
        "truncated packet header": good + b"\x01\x00\x08",
        "not an AEDAT file": b"hello" + good,
        "version 2.0 is not supported": b"#!AER-DAT2.0\r\n" + good[14:],
        "no '#!END-HEADER'": HEADER[:30],
        "corrupt packet header": HEADER + struct.pack("<hhiiiiii", 1, 1, 8, 4, 0, 2, 5, 5),
    }
    for what, data in cases.items():
        path.write_bytes(data)
        with pytest.raises(AedatFormatError, match=what):
            read_aedat31(path)


@pytest.fixture(scope="module")
def gesture_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("gesture")
    write_synthetic_gesture_folder(root, train_users=(1, 2), test_users=(3,), classes=(0, 3, 7))
    return root


def test_samples_are_cut_by_the_csv_labels(gesture_root):
    folder = gesture_root / "DvsGesture"
    samples = list(iter_gesture_samples(folder, train=True))
    assert len(samples) == 6  # 2 users x 3 classes
    labels = read_gesture_labels(folder / "user01_lab_labels.csv")
    assert sorted(labels[:, 0].tolist()) == [0, 3, 7]
    for name, label, ev in samples[:3]:
        k = int(name.rsplit("_", 1)[1])
        lab, start, end = labels[k]
        assert label == lab and len(ev["t"]) == 3000  # the noise gaps are left out
        assert ev["t"].min() >= start and ev["t"].max() < end


def test_frames_dataset_and_its_cache(gesture_root, monkeypatch):
    ds = DVSGestureFrames(gesture_root, train=False, T=4, split_by="number")
    assert len(ds) == 3 and sorted(ds.targets) == [0, 3, 7]
    frames, label = ds[0]
    assert frames.shape == (4, 2, 128, 128) and frames.dtype.is_floating_point
    assert float(frames.sum()) == 3000.0  # every event of the span counted once
    assert frames.sum(dim=(1, 2, 3)).tolist() == [750.0] * 4  # split by count: 3000 / 4
    small, _ = DVSGestureFrames(gesture_root, train=False, T=4, frame_size=32)[0]
    assert small.shape == (4, 2, 32, 32) and float(small.sum()) == 3000.0

    def no_reading(path):
        raise AssertionError("the cache should have been used")

    monkeypatch.setattr(dvs_gesture, "read_aedat31", no_reading)
    again = DVSGestureFrames(gesture_root, train=False, T=4, split_by="number")
    assert again.samples == ds.samples


def test_interrupted_cache_build_resumes(gesture_root, monkeypatch):
    cache = gesture_root / "cache" / "frames_T2_time_128px" / "train"
    real = dvs_gesture.read_aedat31
    calls = []

    def read_once(path):
        calls.append(path.name)
        if len(calls) == 2:
            raise KeyboardInterrupt  # killed while caching the second recording
        return real(path)

    monkeypatch.setattr(dvs_gesture, "read_aedat31", read_once)
    with pytest.raises(KeyboardInterrupt):
        DVSGestureFrames(gesture_root, train=True, T=2, split_by="time")
    assert not (cache / "index.json").exists() and len(list(cache.glob("*.npz"))) == 3
    ds = DVSGestureFrames(gesture_root, train=True, T=2, split_by="time")
    assert calls == ["user01_lab.aedat", "user02_lab.aedat", "user02_lab.aedat"]
    assert len(ds) == 6 and json.loads((cache / "index.json").read_text())["T"] == 2


def test_missing_dataset_says_how_to_get_it(tmp_path):
    with pytest.raises(DatasetUnavailableError) as err:
        DVSGestureFrames(tmp_path, train=True, T=4)
    msg = str(err.value)
    assert (
        "by hand" in msg and "ibm.ent.box.com" in msg and "8a5c71fb11e24e5ca5b11866ca6c00a1" in msg
    )


def test_archive_is_verified_and_extracted(tmp_path, monkeypatch):
    src = tmp_path / "src"
    write_synthetic_gesture_folder(src, train_users=(1,), test_users=(2,), classes=(1,))
    root = tmp_path / "root"
    (root / "download").mkdir(parents=True)
    archive = root / "download" / "DvsGesture.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(src / "DvsGesture", arcname="DvsGesture")
    with pytest.raises(ChecksumError, match="8a5c71fb11e24e5ca5b11866ca6c00a1"):
        DVSGestureFrames(root, train=True, T=2)
    fake = dvs_gesture.Resource("DvsGesture.tar.gz", md5=file_md5(archive))
    monkeypatch.setattr(dvs_gesture, "GESTURE_ARCHIVE", fake)
    ds = DVSGestureFrames(root, train=True, T=2)
    assert len(ds) == 1 and ds.targets == [1]
    assert (root / "extract" / "DvsGesture" / "trials_to_test.txt").is_file()


def test_malformed_labels_csv(tmp_path):
    path = tmp_path / "u_labels.csv"
    path.write_text("class,startTime_usec,endTime_usec\n1,10,20\n12,30,40\n")
    with pytest.raises(GestureFormatError, match=r"u_labels.csv:3: class must be 1..11"):
        read_gesture_labels(path)
    path.write_text("class,startTime_usec,endTime_usec\n1,10,x\n")
    with pytest.raises(GestureFormatError, match=":2: expected three integers"):
        read_gesture_labels(path)
    path.write_text("1,10,20\n")
    with pytest.raises(GestureFormatError, match="header"):
        read_gesture_labels(path)
