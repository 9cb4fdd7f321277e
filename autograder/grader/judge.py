"""Decisive measurements made outside the student's process.

A check that runs in the student's kernel reports its own verdict, and the student's code
shares that interpreter: it can replace the check helpers, ``torch.allclose``, builtins or the
model's ``forward`` (one that looks up the test labels, say).  So for the measurements that
carry an assignment's main points the kernel only *hands over data*: during autograding the
in-kernel check writes the trained model's ``state_dict`` with :func:`hand_over` into
``.kit-judge/`` of the notebook's folder.  After the cell has run, the grading process, which
never runs student code, loads that file with ``torch.load(weights_only=True)`` (plain tensors
only: no code, no tensor subclasses, no objects with an ``__eq__`` of their own), puts the
weights into a network of its own and measures it with its own data and code
(:func:`verdict`).  A judged cell passes only when both the in-kernel check and the judge pass.

Judged cells (``JUDGED``): ``bonus_predictor``'s least-squares fit, ``digit_classifier``'s test
accuracy and ``fashion_pipeline``'s streaming mean and std (the two numbers the student's
function returned, against the grader's exact statistics of the same images).  Both graders (``nbgrader autograde`` through
:class:`autograder.course.preprocessors.SafeExecute`, and ``python -m autograder.grader``) apply it.
"""

from __future__ import annotations

import os
from pathlib import Path

FOLDER = ".kit-judge"
MAX_BYTES = 64 * 2**20          # a handed-over state_dict larger than this is refused unread


class JudgeError(AssertionError):
    """The handed-over data cannot be judged, or the measurement failed; the message says why."""


def hand_over(name: str, state_dict: dict, folder: str | os.PathLike | None = None) -> None:
    """In the kernel, during autograding only: save ``state_dict`` as plain tensors for the judge."""
    if os.environ.get("NBGRADER_EXECUTION") != "autograde":
        return
    import torch

    target = Path(folder or Path.cwd()) / FOLDER
    target.mkdir(exist_ok=True)
    plain = {str(k): v.detach().cpu().clone().as_subclass(torch.Tensor) for k, v in state_dict.items()}
    torch.save(plain, target / f"{name}.pt")


def load(path: Path) -> dict:
    """A handed-over file as ``{name: plain float tensor}``; anything else raises :class:`JudgeError`."""
    import torch

    if not path.is_file():
        raise JudgeError("the check in the notebook did not hand the trained model to the grader (did the cell "
                         "run to its end? code that changes how cells run makes this happen)")
    if path.stat().st_size > MAX_BYTES:
        raise JudgeError(f"the handed-over model is larger than {MAX_BYTES // 2**20} MB")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # not a plain tensor file: refused by the weights-only unpickler
        raise JudgeError(f"the handed-over model is not a plain state_dict ({type(error).__name__})") from None
    if not isinstance(state, dict) or not all(type(k) is str and type(v) is torch.Tensor for k, v in state.items()):
        raise JudgeError("the handed-over model is not a dict of plain tensors")
    if not all(v.is_floating_point() and bool(torch.isfinite(v).all()) for v in state.values()):
        raise JudgeError("the handed-over values are not finite floating-point tensors")
    return state


def linear_chain(state: dict, n_in: int, n_out: int):
    """The contract's network rebuilt from a ``state_dict``: its ``Linear`` layers chained by shape,
    ReLU between them (registration order decides between layers of the same shape)."""
    import torch
    from torch import nn

    weights = [(k, v) for k, v in state.items() if v.dim() == 2]
    used, layers, width = set(), [], n_in
    while len(used) < len(weights):
        candidates = [(k, w) for k, w in weights if k not in used and w.shape[1] == width]
        if not candidates:
            break
        key, weight = candidates[0]
        used.add(key)
        bias = state.get(key[: -len("weight")] + "bias") if key.endswith("weight") else None
        if bias is None or bias.shape != (weight.shape[0],):
            raise JudgeError(f"the layer '{key}' has no matching bias: the contract's MLP is made of nn.Linear layers")
        linear = nn.Linear(weight.shape[1], weight.shape[0])
        linear.weight.data.copy_(weight.to(torch.float32))
        linear.bias.data.copy_(bias.to(torch.float32))
        layers += [nn.ReLU(), linear] if layers else [linear]
        width = weight.shape[0]
    biases = {k[: -len("weight")] + "bias" for k in used}
    extra = sorted(set(state) - used - biases)
    if not layers or width != n_out or extra:
        found = ", ".join(f"{k} {tuple(v.shape)}" for k, v in state.items())
        raise JudgeError(f"the trained model's weights do not form a chain of nn.Linear layers from {n_in} inputs "
                         f"to {n_out} outputs (found: {found[:400]})")
    return nn.Sequential(nn.Flatten(), *layers).eval()


