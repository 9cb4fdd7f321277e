"""Visible checks for ``fashion_pipeline`` (contract section 3).

Each function receives the student's objects by name and checks type, then
dtype, then shape, then values.  The grader builds its own inputs: its own
FashionMNIST datasets and tensors (:func:`reference_datasets`,
:func:`reference_tensors`), a dataset that returns each sample's index as its
label (:class:`IndexDataset`, to see the order a loader visits), a loader that
counts how often it is iterated (:class:`CountingLoader`) and an image folder
written to a temporary directory (:func:`write_image_folder`).  So a mistake
in one function costs only that function's checks.

Tolerances: FashionMNIST's training-set statistics within ``1e-3`` of the
published 0.2860 / 0.3530 and within ``1e-4`` of the grader's own float64
computation; pixels copied by ``preload`` or read by ``CustomImageDataset``
within ``1e-6`` (they must be the same numbers).
"""

from __future__ import annotations

import csv
import math
import numbers
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torchvision
from PIL import Image
from torch.utils.data import BatchSampler, DataLoader, Dataset, RandomSampler, Subset, TensorDataset
from torchvision import transforms

from autograder.asserts import call, describe, expect_close, expect_float, expect_tensor, expect_type, quietly
from autograder.grader.judge import hand_over
from autograder.paths import data_root

N_TRAIN, N_TEST = 60_000, 10_000
# FashionMNIST's pixel statistics over the training set, as usually published.
PUBLISHED_MEAN, PUBLISHED_STD = 0.2860, 0.3530
CLASS_NAMES = list(torchvision.datasets.FashionMNIST.classes)  # ['T-shirt/top', 'Trouser', ..., 'Ankle boot']
# Spellings accepted for LABELS_MAP, compared lower-case with everything but letters removed.
_ACCEPTED_NAMES = [{re.sub("[^a-z]", "", name.lower())} for name in CLASS_NAMES]
_ACCEPTED_NAMES[0] |= {"tshirt", "top", "tee", "teeshirt"}


# --- inputs the grader builds for itself ------------------------------------------------

_CACHE: dict = {}


def reference_datasets(root=None) -> tuple[Dataset, Dataset]:
    """The grader's own FashionMNIST ``(train, test)`` datasets with ``ToTensor()``."""
    root = Path(root or data_root())
    key = ("datasets", str(root))
    if key not in _CACHE:
        with quietly():
            _CACHE[key] = tuple(torchvision.datasets.FashionMNIST(root, train=flag, transform=transforms.ToTensor())
                                for flag in (True, False))
    return _CACHE[key]


def reference_tensors(train: bool = True, root=None) -> tuple[torch.Tensor, torch.Tensor]:
    """A split as tensors in memory: images float32 ``(N, 1, 28, 28)`` in [0, 1], labels int64 ``(N,)``.

    ``uint8 / 255`` in float32, exactly the numbers ``ToTensor()`` gives sample by sample.
    """
    root = Path(root or data_root())
    key = ("tensors", train, str(root))
    if key not in _CACHE:
        with quietly():
            raw = torchvision.datasets.FashionMNIST(root, train=train)
        _CACHE[key] = (raw.data.unsqueeze(1).to(torch.float32).div(255), raw.targets.clone())
    return _CACHE[key]


class IndexDataset(Dataset):
    """``n`` samples; sample ``i`` is ``(tensor([i.0]), i)``, so a loader's labels show its order."""

    def __init__(self, n: int):
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, index: int):
        if not 0 <= index < self.n:
            raise IndexError(index)
        return torch.tensor([float(index)]), index


