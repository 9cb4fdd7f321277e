"""Visible checks for ``digit_classifier`` (contract section 2).

Each function receives the student's objects by name and checks type, then
dtype, then shape, then values.  The grader builds its own data and models:

* the official MNIST splits, loaded once and normalized exactly as
  ``ToTensor()`` then ``Normalize((0.1307,), (0.3081,))`` do
  (:func:`mnist_tensors`);
* its own accuracy (:func:`grader_accuracy`), never a number the student's
  code reports;
* a small network of its own for ``train_one_epoch``, and a nearest-class-mean
  classifier for ``evaluate`` and ``predict`` (:func:`reference_model`), whose
  accuracy it knows; both carry a :class:`Probe` that records, at every
  forward pass, whether the model was in train mode and whether autograd was
  recording.

So each function is graded on its own: a broken ``MLP`` does not cost the
``evaluate`` points, and a broken ``evaluate`` does not cost the accuracy
points.  Tolerances: batches against the grader's normalization ``atol=1e-5``;
accuracies exactly (``atol=1e-6``); logits against the last linear layer's
output ``rtol=1e-5, atol=1e-6``; saved and restored logits bit for bit.
"""

from __future__ import annotations

import functools
import math
import tempfile
from pathlib import Path

import numpy as np
import torch
import torchvision
from sklearn.metrics import confusion_matrix
from torch import nn
from torch.utils.data import DataLoader, TensorDataset
from tqdm.auto import tqdm

from autograder.asserts import call, describe, expect_close, expect_float, expect_tensor, expect_type, quietly
from autograder.grader.judge import hand_over
from autograder.paths import data_root

MEAN, STD = 0.1307, 0.3081
N_TRAIN, N_TEST = 60_000, 10_000
THRESHOLD = 0.97


# --- data the grader loads for itself ---------------------------------------------------

@functools.lru_cache(maxsize=2)
def mnist_tensors(train: bool) -> tuple[torch.Tensor, torch.Tensor]:
    """The official MNIST split as ``(images, labels)``: float32 ``(N, 1, 28, 28)``, normalized, and int64 ``(N,)``.

    Computed as ``ToTensor()`` (divide by 255) then ``Normalize`` (subtract the
    mean, divide by the std), in that order, so the values match a torchvision
    pipeline to float32 rounding.
    """
    dataset = torchvision.datasets.MNIST(str(data_root()), train=train, download=False)
    images = dataset.data.unsqueeze(1).to(torch.float32).div(255).sub(MEAN).div(STD)
    return images, dataset.targets.to(torch.int64)


def test_loader(batch_size: int = 500, n: int | None = None) -> DataLoader:
    """The grader's own loader over the official test set (or its first ``n`` images), in order."""
    images, labels = mnist_tensors(False)
    if n is not None:
        images, labels = images[:n], labels[:n]
    return DataLoader(TensorDataset(images, labels), batch_size=batch_size, shuffle=False)


def grader_accuracy(model: nn.Module, images: torch.Tensor | None = None, labels: torch.Tensor | None = None,
                    batch_size: int = 1000) -> float:
    """The grader's own accuracy of ``model`` on ``images`` (default: the official test set), in eval mode."""
    if images is None:
        images, labels = mnist_tensors(False)
    was_training = model.training
    model.eval()
    correct = 0
    with torch.no_grad(), quietly():
        for start in range(0, len(images), batch_size):
            logits = model(images[start:start + batch_size])
            correct += int((logits.argmax(dim=1) == labels[start:start + batch_size]).sum())
    model.train(was_training)
    return correct / len(images)


# --- models the grader builds for itself --------------------------------------------------

class Probe(nn.Module):
    """An identity layer that records ``(self.training, torch.is_grad_enabled())`` at every forward pass."""

    def __init__(self):
        super().__init__()
        self.calls: list[tuple[bool, bool]] = []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.calls.append((self.training, torch.is_grad_enabled()))
        return x


class GraderNet(nn.Module):
    """``Flatten -> Probe -> Linear -> (ReLU -> Linear)*``: the grader's own classifier."""

    def __init__(self, sizes: tuple[int, ...]):
        super().__init__()
        self.probe = Probe()
        layers: list[nn.Module] = []
        for k, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
            if k:
                layers.append(nn.ReLU())
            layers.append(nn.Linear(n_in, n_out))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(self.probe(x.flatten(1)))


