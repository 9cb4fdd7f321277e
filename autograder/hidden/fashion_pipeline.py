"""Hidden checks for ``fashion_pipeline``: random batch sizes, another image folder, other datasets.

Sizes and seeds come from one seeded generator (``_draw``), so each run of the
hidden tests is reproducible but differs from the visible ones.
"""

from __future__ import annotations

import random
import tempfile
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset, TensorDataset

from autograder.checks import fashion_pipeline as visible

_RNG = random.Random(20240919)


def _draw(low: int, high: int) -> int:
    return _RNG.randint(low, high)


def _write_idx(path: Path, array: np.ndarray) -> None:
    """An IDX file as FashionMNIST ships it (big-endian header: magic, then the dimensions)."""
    magic = 0x0800 | array.ndim
    header = np.array([magic, *array.shape], dtype=">i4").tobytes()
    path.write_bytes(header + array.astype(np.uint8).tobytes())


def fake_fashion_root(folder: Path, n_train: int, n_test: int, seed: int):
    """A data root holding a small FashionMNIST of random images, in torchvision's layout; returns the truth."""
    rng = np.random.default_rng(seed)
    raw = folder / "FashionMNIST" / "raw"
    raw.mkdir(parents=True)
    truth = {}
    for prefix, n, train in (("train", n_train, True), ("t10k", n_test, False)):
        images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = rng.integers(0, 10, size=n, dtype=np.uint8)
        _write_idx(raw / f"{prefix}-images-idx3-ubyte", images)
        _write_idx(raw / f"{prefix}-labels-idx1-ubyte", labels)
        truth[train] = (torch.from_numpy(images).unsqueeze(1).float().div(255), torch.from_numpy(labels).long())
    return truth


def get_fashion_datasets(get_fashion_datasets) -> None:
    """Another data root (a string path, holding a small random FashionMNIST): the datasets come from ``root``,
    the right split each, with ``ToTensor()``."""
    n_train, n_test = _draw(40, 90), _draw(10, 30)
    with tempfile.TemporaryDirectory() as tmp:
        truth = fake_fashion_root(Path(tmp) / "other data", n_train, n_test, seed=21)
        result = visible._unpack(visible.call(get_fashion_datasets, str(Path(tmp) / "other data"),
                                              name="get_fashion_datasets"), 2, "get_fashion_datasets(root)",
                                 "train_ds, test_ds")
        visible.check_datasets(*result, truth[True], truth[False],
                               indices_train=sorted({0, _draw(1, n_train - 1), n_train - 1}),
                               indices_test=sorted({0, _draw(1, n_test - 1), n_test - 1}))


def make_loaders(make_loaders) -> None:
    """Random batch sizes: FashionMNIST batch shapes, then order and batch sizes over index datasets of random sizes."""
    batch_size = _draw(10, 200)
    while visible.N_TEST % batch_size == 0:  # a last, smaller test batch
        batch_size += 1
    visible.make_loaders(make_loaders, batch_size=batch_size, n_train=_draw(1000, 5000), n_test=_draw(300, 2000))
    visible.check_loaders(make_loaders, n_train=_draw(50, 300), n_test=_draw(20, 120), batch_size=_draw(3, 19))


def custom_image_dataset(CustomImageDataset) -> None:
    """Another folder (a name with a space, files in per-class subfolders), another image size, more images."""
    visible.custom_image_dataset(CustomImageDataset, n=_draw(30, 60), seed=23, size=(_draw(16, 32), _draw(16, 32)),
                                 nested=True, folder_name="my dataset")


def channel_mean_std(channel_mean_std) -> None:
    """Random batch sizes on a few thousand FashionMNIST images sorted by class, equal batches and uneven ones,
    and a synthetic set of another image size; each compared with the grader's exact statistics (1e-4)."""
    X, y = visible.reference_tensors(True)
    g = torch.Generator().manual_seed(24)
    indices = torch.randperm(len(X), generator=g)[:_draw(2000, 5000)]
    images, labels = X[indices], y[indices]
    batch_size = _draw(20, 400)
    loader = visible.batch_loader(images, labels, visible.sorted_uneven_batches(labels, [batch_size]))
    visible.check_mean_std(channel_mean_std, loader, images, f"{len(images)} images sorted by class, batch size {batch_size}")
    sizes = [_draw(8, 300) for _ in range(5)]
    loader = visible.batch_loader(images, labels, visible.sorted_uneven_batches(labels, sizes))
    visible.check_mean_std(channel_mean_std, loader, images, f"{len(images)} images sorted by class, batch sizes {sizes}")
    n, side = _draw(300, 900), _draw(8, 20)
    brightness = torch.linspace(0.1, 0.9, n).reshape(n, 1, 1, 1)
    synthetic = (brightness + 0.05 * torch.randn(n, 1, side, side, generator=g)).clamp(0, 1)
    loader = visible.CountingLoader(TensorDataset(synthetic, torch.zeros(n, dtype=torch.int64)), batch_size=_draw(9, 50))
    visible.check_mean_std(channel_mean_std, loader, synthetic, f"{n} synthetic {side}x{side} images")


class _ColorDataset(Dataset):
    """``n`` random 3-channel images of ``side`` x ``side`` pixels, computed on access, with int labels."""

    def __init__(self, n: int, side: int, seed: int):
        self.n, self.side, self.seed = n, side, seed

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: int):
        if not 0 <= index < self.n:
            raise IndexError(index)
        g = torch.Generator().manual_seed(self.seed * 100_003 + index)
        return torch.rand(3, self.side, self.side, generator=g), int(torch.randint(0, 7, (1,), generator=g))


def preload(preload) -> None:
    """Another dataset: random 3-channel images of another size, computed on access; and another FashionMNIST subset."""
    visible.check_preload(preload, _ColorDataset(_draw(20, 80), _draw(5, 12), seed=25), "a dataset of color images")
    visible.preload(preload, n=_draw(200, 600), seed=26)


def show_batch(show_batch) -> None:
    """Random batch sizes and columns (a single row, a last row not full), other class names, other image sizes."""
    g = torch.Generator().manual_seed(27)
    names = {k: name for k, name in enumerate(["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"])}
    for n, ncols in ((_draw(3, 6), 8), (_draw(9, 15), _draw(4, 6))):
        if n % ncols == 0:
            n += 1
        height, width = _draw(10, 30), _draw(10, 30)
        images = torch.rand(n, 1, height, width, generator=g)
        labels = torch.randint(0, len(names), (n,), generator=g)
        visible.check_show_batch(show_batch, images, labels, names, ncols=ncols)
    X, y = visible.reference_tensors(False)
    n = _draw(17, 30)
    visible.check_show_batch(show_batch, X[100:100 + n], y[100:100 + n], dict(enumerate(visible.CLASS_NAMES)), ncols=None)
