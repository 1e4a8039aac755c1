"""DVS128 Gesture (Amir et al., CVPR 2017): 11 gestures, 128x128 DVS, AEDAT 3.1 recordings.

IBM serves the dataset behind a login, so it is downloaded by hand from
https://ibm.ent.box.com/s/3hiq58ww1pbbjrinh367ykfdf60xsfm8/folder/50167556794 and put in
``root`` as ``DvsGesture.tar.gz`` (checked against its MD5 and extracted safely to
``root/extract``) or as the extracted ``DvsGesture/`` folder. That folder holds::

    userNN_<lighting>.aedat          one recording, several gestures
    userNN_<lighting>_labels.csv     "class,startTime_usec,endTime_usec", class 1..11
    trials_to_train.txt, trials_to_test.txt   the recordings of each split (users 1-23 / 24-29)

Each labelled span ``start <= t < end`` of a recording is one sample. Samples are integrated
into T frames (split by event count or by time, see :mod:`spikeagents.datasets.events`),
optionally downscaled to ``frame_size`` pixels, and cached once per setting::

    root/cache/frames_T<T>_<split_by>_<size>px/<train|test>/<recording>_<k>.npz  (uint16 counts)
    root/cache/frames_T<T>_<split_by>_<size>px/<train|test>/index.json           written last

Every cache file is written atomically; a run killed while caching resumes where it stopped.

Example::

    train = DVSGestureFrames("data/dvs128-gesture", train=True, T=16)
    frames, label = train[0]                      # float32 [16, 2, 128, 128], int
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from spikeagents.datasets.aedat import read_aedat31
from spikeagents.datasets.archive import extract_archive
from spikeagents.datasets.cache import load_arrays, save_arrays
from spikeagents.datasets.download import DatasetUnavailableError, Resource, fetch
from spikeagents.datasets.events import SPLIT_BY, integrate_events_to_frames, resize_events

__all__ = [
    "GESTURE_CLASSES",
    "SENSOR_SIZE",
    "GESTURE_ARCHIVE",
    "GestureFormatError",
    "read_gesture_labels",
    "read_trials",
    "locate_recordings",
    "iter_gesture_samples",
    "build_gesture_frames",
    "DVSGestureFrames",
]

GESTURE_CLASSES = (
    "hand clap",
    "right hand wave",
    "left hand wave",
    "right arm clockwise",
    "right arm counter-clockwise",
    "left arm clockwise",
    "left arm counter-clockwise",
    "arm roll",
    "air drums",
    "air guitar",
    "other",
)
SENSOR_SIZE = 128
IBM_PAGE = "https://ibm.ent.box.com/s/3hiq58ww1pbbjrinh367ykfdf60xsfm8/folder/50167556794"
GESTURE_ARCHIVE = Resource(
    "DvsGesture.tar.gz", md5="8a5c71fb11e24e5ca5b11866ca6c00a1", page=IBM_PAGE
)
_FOLDER = "DvsGesture"


class GestureFormatError(ValueError):
    """A labels CSV or trials list of the dataset is malformed (the message names the line)."""


def read_gesture_labels(path: str | Path) -> np.ndarray:
    """The labelled spans of one recording: ``int64 [K, 3]`` rows ``(class 0..10, start, end)``
    (the CSV's classes 1..11 minus one; times in microseconds, ``start < end``)."""
    path = Path(path)
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    if not lines or not lines[0].lower().startswith("class"):
        raise GestureFormatError(f"{path}: expected the header 'class,startTime_usec,endTime_usec'")
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if not line:
            continue
        try:
            label, start, end = (int(v) for v in line.split(","))
        except ValueError:
            raise GestureFormatError(
                f"{path}:{number}: expected three integers 'class,start,end', got {line!r}"
            ) from None
        if not 1 <= label <= len(GESTURE_CLASSES) or start >= end:
            raise GestureFormatError(
                f"{path}:{number}: class must be 1..{len(GESTURE_CLASSES)} and start < end, "
                f"got {line!r}"
            )
        rows.append((label - 1, start, end))
    return np.asarray(rows, dtype=np.int64).reshape(-1, 3)


def read_trials(path: str | Path) -> list[str]:
    """The recording names (``userNN_<lighting>``, no extension) listed in a trials file."""
    path = Path(path)
    if not path.is_file():
        raise DatasetUnavailableError(f"{path}: missing; the DvsGesture folder is incomplete")
    names = [Path(line.strip()).stem for line in path.read_text().splitlines() if line.strip()]
    if not names:
        raise GestureFormatError(f"{path}: lists no recordings")
    return names


def _manual_message(root: Path) -> str:
    return (
        f"DVS128 Gesture is not in {root}: IBM serves it behind a login, so download "
        f"DvsGesture.tar.gz by hand from {IBM_PAGE} and put it at {root / 'DvsGesture.tar.gz'} "
        f"(md5 {GESTURE_ARCHIVE.md5}), or put the extracted DvsGesture/ folder in {root}"
    )


def locate_recordings(root: str | Path) -> Path:
    """The ``DvsGesture`` folder under ``root``, extracting ``DvsGesture.tar.gz`` if needed.

    :raises DatasetUnavailableError: neither the folder nor the archive is there.
    :raises ChecksumError: the archive does not match the published MD5.
    """
    root = Path(root)
    for folder in (root / _FOLDER, root / "extract" / _FOLDER, root):
        if (folder / "trials_to_train.txt").is_file():
            return folder
    for where in (root, root / "download"):
        if (where / GESTURE_ARCHIVE.filename).is_file():
            archive = fetch(GESTURE_ARCHIVE, where, download=False)
            extract_archive(archive, root / "extract")
            folder = root / "extract" / _FOLDER
            if not (folder / "trials_to_train.txt").is_file():
                raise DatasetUnavailableError(f"{archive}: holds no {_FOLDER}/trials_to_train.txt")
            return folder
    raise DatasetUnavailableError(_manual_message(root))


def _recording_samples(folder: Path, name: str) -> tuple[np.ndarray, Path]:
    aedat = folder / f"{name}.aedat"
    if not aedat.is_file():
        raise DatasetUnavailableError(f"{aedat}: missing (listed in the trials file)")
    return read_gesture_labels(folder / f"{name}_labels.csv"), aedat


def iter_gesture_samples(
    folder: str | Path, train: bool
) -> Iterator[tuple[str, int, dict[str, np.ndarray]]]:
    """``(sample_name, label, events)`` for every labelled span of the split's recordings."""
    folder = Path(folder)
    for name in read_trials(folder / f"trials_to_{'train' if train else 'test'}.txt"):
        labels, aedat = _recording_samples(folder, name)
        for k, (label, events) in enumerate(_spans(read_aedat31(aedat), labels)):
            yield f"{name}_{k:02d}", label, events


def _spans(
    events: dict[str, np.ndarray], labels: np.ndarray
) -> Iterator[tuple[int, dict[str, np.ndarray]]]:
    """``(label, events with start <= t < end)`` for each labelled span."""
    t = events["t"]
    for label, start, end in labels:
        lo, hi = np.searchsorted(t, start, "left"), np.searchsorted(t, end, "left")
        yield int(label), {key: v[lo:hi] for key, v in events.items()}


def _sample_frames(events: dict[str, np.ndarray], T: int, split_by: str, size: int) -> np.ndarray:
    if size != SENSOR_SIZE:
        events = resize_events(events, SENSOR_SIZE, SENSOR_SIZE, size, size)
    frames = integrate_events_to_frames(events, T, split_by, size, size)
    return np.minimum(frames, np.iinfo(np.uint16).max).astype(np.uint16)


def build_gesture_frames(
    root: str | Path,
    train: bool,
    T: int,
    split_by: str = "number",
    frame_size: int = SENSOR_SIZE,
    progress: bool = False,
) -> Path:
    """Integrate every sample of a split into frames and cache them; return the cache folder.

    An existing complete cache (with ``index.json``) is reused; an incomplete one is finished.
    """
    if split_by not in SPLIT_BY:
        raise ValueError(f"unknown split_by {split_by!r}; valid choices: {', '.join(SPLIT_BY)}")
    if not 1 <= frame_size <= SENSOR_SIZE or SENSOR_SIZE % frame_size:
        raise ValueError(f"frame_size must divide {SENSOR_SIZE}, got {frame_size}")
    root = Path(root)
    split = "train" if train else "test"
    cache = root / "cache" / f"frames_T{T}_{split_by}_{frame_size}px" / split
    index = cache / "index.json"
    if index.is_file():
        return cache
    folder = locate_recordings(root)
    names = read_trials(folder / f"trials_to_{split}.txt")
    samples: list[tuple[str, int]] = []
    from tqdm.auto import tqdm

    for name in tqdm(names, desc=f"frames ({split})", disable=not progress, leave=False):
        labels, aedat = _recording_samples(folder, name)
        files = [cache / f"{name}_{k:02d}.npz" for k in range(len(labels))]
        if not all(f.is_file() for f in files):
            spans = _spans(read_aedat31(aedat), labels)
            for file, (label, segment) in zip(files, spans, strict=True):
                frames = _sample_frames(segment, T, split_by, frame_size)
                save_arrays(file, compress=True, frames=frames, label=np.int64(label))
        samples += [(f.name, int(lab)) for f, lab in zip(files, labels[:, 0], strict=True)]
    from spikeagents.rundir import atomic_write_text

    meta = {"T": T, "split_by": split_by, "frame_size": frame_size, "samples": samples}
    atomic_write_text(index, json.dumps(meta))
    return cache


class DVSGestureFrames(Dataset):
    """DVS128 Gesture as ``(frames float32 [T, 2, S, S], label)`` samples (``S = frame_size``).

    :param root: folder holding ``DvsGesture.tar.gz`` or ``DvsGesture/`` (see the module doc).
    :param train: the training split (users 1-23) or the test split (users 24-29).
    :param T: number of frames per sample. :param split_by: ``"number"`` or ``"time"``.
    :param frame_size: 128 (the sensor) or a divisor of it, e.g. 32 (4x4 pixel blocks summed).
    """

    classes = GESTURE_CLASSES

    def __init__(
        self,
        root: str | Path,
        train: bool = True,
        T: int = 16,
        split_by: str = "number",
        frame_size: int = SENSOR_SIZE,
        progress: bool = False,
    ) -> None:
        self.cache = build_gesture_frames(root, train, T, split_by, frame_size, progress)
        meta = json.loads((self.cache / "index.json").read_text())
        self.samples: list[tuple[str, int]] = [(str(f), int(lab)) for f, lab in meta["samples"]]
        self.targets = [lab for _, lab in self.samples]

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        name, label = self.samples[i]
        frames = load_arrays(self.cache / name, ("frames",))["frames"]
        return torch.from_numpy(frames.astype(np.float32)), label
