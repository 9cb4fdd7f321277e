"""Autograding a class with the real ``nbgrader autograde``, in a course folder of its own."""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from autograder.course import ASSIGNMENTS, intake, parallel, sample_class
from autograder.course.nbgrader_cli import NbgraderError, make_course, nbgrader
from autograder.paths import REPO_ROOT


@dataclass
class ClassRun:
    """Where a class was graded, how many submissions each assignment had, and how long grading took.

    ``seconds`` is each assignment's grading time: its own ``nbgrader autograde`` run when serial,
    the sum of its submissions' grading times under the parallel grader (which grades every
    assignment in one pool); ``wall_seconds`` is the whole run's.
    """

    course: Path
    seconds: dict[str, float]
    submissions: dict[str, int]
    wall_seconds: float
    parallel: bool = False


def grade_class(course: Path, submitted: Path, assignments: list[str], log=print, serial: bool = False,
                workers: int | None = None) -> ClassRun:
    """Copy ``submitted/<student>/<assignment>/`` into ``course`` and autograde every assignment.

    ``generate_assignment`` runs first, so the course's gradebook knows the
    assignments, then the intake repairs mangled notebooks.  With ``serial``,
    ``nbgrader autograde`` then grades every student in one process per
    assignment, as an instructor would; otherwise the kit's parallel grader
    (:mod:`autograder.course.parallel`) runs the same ``nbgrader autograde`` per
    submission, every assignment's submissions in one pool on ``workers`` cores
    (default: all), with the same gradebook as a result (a test compares them
    cell by cell).
    """
    seconds, counts = {}, {}
    for student_dir in sorted(p for p in submitted.iterdir() if p.is_dir()):
        for assignment in assignments:
            if (student_dir / assignment).is_dir():
                dest = course / "submitted" / student_dir.name / assignment
                if dest.exists():
                    shutil.rmtree(dest)
                shutil.copytree(student_dir / assignment, dest)
    for assignment in assignments:
        nbgrader(course, "generate_assignment", assignment, "--force")
        for repaired in intake.repair_course(course, assignment):  # mangled notebooks made gradable
            if repaired.changed:
                log(repaired.text().rstrip())
        counts[assignment] = sum(1 for _ in (course / "submitted").glob(f"*/{assignment}"))
    if serial:
        for assignment in assignments:
            log(f"autograding {assignment}: {counts[assignment]} submissions")
            start = time.perf_counter()
            nbgrader(course, "autograde", assignment, "--force")
            seconds[assignment] = time.perf_counter() - start
        return ClassRun(course=course, seconds=seconds, submissions=counts, wall_seconds=sum(seconds.values()))
    log("autograding " + ", ".join(f"{a}: {counts[a]} submissions" for a in assignments))
    summary = parallel.autograde(course, assignments, workers=workers, force=True, progress=False,
                                 repair=False, log=log)  # the intake ran above
    if summary.failed:
        raise NbgraderError(f"autograding {', '.join(assignments)} failed:\n{summary.table()}")
    grading = {a: sum(r.seconds for r in summary.graded if r.assignment == a) for a in assignments}
    return ClassRun(course=course, seconds=grading, submissions=counts, wall_seconds=summary.seconds, parallel=True)


def time_one_submission(assignment: str, student: str = "correct", repo: Path = REPO_ROOT) -> tuple[float, float]:
    """Autograde one sample student's ``assignment`` in a throw-away course (for benchmarks).

    Returns ``(autograde seconds, seconds including generate_assignment)``.
    """
    import tempfile

    with tempfile.TemporaryDirectory(prefix=f"bench-{assignment}-") as tmp:
        submitted = Path(tmp) / "submitted"
        shutil.copytree(repo / sample_class.FOLDER / "submitted" / student / assignment, submitted / student / assignment)
        course = make_course(Path(tmp) / "course", repo, with_release=True)
        start = time.perf_counter()
        run = grade_class(course, submitted, [assignment], log=lambda *a: None, serial=True)
        return run.seconds[assignment], time.perf_counter() - start


def grade_sample_class(workdir: Path, assignments: list[str] | None = None, repo: Path = REPO_ROOT,
                       log=print) -> ClassRun:
    """Grade the shipped sample class in a fresh course at ``workdir`` (replaced if present)."""
    assignments = assignments or list(ASSIGNMENTS)
    course = make_course(workdir, repo, with_release=True)
    return grade_class(course, repo / sample_class.FOLDER / "submitted", assignments, log=log)
