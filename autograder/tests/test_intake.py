"""The intake repairs mangled submissions and reports each one (fast: files only, no nbgrader).

That nbgrader then grades the repaired notebooks in full is asserted in ``test_safety.py``.
"""

from __future__ import annotations

import copy
import shutil

import nbformat

from autograder.course import intake
from autograder.grader.cells import grade_id
from autograder.paths import REPO_ROOT

NOTEBOOK = "bonus_prediction_nn.ipynb"
CORRECT = REPO_ROOT / "sample_class" / "submitted" / "correct" / "bonus_predictor" / NOTEBOOK


def _course(tmp_path):
    course = tmp_path / "course"
    (course / "release" / "bonus_predictor").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "release" / "bonus_predictor" / NOTEBOOK, course / "release" / "bonus_predictor")
    return course


def _submit(course, student, name=NOTEBOOK, nb=None, text=None):
    path = course / "submitted" / student / "bonus_predictor" / name
    path.parent.mkdir(parents=True)
    if text is not None:
        path.write_text(text)
    else:
        nbformat.write(nb or nbformat.read(str(CORRECT), as_version=4), str(path))
    return path


def test_each_mangling_is_repaired_or_reported(tmp_path):
    course = _course(tmp_path)
    _submit(course, "honest")
    _submit(course, "renamed", name="bonus_prediction_nn (1).ipynb")
    _submit(course, "cut-off", text=CORRECT.read_text()[:3000])
    _submit(course, "not-a-notebook", text='{"hello": "world"}')
    nb = nbformat.read(str(CORRECT), as_version=4)
    index = next(i for i, c in enumerate(nb.cells) if grade_id(c) == "to_tensors")
    nb.cells.insert(index + 1, copy.deepcopy(nb.cells[index]))
    nb.cells[index] = nbformat.v4.new_markdown_cell(nb.cells[index].source, metadata=nb.cells[index].metadata)
    _submit(course, "duplicated", nb=nb)
    empty = course / "submitted" / "nothing" / "bonus_predictor"
    empty.mkdir(parents=True)

    results = {r.student: r for r in intake.repair_course(course, "bonus_predictor")}

    assert not results["honest"].changed
    assert "renamed to 'bonus_prediction_nn.ipynb'" in results["renamed"].text()
    assert "not valid JSON" in results["cut-off"].unreadable
    assert "not a Jupyter notebook" in results["not-a-notebook"].unreadable
    assert "no notebook" in results["nothing"].unreadable
    assert "duplicated" in results["duplicated"].text()
    for student in ("renamed", "cut-off", "not-a-notebook", "duplicated", "nothing"):
        path = course / "submitted" / student / "bonus_predictor" / NOTEBOOK
        repaired = nbformat.read(str(path), as_version=4)  # readable, and one identity per grade cell
        ids = [grade_id(c) for c in repaired.cells if grade_id(c)]
        assert len(ids) == len(set(ids)), student
        assert (course / "intake" / student / "bonus_predictor.txt").exists(), student
    assert (course / "intake" / "originals" / "cut-off" / "bonus_predictor" / NOTEBOOK).read_text() == CORRECT.read_text()[:3000]
    rows = (course / "intake" / "report.csv").read_text()
    assert "cut-off,bonus_predictor,no," in rows and "honest" not in rows
    again = intake.repair_course(course, "bonus_predictor")  # a second run has nothing left to repair
    assert not any(r.notes for r in again)