def small_net(seed: int, hidden: int = 32) -> GraderNet:
    """A seeded ``784 -> hidden -> 10`` network, for checking ``train_one_epoch``."""
    torch.manual_seed(seed)
    return GraderNet((784, hidden, 10))


@functools.lru_cache(maxsize=1)
def _class_means() -> torch.Tensor:
    images, labels = mnist_tensors(True)
    flat = images.flatten(1)
    return torch.stack([flat[labels == k].mean(dim=0) for k in range(10)])


def reference_model(constant_class: int | None = None, jitter_seed: int | None = None) -> GraderNet:
    """A nearest-class-mean classifier (about 82 % on the test set) whose accuracy the grader knows.

    ``constant_class=k`` gives a model that always predicts ``k``;
    ``jitter_seed`` perturbs the weights, for a classifier no answer can anticipate.
    """
    model = GraderNet((784, 10))
    linear = model.layers[0]
    with torch.no_grad():
        means = _class_means()
        linear.weight.copy_(means)
        linear.bias.copy_(-0.5 * (means ** 2).sum(dim=1))
        if jitter_seed is not None:
            g = torch.Generator().manual_seed(jitter_seed)
            linear.weight.add_(0.3 * torch.randn(linear.weight.shape, generator=g))
        if constant_class is not None:
            linear.weight.zero_()
            linear.bias.zero_()
            linear.bias[constant_class] = 1.0
    return model


class RecordingLoss(nn.CrossEntropyLoss):
    """``nn.CrossEntropyLoss`` that records each call's loss value and batch size."""

    def __init__(self):
        super().__init__()
        self.calls: list[tuple[float, int]] = []

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        loss = super().forward(logits, target)
        self.calls.append((float(loss.detach()), len(target)))
        return loss


def training_subset(n: int, offset: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A fixed slice of the official training set: images ``offset .. offset + n``."""
    images, labels = mnist_tensors(True)
    return images[offset:offset + n], labels[offset:offset + n]


def grader_loss(model: nn.Module, images: torch.Tensor, labels: torch.Tensor) -> float:
    """The grader's own mean cross-entropy of ``model`` on ``(images, labels)``."""
    with torch.no_grad(), quietly():
        return float(nn.functional.cross_entropy(model(images), labels))


# --- helpers ------------------------------------------------------------------------------

def _fmt_kwargs(kwargs: dict) -> str:
    return ", ".join(f"{k}={v!r}" for k, v in kwargs.items())


def _forward(model: nn.Module, x: torch.Tensor, label: str, hint: str | None = None) -> torch.Tensor:
    """``model(x)`` without gradients, quietly; a crash becomes a message saying what was fed in."""
    try:
        with torch.no_grad(), quietly():
            return model(x)
    except Exception as error:  # the student's forward failed: say on what
        raise AssertionError(
            f"{label} raised {type(error).__name__}: {error}" + (f"\nHint: {hint}" if hint else "")
        ) from None


def _linear_trace(model: nn.Module, x: torch.Tensor, label: str, hint: str | None = None):
    """``model(x)`` and, in the order they ran, each ``nn.Linear`` with its input and output."""
    records = []
    hooks = [m.register_forward_hook(lambda mod, inp, out: records.append((mod, inp[0].detach(), out.detach())))
             for m in model.modules() if isinstance(m, nn.Linear)]
    try:
        out = _forward(model, x, label, hint)
    finally:
        for hook in hooks:
            hook.remove()
    return out, records


def expected_parameter_count(in_features: int, hidden_sizes, n_classes: int) -> int:
    """Weights and biases of ``Linear(in, h1), Linear(h1, h2), ..., Linear(hk, n_classes)``."""
    sizes = [in_features, *hidden_sizes, n_classes]
    return sum(n_in * n_out + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:]))


def _first_batch(loader, name: str):
    try:
        with quietly():
            batch = next(iter(loader))
    except Exception as error:
        raise AssertionError(f"iterating over {name} raised {type(error).__name__}: {error}") from None
    expect_type(batch, (tuple, list), f"a batch of {name}", hint="a MNIST loader yields (images, labels) pairs")
    assert len(batch) == 2, f"a batch of {name} should be (images, labels), but has {len(batch)} elements."
    return batch