def judge_bonus_fit(state: dict) -> str:
    """The handed-over ``BonusRegressor`` weights against least squares on the grader's own split."""
    import torch
    from torch import nn

    from autograder.checks import bonus_predictor as check
    from autograder.paths import data_path

    model = linear_chain(state, n_in=3, n_out=1)
    linear = next(m for m in model if isinstance(m, nn.Linear))
    X, y = check.training_split(data_path("bonus.csv"))
    weights, bias, best = check.least_squares(X, y)
    found = check.grader_mse(model, X, y)
    if found > 1.01 * best:
        raise JudgeError(f"the trained weights give a training MSE of {found:,.0f}; expected within 1 % of the "
                         f"least-squares optimum {best:,.0f}")
    scale = 0.01 * float(abs(weights).max())
    off = float((linear.weight.detach().double().reshape(-1) - torch.from_numpy(weights)).abs().max())
    if off > scale or abs(float(linear.bias.detach()) - bias) > scale:
        raise JudgeError("the trained weights are not within 1 % of the least-squares coefficients")
    return f"MSE {found:,.0f} (least squares {best:,.0f})"


def judge_digit_accuracy(state: dict) -> str:
    """The handed-over MLP weights, in the grader's own network, on the official 10,000 test images."""
    from autograder.checks import digit_classifier as check

    model = linear_chain(state, n_in=784, n_out=10)
    accuracy = check.grader_accuracy(model)
    if accuracy < check.THRESHOLD:
        raise JudgeError(f"the trained weights classify {accuracy:.2%} of the 10,000 official test images "
                         f"correctly in the grader's own network; expected at least {check.THRESHOLD:.0%}")
    return f"accuracy {accuracy:.2%}"


def judge_fashion_stats(state: dict) -> str:
    """The mean and std ``channel_mean_std`` returned, against the grader's exact statistics of the same images."""
    from autograder.checks import fashion_pipeline as check

    if set(state) != {"train", "subset"} or any(v.shape != (2,) for v in state.values()):
        raise JudgeError("the check in the notebook did not hand over both (mean, std) results")
    X, _ = check.reference_tensors(True)
    for key, images, what in (("train", X, "FashionMNIST's training images"),
                              ("subset", X[check.stats_subset(len(X))], "4,000 images sorted by class")):
        expected = check.exact_mean_std(images)
        found = [float(v) for v in state[key]]
        if any(abs(f - e) > 1e-4 for f, e in zip(found, expected)):
            raise JudgeError(f"channel_mean_std returned mean {found[0]:.5f} and std {found[1]:.5f} for {what}; "
                             f"the grader's exact values are {expected[0]:.5f} and {expected[1]:.5f}")
    return "mean and std exact"


# grade id -> (the name the in-kernel check hands over, the judge)
JUDGED = {
    "test_fits_least_squares": ("bonus_fit", judge_bonus_fit),
    "test_accuracy": ("digit_model", judge_digit_accuracy),
    "test_channel_mean_std": ("fashion_stats", judge_fashion_stats),
}


def prepare(grade_id: str | None, folder: str | os.PathLike) -> None:
    """Before a judged cell runs: remove any earlier hand-over (a file shipped with the submission
    or left by an earlier cell never counts)."""
    if grade_id in JUDGED:
        (Path(folder) / FOLDER / f"{JUDGED[grade_id][0]}.pt").unlink(missing_ok=True)


def verdict(grade_id: str | None, folder: str | os.PathLike) -> str | None:
    """After a judged cell ran: ``None`` when the judge agrees, else the reason it failed."""
    if grade_id not in JUDGED:
        return None
    name, judge = JUDGED[grade_id]
    try:
        judge(load(Path(folder) / FOLDER / f"{name}.pt"))
    except JudgeError as error:
        return f"measured by the grader outside your notebook: {error}"
    except Exception as error:  # the grader's own measurement failed on these weights
        return f"measured by the grader outside your notebook: {type(error).__name__}: {error}"
    return None


def failure_output(message: str, ename: str = "GraderVerdict"):
    """The error output a failed judgement adds to its cell (nbgrader then scores the cell 0)."""
    import nbformat

    return nbformat.v4.new_output("error", ename=ename, evalue=message, traceback=[f"{ename}: {message}"])


def settle(cell, folder: str | os.PathLike, refused: str | None = None) -> None:
    """After an automatically graded cell ran: add the error that fails it when the notebook was
    refused by the tamper screen (``refused`` is the screen's message) or the judge disagrees."""
    meta = cell.get("metadata", {}).get("nbgrader", {}) or {}
    if not meta.get("grade") or meta.get("solution") or cell.cell_type != "code":
        return
    if refused:
        cell.outputs.append(failure_output(refused, "TamperingRefused"))
        return
    failure = verdict(meta.get("grade_id"), folder)
    if failure:
        cell.outputs.append(failure_output(failure))
