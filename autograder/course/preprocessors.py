"""nbgrader plug-ins, named in ``nbgrader_config.py``.

:class:`RestoreMissingCells` runs when ``nbgrader autograde`` sanitizes a
submission; :class:`HideHiddenTests` runs when ``nbgrader generate_feedback``
renders it.
"""

from __future__ import annotations

import copy
import os
import re
from typing import Any

import nbformat
from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"


def _grade_id(cell: NotebookNode) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


class RestoreMissingCells(NbGraderPreprocessor):
    """Put deleted test cells and read-only cells back where they were.

    nbgrader's own ``OverwriteCells.add_missing_cells`` inserts a deleted cell
    after the previous *source* cell and raises ``KeyError`` when that one is a
    read-only cell, and it cannot restore deleted read-only cells at all.  This
    preprocessor reads the cell order from the release notebook and the cells
    themselves (with hidden tests) from the gradebook, then inserts each missing
    grade or locked cell after the nearest earlier cell the submission still has.
    ``OverwriteCells`` (which runs next) then verifies them against their checksums.

    Deleted *code answer* cells are not restored: their stub would overwrite a
    definition the student moved elsewhere.  A deleted written answer comes back
    as its stub and is graded as unanswered.
    """

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> tuple[NotebookNode, ResourcesDict]:
        info = resources["nbgrader"]
        order = self._release_order(info["assignment"], info["notebook"])
        with Gradebook(info["db_url"]) as gradebook:
            notebook = gradebook.find_notebook(info["notebook"], info["assignment"])
            sources = {cell.name: cell for cell in notebook.source_cells}
            points = {cell.name: cell.max_score for cell in notebook.grade_cells}
            solutions = {cell.name for cell in notebook.solution_cells}
            if not order:
                order = list(sources)
            present = {_grade_id(cell) for cell in nb.cells} - {None}
            for position, name in enumerate(order):
                if name in present or name not in sources:
                    continue
                source = sources[name]
                if name in solutions and source.cell_type == "code":
                    self.log.warning("Answer cell '%s' is missing; its tests will fail unless the code is elsewhere", name)
                    continue
                cell = self._rebuild(source, points.get(name), name in solutions)
                index = self._insert_index(nb, order[:position], present)
                nb.cells.insert(index, cell)
                present.add(name)
                self.log.warning("Restored the deleted cell '%s' at position %d", name, index)
        return nb, resources

    def _release_order(self, assignment: str, notebook: str) -> list[str]:
        coursedir = CourseDirectory(config=self.config)
        path = os.path.join(coursedir.format_path(coursedir.release_directory, ".", assignment), notebook + ".ipynb")
        if not os.path.exists(path):
            return []
        release = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        return [name for name in map(_grade_id, release.cells) if name]

    @staticmethod
    def _insert_index(nb: NotebookNode, earlier: list[str], present: set[str]) -> int:
        for name in reversed(earlier):
            if name in present:
                for index, cell in enumerate(nb.cells):
                    if _grade_id(cell) == name:
                        return index + 1
        return 0

    @staticmethod
    def _rebuild(source: Any, points: float | None, is_solution: bool) -> NotebookNode:
        metadata = {
            "grade": points is not None,
            "grade_id": source.name,
            "locked": source.locked,
            "solution": is_solution,
            "schema_version": 3,
            "checksum": source.checksum,
        }
        if points is not None:
            metadata["points"] = points
        if source.cell_type == "code":
            cell = nbformat.v4.new_code_cell(source.source)
        else:
            cell = nbformat.v4.new_markdown_cell(source.source)
        cell.metadata["nbgrader"] = metadata
        cell.metadata["deletable"] = False
        return cell


class HideHiddenTests(NbGraderPreprocessor):
    """Keep hidden tests out of feedback: their code, their output and their tracebacks.

    In every cell holding a ``### BEGIN HIDDEN TESTS`` region the region is
    replaced by one comment, and the cell's outputs by one line saying whether
    the hidden tests passed.  The cell's score is still shown by the template.
    """

    placeholder = Unicode("# (hidden tests ran here; their code is not shown)").tag(config=True)
    failed_message = Unicode(
        "A hidden test failed. Hidden tests call your functions with inputs you have not "
        "seen: make sure your code works for any input, not only for this notebook's data."
    ).tag(config=True)

    _region = re.compile(re.escape(HIDDEN_BEGIN) + r".*?(?:" + re.escape(HIDDEN_END) + r"|\Z)", re.S)

    def preprocess_cell(self, cell: NotebookNode, resources: ResourcesDict, index: int) -> tuple[NotebookNode, ResourcesDict]:
        if HIDDEN_BEGIN not in cell.source:
            return cell, resources
        cell.source = self._region.sub(self.placeholder, cell.source)
        if cell.cell_type == "code":
            failed = utils.has_failed(cell)
            text = self.failed_message if failed else "Hidden tests passed."
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text + "\n")]
        return cell, resources