# --- checks -------------------------------------------------------------------------------

def get_mnist_loaders(get_mnist_loaders, root=None, batch_size: int | None = None) -> None:
    """Two ``DataLoader`` over the official splits; batches of float32 ``(B, 1, 28, 28)`` normalized
    images and int64 ``(B,)`` labels; the test loader in order, the training loader shuffled.

    ``batch_size=None`` calls the function with its default (64).  The first
    test batch must equal the grader's own normalized images (``atol=1e-5``);
    a training batch must have mean within 0.25 of 0 and std within 0.25 of 1.
    """
    root = data_root() if root is None else root
    args = {} if batch_size is None else {"batch_size": batch_size}
    bs = 64 if batch_size is None else batch_size
    label = f"get_mnist_loaders(root{', ' + _fmt_kwargs(args) if args else ''})"
    result = call(get_mnist_loaders, root, name="get_mnist_loaders", **args)
    expect_type(result, tuple, label, hint="return train_loader, test_loader")
    assert len(result) == 2, f"{label} should return 2 values (train_loader, test_loader), but returned {len(result)}."
    train_loader, test_loader = result
    for name, loader, n in (("train_loader", train_loader, N_TRAIN), ("test_loader", test_loader, N_TEST)):
        expect_type(loader, DataLoader, name, hint="torch.utils.data.DataLoader(dataset, batch_size=..., shuffle=...)")
        assert len(loader.dataset) == n, (
            f"{name} should go over the {n:,} images of the official {'training' if n == N_TRAIN else 'test'} set, "
            f"but its dataset has {len(loader.dataset):,}. Hint: MNIST(root, train={n == N_TRAIN}, ...)."
        )
        assert loader.batch_size == bs, f"{name} should have batch_size={bs}, but has {loader.batch_size}."
        assert len(loader) == math.ceil(n / bs), (
            f"{name} should yield {math.ceil(n / bs)} batches of at most {bs} images (the last one smaller), "
            f"but yields {len(loader)}. Hint: keep drop_last=False."
        )
    images, labels = _first_batch(test_loader, "test_loader")
    expect_tensor(images, "the images of a test batch", dtype=torch.float32, shape=(bs, 1, 28, 28),
                  hint="transforms.ToTensor() turns each PIL image into a float tensor of shape (1, 28, 28)")
    expect_tensor(labels, "the labels of a test batch", dtype=torch.int64, shape=(bs,))
    ref_images, ref_labels = mnist_tensors(False)
    if images.min() >= 0 and images.max() <= 1:
        raise AssertionError(
            f"the test images lie in [0, 1] (min {images.min():.3f}, max {images.max():.3f}): they are not normalized.\n"
            "Hint: transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])."
        )
    if not torch.equal(labels, ref_labels[:bs]):
        raise AssertionError(
            f"the first test batch does not hold the first {bs} test images in order (labels "
            f"{labels[:8].tolist()}..., expected {ref_labels[:8].tolist()}...): the test loader must not be shuffled "
            "(shuffle=False), so that predictions line up with the targets."
        )
    expect_close(images, ref_images[:bs], "the first test batch", rtol=0, atol=1e-5,
                 hint="ToTensor() first (scales to [0, 1]), then Normalize((0.1307,), (0.3081,))")
    train_images, train_labels = _first_batch(train_loader, "train_loader")
    expect_tensor(train_images, "the images of a training batch", dtype=torch.float32, shape=(bs, 1, 28, 28))
    expect_tensor(train_labels, "the labels of a training batch", dtype=torch.int64, shape=(bs,))
    mean, std = float(train_images.mean()), float(train_images.std())
    assert abs(mean) < 0.25 and abs(std - 1) < 0.25, (
        f"a normalized training batch should have pixel mean near 0 and std near 1, but found mean {mean:.3f} "
        f"and std {std:.3f}. Hint: the training set needs the same ToTensor() and Normalize(...) as the test set."
    )
    train_ref = mnist_tensors(True)[1]
    _, second_labels = _first_batch(train_loader, "train_loader")
    if torch.equal(train_labels, train_ref[:bs]) or torch.equal(train_labels, second_labels):
        raise AssertionError(
            "the training loader gives the same first batch every epoch (the first images of the training set, in "
            "order): it should be shuffled (shuffle=True), so that each epoch sees the batches in a new order."
        )


