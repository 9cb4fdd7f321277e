"""Loading a submission safely and finding what to grade it against."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from autograder.assignments import CONTRACT
from autograder.grader.cells import grade_id, instructor_reference, prepare
from autograder.paths import REPO_ROOT


class GradingError(Exception):
    """The submission cannot be graded at all; the message says why and what to do."""


@dataclass
class Submission:
    path: Path
    assignment: str
    prepared: NotebookNode
    reference: NotebookNode
    self_check: bool
    notes: list[str] = field(default_factory=list)

    @property
    def source_dir(self) -> Path:
        return REPO_ROOT / ("release" if self.self_check else "source") / self.assignment


def hidden_checks_available() -> bool:
    """True for an instructor's installation (hidden checks and source notebooks present)."""
    return (REPO_ROOT / "autograder" / "hidden").is_dir() and (REPO_ROOT / "source").is_dir()


def reference_for(assignment: str, self_check: bool) -> NotebookNode:
    name = CONTRACT[assignment]
    release_path = REPO_ROOT / "release" / assignment / name
    if not release_path.is_file():
        raise GradingError(f"The assignment '{assignment}' has no release notebook at {release_path}: "
                           "this installation of the kit does not have it.")
    release = nbformat.read(str(release_path), as_version=4)
    if self_check:
        return release
    source = nbformat.read(str(REPO_ROOT / "source" / assignment / name), as_version=4)
    return instructor_reference(source, release)


def read_notebook(path: Path) -> NotebookNode:
    """Parse ``path`` as a notebook, or raise :class:`GradingError` saying what is wrong."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise GradingError(f"Cannot read {path}: {error.strerror}. Check the path and try again.") from None
    try:
        text = raw.decode("utf-8")
        json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise GradingError(
            f"{path.name} is not a valid notebook file: it is not JSON ({error}). It was probably damaged "
            "while being edited or uploaded outside Jupyter. Open the last good copy in JupyterLab "
            "(File > Open, or the checkpoint), save it, and submit that file."
        ) from None
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as error:  # nbformat raises several kinds
        raise GradingError(f"{path.name} is JSON but not a valid Jupyter notebook ({str(error).splitlines()[0]}). "
                           "Re-save it from JupyterLab and submit it again.") from None
    return nb


def infer_assignment(path: Path, nb: NotebookNode) -> str:
    """The assignment by file name, else by the grade cells it shares with each release."""
    by_name = [a for a, name in CONTRACT.items() if name == path.name]
    if by_name:
        return by_name[0]
    ids = {grade_id(c) for c in nb.cells} - {None}
    best, overlap = None, 0
    for assignment, name in CONTRACT.items():
        release = REPO_ROOT / "release" / assignment / name
        if release.is_file():
            shared = len(ids & {grade_id(c) for c in nbformat.read(str(release), as_version=4).cells})
            if shared > overlap:
                best, overlap = assignment, shared
    if best is None:
        raise GradingError(f"{path.name} does not belong to any assignment of this course (its file name is "
                           f"not one of {sorted(CONTRACT.values())} and it has none of their cells). "
                           "Pass --assignment ID, or submit the notebook you were given.")
    return best


def load(path: str | Path, assignment: str | None = None, self_check: bool | None = None) -> Submission:
    """Read and prepare ``path`` for grading; never writes to it."""
    path = Path(path)
    if self_check is None:
        self_check = not hidden_checks_available()
    if assignment is not None and assignment not in CONTRACT:
        raise GradingError(f"Unknown assignment '{assignment}'; the course has {sorted(CONTRACT)}.")
    nb = read_notebook(path)
    assignment = assignment or infer_assignment(path, nb)
    reference = reference_for(assignment, self_check)
    ref_ids = {grade_id(c) for c in reference.cells} - {None}
    mine = {grade_id(c) for c in nb.cells} - {None}
    if not mine & ref_ids:
        raise GradingError(f"{path.name} has none of the cells of '{assignment}': it belongs to another "
                           "assignment or was rebuilt from scratch. Submit the notebook you were given, "
                           "with your answers in its answer cells.")
    prepared, notes = prepare(nb, reference)
    missing_answers = sorted(n for n in ref_ids - mine
                             if n in {grade_id(c) for c in reference.cells if c.cell_type == "code"
                                      and c.metadata.get("nbgrader", {}).get("solution")})
    if missing_answers:
        notes.append(f"answer cells missing or renamed: {', '.join(missing_answers)} "
                     "(their code must still define the functions for their tests to pass)")
    return Submission(path, assignment, prepared, reference, self_check, notes)