class CountingLoader(DataLoader):
    """A ``DataLoader`` that counts how many times it is iterated (``passes``)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.passes = 0

    def __iter__(self):
        self.passes += 1
        return super().__iter__()


def batch_loader(images: torch.Tensor, labels: torch.Tensor, batches) -> CountingLoader:
    """A :class:`CountingLoader` over ``TensorDataset(images, labels)`` whose batches are the index lists ``batches``
    (a list, or a ``BatchSampler``); each batch is gathered in one indexing operation, not sample by sample."""
    return CountingLoader(TensorDataset(images, labels), sampler=batches, batch_size=None)


def shuffled_batches(n: int, batch_size: int, seed: int) -> BatchSampler:
    """Shuffled batches of ``batch_size`` indices (the last one smaller), as ``DataLoader(shuffle=True)`` draws them."""
    return BatchSampler(RandomSampler(range(n), generator=torch.Generator().manual_seed(seed)), batch_size, drop_last=False)


def exact_mean_std(images: torch.Tensor) -> tuple[float, float]:
    """Mean and population standard deviation of every pixel, in float64."""
    values = images.to(torch.float64)
    return float(values.mean()), float(values.std(correction=0))


def sorted_uneven_batches(labels: torch.Tensor, sizes: list[int]) -> list[list[int]]:
    """Every index once, sorted by label, cut into batches whose sizes cycle through ``sizes``."""
    order = torch.argsort(labels, stable=True).tolist()
    batches, start, k = [], 0, 0
    while start < len(order):
        batches.append(order[start:start + sizes[k % len(sizes)]])
        start += sizes[k % len(sizes)]
        k += 1
    return batches


@dataclass
class ImageFolder:
    """An image folder the grader wrote: ``annotations`` (CSV ``file_name,label``), ``img_dir``, and the truth."""

    annotations: Path
    img_dir: Path
    names: list[str]
    labels: list[int]
    pixels: np.ndarray  # uint8 (n, height, width)


def _save_png(pixels: np.ndarray, path: Path) -> None:
    """Write a grayscale PNG atomically (a new file replaces the old one, as a re-export would)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    Image.fromarray(pixels).save(partial, format="PNG")
    os.replace(partial, path)


