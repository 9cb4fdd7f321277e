"""The assertion helpers check type, then dtype, then shape, then values, and say what they found."""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pytest
import torch

from autograder import asserts


def message(check, *args, **kwargs) -> str:
    with pytest.raises(AssertionError) as error:
        check(*args, **kwargs)
    return str(error.value)


def test_type_is_checked_before_dtype_and_shape():
    text = message(asserts.expect_tensor, [1.0, 2.0], "X", dtype=torch.float32, shape=(2,))
    assert "X should be a Tensor" in text and "list" in text


def test_dtype_is_checked_before_shape():
    text = message(asserts.expect_tensor, torch.zeros(3, dtype=torch.int64), "X", dtype=torch.float32, shape=(2,))
    assert "dtype torch.float32" in text and "found torch.int64" in text


def test_shape_message_gives_expected_and_found():
    text = message(asserts.expect_tensor, torch.zeros(4), "y", dtype=torch.float32, shape=(4, 1), hint="a column")
    assert "shape (4, 1)" in text and "found (4,)" in text and "Hint: a column" in text


def test_close_reports_the_worst_value_and_the_tolerance():
    text = message(asserts.expect_close, torch.tensor([1.0, 2.0, 3.5]), [1.0, 2.0, 3.0], "v", rtol=0, atol=0.1)
    assert "index (2,)" in text and "expected 3" in text and "found 3.5" in text and "atol=0.1" in text


def test_close_accepts_numpy_and_passes_within_tolerance():
    asserts.expect_close(np.array([1.0, 2.0]), torch.tensor([1.0, 2.0 + 1e-6]), "v")


def test_close_rejects_nan():
    assert "NaN" in message(asserts.expect_close, torch.tensor([float("nan")]), [0.0], "loss")


def test_expect_float_refuses_tensors_with_a_hint():
    assert ".item()" in message(asserts.expect_float, torch.tensor(1.0), "loss")
    assert asserts.expect_float(2, "n") == 2.0


def test_call_silences_warnings_and_stderr(capsys):
    def noisy():
        warnings.warn("deprecated thing", UserWarning)
        print("progress 50%", file=sys.stderr)
        return 7

    assert asserts.call(noisy) == 7
    assert capsys.readouterr().err == ""


def test_call_says_when_the_name_is_not_a_function():
    assert "should be a function" in message(asserts.call, None, name="train_model")
