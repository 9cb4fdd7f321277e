"""Visible checks for ``bonus_predictor`` (contract section 1).

Each function receives the student's objects by name and checks type, then
dtype, then shape, then values.  Tolerances: tensors from the student's code
against the grader's own computation with ``rtol=1e-4, atol=1e-4``; the
trained regressor against least squares within 1 % (see
:func:`fits_least_squares`).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from torch import nn

from autograder.asserts import call, expect_close, expect_float, expect_tensor, expect_type, quietly
from autograder.grader.judge import hand_over

FEATURES = ["performance_rating", "years_experience", "projects_completed"]
TARGET = "bonus"
COLUMNS = [*FEATURES, TARGET]


# --- inputs the grader builds for itself ------------------------------------------------

def synthetic_frame(n: int, seed: int, columns: list[str] = COLUMNS) -> pd.DataFrame:
    """A small employee table with the contract's columns (in the given order)."""
    rng = np.random.default_rng(seed)
    data = {
        "performance_rating": np.round(rng.uniform(1, 10, n), 1),
        "years_experience": rng.integers(0, 41, n),
        "projects_completed": rng.integers(0, 61, n),
    }
    data[TARGET] = np.round(800 + 600 * data["performance_rating"] + 80 * data["years_experience"]
                            + 30 * data["projects_completed"] + rng.normal(0, 300, n), 2)
    return pd.DataFrame({c: data[c] for c in columns})


def regression_problem(n: int, seed: int, n_features: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    """Standardized features ``X`` (n, n_features) and targets ``y`` (n, 1), float32."""
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, n_features, generator=g)
    w = torch.randn(n_features, 1, generator=g) * 2
    y = X @ w + 0.5 + 0.1 * torch.randn(n, 1, generator=g)
    return X, y


def least_squares(X: torch.Tensor, y: torch.Tensor) -> tuple[np.ndarray, float, float]:
    """Closed-form least squares with an intercept, in float64: ``(weights, bias, mse)``."""
    A = np.hstack([X.double().numpy(), np.ones((len(X), 1))])
    b = y.double().numpy().reshape(-1)
    solution, *_ = np.linalg.lstsq(A, b, rcond=None)
    mse = float(np.mean((A @ solution - b) ** 2))
    return solution[:-1], float(solution[-1]), mse


