"""The README's instructor command sequence works exactly as written.

The block between the ``instructor-commands`` markers is run line by line in a
temporary copy of the course (with the kit's ``.venv`` linked in and the
exchange in a temporary folder).  Where the README says that students fetch,
work and submit, a student fetches the release through the real exchange and
submits the sample class's correct notebook.  The exported grades must give
that student full automatic marks.
"""

from __future__ import annotations

import csv
import re
import subprocess

import pytest

from autograder.course.nbgrader_cli import environment, make_course
from autograder.paths import REPO_ROOT

README = (REPO_ROOT / "README.md").read_text()


def instructor_commands() -> list[str]:
    block = re.search(r"<!-- instructor-commands: begin -->\s*```bash\n(.*?)```", README, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_the_readme_has_exactly_two_main_commands():
    block = re.search(r"## Two commands.*?```bash\n(.*?)```", README, re.S).group(1)
    assert [line.split("#")[0].strip() for line in block.splitlines()] == ["./kit run", "./kit test"]
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert "./kit test" in ci


@pytest.mark.slow
def test_instructor_sequence_runs_as_written(tmp_path):
    course = make_course(tmp_path / "course", with_release=False)
    (course / ".venv").symlink_to(REPO_ROOT / ".venv")
    exchange = tmp_path / "exchange"
    exchange.mkdir()
    student = tmp_path / "student-home"
    student.mkdir()
    submission = REPO_ROOT / "sample_class" / "submitted" / "correct" / "bonus_predictor" / "bonus_prediction_nn.ipynb"
    student_steps = (
        f"(cd {student} && nbgrader fetch_assignment bonus_predictor --course pytorch-foundations "
        f"--Exchange.root={exchange} && cp {submission} bonus_predictor/ && "
        f"nbgrader submit bonus_predictor --course pytorch-foundations --Exchange.root={exchange})"
    )
    script = ["set -euo pipefail"]
    for line in instructor_commands():
        if line.startswith("# ... students"):
            script.append(student_steps)
        else:
            script.append(line.replace("/srv/nbgrader/exchange", str(exchange)))
    result = subprocess.run(["bash", "-c", "\n".join(script)], cwd=course, env=environment(), capture_output=True,
                            text=True, timeout=1800)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-6000:]
    rows = list(csv.DictReader((course / "grades.csv").open()))
    assert len(rows) == 1, rows
    assert float(rows[0]["raw_score"]) == 23.0 and float(rows[0]["max_score"]) == 26.0, rows
    assert list((course / "feedback").glob("*/bonus_predictor/bonus_prediction_nn.html"))
