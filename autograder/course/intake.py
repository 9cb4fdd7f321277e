"""Before ``nbgrader autograde`` sees a class: make every submission gradable, and say what was done.

nbgrader stops grading a student at the first mangled notebook: invalid JSON, a renamed file,
a duplicated or renamed grade cell ("nbgrader metadata may be corrupted", "old version").  The
intake repairs each ``submitted/<student>/<assignment>/`` in place, keeping the original of
every file it changes under ``intake/originals/``, and writes one report per student under
``intake/<student>/<assignment>.txt`` (and ``intake/report.csv`` for the class):

* a notebook under another name (``bonus_prediction_nn (1).ipynb``) is renamed back; extra
  notebooks are moved aside;
* a notebook that is not valid JSON, or not a notebook, is replaced by the release notebook
  with a note at the top, so the student is graded 0 with a reason and a feedback page, and
  the class goes on;
* the nbgrader metadata is repaired against the release (:func:`autograder.grader.cells.repair`):
  duplicated grade cells keep one identity, unknown ones lose theirs, changed cell types are
  changed back, cell ids are made unique.  Deleted cells are restored later, during autograde
  (:class:`autograder.course.preprocessors.RestoreMissingCells`);
* what the tamper screen finds (:mod:`autograder.grader.tamper`) is listed in the report too.

``./kit intake ASSIGNMENT [--course DIR]`` runs it by hand before a plain ``nbgrader autograde``;
the kit's graders run it themselves.
"""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from autograder.course import ASSIGNMENTS
from autograder.grader import tamper
from autograder.grader.cells import grade_id, repair


@dataclass
class Intake:
    student: str
    assignment: str
    notes: list[str] = field(default_factory=list)
    unreadable: str = ""          # why the notebook could not be read (then it is graded 0)

    @property
    def changed(self) -> bool:
        return bool(self.notes or self.unreadable)

    def text(self) -> str:
        lines = [f"{self.student} / {self.assignment}"]
        if self.unreadable:
            lines.append(f"NOT GRADABLE: {self.unreadable}")
        lines += [f"- {note}" for note in self.notes] or ([] if self.unreadable else ["- nothing to repair"])
        return "\n".join(lines) + "\n"


def read_notebook(path: Path) -> tuple[nbformat.NotebookNode | None, str]:
    """``(notebook, "")``, or ``(None, why)`` for a file that is not a readable notebook."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        return None, f"the file cannot be read as text ({type(error).__name__})"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        return None, (f"'{path.name}' is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg}); "
                      "the file was probably cut off or edited outside Jupyter")
    if not isinstance(data, dict) or "cells" not in data:
        return None, f"'{path.name}' is JSON but not a Jupyter notebook"
    try:
        return nbformat.reads(text, as_version=4), ""
    except Exception as error:  # an nbformat that cannot be upgraded
        return None, f"'{path.name}' is not a notebook nbformat can read ({type(error).__name__}: {error})"


def _unreadable_stand_in(release: nbformat.NotebookNode, why: str, original: Path) -> nbformat.NotebookNode:
    nb = nbformat.from_dict(json.loads(json.dumps(release)))
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(
        f"**This submission could not be graded: {why}.** It is graded as the untouched release notebook "
        f"(0 automatic points). The file as submitted is kept by your instructor ({original.name}); open it in "
        "JupyterLab, save it again and resubmit, or ask your instructor."))
    return nb


def repair_submission(folder: Path, student: str, assignment: str, release: nbformat.NotebookNode,
                      originals: Path) -> Intake:
    """Repair one ``submitted/<student>/<assignment>/`` folder in place (see the module's text)."""
    intake = Intake(student, assignment)
    name = ASSIGNMENTS[assignment]
    target = folder / name

    def keep(path: Path) -> Path:
        kept = originals / student / assignment / path.name
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, kept)
        return kept

    others = sorted(p for p in folder.glob("*.ipynb") if p.name != name)
    if not target.exists() and others:
        ids = {grade_id(c) for c in release.cells} - {None}

        def overlap(path: Path) -> int:
            nb, _ = read_notebook(path)
            return len(ids & {grade_id(c) for c in nb.cells}) if nb else -1

        best = max(others, key=overlap)
        keep(best)
        best.rename(target)
        others.remove(best)
        intake.notes.append(f"the notebook was submitted as '{best.name}'; renamed to '{name}'")
    for extra in others:
        keep(extra)
        extra.unlink()
        intake.notes.append(f"an extra notebook '{extra.name}' was set aside (not graded)")
    if not target.exists():
        intake.unreadable = f"no notebook '{name}' was submitted"
        nbformat.write(_unreadable_stand_in(release, intake.unreadable, target), str(target))
        return intake
    nb, why = read_notebook(target)
    if nb is None:
        intake.unreadable = why
        original = keep(target)
        nbformat.write(_unreadable_stand_in(release, why, original), str(target))
        return intake
    notes = repair(nb, release)
    if notes:
        keep(target)
        intake.notes += notes
        nbformat.write(nb, str(target))
    intake.notes += [f"tamper screen: {finding} (the notebook will not be run; every automatic cell scores 0)"
                     for finding in tamper.screen(nb)]
    return intake


