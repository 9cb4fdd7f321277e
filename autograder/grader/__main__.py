"""``python -m autograder.grader NOTEBOOK [options]``: grade one notebook (see the package docstring)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder.grader", description=__doc__)
    parser.add_argument("notebook")
    parser.add_argument("--assignment")
    parser.add_argument("--self-check", action="store_true", default=None,
                        help="visible checks only (the default where hidden checks are not installed)")
    parser.add_argument("--results-json", help="write Gradescope's results.json here")
    parser.add_argument("--junit-xml", help="write JUnit XML here (GitHub Classroom, GitLab)")
    args, rest = parser.parse_known_args(argv)
    options = ["-c", str(HERE / "pytest.ini"), "--rootdir", str(HERE), "-p", "autograder.grader.plugin",
               "-q", "--no-header", "-rN", str(HERE / "notebook_checks.py"),
               "--notebook", str(Path(args.notebook).resolve())]
    if args.assignment:
        options += ["--assignment", args.assignment]
    if args.self_check:
        options += ["--self-check"]
    if args.results_json:
        options += ["--results-json", str(Path(args.results_json).resolve())]
    if args.junit_xml:
        options += ["--junit-xml", str(Path(args.junit_xml).resolve()), "-o", "junit_family=xunit1"]
    code = pytest.main(options + rest)
    return int(code)


if __name__ == "__main__":
    sys.exit(main())
