"""The ``kit`` command (``./kit`` bootstraps the virtual environment and runs it).

    ./kit run      the main job: data, rebuild release/ and solutions/, grade the sample class, report
    ./kit test     the whole test suite (extra arguments go to pytest)
    ./kit build    regenerate release/, solutions/ and the sample class from source/
    ./kit data     fetch MNIST and FashionMNIST into data/ (mirror: KIT_DATA_MIRROR or --mirror)
    ./kit grade NOTEBOOK   grade one notebook with pytest: a per-check table, exit 1 on any failure
    ./kit bundle [OUT]     write the student bundle (release, data, public checks, self-check)
    ./kit gradescope ID    build Gradescope's autograder zip for assignment ID
    ./kit autograde [ID ...] [--course DIR] [--workers N] [--db URL] [--scheduler ADDR|local] [--force]
                           autograde a whole class in parallel (local cores or a Dask cluster), resumable
    ./kit intake [ID ...] [--course DIR]   repair mangled submissions (renamed, invalid, duplicated cells), report
    ./kit lab instructor [--course DIR]   JupyterLab on the course, with formgrader and create-assignment
    ./kit lab student [FOLDER]            JupyterLab on the student bundle (or release/), with Validate
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from autograder.paths import REPO_ROOT

BUILD_DIR = REPO_ROOT / "build"


def expected_totals(assignments: list[str]) -> dict[tuple[str, str], float]:
    """The automatic score each sample student should get, from the scenarios."""
    from autograder.course import ASSIGNMENTS, notebooks, sample_class

    totals = {}
    for assignment in assignments:
        cells = notebooks.grade_cells(notebooks.read(REPO_ROOT / "release" / assignment / ASSIGNMENTS[assignment]))
        for scenario in sample_class.scenarios(assignment):
            totals[(scenario.student, assignment)] = sum(scenario.expected_scores(cells).values())
    return totals


def run(args: argparse.Namespace) -> int:
    """The main job: rebuild everything from source/, grade the sample class, report."""
    from autograder.course import ASSIGNMENTS, report
    from autograder.course.build import build
    from autograder.course.grading import grade_sample_class

    assignments = args.assignment or list(ASSIGNMENTS)
    out = Path(args.out).resolve() if args.out else BUILD_DIR
    started = time.perf_counter()
    build(assignments)
    graded = grade_sample_class(out / "sample-course", assignments)
    results = report.read_results(f"sqlite:///{graded.course / 'gradebook.db'}", assignments)
    expected = expected_totals(assignments)
    print()
    print(report.table(results, expected))
    csv_path = report.write_csv(results, out / "report" / "grades.csv")
    png_path = report.plot_distribution(results, out / "report" / "grade_distribution.png")
    print()
    for assignment, seconds in graded.seconds.items():
        n = graded.submissions[assignment]
        print(f"{assignment}: {n} submissions, {seconds / max(n, 1):.1f} s each to autograde")
    if graded.parallel:
        total = sum(graded.submissions.values())
        print(f"autograded {total} submissions in {graded.wall_seconds:.1f} s (the kit's parallel grader)")
    print(f"scores: {csv_path}\nplot:   {png_path}\ngradebook: {graded.course / 'gradebook.db'}")
    print(f"main job finished in {time.perf_counter() - started:.0f} s")
    mismatched = [key for key, want in expected.items()
                  if not any(r.student == key[0] and r.assignment == key[1] and abs(r.score - want) < 1e-9 for r in results)]
    if mismatched:
        print(f"error: {len(mismatched)} sample submissions did not get their expected score: {mismatched}", file=sys.stderr)
        return 1
    return 0


def build_cmd(args: argparse.Namespace) -> int:
    from autograder.course.build import build

    build(args.assignment or None)
    return 0


def data_cmd(rest: list[str]) -> int:
    from autograder import data

    return data.main(rest)


def test_cmd(rest: list[str]) -> int:
    """The whole suite (pytest's options pass through, e.g. ``-m 'not slow'``)."""
    command = [sys.executable, "-m", "pytest", *rest]
    return subprocess.call(command, cwd=REPO_ROOT)


def grade_cmd(rest: list[str]) -> int:
    """Grade one notebook with pytest (``python -m autograder.grader --help``)."""
    from autograder.grader.__main__ import main as grade_main

    return grade_main(rest)


def autograde_cmd(rest: list[str]) -> int:
    """Autograde a class in parallel (``kit autograde --help``)."""
    from autograder.course.parallel import main as autograde_main

    return autograde_main(rest)


def intake_cmd(rest: list[str]) -> int:
    """Repair mangled submissions before a plain ``nbgrader autograde`` (``kit intake --help``)."""
    from autograder.course.intake import main as intake_main

    return intake_main(rest)


PASS_THROUGH = {"data": data_cmd, "test": test_cmd, "grade": grade_cmd, "autograde": autograde_cmd,
                "intake": intake_cmd}


def bundle_cmd(args: argparse.Namespace) -> int:
    from autograder.course.bundle import write_student_bundle

    print(f"student bundle written to {write_student_bundle(Path(args.out).resolve())}")
    return 0


def gradescope_cmd(args: argparse.Namespace) -> int:
    from autograder.course.bundle import write_gradescope_zip

    out = Path(args.out or BUILD_DIR / f"gradescope-{args.assignment}.zip").resolve()
    print(f"Gradescope autograder for {args.assignment} written to {write_gradescope_zip(args.assignment, out)}")
    return 0


def lab_cmd(args: argparse.Namespace) -> int:
    from autograder.course import lab

    if args.mode == "instructor" and args.folder:
        print("kit lab instructor: give the course with --course DIR, not as a folder argument.", file=sys.stderr)
        return 2
    if args.mode == "student" and args.course:
        print("kit lab student: --course is for instructors; give the student folder as `kit lab student FOLDER`.",
              file=sys.stderr)
        return 2
    return lab.main(args.mode, args.course or args.folder, args.port, not args.no_browser)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    os.environ.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
    if argv and argv[0] in PASS_THROUGH:
        return PASS_THROUGH[argv[0]](argv[1:])
    parser = argparse.ArgumentParser(prog="kit", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("run", help="the main job")
    p.add_argument("--assignment", action="append", help="only this assignment (repeatable)")
    p.add_argument("--out", help="where the graded course and report go (default: build/)")
    p.set_defaults(func=run)
    p = commands.add_parser("build", help="regenerate release/, solutions/ and the sample class")
    p.add_argument("--assignment", action="append")
    p.set_defaults(func=build_cmd)
    p = commands.add_parser("bundle", help="write what students receive (no solutions, no hidden checks)")
    p.add_argument("out", nargs="?", default=str(BUILD_DIR / "student-bundle"))
    p.set_defaults(func=bundle_cmd)
    p = commands.add_parser("gradescope", help="build Gradescope's autograder zip for an assignment")
    p.add_argument("assignment")
    p.add_argument("--out", help="the zip to write (default: build/gradescope-<assignment>.zip)")
    p.set_defaults(func=gradescope_cmd)
    p = commands.add_parser("lab", help="open the course in JupyterLab, as an instructor or as a student")
    p.add_argument("mode", choices=["instructor", "student"])
    p.add_argument("folder", nargs="?", help="student: the student bundle (default build/student-bundle, built if "
                   "missing) or release/")
    p.add_argument("--course", help="instructor: the course root (default: this repository), e.g. build/sample-course")
    p.add_argument("--port", type=int, help="the port to serve on (default: JupyterLab's, 8888 or the next free one)")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser; print the URL only")
    p.set_defaults(func=lab_cmd)
    commands.add_parser("data", help="fetch MNIST and FashionMNIST (see `kit data --help`)")
    commands.add_parser("test", help="run the test suite (pytest options pass through)")
    commands.add_parser("grade", help="grade one notebook with pytest (see `kit grade --help`)")
    commands.add_parser("autograde", help="autograde a class in parallel (see `kit autograde --help`)")
    commands.add_parser("intake", help="repair mangled submissions before nbgrader autograde (see `kit intake --help`)")
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
