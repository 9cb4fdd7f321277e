"""Benchmark for ``digit_classifier`` (prints its figures; not run in CI).

Runs the instructor's solution, taken from the solution cells of
``source/digit_classifier/digits_classification.ipynb``, and prints:

1. **matrix-multiply rate**: ``torch.mm`` GFLOP/s on exactly the shapes of one
   training step of the MLP (3 forward products, 2 input gradients, 3 weight
   gradients; the first layer's input needs no gradient), measured in this run;
2. **epoch time against the compute bound**: the bound is the time those
   matrix multiplies take for one epoch at the measured rate.  Two epochs are
   timed: *compute*, over batches sliced from tensors already in memory (the
   model, loss, backward and optimizer only; also with ``Adam(fused=True)``,
   which updates the weights in one pass), and *notebook*, through the solution's
   ``get_mnist_loaders`` (``ToTensor`` and ``Normalize`` per image, as the
   notebook trains); each ratio is printed.  Parts 1 and 2 run with PyTorch's
   default number of threads and again with each count given by ``--threads``
   (default: 1);
3. **time to 98.0 %**: the solution (MLP(784, (256, 128), 10), Adam, learning
   rate halved every epoch) trained through its own data pipeline until the
   grader's accuracy on the 10,000 test images reaches 98.0 %;
4. **one autograde**: the sample class's ``correct`` submission graded with
   the real ``nbgrader autograde`` in a temporary course (wall time).

Usage (from the repository root; about 5 minutes on 2 idle cores)::

    KIT_DATA_MIRROR=/path/to/datasets .venv/bin/python benchmarks/digit_classifier.py [--skip-autograde]

Timings depend on what else the machine runs: PyTorch's default of one
OpenMP thread per core slows down several-fold when another process holds a
core, so the script prints the load average next to each figure.
"""

from __future__ import annotations

import argparse
import time

from common import load, solution_namespace, time_autograde  # first: puts the repository on sys.path

import torch  # noqa: E402
from torch import nn  # noqa: E402

from autograder.checks import digit_classifier as check  # noqa: E402
from autograder.course import ensure_datasets  # noqa: E402

SOLUTION_CELLS = ("get_mnist_loaders", "MLP", "train_one_epoch", "evaluate", "training_choices", "predict",
                  "save_model", "load_model")


def matmul_shapes(batch: int, sizes: list[int]) -> list[tuple[int, int, int]]:
    """(m, k, n) of every matrix multiply in one training step of an MLP with these layer sizes."""
    shapes = []
    for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        shapes.append((batch, n_in, n_out))      # forward: (B, in) @ (in, out)
        shapes.append((n_out, batch, n_in))      # weight gradient: (out, B) @ (B, in)
        if k > 0:
            shapes.append((batch, n_out, n_in))  # input gradient: (B, out) @ (out, in)
    return shapes


def time_mm(m: int, k: int, n: int, trials: int = 7, repeats: int = 30) -> float:
    """Seconds per ``torch.mm`` of an (m, k) by an (k, n) float32 matrix: the best of ``trials`` timings of
    ``repeats`` products each (the best, because other processes on the machine only ever slow it down)."""
    a, b = torch.randn(m, k), torch.randn(k, n)
    for _ in range(10):
        torch.mm(a, b)
    best = float("inf")
    for _ in range(trials):
        start = time.perf_counter()
        for _ in range(repeats):
            torch.mm(a, b)
        best = min(best, (time.perf_counter() - start) / repeats)
    return best


def compute_bound(batch: int, sizes: list[int], n_samples: int) -> tuple[float, float, float]:
    """(seconds of matrix multiplies per epoch, GFLOP per epoch, GFLOP/s) at the rate measured now."""
    steps, last = n_samples // batch, n_samples % batch
    seconds = flops = 0.0
    for b, count in ((batch, steps), (last, 1 if last else 0)):
        if not count:
            continue
        for m, k, n in matmul_shapes(b, sizes):
            seconds += count * time_mm(m, k, n)
            flops += count * 2.0 * m * k * n
    return seconds, flops / 1e9, flops / seconds / 1e9


def timed_epoch(ns: dict, batches, make_optimizer=None) -> float:
    """Seconds of one ``train_one_epoch`` of a fresh ``MLP()`` over ``batches``."""
    torch.manual_seed(0)
    model = ns["MLP"]()
    optimizer = (make_optimizer or ns["make_optimizer"])(model)
    start = time.perf_counter()
    ns["train_one_epoch"](model, batches, nn.CrossEntropyLoss(), optimizer)
    return time.perf_counter() - start


