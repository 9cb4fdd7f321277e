"""Benchmark: a class graded by plain serial ``nbgrader autograde`` and by ``kit autograde`` (not run in CI).

The class is made of copies of the sample class's submissions of one assignment
(default ``digit_classifier``: every submission trains a network), renamed to
distinct students ``student-000``, ``student-001``, ... and cycling through the
scenarios.  For each size it prints the wall time of

* **serial**: ``nbgrader autograde ID --force`` in a course of its own (one
  process, one student after another, as an instructor would run it);
* **parallel**: the kit's parallel grader on ``--workers`` (default: all cores),
  in another course, with the same ``nbgrader autograde`` per submission;

and the ratio, the cost per submission, the growth from one size to the next,
and whether both gradebooks hold the same automatic scores, cell by cell.
Serial grading runs for the sizes in ``--serial-sizes`` only (default: the
first size), since it is the slow one (about 40 s per digit submission on 2 cores).

Usage (from the repository root)::

    KIT_DATA_MIRROR=/path/to/datasets .venv/bin/python benchmarks/parallel_grading.py --sizes 12 24 48
    .venv/bin/python benchmarks/parallel_grading.py --assignment bonus_predictor --sizes 8 --workers 2

Figures depend on what else the machine runs: the load average is printed next to each.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from autograder.course import ensure_datasets, parallel  # noqa: E402
from autograder.course.nbgrader_cli import make_course, nbgrader  # noqa: E402

SUBMITTED = REPO / "sample_class" / "submitted"


def load() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def make_class(folder: Path, assignment: str, size: int) -> Path:
    """A course whose ``submitted/`` holds ``size`` students, copies of the sample submissions."""
    course = make_course(folder)
    scenarios = sorted(SUBMITTED.glob(f"*/{assignment}"))
    for i in range(size):
        shutil.copytree(scenarios[i % len(scenarios)], course / "submitted" / f"student-{i:03d}" / assignment)
    nbgrader(course, "generate_assignment", assignment, "--force")
    return course


def scores(course: Path, assignment: str) -> dict:
    found = parallel.gradebook_contents(f"sqlite:///{course / 'gradebook.db'}", [assignment])
    return {k: {nb: {g: v[0] for g, v in cells["grades"].items()} for nb, cells in s["notebooks"].items()}
            for k, s in found.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assignment", default="digit_classifier")
    parser.add_argument("--sizes", type=int, nargs="+", default=[12], help="class sizes (default: 12)")
    parser.add_argument("--serial-sizes", type=int, nargs="*", help="sizes also graded serially (default: the first)")
    parser.add_argument("--workers", type=int, default=os.cpu_count(), help="parallel graders (default: all cores)")
    args = parser.parse_args()
    serial_sizes = set(args.serial_sizes if args.serial_sizes is not None else args.sizes[:1])
    ensure_datasets([args.assignment], log=lambda *a: None)
    print(f"{args.assignment}: {os.cpu_count()} cores, {args.workers} workers, load average {load()} at start")
    rows, previous = [], None
    with tempfile.TemporaryDirectory(prefix="bench-parallel-") as tmp:
        for size in args.sizes:
            serial_s = None
            if size in serial_sizes:
                course = make_class(Path(tmp) / f"serial-{size}", args.assignment, size)
                start = time.perf_counter()
                nbgrader(course, "autograde", args.assignment, "--force")
                serial_s = time.perf_counter() - start
                serial_scores = scores(course, args.assignment)
                print(f"  serial   {size:3d} submissions: {serial_s:7.1f} s ({serial_s / size:5.1f} s each), "
                      f"load {load()}", flush=True)
            course = make_class(Path(tmp) / f"parallel-{size}", args.assignment, size)
            start = time.perf_counter()
            summary = parallel.autograde(course, [args.assignment], workers=args.workers, force=True, progress=False)
            parallel_s = time.perf_counter() - start
            if summary.failed:
                print(summary.table())
            same = "" if serial_s is None else (
                ", same scores as serial" if scores(course, args.assignment) == serial_scores
                else ", SCORES DIFFER from serial")
            growth = "" if previous is None else f", x{parallel_s / previous[1]:.2f} for x{size / previous[0]:g} submissions"
            print(f"  parallel {size:3d} submissions: {parallel_s:7.1f} s ({parallel_s / size:5.1f} s each), "
                  f"load {load()}{same}{growth}", flush=True)
            rows.append((size, serial_s, parallel_s))
            previous = (size, parallel_s)
    print(f"\n{'submissions':>11} {'serial s':>9} {'parallel s':>10} {'speed-up':>8} {'s/submission':>12}")
    for size, serial_s, parallel_s in rows:
        ratio = f"{serial_s / parallel_s:8.2f}" if serial_s else f"{'':>8}"
        serial_text = f"{serial_s:9.1f}" if serial_s else f"{'-':>9}"
        print(f"{size:>11} {serial_text} {parallel_s:10.1f} {ratio} {parallel_s / size:12.1f}")
    print(f"load average at the end {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
