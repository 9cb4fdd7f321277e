"""nbgrader plug-ins, named in ``nbgrader_config.py``.

:class:`RestoreMissingCells` runs when ``nbgrader autograde`` sanitizes a
submission; :class:`HideHiddenTests` runs when ``nbgrader generate_feedback``
renders it.  The repairs themselves live in :mod:`autograder.grader.cells`,
shared with the kit's own grader so that both grade alike.
"""

from __future__ import annotations

import os

import nbformat
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Unicode

from autograder.grader.cells import HIDDEN_BEGIN, HIDDEN_FAILED, grade_id, restore_missing, strip_hidden
from autograder.grader import judge, tamper
from autograder.grader.execute import OutputCap


class SafeExecute(OutputCap, Execute):
    """nbgrader's ``Execute`` made safe for untrusted notebooks.

    The sandbox comes from ``Execute.kernel_manager_class`` in the config; on top of it a cell's
    output beyond a few MB is dropped (:class:`OutputCap`), a notebook whose own code tampers
    with the grading scores 0 on every automatic cell (:mod:`autograder.grader.tamper`), and the
    decisive cells are judged again outside the kernel (:mod:`autograder.grader.judge`).
    """

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict, km=None):
        self._kit_dead = ""
        findings = tamper.screen(nb)
        self._kit_refused = tamper.report(findings) if findings else None
        if findings:  # not run at all: every automatic cell fails with the screen's message
            self.log.warning("tampering with the grading found; the notebook is not run and every automatic "
                             "cell scores 0: %s", "; ".join(map(str, findings)))
            for cell in nb.cells:
                if cell.cell_type == "code":
                    cell.outputs = []
                    judge.settle(cell, ".", self._kit_refused)
            return nb, resources
        return super().preprocess(nb, resources, km)

    def preprocess_cell(self, cell: NotebookNode, resources: ResourcesDict, index: int):
        folder = (resources or {}).get("metadata", {}).get("path") or os.getcwd()
        dead = getattr(self, "_kit_dead", "")
        if cell.cell_type == "code" and dead:  # the kernel is gone: the rest of the notebook cannot run
            cell.outputs = [judge.failure_output(f"not run: {dead}", "DeadKernelError")]
            return cell, resources
        judge.prepare(grade_id(cell), folder)
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except (DeadKernelError, CellTimeoutError) as error:  # a dead kernel, or one that stopped answering
            what = "died" if isinstance(error, DeadKernelError) else "stopped responding"
            self._kit_dead = (f"the kernel {what} while running cell {index + 1} (os._exit, a crash, too much "
                              "memory, or broken interpreter internals); the cells after it were not run")
            self.log.warning("%s", self._kit_dead)
            cell.outputs.append(judge.failure_output(self._kit_dead, "DeadKernelError"))
            return cell, resources
        judge.settle(cell, folder, getattr(self, "_kit_refused", None))
        return cell, resources


class RestoreMissingCells(NbGraderPreprocessor):
    """Put deleted test cells and read-only cells back where they were.

    nbgrader's own ``OverwriteCells.add_missing_cells`` inserts a deleted cell
    after the previous *source* cell and raises ``KeyError`` when that one is a
    read-only cell, and it cannot restore deleted read-only cells at all.  This
    preprocessor reads the cell order from the release notebook and the cells
    themselves (with hidden tests) from the gradebook, then inserts each missing
    cell after the nearest earlier cell the submission still has
    (:func:`autograder.grader.cells.restore_missing`).  ``OverwriteCells``, which
    runs next, verifies them against their checksums.
    """

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict) -> tuple[NotebookNode, ResourcesDict]:
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gradebook:
            notebook = gradebook.find_notebook(info["notebook"], info["assignment"])
            points = {cell.name: cell.max_score for cell in notebook.grade_cells}
            answers = {cell.name for cell in notebook.solution_cells}
            cells = {cell.name: self._rebuild(cell, points.get(cell.name), cell.name in answers)
                     for cell in notebook.source_cells}
        order = self._release_order(info["assignment"], info["notebook"]) or list(cells)
        restore_missing(nb, order, cells, answers, log=self.log.warning)
        return nb, resources

    def _release_order(self, assignment: str, notebook: str) -> list[str]:
        coursedir = CourseDirectory(config=self.config)
        path = os.path.join(coursedir.format_path(coursedir.release_directory, ".", assignment), notebook + ".ipynb")
        if not os.path.exists(path):
            return []
        release = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        return [name for name in map(grade_id, release.cells) if name]

    @staticmethod
    def _rebuild(source, points: float | None, is_solution: bool) -> NotebookNode:
        """A notebook cell from a gradebook ``SourceCell``."""
        metadata = {"grade": points is not None, "grade_id": source.name, "locked": source.locked,
                    "solution": is_solution, "schema_version": 3, "checksum": source.checksum}
        if points is not None:
            metadata["points"] = points
        new = nbformat.v4.new_code_cell if source.cell_type == "code" else nbformat.v4.new_markdown_cell
        cell = new(source.source)
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
    failed_message = Unicode(HIDDEN_FAILED).tag(config=True)

    def preprocess_cell(self, cell: NotebookNode, resources: ResourcesDict, index: int) -> tuple[NotebookNode, ResourcesDict]:
        if HIDDEN_BEGIN not in cell.source:
            return cell, resources
        cell.source = strip_hidden(cell.source, self.placeholder)
        if cell.cell_type == "code":
            text = self.failed_message if utils.has_failed(cell) else "Hidden tests passed."
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=text + "\n")]
        return cell, resources
