"""Reading notebooks: their grade cells, and a fingerprint that ignores what may vary."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import nbformat

# Metadata that changes without any change of meaning: cell ids, execution
# timing, widget state, JupyterLab's collapsed/scrolled flags.
VOLATILE_CELL_METADATA = {"execution", "collapsed", "scrolled", "jupyter", "tags", "ExecuteTime", "trusted"}
VOLATILE_NB_METADATA = {"widgets", "toc", "varInspector", "celltoolbar"}


@dataclass(frozen=True)
class GradeCell:
    """One graded cell of a notebook: its nbgrader id, points, and whether it is hidden."""

    grade_id: str
    points: float
    hidden: bool
    manual: bool


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(str(path), as_version=4)


def grade_cells(nb: nbformat.NotebookNode) -> list[GradeCell]:
    """The grade cells of ``nb`` in order (automatic tests and manually graded answers)."""
    found = []
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("grade"):
            found.append(GradeCell(
                grade_id=meta["grade_id"],
                points=float(meta.get("points", 0)),
                hidden="BEGIN HIDDEN TESTS" in cell.source,
                manual=bool(meta.get("solution")) or cell.cell_type != "code",
            ))
    return found


def fingerprint(nb: nbformat.NotebookNode, with_outputs: bool = False) -> list[dict]:
    """A comparable summary of ``nb``: cell types, sources and nbgrader metadata, in order.

    Cell ids, execution counts, volatile metadata and (unless ``with_outputs``)
    outputs are left out, so a regenerated notebook compares equal to the
    committed one exactly when its meaning is the same.
    """
    summary: list[dict] = [{"kernelspec": nb.metadata.get("kernelspec", {}).get("name")}]
    for cell in nb.cells:
        entry = {
            "type": cell.cell_type,
            "source": cell.source,
            "metadata": {k: v for k, v in cell.get("metadata", {}).items() if k not in VOLATILE_CELL_METADATA},
        }
        if with_outputs and cell.cell_type == "code":
            entry["outputs"] = [_output_kind(o) for o in cell.outputs]
        summary.append(entry)
    return summary


def _output_kind(output: dict) -> str:
    if output["output_type"] in ("display_data", "execute_result"):
        return output["output_type"] + ":" + ",".join(sorted(output.get("data", {})))
    return output["output_type"] + ":" + output.get("name", output.get("ename", ""))


def digest(nb: nbformat.NotebookNode) -> str:
    return hashlib.sha256(json.dumps(fingerprint(nb), sort_keys=True).encode()).hexdigest()


def strip_volatile(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Remove volatile metadata in place (used before committing generated notebooks)."""
    for key in VOLATILE_NB_METADATA & set(nb.metadata):
        del nb.metadata[key]
    for cell in nb.cells:
        for key in VOLATILE_CELL_METADATA & set(cell.get("metadata", {})):
            del cell.metadata[key]
    return nb


def has_outputs(nb: nbformat.NotebookNode) -> bool:
    return any(cell.cell_type == "code" and (cell.outputs or cell.execution_count) for cell in nb.cells)


def solution_namespace(path: Path, answer_ids: tuple[str, ...], setup_id: str = "setup") -> dict:
    """The setup cell and the given answer cells of the source notebook at ``path``, executed
    in a fresh namespace: the instructor's solution as Python objects (for benchmarks)."""
    cells = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in read(path).cells}
    namespace: dict = {}
    for grade_id in (setup_id, *answer_ids):
        exec(cells[grade_id], namespace)  # noqa: S102 -- the instructor's own notebook
    return namespace