def mlp(MLP, kwargs: dict | None = None, batch: int = 5, seed: int = 0) -> None:
    """``MLP(**kwargs)`` maps ``(B, in_features)`` (and, for 784 features, ``(B, 1, 28, 28)``) to logits
    ``(B, n_classes)``, through ``nn.Linear`` layers of the requested sizes with a ReLU between them.

    Checked from the layers the forward pass actually runs (forward hooks on
    every ``nn.Linear``): their sizes and order, the parameter count, each
    linear layer's input equal to the ReLU of the previous one's output, and
    the output equal to the last linear layer's output (logits, no softmax).
    """
    kwargs = dict(kwargs or {})
    in_features = kwargs.get("in_features", 784)
    hidden_sizes = tuple(kwargs.get("hidden_sizes", (256, 128)))
    n_classes = kwargs.get("n_classes", 10)
    name = f"MLP({_fmt_kwargs(kwargs)})"
    with quietly():
        model = MLP(**kwargs)
    expect_type(model, nn.Module, name, hint="class MLP(nn.Module) whose __init__ calls super().__init__()")
    model.eval()  # so that a Dropout layer, which the contract allows, changes nothing here
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, in_features, generator=g)
    out, records = _linear_trace(model, x, f"{name}(x) for x of shape {(batch, in_features)}")
    expect_tensor(out, f"{name}(x) for x of shape {(batch, in_features)}", dtype=torch.float32, shape=(batch, n_classes),
                  hint="one row of n_classes scores per input row")
    if in_features == 784:
        images = x.reshape(batch, 1, 28, 28)
        out_images = _forward(model, images, f"{name}(images) for images of shape {(batch, 1, 28, 28)}",
                              hint="flatten each image to 784 numbers first: x.flatten(start_dim=1) or nn.Flatten()")
        expect_tensor(out_images, f"{name}(images) for images of shape {(batch, 1, 28, 28)}", dtype=torch.float32,
                      shape=(batch, n_classes),
                      hint="flatten (B, 1, 28, 28) to (B, 784) keeping the batch dimension: x.flatten(start_dim=1)")
        expect_close(out_images, out, f"{name}(images) against {name}(images flattened to (B, 784))", rtol=1e-5, atol=1e-6,
                     hint="flatten each image row by row, as x.flatten(start_dim=1) does")
    expected_count = expected_parameter_count(in_features, hidden_sizes, n_classes)
    count = sum(p.numel() for p in model.parameters() if p.requires_grad)
    sizes = [in_features, *hidden_sizes, n_classes]
    layers = " -> ".join(f"Linear({a}, {b})" for a, b in zip(sizes[:-1], sizes[1:]))
    assert count == expected_count, (
        f"{name} should have {expected_count:,} trainable parameters ({layers}, weights and biases), "
        f"but has {count:,}. Hint: build one nn.Linear per pair of consecutive sizes in "
        f"[in_features, *hidden_sizes, n_classes]."
    )
    found = [(m.in_features, m.out_features) for m, _, _ in records]
    wanted = list(zip(sizes[:-1], sizes[1:]))
    assert found == wanted, (
        f"the forward pass of {name} should run {layers}, but ran "
        f"{' -> '.join(f'Linear({a}, {b})' for a, b in found) or 'no nn.Linear at all'}."
    )
    for k in range(1, len(records)):
        previous, current = records[k - 1][2], records[k][1]
        if not torch.allclose(current, torch.relu(previous), rtol=1e-5, atol=1e-6):
            raise AssertionError(
                f"the input of linear layer {k + 1} is not the ReLU of linear layer {k}'s output. Hint: put a ReLU "
                "between consecutive linear layers (nn.ReLU() or torch.relu); without a non-linearity the layers "
                "collapse into a single linear map, which cannot learn more than a linear classifier."
            )
    last = records[-1][2]
    if not torch.allclose(out, last, rtol=1e-5, atol=1e-6):
        sums = out.sum(dim=1)
        softmax = bool(torch.allclose(sums, torch.ones_like(sums), atol=1e-4) and (out >= 0).all())
        raise AssertionError(
            f"{name} should return the logits, the output of its last linear layer, unchanged; but it returns "
            + ("rows that are probabilities (non-negative, each summing to 1): softmax is applied in forward. "
               if softmax else "something else. ")
            + "Hint: return the last layer's output; nn.CrossEntropyLoss applies log-softmax itself, and argmax of "
              "the logits already gives the predicted class."
        )