class InMemoryBatches:
    """An epoch of shuffled batches sliced from tensors in memory (no per-sample indexing or collation)."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int):
        self.images, self.labels, self.batch_size = images, labels, batch_size

    def __len__(self) -> int:
        return -(-len(self.labels) // self.batch_size)

    def __iter__(self):
        order = torch.randperm(len(self.labels))
        for start in range(0, len(order), self.batch_size):
            index = order[start:start + self.batch_size]
            yield self.images[index], self.labels[index]


def time_to_target(ns: dict, target: float, batch_size: int, gamma: float, max_epochs: int) -> None:
    torch.manual_seed(0)
    train_loader, _ = ns["get_mnist_loaders"](ns["DATA_ROOT"], batch_size=batch_size)
    model = ns["MLP"]()
    optimizer = ns["make_optimizer"](model)
    scheduler = torch.optim.lr_scheduler.ExponentialLR(optimizer, gamma=gamma)
    training = 0.0
    print(f"\n3. time to {target:.1%}: MLP(), {type(optimizer).__name__}, batches of {batch_size}, "
          f"learning rate x{gamma} per epoch, through get_mnist_loaders")
    for epoch in range(1, max_epochs + 1):
        start = time.perf_counter()
        loss = ns["train_one_epoch"](model, train_loader, nn.CrossEntropyLoss(), optimizer)
        scheduler.step()
        training += time.perf_counter() - start
        accuracy = check.grader_accuracy(model)
        print(f"   epoch {epoch}: loss {loss:.4f}, grader's test accuracy {accuracy:.2%}, "
              f"training time so far {training:.1f} s (load {load():.1f})")
        if accuracy >= target:
            print(f"   reached {target:.1%} after {epoch} epochs and {training:.1f} s of training")
            return
    print(f"   did NOT reach {target:.1%} in {max_epochs} epochs")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skip-autograde", action="store_true")
    parser.add_argument("--batch-size", type=int, default=128, help="the notebook's batch size (default 128)")
    parser.add_argument("--target", type=float, default=0.98)
    parser.add_argument("--threads", type=int, nargs="*", default=[1],
                        help="thread counts to time parts 1-2 with, besides the default (default: 1)")
    parser.add_argument("--skip-target", action="store_true", help="skip part 3 (time to 98 %%)")
    args = parser.parse_args()
    ensure_datasets(["digit_classifier"], log=lambda *a: None)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, load average {load():.1f}")
    ns = solution_namespace("digit_classifier", SOLUTION_CELLS)
    sizes, batch = [784, 256, 128, 10], args.batch_size

    images, labels = check.mnist_tensors(True)
    in_memory = InMemoryBatches(images, labels, batch)
    notebook_loader, _ = ns["get_mnist_loaders"](ns["DATA_ROOT"], batch_size=batch)
    fused_adam = lambda model: torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)  # noqa: E731
    default_threads = torch.get_num_threads()
    for threads in dict.fromkeys([default_threads, *args.threads]):
        torch.set_num_threads(threads)
        bound, gflop, rate = compute_bound(batch, sizes, check.N_TRAIN)
        print(f"\n[{threads} thread{'s' if threads > 1 else ''}]")
        print(f"1. matrix multiplies of one epoch (60,000 images, batches of {batch}): {gflop:.1f} GFLOP; torch.mm on "
              f"those shapes: {rate:.1f} GFLOP/s -> compute bound {bound:.2f} s per epoch (load {load():.1f})")
        compute = timed_epoch(ns, in_memory)
        fused = timed_epoch(ns, in_memory, fused_adam)
        start = time.perf_counter()
        for _ in notebook_loader:
            pass
        data = time.perf_counter() - start
        notebook = timed_epoch(ns, notebook_loader)
        print(f"2. one epoch of the solution, batches of {batch}:")
        print(f"   compute, tensors in memory:           {compute:6.2f} s = {compute / bound:5.2f} x the matmul bound")
        print(f"   the same with Adam(fused=True):       {fused:6.2f} s = {fused / bound:5.2f} x the matmul bound")
        print(f"   notebook, through get_mnist_loaders:  {notebook:6.2f} s = {notebook / bound:5.2f} x the matmul bound")
        print(f"   (the loader alone, ToTensor and Normalize per image: {data:.2f} s)   (load {load():.1f})")
    torch.set_num_threads(default_threads)

    if not args.skip_target:
        time_to_target(ns, args.target, batch_size=64, gamma=0.5, max_epochs=8)
    if not args.skip_autograde:
        time_autograde("digit_classifier", 4)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
