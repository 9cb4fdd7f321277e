"""The source notebooks follow the contract, and nbgrader validates them both ways."""

from __future__ import annotations

import re

import pytest

from autograder.course import ASSIGNMENTS, notebooks
from autograder.course.nbgrader_cli import make_course, nbgrader
from autograder.paths import REPO_ROOT


def source_nb(assignment):
    return notebooks.read(REPO_ROOT / "source" / assignment / ASSIGNMENTS[assignment])


def test_source_carries_no_outputs(assignment):
    nb = source_nb(assignment)
    assert not notebooks.has_outputs(nb), "source notebooks must be committed without outputs (clear them)"


def test_source_uses_the_python3_kernel(assignment):
    assert source_nb(assignment).metadata["kernelspec"]["name"] == "python3"


def test_every_part_has_visible_and_hidden_tests(assignment):
    cells = notebooks.grade_cells(source_nb(assignment))
    auto = [c for c in cells if not c.manual]
    assert all(c.points > 0 for c in cells)
    assert any(c.hidden for c in auto) and any(not c.hidden for c in auto)
    ids = {c.grade_id for c in auto}
    for cell in auto:
        assert cell.hidden == cell.grade_id.endswith("_hidden"), f"{cell.grade_id}: hidden cells, and only they, end in _hidden"
        if cell.hidden:
            assert cell.grade_id.removesuffix("_hidden") in ids, f"{cell.grade_id} has no visible twin"
    assert any(c.manual for c in cells), "each assignment has a manually graded written answer"


def test_answer_cells_hold_only_definitions(assignment):
    """Contract rule 1: imports, constants and definitions only (no top-level calls)."""
    for cell in source_nb(assignment).cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            for line in cell.source.splitlines():
                if line and not line[0].isspace() and not line.startswith("#"):
                    assert re.match(r"(def |class |import |from |@|[A-Z_][A-Z0-9_]* *=|\)|\"\"\")", line), (
                        f"{meta['grade_id']}: top-level statement {line!r} in an answer cell")


def test_release_has_no_solutions_and_no_hidden_tests(assignment):
    text = (REPO_ROOT / "release" / assignment / ASSIGNMENTS[assignment]).read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "autograder.hidden", "Model answer"):
        assert marker not in text


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return make_course(tmp_path_factory.mktemp("validate") / "course")


def test_nbgrader_validate_passes_on_source(course, assignment):
    result = nbgrader(course, "validate", f"source/{assignment}/{ASSIGNMENTS[assignment]}")
    assert "Success! Your notebook passes all the tests." in result.stdout, result.stdout[-3000:]


def test_nbgrader_validate_invert_passes_on_release(course, assignment):
    result = nbgrader(course, "validate", "--invert", f"release/{assignment}/{ASSIGNMENTS[assignment]}")
    assert "Success! The notebook does not pass any tests." in result.stdout, result.stdout[-3000:]