def train_one_epoch(train_one_epoch, n: int = 512, batch_size: int = 64, epochs: int = 3, seed: int = 1) -> None:
    """On a fixed subset of ``n`` training images, wrapped in a (silent) ``tqdm`` bar as in the notebook's
    training cell, with the grader's own small network and plain SGD:
    a float mean loss per epoch (the mean of the batch losses, plain or weighted by batch size, within
    ``rtol=1e-4``), one ``optimizer.step()`` per batch, train mode during the pass, changed weights, and
    after ``epochs`` epochs the grader's own loss on the subset below 70 % of where it started.
    """
    images, labels = training_subset(n)
    loader = DataLoader(TensorDataset(images, labels), batch_size=batch_size, shuffle=False)
    model = small_net(seed)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    steps = []
    optimizer.register_step_post_hook(lambda opt, args, kwargs: steps.append(1))
    before = grader_loss(model, images, labels)
    initial = [p.detach().clone() for p in model.parameters()]
    for epoch in range(epochs):
        model.eval()  # train_one_epoch must switch the model to train mode itself
        model.probe.calls.clear()
        loss_fn = RecordingLoss()
        steps.clear()
        batches = tqdm(loader, disable=True)  # as in the notebook's training cell: a tqdm bar around the loader
        try:
            result = call(train_one_epoch, model, batches, loss_fn, optimizer, name="train_one_epoch")
        except AttributeError as error:
            raise AssertionError(
                f"train_one_epoch(model, tqdm(loader), ...) raised AttributeError: {error}. The training cell wraps "
                "the loader in a tqdm progress bar, which has a len() but no .dataset or .batch_size. Hint: iterate "
                "with `for images, labels in loader` and divide by len(loader), or count len(labels) as you go."
            ) from None
        value = expect_float(result, "train_one_epoch(model, loader, loss_fn, optimizer)",
                             hint="return the mean loss of the epoch as a Python float (accumulate loss.item())")
        assert loss_fn.calls, (
            "train_one_epoch never called the loss_fn it received. Hint: loss = loss_fn(model(images), labels)."
        )
        plain = float(np.mean([v for v, _ in loss_fn.calls]))
        weighted = sum(v * b for v, b in loss_fn.calls) / sum(b for _, b in loss_fn.calls)
        if not (math.isclose(value, plain, rel_tol=1e-4, abs_tol=1e-6) or math.isclose(value, weighted, rel_tol=1e-4, abs_tol=1e-6)):
            raise AssertionError(
                f"train_one_epoch returned {value:.6g}, but the mean of the {len(loss_fn.calls)} batch losses it "
                f"computed is {plain:.6g}. Hint: add up loss.item() over the batches and divide by the number of batches."
            )
        assert steps, (
            "train_one_epoch never called optimizer.step(): the gradients are computed but the weights never move. "
            "Hint: per batch, optimizer.zero_grad(), loss.backward(), optimizer.step()."
        )
        assert len(steps) == len(loader), (
            f"optimizer.step() ran {len(steps)} times in an epoch of {len(loader)} batches; expected once per batch."
        )
        assert model.probe.calls and all(training for training, _ in model.probe.calls), (
            "the model was in eval mode during training (the grader left it in eval mode, as evaluate does). "
            "Hint: call model.train() at the start of train_one_epoch."
        )
        if epoch == 0:
            moved = any(not torch.equal(p.detach(), p0) for p, p0 in zip(model.parameters(), initial))
            assert moved, "after one epoch of train_one_epoch the model's weights are unchanged."
    after = grader_loss(model, images, labels)
    assert after < 0.7 * before, (
        f"after {epochs} epochs of train_one_epoch on a fixed subset of {n} images, the grader's loss went from "
        f"{before:.3f} to {after:.3f}; expected it to fall below {0.7 * before:.3f}. Hint: per batch: zero the "
        "gradients, forward, loss, backward, step."
    )