def repair_course(course: Path, assignment: str) -> list[Intake]:
    """Repair every submission of ``assignment`` in ``course``; write the reports; return them."""
    release_path = course / "release" / assignment / ASSIGNMENTS[assignment]
    release = nbformat.read(str(release_path), as_version=4)
    out = course / "intake"
    results = []
    for folder in sorted((course / "submitted").glob(f"*/{assignment}")):
        if folder.is_dir():
            intake = repair_submission(folder, folder.parent.name, assignment, release, out / "originals")
            results.append(intake)
            if intake.changed:
                report = out / intake.student / f"{assignment}.txt"
                report.parent.mkdir(parents=True, exist_ok=True)
                report.write_text(intake.text())
    if any(i.changed for i in results):
        table = out / "report.csv"
        rows = [r for r in _read_rows(table) if r["assignment"] != assignment]
        rows += [{"student": i.student, "assignment": assignment, "gradable": "no" if i.unreadable else "yes",
                  "repairs": " | ".join(([i.unreadable] if i.unreadable else []) + i.notes)}
                 for i in results if i.changed]
        with table.open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=["student", "assignment", "gradable", "repairs"])
            writer.writeheader()
            writer.writerows(rows)
    return results


def _read_rows(path: Path) -> list[dict]:
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def main(argv: list[str] | None = None) -> int:
    """``kit intake [ID ...] [--course DIR]``: repair the submissions before a plain ``nbgrader autograde``."""
    import argparse

    parser = argparse.ArgumentParser(prog="kit intake", description=__doc__.split("\n\n")[0])
    parser.add_argument("assignment", nargs="*", help="assignment ids (default: every assignment with a release)")
    parser.add_argument("--course", default=".", help="the course folder (default: the current folder)")
    args = parser.parse_args(argv)
    course = Path(args.course).resolve()
    assignments = args.assignment or [a for a in ASSIGNMENTS if (course / "release" / a / ASSIGNMENTS[a]).exists()]
    for assignment in assignments:
        if not (course / "release" / assignment / ASSIGNMENTS[assignment]).exists():
            print(f"kit intake: {course}/release/{assignment}/ is missing; run `nbgrader generate_assignment "
                  f"{assignment}` in the course folder first, then run this command again.")
            return 2
        results = repair_course(course, assignment)
        changed = [r for r in results if r.changed]
        print(f"{assignment}: {len(results)} submissions, {len(changed)} repaired or not gradable")
        for result in changed:
            print(result.text().rstrip())
    if (course / "intake" / "report.csv").exists():
        print(f"report: {course / 'intake' / 'report.csv'}; originals: {course / 'intake' / 'originals'}")
    return 0
