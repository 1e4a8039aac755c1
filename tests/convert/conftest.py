"""A small trained ReLU CNN on scikit-learn's 8x8 digits, shared by the conversion tests."""

from __future__ import annotations

import pytest
import torch
from torch import nn


def toy_cnn() -> nn.Sequential:
    """``[B, 1, 8, 8] -> [B, 10]``: Conv-BN-ReLU-AvgPool-Flatten-Linear-ReLU-Linear."""
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.AvgPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.1),
        nn.Linear(8 * 4 * 4, 32),
        nn.ReLU(),
        nn.Linear(32, 10),
    )


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """One torch thread: these small models run faster that way on a shared machine."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def digits8():
    """``(x_train [N, 1, 8, 8], y_train, x_test, y_test)`` in [0, 1]."""
    datasets = pytest.importorskip("sklearn.datasets")
    d = datasets.load_digits()
    x = torch.tensor(d.images, dtype=torch.float32).unsqueeze(1) / 16.0
    y = torch.tensor(d.target)
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(0))
    x, y = x[perm], y[perm]
    return x[:1400], y[:1400], x[1400:], y[1400:]


@pytest.fixture(scope="module")
def trained_toy(digits8):
    """The toy CNN trained for a few seconds (about 95% test accuracy)."""
    torch.manual_seed(0)
    x, y, _, _ = digits8
    model = toy_cnn()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for _ in range(8):
        for i in range(0, len(x), 100):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x[i : i + 100]), y[i : i + 100]).backward()
            opt.step()
    return model.eval()