def evaluate(evaluate, n: int | None = None, batch_size: int = 500, model: nn.Module | None = None) -> None:
    """The accuracy in ``[0, 1]`` as a float, equal to the grader's own accuracy of a model the grader builds
    (``atol=1e-6``), computed in eval mode and without tracking gradients (the model is handed over in train mode).
    """
    model = reference_model() if model is None else model
    loader = test_loader(batch_size=batch_size, n=n)
    images, labels = loader.dataset.tensors
    expected = grader_accuracy(model, images, labels)
    model.train()
    model.probe.calls.clear()
    result = call(evaluate, model, loader, name="evaluate")
    value = expect_float(result, "evaluate(model, loader)",
                         hint="return correct / total as a Python float (use .item() on a one-element tensor)")
    assert 0.0 <= value <= 1.0, (
        f"evaluate should return an accuracy in [0, 1], but returned {value:g}. Hint: a fraction, not a percentage."
    )
    expect_close(value, expected, f"evaluate(model, loader) on {len(images):,} images in batches of {batch_size}",
                 rtol=0, atol=1e-6,
                 hint="count correct predictions (logits.argmax(dim=1) == labels) over every batch and divide by the "
                      "number of images, len(loader.dataset); the last batch may be smaller")
    assert model.probe.calls, "evaluate never ran the model."
    assert not any(training for training, _ in model.probe.calls), (
        "evaluate ran the model in train mode. Hint: call model.eval() first: layers such as Dropout and "
        "BatchNorm behave differently in training and evaluation."
    )
    assert not any(grad for _, grad in model.probe.calls), (
        "evaluate ran the model while autograd was recording. Hint: wrap the loop in `with torch.no_grad():`, "
        "which saves the memory and time of building a computation graph nobody will use."
    )


def predict(predict, n: int | None = None, batch_size: int = 250, model: nn.Module | None = None) -> None:
    """``(preds, targets)``: int64 ``(N,)`` tensors, the targets in the loader's order, the predictions
    equal to the grader's argmax of the logits; their confusion matrix is ``10 x 10``, sums to ``N``
    and its trace is the number of correct predictions.
    """
    model = reference_model() if model is None else model
    loader = test_loader(batch_size=batch_size, n=n)
    images, labels = loader.dataset.tensors
    with torch.no_grad():
        expected = torch.cat([model(images[i:i + 1000]).argmax(dim=1) for i in range(0, len(images), 1000)])
    result = call(predict, model, loader, name="predict")
    expect_type(result, tuple, "predict(model, loader)", hint="return preds, targets")
    assert len(result) == 2, f"predict should return 2 values (preds, targets), but returned {len(result)}."
    preds, targets = result
    N = len(images)
    expect_tensor(preds, "preds", dtype=torch.int64, shape=(N,),
                  hint="torch.cat the argmax(dim=1) of every batch: one class index per image")
    expect_tensor(targets, "targets", dtype=torch.int64, shape=(N,), hint="torch.cat the labels of every batch")
    if not torch.equal(targets, labels):
        raise AssertionError("targets should be the loader's labels, batch after batch, in order; they are not.")
    wrong = int((preds != expected).sum())
    assert wrong == 0, (
        f"{wrong} of {N:,} predictions differ from the class with the largest logit. Hint: logits.argmax(dim=1)."
    )
    cm = confusion_matrix(targets.numpy(), preds.numpy(), labels=list(range(10)))
    correct = int((preds == targets).sum())
    assert cm.shape == (10, 10) and cm.sum() == N and np.trace(cm) == correct, (
        f"the confusion matrix of (targets, preds) should be 10 x 10, sum to {N} and have trace {correct}; found "
        f"shape {cm.shape}, sum {cm.sum()} and trace {np.trace(cm)}."
    )


