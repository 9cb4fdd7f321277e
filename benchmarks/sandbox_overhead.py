"""Isolation overhead per submission: the same notebook graded with and without the sandbox.

    .venv/bin/python benchmarks/sandbox_overhead.py [NOTEBOOK] [--repeat N]

Grades NOTEBOOK (default: the sample class's correct bonus_predictor submission) with the
kit's grader, alternating sandboxed (KIT_SANDBOX=1) and unsandboxed (KIT_SANDBOX=0) runs,
and prints the median wall time of each and their difference. Not run in CI.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from autograder.course.nbgrader_cli import environment
from autograder.grader.sandbox import bubblewrap_works
from autograder.paths import REPO_ROOT

DEFAULT = REPO_ROOT / "sample_class" / "submitted" / "correct" / "bonus_predictor" / "bonus_prediction_nn.ipynb"


def grade_once(notebook: Path, sandbox: bool) -> float:
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "autograder.grader", str(notebook)], cwd=REPO_ROOT,
                            env=environment({"KIT_SANDBOX": "1" if sandbox else "0"}), capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if result.returncode not in (0, 1):
        raise SystemExit(f"grading failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebook", nargs="?", type=Path, default=DEFAULT)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"bubblewrap sandbox available: {bubblewrap_works()}")
    times = {True: [], False: []}
    grade_once(args.notebook, True)  # warm the file cache
    for _ in range(args.repeat):
        for sandbox in (True, False):
            times[sandbox].append(grade_once(args.notebook, sandbox))
    isolated, plain = statistics.median(times[True]), statistics.median(times[False])
    print(f"notebook: {args.notebook.relative_to(REPO_ROOT) if args.notebook.is_relative_to(REPO_ROOT) else args.notebook}")
    print(f"unisolated: median {plain:.2f} s  ({', '.join(f'{t:.2f}' for t in times[False])})")
    print(f"isolated:   median {isolated:.2f} s  ({', '.join(f'{t:.2f}' for t in times[True])})")
    print(f"overhead:   {isolated - plain:+.2f} s per submission ({100 * (isolated / plain - 1):+.1f} %)")
    print(f"load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
