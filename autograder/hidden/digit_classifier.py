"""Hidden checks for ``digit_classifier``: new batch sizes, new layer sizes, new models.

Sizes and seeds come from one seeded generator (``_draw``), so each run of
the hidden tests is reproducible but differs from the visible ones: batch
sizes that leave a smaller last batch, hidden sizes and feature counts that a
hard-coded shape cannot anticipate, and models whose accuracy only the grader
knows.
"""

from __future__ import annotations

import copy
import math
import os
import random
import tempfile
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from autograder.asserts import call, expect_close, expect_float
from autograder.checks import digit_classifier as visible
from autograder.paths import data_root

_RNG = random.Random(20240918)


def _draw(low: int, high: int) -> int:
    return _RNG.randint(low, high)


def _odd_batch(n: int, low: int, high: int) -> int:
    """A batch size in ``[low, high]`` that does not divide ``n``, so the last batch is smaller."""
    while True:
        size = _draw(low, high)
        if n % size:
            return size


def get_mnist_loaders(get_mnist_loaders) -> None:
    """Another batch size (the last batch smaller), ``root`` given as a ``str`` of another folder
    holding the data; the test loader's sampler visits the images in order."""
    batch_size = _odd_batch(visible.N_TEST, 90, 400)
    with tempfile.TemporaryDirectory() as folder:
        os.symlink(data_root() / "MNIST", Path(folder) / "MNIST", target_is_directory=True)
        visible.get_mnist_loaders(get_mnist_loaders, root=str(folder), batch_size=batch_size)
        _, test_loader = call(get_mnist_loaders, str(folder), batch_size=batch_size, name="get_mnist_loaders")
    order = list(iter(test_loader.sampler))
    assert order == list(range(visible.N_TEST)), "the test loader should visit the test images in order (shuffle=False)."


def mlp(MLP) -> None:
    """One wide hidden layer, three hidden layers given as a list, and another feature and class count
    (inputs of shape ``(B, in_features)``), with random batch sizes including 1."""
    cases = [
        {"hidden_sizes": (_draw(300, 600),)},
        {"hidden_sizes": [_draw(40, 120), _draw(20, 60), _draw(10, 30)], "n_classes": _draw(3, 15)},
        {"in_features": _draw(10, 60), "hidden_sizes": (_draw(8, 40), _draw(8, 40)), "n_classes": _draw(2, 6)},
    ]
    for k, kwargs in enumerate(cases):
        visible.mlp(MLP, kwargs, batch=_draw(2, 33), seed=30 + k)
    visible.mlp(MLP, {"hidden_sizes": (_draw(16, 64),)}, batch=1, seed=40)


def train_one_epoch(train_one_epoch) -> None:
    """Random subset and batch sizes (the last batch smaller): one epoch gives exactly the weights and the
    mean loss of the grader's own loop (zero_grad, forward, loss, backward, step per batch), ``rtol=1e-4``.

    A loop that never zeroes the gradients, steps before ``backward``, skips
    the last batch or uses another loss gives other weights.
    """
    n = _draw(300, 700)
    batch_size = _odd_batch(n, 16, 100)
    images, labels = visible.training_subset(n, offset=_draw(1000, 50_000))
    loader = DataLoader(TensorDataset(images, labels), batch_size=batch_size, shuffle=False)
    model = visible.small_net(seed=_draw(0, 10_000), hidden=_draw(16, 48))
    reference = copy.deepcopy(model)
    ref_optimizer = torch.optim.SGD(reference.parameters(), lr=0.05, momentum=0.5)
    ref_loss, losses, sizes = nn.CrossEntropyLoss(), [], []
    reference.train()
    for x, y in loader:
        ref_optimizer.zero_grad()
        loss = ref_loss(reference(x), y)
        loss.backward()
        ref_optimizer.step()
        losses.append(loss.item())
        sizes.append(len(y))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.5)
    model.eval()
    value = expect_float(call(train_one_epoch, model, loader, visible.RecordingLoss(), optimizer, name="train_one_epoch"),
                         "train_one_epoch(model, loader, loss_fn, optimizer)")
    for (name, p), q in zip(model.named_parameters(), reference.parameters()):
        expect_close(p.detach(), q.detach(), f"the weights {name} after one epoch", rtol=1e-4, atol=1e-6,
                     hint="per batch, in this order: optimizer.zero_grad(), forward, loss_fn, loss.backward(), "
                          "optimizer.step(); and every batch, the last smaller one included")
    plain = sum(losses) / len(losses)
    weighted = sum(v * b for v, b in zip(losses, sizes)) / sum(sizes)
    if not (math.isclose(value, plain, rel_tol=1e-4) or math.isclose(value, weighted, rel_tol=1e-4)):
        raise AssertionError(
            f"train_one_epoch returned a mean loss of {value:.6g}; the grader's own loop over the same "
            f"{len(loader)} batches (the last one of {sizes[-1]} images) gives {plain:.6g}."
        )


def evaluate(evaluate) -> None:
    """A perturbed nearest-mean classifier and a model that always predicts one class, on random subsets of
    the test set with batch sizes that leave a smaller last batch; eval mode and no gradients each time."""
    n = _draw(2000, 9000)
    visible.evaluate(evaluate, n=n, batch_size=_odd_batch(n, 50, 700), model=visible.reference_model(jitter_seed=_draw(1, 999)))
    n = _draw(500, 3000)
    visible.evaluate(evaluate, n=n, batch_size=_odd_batch(n, 20, 300), model=visible.reference_model(constant_class=_draw(0, 9)))


def predict(predict) -> None:
    """Another classifier and a random subset, in batches of a random size (the last one smaller)."""
    n = _draw(1000, 6000)
    visible.predict(predict, n=n, batch_size=_odd_batch(n, 30, 500), model=visible.reference_model(jitter_seed=_draw(1, 999)))


def save_load(save_model, load_model, MLP) -> None:
    """New hidden sizes and class counts passed through ``**mlp_kwargs``, the path as a ``str`` with another
    suffix, random batch sizes."""
    visible.save_load(save_model, load_model, MLP, {"hidden_sizes": (_draw(32, 300),)}, batch=_draw(1, 40),
                      seed=50, filename="weights.pth", as_str=True)
    visible.save_load(save_model, load_model, MLP,
                      {"hidden_sizes": [_draw(20, 90), _draw(10, 50), _draw(10, 30)], "n_classes": _draw(3, 12)},
                      batch=_draw(2, 40), seed=51)
