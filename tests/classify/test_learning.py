"""Each pipeline learns: clearly above chance within seconds of CPU, on scikit-learn's digits
(real handwritten digits shipped with scikit-learn) or on synthesised DVS recordings read
through the real AEDAT/DVS128 Gesture loader."""

from __future__ import annotations

import pytest

from spikeagents.classify.api import classify
from spikeagents.datasets.synthetic import write_synthetic_gesture_folder

pytestmark = pytest.mark.slow

FAST = ["threads=1", "batch_size=16", "optimizer.lr=0.005"]


@pytest.mark.parametrize(
    "task, overrides, epochs, at_least",
    [
        ("mnist-fc", ["T=20", *FAST], 5, 0.5),  # chance: 0.1
        ("mnist-single", ["T=20", *FAST], 3, 0.6),
        (
            "fashion-conv",
            ["model.channels=16", "model.hidden=256", "batch_size=32", "threads=1"],
            2,
            0.6,
        ),
    ],
)
def test_image_pipelines_learn_the_digits(tmp_path, task, overrides, epochs, at_least):
    pytest.importorskip("sklearn")
    metrics = classify(
        task,
        overrides=["data=digits", *overrides],
        epochs=epochs,
        runs_root=tmp_path,
        progress=False,
    )
    assert metrics["test_acc"] >= at_least, metrics["history"]


def test_dvs_pipeline_learns_moving_bars(tmp_path):
    write_synthetic_gesture_folder(
        tmp_path / "data", train_users=range(1, 9), test_users=(9, 10, 11), gestures_per_class=2
    )  # 4 classes: chance 0.25; 64 training and 24 test samples
    overrides = [
        "T=8",
        "frames.frame_size=32",
        "batch_size=8",
        "device=cpu",
        "threads=1",
        "num_workers=0",
        "model.channels=16",
        "model.hidden=64",
        "model.dropout=0.0",
        "optimizer.lr=0.01",
    ]
    metrics = classify(
        "dvs-gesture",
        data_dir=tmp_path / "data",
        overrides=overrides,
        epochs=12,
        runs_root=tmp_path,
        progress=False,
    )
    assert metrics["n_train"] == 64 and metrics["n_test"] == 24
    assert metrics["test_acc"] >= 0.6, metrics["history"]
