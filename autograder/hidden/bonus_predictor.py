"""Hidden checks for ``bonus_predictor``: new sizes, seeds and edge cases.

Sizes and seeds come from one seeded generator (``_draw``), so each run of
the hidden tests is reproducible but differs from the visible ones.
"""

from __future__ import annotations

import random
import tempfile

import torch
from torch import nn

from autograder.asserts import call, expect_close, expect_float, expect_tensor, quietly
from autograder.checks import bonus_predictor as visible
from autograder.checks.bonus_predictor import COLUMNS, FEATURES, TARGET, synthetic_frame

_RNG = random.Random(20240917)


def _draw(low: int, high: int) -> int:
    return _RNG.randint(low, high)


def load_bonus_data(load_bonus_data) -> None:
    """Columns in another order plus an extra one load; two missing columns are both named."""
    frame = synthetic_frame(_draw(20, 40), seed=11, columns=[TARGET, "projects_completed", "performance_rating", "years_experience"])
    frame["department"] = "sales"
    with tempfile.TemporaryDirectory() as folder:
        df = call(load_bonus_data, visible._write_csv(frame, folder, "shuffled.csv"), name="load_bonus_data")
        assert len(df) == len(frame) and set(COLUMNS) <= set(df.columns), (
            "load_bonus_data should accept a CSV whose columns come in another order, with extra columns."
        )
        bad = visible._write_csv(frame.drop(columns=["years_experience", TARGET]), folder, "two_missing.csv")
        try:
            call(load_bonus_data, bad, name="load_bonus_data")
        except ValueError as error:
            for column in ("years_experience", TARGET):
                assert column in str(error), f"the ValueError should name every missing column; '{column}' is not in {str(error)!r}."
        else:
            raise AssertionError("load_bonus_data should raise ValueError when columns are missing.")


def to_tensors(to_tensors) -> None:
    """Columns in another order, an extra column and a random number of rows."""
    n = _draw(30, 90)
    frame = synthetic_frame(n, seed=12, columns=["projects_completed", TARGET, "years_experience", "performance_rating"])
    frame["team"] = 7
    X, y = call(to_tensors, frame, name="to_tensors")
    expect_tensor(X, "X", dtype=torch.float32, shape=(n, 3))
    expect_tensor(y, "y", dtype=torch.float32, shape=(n, 1))
    expect_close(X, frame[FEATURES].to_numpy(), "X (columns must follow FEATURES order)", rtol=1e-6, atol=1e-4)
    expect_close(y, frame[[TARGET]].to_numpy(), "y", rtol=1e-6, atol=1e-2)


def standardize(standardize) -> None:
    """New sizes and seeds; statistics from the training set only."""
    visible.standardize(standardize, n_train=_draw(50, 120), n_test=_draw(5, 30), seed=13)


def bonus_regressor(BonusRegressor) -> None:
    """Other feature counts: ``BonusRegressor(n)`` has ``n + 1`` parameters."""
    for n_features in (1, _draw(4, 9)):
        visible.bonus_regressor(BonusRegressor, n_features=n_features, n_rows=_draw(2, 17))


def train_model(train_model, BonusRegressor) -> None:
    """The loss trajectory equals the grader's own full-batch SGD, step for step.

    A loop that never zeroes the gradients, steps before ``backward`` or uses
    another optimizer gives another trajectory.  Tolerance ``rtol=1e-3``.
    """
    X, y = visible.regression_problem(_draw(40, 80), seed=14)
    torch.manual_seed(14)
    with quietly():
        model = BonusRegressor()
    reference = nn.Linear(3, 1)
    reference.load_state_dict({"weight": model.linear.weight.detach().clone(), "bias": model.linear.bias.detach().clone()})
    optimizer, loss_fn, expected = torch.optim.SGD(reference.parameters(), lr=0.05), nn.MSELoss(), []
    for _ in range(25):
        optimizer.zero_grad()
        loss = loss_fn(reference(X), y)
        loss.backward()
        optimizer.step()
        expected.append(loss.item())
    losses = call(train_model, model, X, y, epochs=25, lr=0.05, name="train_model")
    assert isinstance(losses, list) and len(losses) == 25, "train_model(..., epochs=25) should return 25 losses."
    expect_close([expect_float(v, "a loss") for v in losses], expected, "the loss per epoch", rtol=1e-3, atol=1e-6,
                 hint="each epoch: zero the gradients, forward, loss, backward, step")
    expect_close(model.linear.weight.detach(), reference.weight.detach(), "the weights after training", rtol=1e-3, atol=1e-5)
    defaults = call(train_model, BonusRegressor(), X, y, name="train_model")
    assert len(defaults) == 500, f"train_model's default should be epochs=500; it returned {len(defaults)} losses."


def mse(mse, BonusRegressor) -> None:
    """A new problem; and the forward pass runs without tracking gradients."""
    X, y = visible.regression_problem(_draw(10, 50), seed=15)
    with quietly():
        model = BonusRegressor()
    grad_modes = []
    model.register_forward_hook(lambda module, inputs, output: grad_modes.append(torch.is_grad_enabled()))
    value = expect_float(call(mse, model, X, y, name="mse"), "mse(model, X, y)")
    expect_close(value, visible.grader_mse(model, X, y), "mse(model, X, y)", rtol=1e-4, atol=1e-6)
    assert grad_modes and not any(grad_modes), (
        "mse should evaluate the model without tracking gradients: wrap the forward pass in `with torch.no_grad():`."
    )


def predict_bonus(predict_bonus, BonusRegressor) -> None:
    """A single employee (N = 1 must stay shape ``(1,)``) and a random batch."""
    for n_rows in (1, _draw(7, 40)):
        visible.predict_bonus(predict_bonus, BonusRegressor, n_rows=n_rows, seed=16 + n_rows)
