"""Benchmark for ``fashion_pipeline`` (prints its figures; not run in CI).

Runs the instructor's solution, taken from the solution cells of
``source/fashion_pipeline/datasets_dataloader.ipynb``, and prints:

1. **epoch time, side by side**: one pass over FashionMNIST's 60,000 training
   images in shuffled batches of 64 (``num_workers=0``, nothing done with the
   batches), median of ``--epochs`` epochs, for

   * *lazy*: ``get_fashion_datasets`` + ``make_loaders``, a PIL image and
     ``ToTensor`` per sample, as the notebook's ``train_loader``;
   * *PNG files*: ``CustomImageDataset`` over ``--png`` images written as PNG
     files to a temporary folder (opened and decoded per sample, then
     ``ToTensor``), scaled to 60,000 images;
   * *preloaded*: ``preload(train_ds)``, a ``TensorDataset`` in memory (the
     one-off cost of ``preload`` is printed too);

2. **the streaming statistics pass**: ``channel_mean_std`` over the lazy
   loader with batches of 64 and of 1,000 (the notebook uses 1,000): PyTorch's
   default of one OpenMP thread per core slows small per-batch reductions down
   several-fold when another process holds a core;
3. **one autograde**: the sample class's ``correct`` submission graded with
   the real ``nbgrader autograde`` in a temporary course (wall time).

Usage (from the repository root; about 2 minutes on 2 idle cores)::

    KIT_DATA_MIRROR=/path/to/datasets .venv/bin/python benchmarks/fashion_pipeline.py [--skip-autograde]

Timings depend on what else the machine runs, so the load average is printed
next to each figure.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from common import load, solution_namespace, time_autograde  # first: puts the repository on sys.path

import pandas as pd  # noqa: E402
import torch  # noqa: E402
from torch.utils.data import DataLoader  # noqa: E402
from torchvision import datasets, transforms  # noqa: E402

from autograder.course import ensure_datasets  # noqa: E402

SOLUTION_CELLS = ("LABELS_MAP", "get_fashion_datasets", "make_loaders", "CustomImageDataset", "channel_mean_std",
                  "preload")


def epoch_seconds(loader) -> float:
    start = time.perf_counter()
    for _images, _labels in loader:
        pass
    return time.perf_counter() - start


def median_epoch(loader, epochs: int) -> float:
    return statistics.median(epoch_seconds(loader) for _ in range(epochs))


def write_png_folder(folder: Path, n: int, root: Path) -> tuple[Path, Path]:
    """The first ``n`` training images as PNG files plus ``annotations.csv``, as the notebook writes its folder."""
    raw = datasets.FashionMNIST(root, train=True)
    img_dir = folder / "images"
    img_dir.mkdir(parents=True)
    rows = []
    for index in range(n):
        image, label = raw[index]
        name = f"train_{index:05d}.png"
        image.save(img_dir / name)
        rows.append({"file_name": name, "label": label})
    annotations = folder / "annotations.csv"
    pd.DataFrame(rows).to_csv(annotations, index=False)
    return annotations, img_dir


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=3, help="epochs timed per pipeline (the median is printed)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--png", type=int, default=10_000, help="images written as PNG files for the folder pipeline")
    parser.add_argument("--skip-autograde", action="store_true")
    args = parser.parse_args()
    ensure_datasets(["fashion_pipeline"], log=lambda *a: None)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, load average {load():.1f}")
    ns = solution_namespace("fashion_pipeline", SOLUTION_CELLS)
    root, batch = ns["DATA_ROOT"], args.batch_size
    torch.manual_seed(0)

    train_ds, test_ds = ns["get_fashion_datasets"](root)
    lazy_loader, _ = ns["make_loaders"](train_ds, test_ds, batch_size=batch)
    lazy = median_epoch(lazy_loader, args.epochs)
    lazy_load = load()

    with tempfile.TemporaryDirectory(prefix="bench-fashion-png-") as tmp:
        annotations, img_dir = write_png_folder(Path(tmp), args.png, root)
        folder_ds = ns["CustomImageDataset"](annotations, img_dir, transform=transforms.ToTensor())
        png = median_epoch(DataLoader(folder_ds, batch_size=batch, shuffle=True), args.epochs) * len(train_ds) / args.png
    png_load = load()

    start = time.perf_counter()
    train_fast = ns["preload"](train_ds)
    preload_cost = time.perf_counter() - start
    fast = median_epoch(DataLoader(train_fast, batch_size=batch, shuffle=True), args.epochs)

    n = len(train_ds)
    print(f"\n1. one epoch over {n:,} training images, batches of {batch}, shuffled, num_workers=0 "
          f"(median of {args.epochs}):")
    print(f"   {'pipeline':44s} {'epoch':>8s} {'per image':>10s}")
    print(f"   {'lazy: PIL image + ToTensor per sample':44s} {lazy:7.2f}s {1e6 * lazy / n:8.1f}us   (load {lazy_load:.1f})")
    print(f"   {f'PNG files: open + decode + ToTensor ({args.png:,})':44s} {png:7.2f}s {1e6 * png / n:8.1f}us   "
          f"(scaled to {n:,}; load {png_load:.1f})")
    print(f"   {'preloaded TensorDataset':44s} {fast:7.2f}s {1e6 * fast / n:8.1f}us   (load {load():.1f})")
    print(f"   preloaded is {lazy / fast:.0f}x faster than lazy; preload(train_ds) itself took {preload_cost:.1f} s "
          f"({train_fast.tensors[0].numel() * 4 / 1e6:.0f} MB)")

    print("\n2. channel_mean_std over the lazy training loader (one pass):")
    for stats_batch in (64, 1000):
        loader = DataLoader(train_ds, batch_size=stats_batch)
        start = time.perf_counter()
        mean, std = ns["channel_mean_std"](loader)
        print(f"   batches of {stats_batch:5d}: {time.perf_counter() - start:6.2f} s  "
              f"(mean {mean:.4f}, std {std:.4f}; load {load():.1f})")

    if not args.skip_autograde:
        time_autograde("fashion_pipeline", 3)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
