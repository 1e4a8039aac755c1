"""Datasets: verified downloads, safe extraction, atomic caches, IDX and AEDAT files, events.

- :mod:`~spikeagents.datasets.download`: :class:`Resource`, :func:`fetch` (resumable, MD5 or
  SHA-256 checked, a clear message when offline or when a file must be fetched by hand).
- :mod:`~spikeagents.datasets.archive`: :func:`extract_archive` refuses path traversal.
- :mod:`~spikeagents.datasets.cache`: ``.npz`` caches written to a temporary name and renamed.
- :mod:`~spikeagents.datasets.mnist`: MNIST / Fashion-MNIST (IDX), scikit-learn digits at 28x28.
- :mod:`~spikeagents.datasets.events`: integrate event streams into frames.
- :mod:`~spikeagents.datasets.aedat`, :mod:`~spikeagents.datasets.dvs_gesture`: DVS128 Gesture.
- :mod:`~spikeagents.datasets.synthetic`: moving-bar recordings in the DVS128 Gesture layout.
"""

from spikeagents.datasets.aedat import AedatFormatError, read_aedat31, write_aedat31
from spikeagents.datasets.archive import UnsafeArchiveError, extract_archive
from spikeagents.datasets.cache import CacheError, load_arrays, load_or_build, save_arrays
from spikeagents.datasets.download import (
    ChecksumError,
    DatasetUnavailableError,
    Resource,
    fetch,
)
from spikeagents.datasets.dvs_gesture import GESTURE_CLASSES, DVSGestureFrames
from spikeagents.datasets.events import (
    integrate_events_by_count,
    integrate_events_by_duration,
    integrate_events_by_time,
    integrate_events_to_frames,
)
from spikeagents.datasets.idx import IdxFormatError, read_idx, write_idx
from spikeagents.datasets.mnist import load_digits_28, load_mnist

__all__ = [
    "AedatFormatError",
    "CacheError",
    "ChecksumError",
    "DVSGestureFrames",
    "DatasetUnavailableError",
    "GESTURE_CLASSES",
    "IdxFormatError",
    "Resource",
    "UnsafeArchiveError",
    "extract_archive",
    "fetch",
    "integrate_events_by_count",
    "integrate_events_by_duration",
    "integrate_events_by_time",
    "integrate_events_to_frames",
    "load_arrays",
    "load_digits_28",
    "load_mnist",
    "load_or_build",
    "read_aedat31",
    "read_idx",
    "save_arrays",
    "write_aedat31",
    "write_idx",
]