def save_load(save_model, load_model, MLP, kwargs: dict | None = None, batch: int = 6, seed: int = 2,
              filename: str = "mnist_mlp.pt", as_str: bool = False) -> None:
    """``save_model`` writes a state dict (``torch.load(path, weights_only=True)`` gives a dict of the model's
    tensors); ``load_model(path, **kwargs)`` returns a new ``MLP`` in eval mode whose logits equal the saved
    model's, bit for bit.  The saved model's weights are perturbed first, so a fresh ``MLP`` would not pass.
    ``as_str`` passes the path as a ``str`` instead of a ``pathlib.Path``; inputs are ``(B, in_features)``.
    """
    kwargs = dict(kwargs or {})
    in_features = kwargs.get("in_features", 784)
    g = torch.Generator().manual_seed(seed)
    with quietly():
        model = MLP(**kwargs)
    expect_type(model, nn.Module, f"MLP({_fmt_kwargs(kwargs)})")
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=g))
    model.eval()
    x = torch.randn(batch, in_features, generator=g)
    expected = _forward(model, x, f"MLP({_fmt_kwargs(kwargs)})(x) for x of shape {(batch, in_features)}")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / filename
        given = str(path) if as_str else path
        result = call(save_model, model, given, name="save_model")
        assert result is None, f"save_model should return None, but returned {describe(result)}."
        assert path.is_file(), f"save_model(model, path) wrote no file at {path.name}."
        try:
            with quietly():
                state = torch.load(path, weights_only=True)
        except Exception as error:
            raise AssertionError(
                f"the saved file is not a plain state dict: torch.load(path, weights_only=True) failed "
                f"({type(error).__name__}). Hint: save model.state_dict() with torch.save, not the model object itself."
            ) from None
        expect_type(state, dict, "torch.load(path, weights_only=True)", hint="save the state dict (model.state_dict()), not the model object")
        reference = model.state_dict()
        assert list(state) == list(reference), (
            f"the saved state dict has the keys {list(state)[:6]}, expected the model's own {list(reference)[:6]}."
        )
        for key, tensor in reference.items():
            expect_tensor(state[key], f"state_dict[{key!r}] in the file", dtype=tensor.dtype, shape=tuple(tensor.shape))
            assert torch.equal(state[key], tensor), f"state_dict[{key!r}] in the file differs from the model's."
        torch.manual_seed(seed + 100)  # a fresh MLP would get other weights
        restored = call(load_model, given, name="load_model", **kwargs)
    expect_type(restored, MLP, f"load_model(path{', ' + _fmt_kwargs(kwargs) if kwargs else ''})",
                hint="build MLP(**mlp_kwargs), load the saved state dict into it, and return it")
    assert restored is not model, "load_model should build a new MLP, not return the saved one."
    assert not any(m.training for m in restored.modules()), (
        "load_model should return the model in eval mode. Hint: model.eval() before returning it."
    )
    found = _forward(restored, x, "the restored model(x)")
    expect_tensor(found, "the restored model's logits", dtype=torch.float32, shape=tuple(expected.shape))
    if not torch.equal(found, expected):
        expect_close(found, expected, "the restored model's logits against the saved model's", rtol=0, atol=0,
                     hint="load the saved weights into the new MLP: model.load_state_dict(torch.load(path))")


def trained_accuracy(model, MLP, threshold: float = THRESHOLD) -> float:
    """The grader's own accuracy of the notebook's trained ``model`` on the official 10,000 test images;
    it must be at least ``threshold`` (97 %).  Returns the accuracy."""
    expect_type(model, MLP, "model", hint="run the training cell above: it builds model = MLP(...) and trains it")
    hand_over("digit_model", model.state_dict())  # judged again outside the notebook (autograder.grader.judge)
    images, labels = mnist_tensors(False)
    try:
        accuracy = grader_accuracy(model, images, labels)
    except Exception as error:
        raise AssertionError(
            f"the grader could not run model(images) on test images of shape (B, 1, 28, 28): "
            f"{type(error).__name__}: {error}"
        ) from None
    assert accuracy >= threshold, (
        f"the trained model classifies {accuracy:.2%} of the 10,000 official test images correctly (the grader's "
        f"count); expected at least {threshold:.0%}. Check MLP, train_one_epoch and your optimizer."
    )
    return accuracy
