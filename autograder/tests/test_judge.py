"""The judge measures handed-over weights with the grader's own code, and refuses anything but plain tensors.

Fast: no kernel.  The end-to-end cases run in real autogrades: every correct sample submission
passes the judge, and the ``peeks-labels`` digit scenario (a ``forward`` that looks up the test
labels, on weights that were never trained) passes the in-kernel check but loses the judged cell
(``sample_class/digit_classifier.py``; asserted by ``test_sample_class.py``).
"""

from __future__ import annotations

import pickle

import torch
from torch import nn

from autograder.checks import bonus_predictor as bonus_check
from autograder.grader import judge
from autograder.paths import data_path


def _hand_over(tmp_path, monkeypatch, name, state):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    judge.hand_over(name, state, folder=tmp_path)


def _least_squares_state() -> dict:
    X, y = bonus_check.training_split(data_path("bonus.csv"))
    weights, bias, _ = bonus_check.least_squares(X, y)
    return {"linear.weight": torch.tensor(weights[None], dtype=torch.float32), "linear.bias": torch.tensor([bias], dtype=torch.float32)}


def test_least_squares_weights_pass_and_others_fail(tmp_path, monkeypatch):
    _hand_over(tmp_path, monkeypatch, "bonus_fit", _least_squares_state())
    assert judge.verdict("test_fits_least_squares", tmp_path) is None
    _hand_over(tmp_path, monkeypatch, "bonus_fit", {"linear.weight": torch.zeros(1, 3), "linear.bias": torch.zeros(1)})
    message = judge.verdict("test_fits_least_squares", tmp_path)
    assert message and "outside your notebook" in message and "least-squares optimum" in message


def test_untrained_digit_weights_fail_whatever_the_kernel_claimed(tmp_path, monkeypatch, datasets):
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))
    _hand_over(tmp_path, monkeypatch, "digit_model", model.state_dict())
    message = judge.verdict("test_accuracy", tmp_path)
    assert message and "expected at least 97%" in message


def test_layers_are_chained_by_shape_not_by_name(tmp_path):
    torch.manual_seed(1)
    first, second = nn.Linear(784, 16), nn.Linear(16, 10)
    state = {"out.weight": second.weight, "out.bias": second.bias, "hidden.0.weight": first.weight, "hidden.0.bias": first.bias}
    rebuilt = judge.linear_chain({k: v.detach() for k, v in state.items()}, 784, 10)
    x = torch.randn(3, 1, 28, 28)
    expected = second(torch.relu(first(x.flatten(1))))
    assert torch.allclose(rebuilt(x), expected, atol=1e-6)


def test_no_hand_over_outside_autograding_and_none_means_failure(tmp_path, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    judge.hand_over("bonus_fit", _least_squares_state(), folder=tmp_path)
    assert not (tmp_path / judge.FOLDER).exists()
    assert "did not hand the trained model" in judge.verdict("test_fits_least_squares", tmp_path)


def test_a_planted_file_is_removed_before_the_cell_runs(tmp_path, monkeypatch):
    _hand_over(tmp_path, monkeypatch, "bonus_fit", _least_squares_state())
    judge.prepare("test_fits_least_squares", tmp_path)
    assert "did not hand" in judge.verdict("test_fits_least_squares", tmp_path)


class Liar(torch.Tensor):
    def __eq__(self, other):
        return True


class Payload:
    def __reduce__(self):
        return (print, ("this would run in the grader",))


def test_only_plain_tensors_are_accepted(tmp_path):
    folder = tmp_path / judge.FOLDER
    folder.mkdir()
    target = folder / "bonus_fit.pt"
    for bad in ({"linear.weight": torch.zeros(1, 3).as_subclass(Liar), "linear.bias": torch.zeros(1)},
                {"linear.weight": Payload()}, ["not", "a", "dict"], {"linear.weight": torch.tensor([[float("nan")] * 3])}):
        torch.save(bad, target)
        message = judge.verdict("test_fits_least_squares", tmp_path)
        assert message and "outside your notebook" in message, bad
    target.write_bytes(pickle.dumps(Payload()))
    assert "not a plain state_dict" in judge.verdict("test_fits_least_squares", tmp_path)


def test_fashion_statistics_are_compared_with_the_graders_exact_ones(tmp_path, monkeypatch, datasets):
    from autograder.checks import fashion_pipeline as check

    X, _ = check.reference_tensors(True)
    exact = {"train": torch.tensor(check.exact_mean_std(X), dtype=torch.float64),
             "subset": torch.tensor(check.exact_mean_std(X[check.stats_subset(len(X))]), dtype=torch.float64)}
    _hand_over(tmp_path, monkeypatch, "fashion_stats", exact)
    assert judge.verdict("test_channel_mean_std", tmp_path) is None
    published = dict(exact, subset=torch.tensor([0.2860, 0.3530], dtype=torch.float64))  # hard-coded constants
    _hand_over(tmp_path, monkeypatch, "fashion_stats", published)
    assert "4,000 images sorted by class" in judge.verdict("test_channel_mean_std", tmp_path)
