"""Assertion helpers whose failure messages teach.

Every check in :mod:`autograder.checks` and :mod:`autograder.hidden` is built
from these helpers, in the order the course contract fixes: **type, then
dtype, then shape, then values**.  Each failure says what was expected, what
was found and, where one helps, a hint.  They raise ``AssertionError``, so
they read like pytest asserts in a grade cell and under pytest alike.

Tolerances are explicit arguments; the defaults (``rtol=1e-4``,
``atol=1e-5``) suit float32 arithmetic on values of order one.
"""

from __future__ import annotations

import contextlib
import io
import math
import numbers
import warnings
from typing import Any, Iterator

import numpy as np
import torch


def describe(obj: Any) -> str:
    """A short description of ``obj`` for messages: its type, dtype and shape where it has them."""
    if isinstance(obj, torch.Tensor):
        return f"a tensor of dtype {obj.dtype} and shape {tuple(obj.shape)}"
    shape = getattr(obj, "shape", None)
    if shape is not None and hasattr(obj, "dtype"):
        return f"a {type(obj).__module__.split('.')[0]}.{type(obj).__name__} of dtype {obj.dtype} and shape {tuple(shape)}"
    if obj is None:
        return "None (did the function forget to `return`?)"
    text = repr(obj)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(obj).__name__} {text}"


def _fail(message: str, hint: str | None = None) -> None:
    raise AssertionError(message + (f"\nHint: {hint}" if hint else ""))


def expect_type(obj: Any, expected: type | tuple[type, ...], name: str, hint: str | None = None) -> None:
    """Assert ``isinstance(obj, expected)``."""
    if not isinstance(obj, expected):
        names = " or ".join(t.__name__ for t in (expected if isinstance(expected, tuple) else (expected,)))
        _fail(f"{name} should be a {names}, but found {describe(obj)}.", hint)


def expect_dtype(tensor: torch.Tensor, dtype: torch.dtype, name: str, hint: str | None = None) -> None:
    """Assert ``tensor.dtype == dtype``."""
    if tensor.dtype != dtype:
        _fail(f"{name} should have dtype {dtype}, but found {tensor.dtype}.", hint)


def expect_shape(tensor: Any, shape: tuple[int, ...], name: str, hint: str | None = None) -> None:
    """Assert ``tuple(tensor.shape) == shape``."""
    found = tuple(tensor.shape)
    if found != tuple(shape):
        _fail(f"{name} should have shape {tuple(shape)}, but found {found}.", hint)


def expect_tensor(
    obj: Any,
    name: str,
    *,
    dtype: torch.dtype | None = None,
    shape: tuple[int, ...] | None = None,
    hint: str | None = None,
) -> None:
    """Assert that ``obj`` is a plain ``torch.Tensor``, then its dtype, then its shape."""
    expect_type(obj, torch.Tensor, name, hint)
    if dtype is not None:
        expect_dtype(obj, dtype, name, hint)
    if shape is not None:
        expect_shape(obj, shape, name, hint)


def expect_close(
    found: Any,
    expected: Any,
    name: str,
    *,
    rtol: float = 1e-4,
    atol: float = 1e-5,
    hint: str | None = None,
) -> None:
    """Assert ``|found - expected| <= atol + rtol * |expected|`` elementwise.

    Both sides are compared as float64 tensors, so a float32 answer is judged
    only by the stated tolerance.  The message gives the largest difference
    and where it is.
    """
    found_t, expected_t = _float64(found), _float64(expected)
    if found_t.shape != expected_t.shape:
        _fail(f"{name} should have shape {tuple(expected_t.shape)}, but found {tuple(found_t.shape)}.", hint)
    if not torch.isfinite(found_t).all():
        _fail(f"{name} contains NaN or infinite values (found {_preview(found_t)}).", hint)
    diff = (found_t - expected_t).abs()
    bound = atol + rtol * expected_t.abs()
    bad = diff > bound
    if bad.any():
        worst = int(torch.argmax(diff - bound))
        index = tuple(int(i) for i in torch.unravel_index(torch.tensor(worst), diff.shape)) if diff.dim() else ()
        where = f" at index {index}" if index else ""
        _fail(
            f"{name} is not close enough to the expected value{where}: expected "
            f"{expected_t.reshape(-1)[worst].item():.6g}, found {found_t.reshape(-1)[worst].item():.6g} "
            f"(tolerance: atol={atol:g}, rtol={rtol:g}; {int(bad.sum())} of {bad.numel()} values off).",
            hint,
        )


def expect_float(obj: Any, name: str, hint: str | None = None) -> float:
    """Assert that ``obj`` is a finite Python float (not a tensor) and return it."""
    if isinstance(obj, torch.Tensor) or not isinstance(obj, numbers.Real) or isinstance(obj, bool):
        _fail(f"{name} should be a Python float, but found {describe(obj)}.", hint or "use `tensor.item()` to turn a one-element tensor into a float.")
    value = float(obj)
    if not math.isfinite(value):
        _fail(f"{name} should be a finite number, but found {value}.", hint)
    return value


def _float64(value: Any) -> torch.Tensor:
    if isinstance(value, torch.Tensor):
        return value.detach().to(torch.float64)
    return torch.from_numpy(np.array(value, dtype=np.float64))  # a writable copy


def _preview(t: torch.Tensor) -> str:
    flat = t.reshape(-1)[:4].tolist()
    return ", ".join(f"{v:.4g}" for v in flat) + (", ..." if t.numel() > 4 else "")


@contextlib.contextmanager
def quietly() -> Iterator[io.StringIO]:
    """Run student code without letting its warnings or stderr reach the grade cell.

    nbgrader scores any stderr output in a test cell as 0 points, so a correct
    answer that triggers a library warning or draws a progress bar would lose
    its points.  What the code writes is captured and yielded instead.
    """
    buffer = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stderr(buffer):
        warnings.simplefilter("ignore")
        yield buffer


def call(function: Any, *args: Any, name: str | None = None, **kwargs: Any) -> Any:
    """Call the student's ``function`` quietly; if it is not callable, say so."""
    label = name or getattr(function, "__name__", "the function")
    if not callable(function):
        _fail(f"{label} should be a function, but found {describe(function)}.")
    with quietly():
        return function(*args, **kwargs)
