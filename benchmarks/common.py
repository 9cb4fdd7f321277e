"""What the assignment benchmarks share: the repository on ``sys.path``, the load average printed
beside each figure, the instructor's solution as objects, and one timed ``nbgrader autograde``."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from autograder.course import ASSIGNMENTS, notebooks  # noqa: E402


def load() -> float:
    """The one-minute load average: timings on a shared machine mean little without it."""
    return float(os.getloadavg()[0])


def solution_namespace(assignment: str, answer_ids: tuple[str, ...]) -> dict:
    """The source notebook's setup cell and the instructor's answer cells ``answer_ids``, executed."""
    return notebooks.solution_namespace(REPO / "source" / assignment / ASSIGNMENTS[assignment], answer_ids)


def time_autograde(assignment: str, part: int) -> None:
    """Part ``part``: the sample class's ``correct`` submission graded by the real ``nbgrader autograde``."""
    from autograder.course.grading import time_one_submission

    autograde, total = time_one_submission(assignment)
    print(f"\n{part}. nbgrader autograde of the correct submission: {autograde:.1f} s "
          f"(with generate_assignment: {total:.1f} s; load {load():.1f})")