def grader_mse(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    """The grader's own mean squared error of ``model`` on ``(X, y)``."""
    with torch.no_grad(), quietly():
        return float(((model(X).reshape(-1, 1).double() - y.double()) ** 2).mean())


def training_split(data_path) -> tuple[torch.Tensor, torch.Tensor]:
    """The grader's own training split of the bonus data (80 %, seed 0), standardized: ``(X, y)``."""
    frame = pd.read_csv(data_path)
    order = np.random.default_rng(0).permutation(len(frame))[: int(0.8 * len(frame))]
    train = frame.iloc[order]
    X = torch.tensor(train[FEATURES].to_numpy(), dtype=torch.float32)
    y = torch.tensor(train[[TARGET]].to_numpy(), dtype=torch.float32)
    return (X - X.mean(dim=0)) / X.std(dim=0), y


def _write_csv(frame: pd.DataFrame, folder: str, name: str) -> Path:
    path = Path(folder) / name
    frame.to_csv(path, index=False)
    return path


# --- checks ---------------------------------------------------------------------------

def load_bonus_data(load_bonus_data) -> None:
    """``load_bonus_data`` reads a CSV the grader writes and names a missing column in its error."""
    frame = synthetic_frame(7, seed=1)
    with tempfile.TemporaryDirectory() as folder:
        df = call(load_bonus_data, _write_csv(frame, folder, "employees.csv"), name="load_bonus_data")
        expect_type(df, pd.DataFrame, "load_bonus_data(path)")
        assert len(df) == 7, f"load_bonus_data read {len(df)} rows from a 7-row CSV; expected 7."
        missing = set(COLUMNS) - set(df.columns)
        assert not missing, f"the DataFrame lacks the columns {sorted(missing)}."
        bad = _write_csv(frame.drop(columns=[TARGET]), folder, "no_bonus.csv")
        try:
            call(load_bonus_data, bad, name="load_bonus_data")
        except ValueError as error:
            assert TARGET in str(error), (
                f"load_bonus_data raised ValueError({str(error)!r}) for a CSV without the column "
                f"'{TARGET}'; expected the message to name the missing column '{TARGET}'."
            )
        else:
            raise AssertionError(
                f"load_bonus_data read a CSV without the column '{TARGET}' and raised nothing; "
                "expected a ValueError naming the missing column."
            )


def to_tensors(to_tensors) -> None:
    """``to_tensors`` gives ``X`` float32 ``(N, 3)`` in ``FEATURES`` order and ``y`` float32 ``(N, 1)``."""
    frame = synthetic_frame(12, seed=2)
    result = call(to_tensors, frame, name="to_tensors")
    expect_type(result, tuple, "to_tensors(df)", hint="return X, y")
    assert len(result) == 2, f"to_tensors(df) should return 2 values (X, y), but returned {len(result)}."
    X, y = result
    expect_tensor(X, "X", dtype=torch.float32, shape=(12, 3), hint="torch.tensor(df[FEATURES].to_numpy(), dtype=torch.float32)")
    expect_tensor(y, "y", dtype=torch.float32, shape=(12, 1), hint="a column vector: one row per employee, one column")
    expect_close(X, frame[FEATURES].to_numpy(), "X", rtol=1e-6, atol=1e-4)
    expect_close(y, frame[[TARGET]].to_numpy(), "y", rtol=1e-6, atol=1e-2)


def standardize(standardize, n_train: int = 40, n_test: int = 15, seed: int = 3) -> None:
    """``standardize`` scales both sets with the mean and std of ``X_train`` only.

    Either standard deviation is accepted: the unbiased one (``torch.std``'s
    default) or the population one (``unbiased=False``, as scikit-learn).
    """
    g = torch.Generator().manual_seed(seed)
    X_train = torch.randn(n_train, 3, generator=g) * torch.tensor([2.0, 8.0, 12.0]) + torch.tensor([5.0, 10.0, 15.0])
    X_test = torch.randn(n_test, 3, generator=g) * torch.tensor([1.0, 3.0, 20.0]) + torch.tensor([8.0, 2.0, 30.0])
    train_copy, test_copy = X_train.clone(), X_test.clone()
    result = call(standardize, X_train, X_test, name="standardize")
    expect_type(result, tuple, "standardize(X_train, X_test)", hint="return X_train_s, X_test_s, mean, std")
    assert len(result) == 4, f"standardize should return 4 values (X_train_s, X_test_s, mean, std), but returned {len(result)}."
    X_train_s, X_test_s, mean, std = result
    expect_tensor(X_train_s, "X_train_s", dtype=torch.float32, shape=(n_train, 3))
    expect_tensor(X_test_s, "X_test_s", dtype=torch.float32, shape=(n_test, 3))
    expect_tensor(mean, "mean", dtype=torch.float32, shape=(3,), hint="X_train.mean(dim=0)")
    expect_tensor(std, "std", dtype=torch.float32, shape=(3,), hint="X_train.std(dim=0)")
    expect_close(X_train, train_copy, "X_train after standardize (it must not be changed in place)")
    expect_close(X_test, test_copy, "X_test after standardize (it must not be changed in place)")
    expect_close(mean, X_train.mean(dim=0), "mean", hint="use the training set's statistics only: X_train.mean(dim=0)")
    unbiased, population = X_train.std(dim=0), X_train.std(dim=0, correction=0)
    target = unbiased if torch.allclose(std, unbiased, rtol=1e-4) else population
    expect_close(std, target, "std", hint="use the training set's statistics only: X_train.std(dim=0)")
    expect_close(X_train_s, (X_train - mean) / std, "X_train_s")
    expect_close(X_test_s, (X_test - mean) / std, "X_test_s", hint="scale the test set with the training mean and std")


def bonus_regressor(BonusRegressor, n_features: int = 3, n_rows: int = 5) -> None:
    """``BonusRegressor(n_features)`` wraps one ``nn.Linear(n_features, 1)`` and returns ``(N, 1)``."""
    with quietly():
        model = BonusRegressor(n_features) if n_features != 3 else BonusRegressor()
    expect_type(model, nn.Module, "BonusRegressor()", hint="class BonusRegressor(nn.Module) and call super().__init__()")
    linear = getattr(model, "linear", None)
    expect_type(linear, nn.Linear, "model.linear", hint=f"self.linear = nn.Linear({n_features}, 1)")
    assert (linear.in_features, linear.out_features) == (n_features, 1), (
        f"model.linear should be nn.Linear({n_features}, 1), but found "
        f"nn.Linear({linear.in_features}, {linear.out_features})."
    )
    count = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert count == n_features + 1, (
        f"the model should have exactly {n_features + 1} trainable parameters ({n_features} weights and "
        f"1 bias), but found {count}."
    )
    X = torch.randn(n_rows, n_features, generator=torch.Generator().manual_seed(n_rows))
    with quietly():
        out = model(X)
    expect_tensor(out, f"model(X) for X of shape {(n_rows, n_features)}", dtype=torch.float32, shape=(n_rows, 1))
    with torch.no_grad():
        expect_close(out, linear(X), "model(X)", hint="forward should pass X through the model's linear layer, and nothing else")


def train_model(train_model, BonusRegressor, epochs: int = 60, seed: int = 4) -> None:
    """``train_model`` returns one float loss per epoch, and the loss falls."""
    X, y = regression_problem(64, seed)
    torch.manual_seed(seed)
    with quietly():
        model = BonusRegressor()
    before = [p.detach().clone() for p in model.parameters()]
    losses = call(train_model, model, X, y, epochs=epochs, lr=0.1, name="train_model")
    expect_type(losses, list, "train_model(...)", hint="append loss.item() to a list each epoch and return the list")
    assert len(losses) == epochs, f"train_model ran with epochs={epochs} should return {epochs} losses, but returned {len(losses)}."
    for i, loss in enumerate(losses[:3]):
        expect_float(loss, f"losses[{i}]")
    assert any(not torch.equal(a, b.detach()) for a, b in zip(before, model.parameters())), (
        "the model's parameters did not change: train_model must update the model it is given "
        "(optimizer.step() after loss.backward())."
    )
    first, last = expect_float(losses[0], "losses[0]"), expect_float(losses[-1], "losses[-1]")
    assert last < 0.5 * first, (
        f"the training loss should fall: after {epochs} epochs at lr=0.1 it went from {first:.4g} to "
        f"{last:.4g}; expected less than half the first loss."
    )


def mse(mse, BonusRegressor, n_rows: int = 30, seed: int = 5) -> None:
    """``mse`` returns the mean squared error as a Python float."""
    X, y = regression_problem(n_rows, seed)
    torch.manual_seed(seed)
    with quietly():
        model = BonusRegressor()
    value = expect_float(call(mse, model, X, y, name="mse"), "mse(model, X, y)")
    expect_close(value, grader_mse(model, X, y), "mse(model, X, y)", rtol=1e-4, atol=1e-6)


def fits_least_squares(BonusRegressor, train_model, data_path, epochs: int = 500, lr: float = 0.1) -> None:
    """Trained on the real bonus data, the model reaches the least-squares fit.

    The grader loads ``data_path`` itself, splits it (80/20, its own seed),
    standardizes with its own code and trains a fresh ``BonusRegressor`` with
    the student's ``train_model(epochs=500, lr=0.1)``.  It then requires: the
    loss falls; the final training MSE (the grader's own computation) is
    within 1 % of the optimal least-squares MSE; every weight and the bias is
    within 1 % of the largest least-squares coefficient of its least-squares
    value.
    """
    X, y = training_split(data_path)
    torch.manual_seed(0)
    with quietly():
        model = BonusRegressor()
    losses = call(train_model, model, X, y, epochs=epochs, lr=lr, name="train_model")
    expect_type(losses, list, "train_model(...)")
    assert len(losses) == epochs and losses[-1] < losses[0], "the training loss should fall over the epochs."
    weights, bias, best = least_squares(X, y)
    hand_over("bonus_fit", model.state_dict())  # judged again outside the notebook (autograder.grader.judge)
    found = grader_mse(model, X, y)
    assert found <= 1.01 * best, (
        f"after {epochs} epochs at lr={lr} the training MSE is {found:,.0f}; expected within 1 % of the "
        f"least-squares optimum {best:,.0f} (at most {1.01 * best:,.0f})."
    )
    scale = 0.01 * float(np.abs(weights).max())
    expect_close(model.linear.weight.detach().reshape(-1), weights, "the learned weights", rtol=0, atol=scale)
    expect_close(model.linear.bias.detach().reshape(-1), [bias], "the learned bias", rtol=0, atol=scale)


def predict_bonus(predict_bonus, BonusRegressor, n_rows: int = 6, seed: int = 6) -> None:
    """``predict_bonus`` scales raw features with ``mean``/``std`` and returns shape ``(N,)``."""
    g = torch.Generator().manual_seed(seed)
    with quietly():
        model = BonusRegressor()
    with torch.no_grad():
        model.linear.weight.copy_(torch.tensor([[600.0, 80.0, 30.0]]))
        model.linear.bias.fill_(5000.0)
    mean = torch.tensor([5.5, 10.0, 13.0]) + torch.rand(3, generator=g)
    std = torch.tensor([2.5, 7.0, 4.0]) + torch.rand(3, generator=g)
    features = torch.rand(n_rows, 3, generator=g) * torch.tensor([9.0, 40.0, 60.0]) + torch.tensor([1.0, 0.0, 0.0])
    result = call(predict_bonus, model, features, mean, std, name="predict_bonus")
    expect_tensor(result, "predict_bonus(...)", dtype=torch.float32, shape=(n_rows,), hint="flatten the (N, 1) output to (N,)")
    expected = ((features - mean) / std) @ torch.tensor([600.0, 80.0, 30.0]) + 5000.0
    expect_close(result, expected, "predict_bonus(...)", rtol=1e-4, atol=1e-2,
                 hint="standardize the raw features with the training mean and std before the model")
