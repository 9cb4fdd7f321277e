"""Executing a prepared notebook cell by cell in a fresh kernel, and scoring its grade cells.

Scores follow ``nbgrader.utils.determine_grade``: a grade cell that raised or
wrote to stderr scores 0 (stderr made only of warnings is dropped first, as
nbgrader's ``IgnorePattern`` does with the kit's config), otherwise full points.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat import NotebookNode

from autograder import settings
from autograder.grader import judge, tamper
from autograder.grader.cells import grade_id, is_grade, is_hidden, nbgrader_meta
from autograder.grader.sandbox import SandboxedKernelManager
from autograder.paths import REPO_ROOT, data_root

ANSI = re.compile(r"\x1b\[[0-9;]*m")


MAX_OUTPUT_BYTES = int(os.environ.get("KIT_MAX_OUTPUT_MB", "2")) * 1024 * 1024


class OutputCap:
    """A notebook-client mixin that keeps at most ``MAX_OUTPUT_BYTES`` of output per cell.

    A submission that prints gigabytes would otherwise fill the grader's memory and the
    graded notebook; past the cap the rest of the cell's output is dropped, with one notice.
    """

    def output(self, outs, msg, display_id, cell_index):
        sizes = self.__dict__.setdefault("_kit_output_sizes", {})
        content = msg.get("content", {})
        size = len(content.get("text", "")) + sum(len(str(v)) for v in content.get("data", {}).values())
        before = sizes.get(cell_index, 0)
        sizes[cell_index] = before + size
        if before + size <= MAX_OUTPUT_BYTES:
            return super().output(outs, msg, display_id, cell_index)
        if before <= MAX_OUTPUT_BYTES:
            notice = nbformat.v4.new_output(
                "stream", name="stdout", text=f"\n[output truncated: the cell printed more than {MAX_OUTPUT_BYTES // 2**20} MB]\n")
            outs.append(notice)
            return notice
        return None


class CappedNotebookClient(OutputCap, NotebookClient):
    """nbclient's client with the output cap."""


@dataclass
class CheckResult:
    """The outcome of one grade cell."""

    grade_id: str
    points: float
    score: float | None          # None: graded by hand
    hidden: bool
    manual: bool = False
    message: str = ""            # why it failed (the check's own teaching message)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.manual or (self.score == self.points and not self.message)  # a 0-point check can fail too


