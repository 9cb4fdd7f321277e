"""Notebook cells as nbgrader sees them, and the repairs both graders make before grading."""

from __future__ import annotations

import copy

import nbformat
from nbformat import NotebookNode

HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
# What a student sees of a failed hidden check, in feedback and in Gradescope's results
# (the instructor's own table keeps the check's real message).
HIDDEN_FAILED = ("A hidden test failed. Hidden tests call your functions with inputs you have not seen: "
                 "make sure your code works for any input, not only for this notebook's data.")


def nbgrader_meta(cell: NotebookNode) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def grade_id(cell: NotebookNode) -> str | None:
    return nbgrader_meta(cell).get("grade_id")


def is_grade(cell: NotebookNode) -> bool:
    return bool(nbgrader_meta(cell).get("grade"))


def is_locked(cell: NotebookNode) -> bool:
    meta = nbgrader_meta(cell)
    return bool(meta.get("locked") or (meta.get("grade") and not meta.get("solution")))


HIDDEN_SUFFIX = "_hidden"


def is_hidden(cell: NotebookNode) -> bool:
    """A hidden-test cell: it holds a hidden region (source) or, in a release where the region is
    gone, its grade id ends in ``_hidden`` (the kit's convention, checked by its tests)."""
    return HIDDEN_BEGIN in cell.get("source", "") or (grade_id(cell) or "").endswith(HIDDEN_SUFFIX)


def restore_missing(nb: NotebookNode, order: list[str], reference: dict[str, NotebookNode],
                    answers: set[str], log=None) -> list[str]:
    """Insert the cells of ``reference`` missing from ``nb``, each after the nearest earlier cell
    (in ``order``) that ``nb`` still has; return the restored ids.

    Code answer cells (``answers``) are not restored: their stub would overwrite a definition the
    student may have moved to another cell.
    """
    present = {grade_id(c) for c in nb.cells} - {None}
    restored = []
    for position, name in enumerate(order):
        if name in present or name not in reference:
            continue
        cell = reference[name]
        if name in answers and cell.cell_type == "code":
            if log:
                log(f"answer cell '{name}' is missing; its tests fail unless its code is elsewhere")
            continue
        index = 0
        for earlier in reversed(order[:position]):
            if earlier in present:
                index = next(i for i, c in enumerate(nb.cells) if grade_id(c) == earlier) + 1
                break
        nb.cells.insert(index, copy.deepcopy(cell))
        present.add(name)
        restored.append(name)
        if log:
            log(f"restored the deleted cell '{name}' at position {index}")
    return restored


def repair(nb: NotebookNode, reference: NotebookNode) -> list[str]:
    """Make ``nb``'s nbgrader metadata consistent with ``reference``, in place; return notes.

    Of duplicated grade cells only the last keeps its nbgrader identity (its definitions are
    the ones that count when the notebook runs); cells unknown to the reference lose theirs;
    every known cell takes the reference's metadata and cell type (a student's answer cell
    turned into Markdown runs as code again); cell ids are made unique.
    """
    notes: list[str] = []
    ref_cells = {grade_id(c): c for c in reference.cells if grade_id(c)}
    seen: set[str] = set()
    for cell in reversed(nb.cells):
        name = grade_id(cell)
        if name is None:
            if "nbgrader" in cell.get("metadata", {}):
                cell.metadata.pop("nbgrader")
            continue
        if name in seen or name not in ref_cells:
            notes.append(f"cell '{name}' is {'duplicated' if name in seen else 'unknown to the assignment'}; "
                         "it runs as an ordinary cell")
            cell.metadata.pop("nbgrader", None)
        seen.add(name)
    ids: set[str] = set()
    for index, cell in enumerate(nb.cells):
        name = grade_id(cell)
        if name is not None:
            ref = ref_cells[name]
            cell.metadata["nbgrader"] = copy.deepcopy(nbgrader_meta(ref))
            if cell.cell_type != ref.cell_type:
                notes.append(f"cell '{name}' was changed from {ref.cell_type} to {cell.cell_type}; changed back")
                nb.cells[index] = cell = _retyped(cell, ref.cell_type)
        if not cell.get("id") or cell.id in ids:
            cell.id = nbformat.v4.new_code_cell().id
        ids.add(cell.id)
    return notes


def prepare(submission: NotebookNode, reference: NotebookNode) -> tuple[NotebookNode, list[str]]:
    """The notebook to execute: ``submission`` repaired against ``reference`` as nbgrader autograde does.

    Outputs are cleared; the metadata is repaired (:func:`repair`); deleted grade and read-only
    cells are restored in place; locked cells (tests and read-only cells) take the reference's
    source, type and metadata.  Returns the prepared copy and notes for the report.
    """
    nb = copy.deepcopy(submission)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    notes = repair(nb, reference)
    ref_cells = {grade_id(c): c for c in reference.cells if grade_id(c)}
    answers = {n for n, c in ref_cells.items() if nbgrader_meta(c).get("solution")}
    order = [grade_id(c) for c in reference.cells if grade_id(c)]
    locked_refs = {n: c for n, c in ref_cells.items() if is_locked(c) or n in answers}
    restore_missing(nb, order, locked_refs, answers, log=notes.append)
    for index, cell in enumerate(nb.cells):
        name = grade_id(cell)
        if name is not None and is_locked(ref_cells[name]):
            ref = ref_cells[name]
            if strip_hidden(cell.source) != strip_hidden(ref.source) or cell.cell_type != ref.cell_type:
                notes.append(f"locked cell '{name}' was changed; the original was restored")
            nb.cells[index] = copy.deepcopy(ref)
    return nb, notes


def instructor_reference(source: NotebookNode, release: NotebookNode) -> NotebookNode:
    """What ``nbgrader autograde`` restores from: the release, with the source's locked cells
    (so hidden tests are back) but the release's stubs in the answer cells."""
    ref = copy.deepcopy(release)
    by_id = {grade_id(c): c for c in source.cells if grade_id(c)}
    for index, cell in enumerate(ref.cells):
        name = grade_id(cell)
        if name in by_id and is_locked(cell):
            ref.cells[index] = copy.deepcopy(by_id[name])
    return ref


def _retyped(cell: NotebookNode, cell_type: str) -> NotebookNode:
    new = nbformat.v4.new_code_cell(cell.source) if cell_type == "code" else nbformat.v4.new_markdown_cell(cell.source)
    new.metadata = cell.metadata
    if cell.get("id"):
        new.id = cell.id
    return new


def strip_hidden(source: str, placeholder: str | None = None) -> str:
    """``source`` with each hidden-test region removed (or replaced by ``placeholder``), as in the release."""
    out, inside = [], False
    for line in source.split("\n"):
        if HIDDEN_BEGIN in line:
            inside = True
            if placeholder is not None:
                out.append(placeholder)
        elif HIDDEN_END in line:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)
