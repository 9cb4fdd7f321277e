"""The sample class: fake student submissions, named by scenario, with known scores.

Each assignment's scenarios are defined in ``sample_class/<assignment>.py``
at the top of the repository: a list ``SCENARIOS`` of :class:`Scenario`.  A
submission is the release notebook with its answer cells filled in from the
instructor's solutions, then changed as the scenario says (other answers, a
tampered or deleted test cell).  ``kit build`` writes them to
``sample_class/submitted/<student>/<assignment>/<notebook>`` in nbgrader's own
layout; the main job and the tests autograde them and compare every grade
cell's score with the scenario's expectation.
"""

from __future__ import annotations

import copy
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import nbformat

from autograder.course import ASSIGNMENTS, notebooks
from autograder.paths import REPO_ROOT

FOLDER = "sample_class"
SCENARIO_DIR = REPO_ROOT / FOLDER


@dataclass
class Scenario:
    """One fake student.

    ``answers`` maps an answer cell's grade id to the code that replaces it;
    ``edit`` changes the notebook further (tampering, deleting cells);
    ``loses`` lists the grade cells that must score 0 (every other automatic
    grade cell must score full points).  ``blank`` submits the release as is.
    """

    student: str
    description: str
    answers: dict[str, str] = field(default_factory=dict)
    edit: Callable[[nbformat.NotebookNode], None] | None = None
    loses: set[str] | str = field(default_factory=set)
    blank: bool = False

    def expected_scores(self, cells: list[notebooks.GradeCell]) -> dict[str, float]:
        """The automatic score of every grade cell (manually graded cells are left out)."""
        lost = {c.grade_id for c in cells} if self.loses == "all" else set(self.loses)
        return {c.grade_id: 0.0 if c.grade_id in lost else c.points for c in cells if not c.manual}


def scenarios(assignment: str) -> list[Scenario]:
    """The scenarios of ``assignment``, from ``sample_class/<assignment>.py``."""
    path = SCENARIO_DIR / f"{assignment}.py"
    spec = importlib.util.spec_from_file_location(f"sample_class_{assignment}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return list(module.SCENARIOS)


def cell_by_id(nb: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == grade_id:
            return cell
    raise KeyError(f"no cell with grade id {grade_id!r}")


def delete_cells(*grade_ids: str) -> Callable[[nbformat.NotebookNode], None]:
    """An ``edit`` that deletes the cells ``grade_ids`` (test, read-only or answer cells)."""
    def edit(nb):
        for grade_id in grade_ids:
            nb.cells.remove(cell_by_id(nb, grade_id))
    return edit


def replace_cell_source(grade_id: str, source: str) -> Callable[[nbformat.NotebookNode], None]:
    """An ``edit`` that overwrites the source of any cell (a test cell, for tampering)."""
    def edit(nb):
        cell_by_id(nb, grade_id).source = source
    return edit


def build_submission(scenario: Scenario, release: nbformat.NotebookNode, solution: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = copy.deepcopy(release)
    if not scenario.blank:
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            if meta.get("solution"):
                cell.source = cell_by_id(solution, meta["grade_id"]).source
    for grade_id, code in scenario.answers.items():
        cell_by_id(nb, grade_id).source = code.strip("\n")
    if scenario.edit:
        scenario.edit(nb)
    return nb


def write_submissions(assignment: str, release: Path, solutions: Path, target: Path) -> list[Path]:
    notebook = ASSIGNMENTS[assignment]
    release_nb = notebooks.read(release / assignment / notebook)
    solution_nb = notebooks.read(solutions / assignment / notebook)
    written = []
    for scenario in scenarios(assignment):
        path = target / scenario.student / assignment / notebook
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(build_submission(scenario, release_nb, solution_nb), str(path))
        written.append(path)
    return written
