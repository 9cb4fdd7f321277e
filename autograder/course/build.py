"""Regenerate every generated artifact from ``source/``, with the real nbgrader.

``release/<id>/`` comes from ``nbgrader generate_assignment``, ``solutions/<id>/``
from ``nbgrader generate_solution`` (executed, with figures), and the sample
class's notebooks from the release plus each scenario's answers
(:mod:`.sample_class`).  Nobody edits those folders by hand; the drift test
regenerates them in a temporary folder and compares.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import nbformat

from autograder.course import ASSIGNMENTS, ensure_datasets, notebooks, sample_class
from autograder.course.nbgrader_cli import make_course, nbgrader
from autograder.paths import REPO_ROOT

GENERATED = ("release", "solutions")


def generate(course: Path, assignment: str, solutions: bool = True) -> None:
    """Run ``generate_assignment`` (and ``generate_solution``) for ``assignment`` in ``course``."""
    nbgrader(course, "generate_assignment", assignment, "--force")
    if solutions:
        nbgrader(course, "generate_solution", assignment, "--force")


def build(assignments: list[str] | None = None, repo: Path = REPO_ROOT, out: Path | None = None,
          log=print) -> Path:
    """Regenerate ``release/``, ``solutions/`` and the sample class into ``out`` (default: ``repo``)."""
    out = out or repo
    assignments = assignments or list(ASSIGNMENTS)
    ensure_datasets(assignments, log=log)
    with tempfile.TemporaryDirectory(prefix="kit-build-") as tmp:
        course = make_course(Path(tmp) / "course", repo, with_release=False)
        for assignment in assignments:
            log(f"building {assignment}: nbgrader generate_assignment, generate_solution (executes the solutions)")
            generate(course, assignment)
            for folder in GENERATED:
                _copy_generated(course / folder / assignment, out / folder / assignment)
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
