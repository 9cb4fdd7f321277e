"""Regenerate every generated artifact from ``source/``, with the real nbgrader.

``release/<id>/`` comes from ``nbgrader generate_assignment``, ``solutions/<id>/``
from ``nbgrader generate_solution`` (executed, with figures), and the sample
class's notebooks from the release plus each scenario's answers
(:mod:`.sample_class`).  Nobody edits those folders by hand; the drift test
regenerates them in a temporary folder and compares.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat

from autograder.course import ASSIGNMENTS, ensure_datasets, notebooks, sample_class
from autograder.course.nbgrader_cli import make_course, nbgrader
from autograder.paths import REPO_ROOT

GENERATED = ("release", "solutions")


def generate(course: Path, assignment: str, solutions: bool = True, env: dict[str, str] | None = None) -> None:
    """Run ``generate_assignment`` (and ``generate_solution``) for ``assignment`` in ``course``."""
    nbgrader(course, "generate_assignment", assignment, "--force", env=env)
    if solutions:
        nbgrader(course, "generate_solution", assignment, "--force", env=env)


def build(assignments: list[str] | None = None, repo: Path = REPO_ROOT, out: Path | None = None,
          log=print, jobs: int | None = None) -> Path:
    """Regenerate ``release/``, ``solutions/`` and the sample class into ``out`` (default: ``repo``).

    The assignments build ``jobs`` at a time (default: one per core, at most one per assignment),
    each in a course of its own, with the cores shared out among their kernels.
    """
    out = out or repo
    assignments = assignments or list(ASSIGNMENTS)
    ensure_datasets(assignments, log=log)
    cores = os.cpu_count() or 1
    jobs = max(1, min(jobs or cores, len(assignments)))
    threads = str(max(1, cores // jobs))
    env = {"OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads} if jobs > 1 else None

    def one(assignment: str, tmp: Path) -> None:
        log(f"building {assignment}: nbgrader generate_assignment, generate_solution (executes the solutions)")
        course = make_course(tmp / assignment, repo, with_release=False)
        generate(course, assignment, env=env)
        for folder in GENERATED:
            _copy_generated(course / folder / assignment, out / folder / assignment)

    with tempfile.TemporaryDirectory(prefix="kit-build-") as tmp, ThreadPoolExecutor(jobs) as pool:
        for done in [pool.submit(one, assignment, Path(tmp)) for assignment in assignments]:
            done.result()  # the first failure, raised here
    for assignment in assignments:
        written = sample_class.write_submissions(assignment, release=out / "release", solutions=out / "solutions",
                                                 target=out / sample_class.FOLDER / "submitted")
        log(f"building {assignment}: {len(written)} sample submissions")
    return out


def _copy_generated(src: Path, dest: Path) -> None:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "*.pt", "*.pth"))
    for path in dest.rglob("*.ipynb"):
        nb = notebooks.strip_volatile(notebooks.read(path))
        nbformat.write(nb, str(path))
