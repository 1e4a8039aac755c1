"""MNIST and Fashion-MNIST from their IDX files (downloaded and verified), and scikit-learn's
8x8 digits upsampled to 28x28 (shipped with scikit-learn, no download).

Files on disk::

    <root>/mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz
    <root>/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte.gz

Example::

    images, labels = load_mnist("data", train=False)             # uint8 [10000, 28, 28], int64
    x_train, y_train, x_test, y_test = load_digits_28()           # float32 [N, 1, 28, 28]
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from spikeagents.datasets.download import DatasetUnavailableError, Resource, fetch
from spikeagents.datasets.idx import IdxFormatError, read_idx

__all__ = [
    "MNIST_KINDS",
    "MNIST_CLASSES",
    "FASHION_CLASSES",
    "DIGITS_CLASSES",
    "mnist_resources",
    "load_mnist",
    "load_digits_28",
]

_MNIST_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
_FASHION_MIRRORS = ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",)
#: published MD5s of the four files of each dataset
_MD5 = {
    "mnist": {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    },
    "fashion": {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    },
}
_FOLDERS = {"mnist": "mnist", "fashion": "fashion-mnist"}
_MIRRORS = {"mnist": _MNIST_MIRRORS, "fashion": _FASHION_MIRRORS}
_PAGES = {
    "mnist": "http://yann.lecun.com/exdb/mnist/",
    "fashion": "https://github.com/zalandoresearch/fashion-mnist",
}

MNIST_KINDS = ("mnist", "fashion")
MNIST_CLASSES = tuple(str(d) for d in range(10))
DIGITS_CLASSES = MNIST_CLASSES
FASHION_CLASSES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)


def mnist_resources(kind: str, train: bool) -> tuple[Resource, Resource]:
    """The (images, labels) resources of ``kind`` (``"mnist"`` or ``"fashion"``)."""
    if kind not in MNIST_KINDS:
        raise ValueError(f"unknown MNIST kind {kind!r}; valid choices: {', '.join(MNIST_KINDS)}")
    prefix = "train" if train else "t10k"
    names = (f"{prefix}-images-idx3-ubyte.gz", f"{prefix}-labels-idx1-ubyte.gz")
    return tuple(  # type: ignore[return-value]
        Resource(
            name,
            md5=_MD5[kind][name],
            urls=tuple(m + name for m in _MIRRORS[kind]),
            page=_PAGES[kind],
        )
        for name in names
    )


def load_mnist(
    root: str | Path,
    train: bool = True,
    kind: str = "mnist",
    download: bool = True,
    progress: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """Images ``uint8 [N, 28, 28]`` and labels ``int64 [N]`` of MNIST or Fashion-MNIST.

    The IDX files live in ``<root>/mnist`` or ``<root>/fashion-mnist``; missing ones are
    downloaded and every file is checked against its published MD5.

    :param kind: ``"mnist"`` or ``"fashion"``.
    :raises DatasetUnavailableError: a file is missing and cannot be downloaded.
    :raises IdxFormatError: a file is not valid IDX, or images and labels disagree.
    """
    folder = Path(root) / _FOLDERS.get(kind, kind)
    image_res, label_res = mnist_resources(kind, train)
    image_path = fetch(image_res, folder, download=download, progress=progress)
    label_path = fetch(label_res, folder, download=download, progress=progress)
    images, labels = read_idx(image_path), read_idx(label_path)
    if images.ndim != 3 or images.dtype != np.uint8:
        raise IdxFormatError(f"{image_path}: expected uint8 images [N, H, W], got {images.shape}")
    if labels.ndim != 1 or len(labels) != len(images):
        raise IdxFormatError(
            f"{label_path}: expected {len(images)} labels for {image_path.name}, "
            f"got shape {labels.shape}"
        )
    if labels.size and int(labels.max()) > 9:
        raise IdxFormatError(f"{label_path}: labels must be 0..9, found {int(labels.max())}")
    return images, labels.astype(np.int64)


def load_digits_28(
    test_size: float = 0.2, split_seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """scikit-learn's 1797 8x8 handwritten digits, upsampled to 28x28, split stratified.

    Pixel values 0..16 are scaled to [0, 1] and upsampled bilinearly (``align_corners=False``).
    The split keeps each class's share in both parts and depends only on ``split_seed``.

    :return: ``x_train float32 [N, 1, 28, 28], y_train int64 [N], x_test, y_test``
        (1437 / 360 samples for ``test_size=0.2``).
    :raises DatasetUnavailableError: scikit-learn is not installed.
    """
    try:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split
    except ImportError:
        raise DatasetUnavailableError(
            "data 'digits' needs scikit-learn: pip install scikit-learn"
        ) from None
    import torch
    import torch.nn.functional as F

    digits = load_digits()
    images = torch.from_numpy(digits.images.astype(np.float32) / 16.0).unsqueeze(1)
    images = F.interpolate(images, size=(28, 28), mode="bilinear", align_corners=False)
    x = images.clamp_(0.0, 1.0).numpy()
    y = digits.target.astype(np.int64)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=test_size, stratify=y, random_state=split_seed
    )
    return x_train, y_train, x_test, y_test