@dataclass
class Execution:
    """A prepared notebook running in its own kernel; run it up to a grade cell at a time."""

    nb: NotebookNode
    source_dir: Path | None = None       # the assignment's folder: its other files are copied in
    assignment: str = ""                 # names the scratch folder, as nbgrader's autograded/<student>/<id>/
    cell_timeout: int = settings.CELL_TIMEOUT
    notebook_timeout: int = settings.NOTEBOOK_TIMEOUT
    results: dict[str, CheckResult] = field(default_factory=dict)
    problem: str = ""                    # set when the kernel died or time ran out
    _next: int = 0

    def __enter__(self) -> "Execution":
        self.findings = tamper.screen(self.nb)
        self._refused = tamper.report(self.findings) if self.findings else None
        self._scratch_root = tempfile.mkdtemp(prefix="kit-grade-")
        os.chmod(self._scratch_root, 0o755)  # the sandbox's own user must reach its folder inside
        self._scratch = os.path.join(self._scratch_root, self.assignment or "notebook")
        os.mkdir(self._scratch)
        if self.source_dir and self.source_dir.is_dir():
            for item in self.source_dir.iterdir():
                if item.suffix != ".ipynb" and item.is_file():
                    shutil.copy2(item, self._scratch)
        env = dict(os.environ, KIT_DATA_ROOT=str(data_root()), NBGRADER_EXECUTION="autograde")
        self._client = CappedNotebookClient(
            self.nb, timeout=self.cell_timeout, kernel_name=settings.KERNEL_NAME, allow_errors=True,
            interrupt_on_timeout=True, record_timing=False,
            error_on_timeout={"ename": "CellTimeoutError", "evalue": f"the cell ran past {self.cell_timeout} s",
                              "traceback": [f"CellTimeoutError: the cell ran past {self.cell_timeout} s"]},
            resources={"metadata": {"path": self._scratch}},
            kernel_manager_class=SandboxedKernelManager,
        )
        self._client.config.Sandbox.course_root = str(REPO_ROOT)
        self._kernel = self._client.setup_kernel(env=env, cwd=self._scratch)
        self._kernel.__enter__()
        self._started = time.monotonic()
        return self

    def __exit__(self, *exc) -> None:
        try:
            self._kernel.__exit__(None, None, None)
        except Exception:  # a dead kernel may fail to shut down cleanly
            pass
        shutil.rmtree(self._scratch_root, ignore_errors=True)

    def grade_cells(self) -> list[NotebookNode]:
        return [c for c in self.nb.cells if is_grade(c)]

    def run_through(self, name: str) -> CheckResult:
        """Execute every cell up to and including the grade cell ``name``; return its result."""
        while name not in self.results and self._next < len(self.nb.cells):
            index, cell = self._next, self.nb.cells[self._next]
            self._next += 1
            start = time.monotonic()
            if cell.cell_type == "code" and self._refused:
                pass  # refused by the tamper screen: not run; the grade cells fail with its message
            elif cell.cell_type == "code" and not self.problem:
                if time.monotonic() - self._started > self.notebook_timeout:
                    self.problem = f"the notebook ran past its time limit of {self.notebook_timeout} s"
                else:
                    judge.prepare(grade_id(cell), self._scratch)
                    try:
                        self._client.execute_cell(cell, index)
                    except (DeadKernelError, CellTimeoutError) as error:
                        what = "died" if isinstance(error, DeadKernelError) else "stopped responding"
                        self.problem = (f"the kernel {what} while running cell {index + 1} "
                                        "(os._exit, a crash, too much memory, or broken interpreter internals)")
                        cell.outputs.append(nbformat.v4.new_output("error", ename="DeadKernelError",
                                                                   evalue=self.problem, traceback=[]))
            if is_grade(cell):
                if not self.problem or self._refused:
                    judge.settle(cell, self._scratch, self._refused)
                self.results[grade_id(cell)] = score_cell(cell, self.problem, time.monotonic() - start)
        return self.results.get(name) or CheckResult(name, 0, 0, False, message="no such grade cell")


def drop_warning_stderr(cell: NotebookNode) -> None:
    cell.outputs = [o for o in cell.outputs if not (o.output_type == "stream" and o.name == "stderr"
                                                    and re.search(settings.WARNINGS_ONLY, o.text))]


def score_cell(cell: NotebookNode, problem: str = "", seconds: float = 0.0) -> CheckResult:
    """The score of one executed grade cell, with nbgrader's rules."""
    meta = nbgrader_meta(cell)
    points = float(meta.get("points", 0))
    result = CheckResult(grade_id(cell), points, points, is_hidden(cell), seconds=seconds)
    if meta.get("solution") or cell.cell_type != "code":
        result.score, result.manual, result.message = None, True, "graded by hand"
        return result
    drop_warning_stderr(cell)
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            result.score = 0.0
            result.message = _error_message(output)
            return result
        if output.output_type == "stream" and output.name == "stderr":
            result.score = 0.0
            result.message = "the cell wrote to stderr (nbgrader scores that 0): " + output.text.strip()[:500]
            return result
        if output.output_type == "execute_result":
            result.score = _partial(output, points)
    if problem and not cell.get("outputs"):
        result.score, result.message = 0.0, f"not run: {problem}"
    return result


def _error_message(output: NotebookNode) -> str:
    if output.ename in ("KeyboardInterrupt", "CellTimeoutError"):  # interrupted by the cell time limit
        return (f"the cell ran past {settings.CELL_TIMEOUT} s and was stopped: an endless loop, or code far "
                "too slow (KIT_CELL_TIMEOUT sets the limit)")
    evalue = ANSI.sub("", output.get("evalue", "")).strip()
    if output.ename == "AssertionError" and evalue:
        return evalue
    return f"{output.ename}: {evalue}" if evalue else output.ename


def _partial(output: NotebookNode, points: float) -> float:
    """nbgrader reads a float result of a test cell as partial credit (else full points)."""
    try:
        value = float(output.get("data", {}).get("text/plain", ""))
    except (TypeError, ValueError):
        return points
    return value if 0 <= value <= points else points