def write_image_folder(folder, n: int, seed: int, size: tuple[int, int] = (28, 28), nested: bool = False,
                       img_subdir: str = "images") -> ImageFolder:
    """Write ``n`` random grayscale PNGs and their annotations CSV under ``folder``.

    ``nested`` puts the files in per-class subfolders (``file_name`` like ``class_3/img_0007.png``).
    """
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    img_dir = folder / img_subdir
    pixels = rng.integers(0, 256, size=(n, *size), dtype=np.uint8)
    labels = [int(v) for v in rng.integers(0, 10, size=n)]
    names = []
    for i in range(n):
        name = f"img_{i:04d}_{rng.integers(10**6):06d}.png"
        if nested:
            name = f"class_{labels[i]}/{name}"
        names.append(name)
        _save_png(pixels[i], img_dir / name)
    annotations = folder / "annotations.csv"
    with open(annotations, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file_name", "label"])
        writer.writerows(zip(names, labels))
    return ImageFolder(annotations, img_dir, names, labels, pixels)


def overwrite_images(spec: ImageFolder, seed: int) -> np.ndarray:
    """Replace every image file of ``spec`` with new pixels; return them."""
    rng = np.random.default_rng(seed)
    new = rng.integers(0, 256, size=spec.pixels.shape, dtype=np.uint8)
    for name, pixels in zip(spec.names, new):
        _save_png(pixels, spec.img_dir / name)
    return new


def tiny_loader() -> DataLoader:
    """A loader of 8 random 1x4x4 images, for one cheap call of a student's function."""
    g = torch.Generator().manual_seed(0)
    return DataLoader(TensorDataset(torch.rand(8, 1, 4, 4, generator=g), torch.zeros(8, dtype=torch.int64)), batch_size=4)


def _iterate(loader, name: str) -> list:
    """All batches of ``loader`` (quietly: a loader's warnings must not reach the grade cell)."""
    try:
        with quietly():
            return list(loader)
    except Exception as error:
        raise AssertionError(f"iterating over {name} failed: {type(error).__name__}: {error}") from error


def _unpack(result, count: int, call_text: str, names: str):
    expect_type(result, (tuple, list), call_text, hint=f"return {names}")
    assert len(result) == count, f"{call_text} should return {count} values ({names}), but returned {len(result)}."
    return result


# --- checks ---------------------------------------------------------------------------

def labels_map(LABELS_MAP) -> None:
    """``LABELS_MAP`` maps the int keys 0-9 to FashionMNIST's class names, in torchvision's order.

    Spelling is free up to case and punctuation ("Ankle Boot", "ankle-boot"); class 0 may be
    "T-Shirt", "T-shirt/top" or "Top".
    """
    expect_type(LABELS_MAP, dict, "LABELS_MAP")
    assert sorted(LABELS_MAP, key=repr) == sorted(range(10), key=repr) and all(type(k) is int for k in LABELS_MAP), (
        f"LABELS_MAP should have the int keys 0 to 9, but found the keys {sorted(LABELS_MAP, key=repr)}."
    )
    for key in range(10):
        name = LABELS_MAP[key]
        expect_type(name, str, f"LABELS_MAP[{key}]")
        assert re.sub("[^a-z]", "", name.lower()) in _ACCEPTED_NAMES[key], (
            f"LABELS_MAP[{key}] should be {CLASS_NAMES[key]!r}, but found {name!r}.\n"
            f"Hint: the classes in order are {CLASS_NAMES}."
        )


def check_datasets(train_ds, test_ds, truth_train, truth_test, indices_train, indices_test) -> None:
    """The two datasets have the right lengths, and their samples are ``ToTensor()`` of the right images."""
    for ds, name in ((train_ds, "train_ds"), (test_ds, "test_ds")):
        expect_type(ds, Dataset, name, hint="torchvision.datasets.FashionMNIST(root, train=..., transform=ToTensor())")
    for ds, (images, _), name in ((train_ds, truth_train, "train_ds"), (test_ds, truth_test, "test_ds")):
        assert len(ds) == len(images), (
            f"len({name}) should be {len(images):,}, but found {len(ds):,}.\n"
            "Hint: train=True gives the training split, train=False the test split.")
    for ds, (images, labels), indices, name in ((train_ds, truth_train, indices_train, "train_ds"),
                                                 (test_ds, truth_test, indices_test, "test_ds")):
        for index in indices:
            with quietly():
                sample = ds[index]
            expect_type(sample, tuple, f"{name}[{index}]", hint="a dataset item is a tuple (image, label)")
            image, label = sample
            expect_tensor(image, f"the image of {name}[{index}]", dtype=torch.float32, shape=tuple(images.shape[1:]),
                          hint="transform=transforms.ToTensor() turns the PIL image into a float32 tensor (1, 28, 28)")
            low, high = float(image.min()), float(image.max())
            assert 0.0 <= low and high <= 1.0, (
                f"the pixels of {name}[{index}] should lie in [0, 1], but found values from {low:.4g} to {high:.4g}.\n"
                "Hint: ToTensor() alone scales uint8 0-255 to [0, 1]; do not normalize here.")
            expect_close(image, images[index], f"the image of {name}[{index}]", rtol=0, atol=1e-6,
                         hint="ToTensor() of the original image, nothing else")
            assert isinstance(label, numbers.Integral) and not isinstance(label, bool), (
                f"the label of {name}[{index}] should be an int, but found {describe(label)}.")
            assert int(label) == int(labels[index]), (
                f"the label of {name}[{index}] should be {int(labels[index])}, but found {int(label)}.")


def get_fashion_datasets(get_fashion_datasets, root=None) -> None:
    """``get_fashion_datasets(root)``: 60,000 training and 10,000 test samples, each a float32
    ``(1, 28, 28)`` tensor in [0, 1] equal to ``ToTensor()`` of the original image, with an int label."""
    root = root or data_root()
    result = _unpack(call(get_fashion_datasets, root, name="get_fashion_datasets"), 2,
                     "get_fashion_datasets(root)", "train_ds, test_ds")
    check_datasets(*result, reference_tensors(True, root), reference_tensors(False, root),
                   indices_train=[0, 1, 12_345, N_TRAIN - 1], indices_test=[0, 4_321, N_TEST - 1])


def check_order(loader, n: int, batch_size: int, name: str) -> list[int]:
    """Iterate ``loader`` over an :class:`IndexDataset` of ``n``; check the batch sizes; return the order."""
    batches = _iterate(loader, name)
    sizes = [len(labels) for _, labels in batches]
    full, last = divmod(n, batch_size)
    expected = [batch_size] * full + ([last] if last else [])
    if sizes != expected:
        raise AssertionError(
            f"{name} over {n:,} samples with batch_size={batch_size} should give {len(expected)} batches "
            f"({full} of {batch_size}" + (f" and a last one of {last}" if last else "") + f"), but gave "
            f"{len(sizes)} batches of sizes {sizes[:3]}...{sizes[-2:]}.\n"
            "Hint: keep the last, smaller batch (drop_last=False, the default).")
    return torch.cat([labels for _, labels in batches]).tolist()


def check_loaders(make_loaders, n_train: int, n_test: int, batch_size: int | None) -> None:
    """Over index datasets: the training loader visits every index once per epoch in a new order, the test loader in order."""
    args = {} if batch_size is None else {"batch_size": batch_size}
    size = batch_size or 64
    train_loader, test_loader = _unpack(
        call(make_loaders, IndexDataset(n_train), IndexDataset(n_test), name="make_loaders", **args), 2,
        "make_loaders(train_ds, test_ds)", "train_loader, test_loader")
    epochs = [check_order(train_loader, n_train, size, "train_loader") for _ in range(2)]
    for epoch, order in enumerate(epochs, start=1):
        assert sorted(order) == list(range(n_train)), (
            f"in epoch {epoch} the training loader should visit each of the {n_train:,} samples exactly once, "
            f"but visited {len(set(order)):,} distinct samples in {len(order):,} draws.\n"
            "Hint: shuffle=True permutes the indices; do not sample with replacement.")
    assert epochs[0] != list(range(n_train)), (
        "the training loader visits the samples in their stored order 0, 1, 2, ...; it should shuffle them.\n"
        "Hint: DataLoader(train_ds, batch_size=batch_size, shuffle=True)")
    assert epochs[0] != epochs[1], (
        "the training loader visits the samples in the same order in two epochs; it should reshuffle every epoch.\n"
        "Hint: shuffle=True draws a new permutation each time the loader is iterated.")
    order = check_order(test_loader, n_test, size, "test_loader")
    assert order == list(range(n_test)), (
        f"the test loader should visit the samples in their stored order 0, 1, 2, ..., but it began with {order[:6]}.\n"
        "Hint: do not shuffle the test set (shuffle=False): evaluation needs no randomness, and predictions then "
        "line up with the dataset's labels.")


def make_loaders(make_loaders, root=None, batch_size: int | None = None, n_train: int = N_TRAIN,
                 n_test: int = N_TEST) -> None:
    """``make_loaders``: batches of ``(B, 1, 28, 28)`` float32 images and ``(B,)`` int64 labels on FashionMNIST
    (``B`` = 64 by default), the last test batch smaller (10,000 = 156 x 64 + 16); over index datasets
    the training loader reshuffles every epoch and visits each sample once, the test loader keeps the order."""
    size = batch_size or 64
    train_ref, test_ref = reference_datasets(root)
    args = {} if batch_size is None else {"batch_size": batch_size}
    result = _unpack(call(make_loaders, train_ref, test_ref, name="make_loaders", **args), 2,
                     "make_loaders(train_ds, test_ds)", "train_loader, test_loader")
    for loader, name in zip(result, ("train_loader", "test_loader")):
        expect_type(loader, DataLoader, name, hint="torch.utils.data.DataLoader(dataset, batch_size=..., shuffle=...)")
    train_loader, test_loader = result
    with quietly():
        images, labels = next(iter(train_loader))
    expect_tensor(images, "a training batch's images", dtype=torch.float32, shape=(size, 1, 28, 28))
    expect_tensor(labels, "a training batch's labels", dtype=torch.int64, shape=(size,))
    assert len(train_loader) == math.ceil(N_TRAIN / size), (
        f"len(train_loader) should be {math.ceil(N_TRAIN / size)} batches, but found {len(train_loader)}.")
    batches = _iterate(test_loader, "test_loader")
    last = N_TEST % size or size
    assert tuple(batches[-1][0].shape) == (last, 1, 28, 28), (
        f"the last test batch should have shape {(last, 1, 28, 28)}, since {N_TEST:,} = {N_TEST // size} x {size} + "
        f"{N_TEST % size}; found {tuple(batches[-1][0].shape)}.\nHint: keep the last, smaller batch (drop_last=False).")
    check_loaders(make_loaders, n_train, n_test, batch_size)


def check_image_dataset(CustomImageDataset, spec: ImageFolder, seed: int) -> None:
    """Length, items without and with transforms, and lazy reading, on the folder ``spec``."""
    n = len(spec.names)
    with quietly():
        ds = CustomImageDataset(spec.annotations, spec.img_dir)
    expect_type(ds, Dataset, "CustomImageDataset(...)", hint="class CustomImageDataset(Dataset)")
    assert len(ds) == n, f"len(CustomImageDataset(...)) should be {n}, the number of rows of the CSV, but found {len(ds)}."
    rng = np.random.default_rng(seed)
    indices = sorted({0, n - 1, *(int(i) for i in rng.integers(0, n, 3))})
    for index in indices:
        with quietly():
            item = ds[index]
        expect_type(item, tuple, f"dataset[{index}]", hint="return image, label")
        assert len(item) == 2, f"dataset[{index}] should be a pair (image, label), but has {len(item)} values."
        image, label = item
        expect_type(image, Image.Image, f"the image of dataset[{index}] without a transform",
                    hint="open the file with PIL: Image.open(path) (and no conversion)")
        found = np.asarray(image)
        assert found.shape == spec.pixels[index].shape and np.array_equal(found, spec.pixels[index]), (
            f"the image of dataset[{index}] should be the file {spec.names[index]!r} "
            f"({spec.pixels[index].shape[0]}x{spec.pixels[index].shape[1]} grayscale pixels), but its pixels differ "
            f"(found an array of shape {found.shape}).\n"
            "Hint: row idx of the CSV names the file, relative to img_dir: os.path.join(img_dir, file_name).")
        assert isinstance(label, numbers.Integral) and not isinstance(label, bool), (
            f"the label of dataset[{index}] should be an int, but found {describe(label)}.")
        assert int(label) == spec.labels[index], (
            f"the label of dataset[{index}] should be {spec.labels[index]} (the CSV's label column), but found {int(label)}.")

    seen = []

    def transform(img):
        seen.append(type(img))
        return ("transformed", np.asarray(img).copy())

    with quietly():
        ds = CustomImageDataset(spec.annotations, spec.img_dir, transform=transform,
                                target_transform=lambda y: ("target", int(y)))
    for index in indices:
        with quietly():
            image, label = ds[index]
        assert isinstance(image, tuple) and image[:1] == ("transformed",), (
            f"with transform=f, the image of dataset[{index}] should be what f returned, but found {describe(image)}.\n"
            "Hint: if self.transform: image = self.transform(image)")
        assert np.array_equal(image[1], spec.pixels[index]), f"transform received the wrong image for dataset[{index}]."
        assert label == ("target", spec.labels[index]), (
            f"with target_transform=g, the label of dataset[{index}] should be g(label), but found {describe(label)}.\n"
            "Hint: if self.target_transform: label = self.target_transform(label)")
    assert all(issubclass(t, Image.Image) for t in seen), (
        f"transform should receive PIL images, but received {sorted({t.__name__ for t in seen})}.")

    with quietly():
        lazy = CustomImageDataset(spec.annotations, spec.img_dir, transform=transforms.ToTensor())
    new_pixels = overwrite_images(spec, seed + 1)
    for index in indices:
        with quietly():
            image, _ = lazy[index]
        expect_tensor(image, f"the image of dataset[{index}] with transform=ToTensor()", dtype=torch.float32,
                      shape=(1, *spec.pixels.shape[1:]))
        if torch.allclose(image, torch.from_numpy(spec.pixels[index]).float().div(255).unsqueeze(0), atol=1e-6):
            raise AssertionError(
                f"after the dataset was created the file {spec.names[index]!r} was replaced by a new image, but "
                f"dataset[{index}] still returns the old pixels: the images were read in __init__.\n"
                "Hint: __init__ reads only the CSV; __getitem__ opens the image file of row idx, so that a dataset "
                "larger than memory never has to fit in it.")
        expect_close(image, torch.from_numpy(new_pixels[index]).float().div(255).unsqueeze(0),
                     f"the image of dataset[{index}] with transform=ToTensor()", rtol=0, atol=1e-6)
    spec.pixels[:] = new_pixels


def custom_image_dataset(CustomImageDataset, n: int = 12, seed: int = 5, size: tuple[int, int] = (28, 28),
                         nested: bool = False, folder_name: str = "fashion") -> None:
    """``CustomImageDataset`` on an image folder the grader writes: ``len`` is the number of CSV rows; an item is
    ``(PIL image, int label)`` with the file's exact pixels; ``transform`` receives the PIL image and
    ``target_transform`` the label, and what they return is returned; and images are read in ``__getitem__``
    (files replaced after ``__init__`` give their new pixels)."""
    with tempfile.TemporaryDirectory() as tmp:
        spec = write_image_folder(Path(tmp) / folder_name, n, seed, size=size, nested=nested)
        check_image_dataset(CustomImageDataset, spec, seed)


def check_mean_std(channel_mean_std, loader: CountingLoader, images: torch.Tensor, what: str,
                   published: bool = False) -> tuple[float, float]:
    """``channel_mean_std(loader)`` returns two floats equal to the exact statistics of ``images``, in one pass."""
    result = _unpack(call(channel_mean_std, loader, name="channel_mean_std"), 2, "channel_mean_std(loader)", "mean, std")
    mean = expect_float(result[0], "mean", hint="return Python floats: mean.item() or float(...)")
    std = expect_float(result[1], "std", hint="return Python floats: std.item() or float(...)")
    assert loader.passes == 1, (
        f"channel_mean_std should make one pass over the loader, but iterated over it {loader.passes} times.\n"
        "Hint: accumulate the number of pixels, their sum and the sum of their squares in the same loop.")
    true_mean, true_std = exact_mean_std(images)
    if published:
        expect_close(mean, PUBLISHED_MEAN, f"the mean of {what}", rtol=0, atol=1e-3)
        expect_close(std, PUBLISHED_STD, f"the std of {what}", rtol=0, atol=1e-3)
    expect_close(mean, true_mean, f"the mean of {what}", rtol=0, atol=1e-4,
                 hint="divide the sum of all pixels by the number of pixels (batches can differ in size)")
    expect_close(std, true_std, f"the std of {what}", rtol=0, atol=1e-4,
                 hint="the average of per-batch standard deviations is not the standard deviation of all pixels: "
                      "use var = E[x^2] - E[x]^2 over all pixels, or combine per-batch statistics exactly")
    return mean, std


def channel_mean_std(channel_mean_std, root=None) -> None:
    """``channel_mean_std``: on FashionMNIST's training set (batches of 64, shuffled) 0.2860 and 0.3530 within
    ``1e-3`` and the exact values within ``1e-4``, in one pass; and exact within ``1e-4`` on 4,000 images
    sorted by class in batches of uneven sizes, where the average of per-batch stds is far off."""
    X, y = reference_tensors(True, root)
    loader = batch_loader(X, y, shuffled_batches(len(X), 64, seed=0))
    train = check_mean_std(channel_mean_std, loader, X, "FashionMNIST's training images", published=True)
    images, labels = X[stats_subset(len(X))], y[stats_subset(len(X))]
    loader = batch_loader(images, labels, sorted_uneven_batches(labels, [64, 200, 17, 333, 40]))
    subset = check_mean_std(channel_mean_std, loader, images, "4,000 images sorted by class, in batches of uneven sizes")
    # judged again outside the notebook (autograder.grader.judge)
    hand_over("fashion_stats", {"train": torch.tensor(train, dtype=torch.float64),
                                "subset": torch.tensor(subset, dtype=torch.float64)})


def stats_subset(n: int) -> torch.Tensor:
    """The 4,000 training images (a fixed, seeded choice) whose statistics ``channel_mean_std`` must get exactly."""
    return torch.randperm(n, generator=torch.Generator().manual_seed(7))[:4000]


def check_preload(preload, dataset, name: str) -> None:
    """``preload(dataset)`` is a TensorDataset ``(images, labels)`` holding exactly ``dataset``'s samples."""
    with quietly():
        samples = [dataset[i] for i in range(len(dataset))]
    images = torch.stack([image for image, _ in samples])
    labels = torch.tensor([int(label) for _, label in samples])
    result = call(preload, dataset, name="preload")
    expect_type(result, TensorDataset, f"preload({name})", hint="TensorDataset(images, labels)")
    assert len(result.tensors) == 2, (
        f"preload should return a TensorDataset of 2 tensors (images, labels), but it holds {len(result.tensors)}.")
    found_images, found_labels = result.tensors
    expect_tensor(found_images, "the preloaded images", dtype=torch.float32, shape=tuple(images.shape),
                  hint="torch.stack the images of every sample, in order")
    expect_tensor(found_labels, "the preloaded labels", dtype=torch.int64, shape=(len(dataset),),
                  hint="torch.tensor(labels) of the int labels gives int64")
    expect_close(found_images, images, "the preloaded images", rtol=0, atol=1e-6,
                 hint="sample i of the TensorDataset must be sample i of the dataset: same order, no shuffling")
    mismatch = (found_labels != labels).nonzero().flatten()
    assert len(mismatch) == 0, (
        f"the preloaded labels differ from the dataset's at {len(mismatch)} positions, first at index "
        f"{int(mismatch[0])}: expected {int(labels[mismatch[0]])}, found {int(found_labels[mismatch[0]])}.")


def preload(preload, root=None, n: int = 1500, seed: int = 8) -> None:
    """``preload`` copies a ``Subset`` of ``n`` random FashionMNIST training samples (``ToTensor()``) into a
    ``TensorDataset`` whose images (float32 ``(n, 1, 28, 28)``) and labels (int64 ``(n,)``) equal them, in order."""
    train_ref, _ = reference_datasets(root)
    indices = torch.randperm(N_TRAIN, generator=torch.Generator().manual_seed(seed))[:n].tolist()
    check_preload(preload, Subset(train_ref, indices), f"a Subset of {n} FashionMNIST images")


def _title(ax) -> str:
    for loc in ("center", "left", "right"):
        if ax.get_title(loc=loc):
            return ax.get_title(loc=loc)
    return ""


def _distinct(values: list[float], tolerance: float = 1e-3) -> int:
    values = sorted(values)
    return 1 + sum(b - a > tolerance for a, b in zip(values, values[1:])) if values else 0


def _grid_shape(axes: list) -> tuple[int, int]:
    """(rows, columns) the axes occupy: from their subplot specs, or else from their layout boxes."""
    specs = [ax.get_subplotspec() for ax in axes]
    if all(spec is not None for spec in specs):
        return len({spec.rowspan.start for spec in specs}), len({spec.colspan.start for spec in specs})
    boxes = [ax.get_position(original=True) for ax in axes]
    return _distinct([box.y0 for box in boxes]), _distinct([box.x0 for box in boxes])


def check_show_batch(show_batch, images: torch.Tensor, labels: torch.Tensor, names: dict, ncols: int | None) -> None:
    """One axes per image, in order, showing that image and titled with its class name, on ``ncols`` columns."""
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    before = set(plt.get_fignums())
    args = {} if ncols is None else {"ncols": ncols}
    try:
        fig = call(show_batch, images, labels, names, name="show_batch", **args)
        expect_type(fig, Figure, "show_batch(...)", hint="fig = plt.figure(...) or fig, axes = plt.subplots(...); return fig")
        shown = [ax for ax in fig.axes if ax.images]
        empty = [ax for ax in fig.axes if not ax.images and _title(ax)]
        n = len(images)
        assert len(shown) == n and not empty, (
            f"show_batch with {n} images should draw {n} axes, one image in each, but found {len(shown)} axes "
            f"with an image" + (f" and {len(empty)} titled axes without one" if empty else "") + ".\n"
            "Hint: ax.imshow(image.squeeze(0), cmap='gray') in each; remove the unused axes of the grid (ax.remove()).")
        rows, cols = _grid_shape(shown)
        want_cols = min(ncols or 8, n)
        assert (cols, rows) == (want_cols, math.ceil(n / want_cols)), (
            f"{n} images with ncols={ncols or 8} should fill a grid of {math.ceil(n / want_cols)} rows and "
            f"{want_cols} columns, but the axes form {rows} rows and {cols} columns.")
        for i, ax in enumerate(shown):
            expected = names[int(labels[i])]
            title = _title(ax).strip()
            rest = title.replace(expected, "", 1)
            assert expected in title and not re.search("[A-Za-z]", rest), (
                f"axes {i} should be titled with its class name {expected!r} (label {int(labels[i])}), but its title "
                f"is {title!r}.\nHint: ax.set_title(labels_map[int(label)]) with the labels_map argument.")
            array = np.asarray(ax.images[0].get_array(), dtype=np.float64).squeeze()
            truth = images[i].detach().to(torch.float64).squeeze().numpy()
            assert array.shape == truth.shape, (
                f"axes {i} should show a {truth.shape[0]}x{truth.shape[1]} image, but shows an array of shape {array.shape}.")
            correlation = np.corrcoef(array.ravel(), truth.ravel())[0, 1]
            assert abs(correlation) > 0.99, f"axes {i} does not show image {i} of the batch (correlation {correlation:.2f})."
    finally:
        for number in set(plt.get_fignums()) - before:
            plt.close(number)


def show_batch(show_batch, root=None) -> None:
    """``show_batch`` on 16 FashionMNIST test images (default ``ncols=8``: 2 rows of 8) and on 10 (``ncols=4``: 3 rows
    of 4): a matplotlib ``Figure``, one axes per image in order, each titled with ``labels_map[label]``."""
    X, y = reference_tensors(False, root)
    names = dict(enumerate(CLASS_NAMES))
    check_show_batch(show_batch, X[:16], y[:16], names, ncols=None)
    check_show_batch(show_batch, X[16:26], y[16:26], names, ncols=4)
