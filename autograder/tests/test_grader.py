"""The kit's pytest grader: same totals as nbgrader, clear verdicts on bad input, never writes the submission."""

from __future__ import annotations

import hashlib
import shutil
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest

from autograder.course import ASSIGNMENTS, report, sample_class
from autograder.course.nbgrader_cli import environment
from autograder.paths import REPO_ROOT

SUBMITTED = REPO_ROOT / "sample_class" / "submitted"
BONUS = SUBMITTED / "correct" / "bonus_predictor" / "bonus_prediction_nn.ipynb"


def grade(notebook: Path, *options: str, env: dict | None = None, timeout: int = 1800) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "autograder.grader", str(notebook), *options], cwd=REPO_ROOT,
                          env=environment(env), capture_output=True, text=True, timeout=timeout)


def results_of(notebook: Path, tmp: Path, *options: str, **kwargs) -> tuple[subprocess.CompletedProcess, dict]:
    out = tmp / f"{notebook.parent.parent.name}-{notebook.parent.name}.json"
    run = grade(notebook, "--results-json", str(out), *options, **kwargs)
    return run, json.loads(out.read_text())


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


CASES = [(a, s.student) for a in ASSIGNMENTS for s in sample_class.scenarios(a)]
WORKERS = 2  # the machine's cores: two graders at a time, one torch thread each (as kit autograde does)


@pytest.fixture(scope="session")
def kit_grades(request, tmp_path_factory):
    """The kit grader's verdict on every selected sample submission: ``{(assignment, student): future}``.

    The submissions are graded ``WORKERS`` at a time in the background (each grader is a process of its
    own, so this changes nothing but the wall time); each test waits for its own.
    """
    wanted = [tuple(item.callspec.params[k] for k in ("assignment", "student")) for item in request.session.items
              if getattr(item, "originalname", "") == "test_totals_equal_nbgrader_autograde"]
    out = tmp_path_factory.mktemp("kit-grades")
    threads = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

    def job(assignment, student):
        notebook = SUBMITTED / student / assignment / ASSIGNMENTS[assignment]
        before = digest(notebook)
        run, results = results_of(notebook, out, env=threads)
        return run, results, before == digest(notebook)

    pool = ThreadPoolExecutor(max_workers=WORKERS)
    request.addfinalizer(lambda: pool.shutdown(cancel_futures=True))
    return {case: pool.submit(job, *case) for case in wanted}


@pytest.mark.slow
@pytest.mark.parametrize("assignment, student", CASES, ids=[f"{a}-{s}" for a, s in CASES])
def test_totals_equal_nbgrader_autograde(main_job, kit_grades, assignment, student):
    run, results, unchanged = kit_grades[(assignment, student)].result()
    nbgrader_result = {(r.student, r.assignment): r for r in report.read_results(main_job.db_url)}[(student, assignment)]
    mine = {t["name"]: t["score"] for t in results["tests"]}
    theirs = {name: score for name, score in nbgrader_result.cells.items()}
    assert mine == theirs, run.stdout[-3000:]
    assert results["score"] == nbgrader_result.score
    assert (run.returncode == 0) == (nbgrader_result.score == nbgrader_result.max_score), run.stdout[-2000:]
    assert "TOTAL" in run.stdout
    assert unchanged, "the grader must never modify the submission"


@pytest.mark.slow
def test_results_json_and_junit_xml(tmp_path):
    junit = tmp_path / "junit.xml"
    run, results = results_of(SUBMITTED / "flat-target" / "bonus_predictor" / "bonus_prediction_nn.ipynb",
                              tmp_path, "--junit-xml", str(junit))
    assert run.returncode == 1
    assert results["score"] == 20.0
    for test in results["tests"]:
        assert set(test) == {"name", "score", "max_score", "output", "visibility"}
        assert test["visibility"] == ("after_published" if test["name"].endswith("_hidden") else "visible")
    failed = {t["name"]: t["output"] for t in results["tests"] if t["score"] < t["max_score"]}
    assert set(failed) == {"test_to_tensors", "test_to_tensors_hidden"}
    assert "shape" in failed["test_to_tensors"] and "(1000, 1)" in failed["test_to_tensors"]
    cases = ET.parse(junit).getroot().iter("testcase")
    points = {c.get("name"): {p.get("name"): p.get("value") for p in c.iter("property")} for c in cases}
    assert points["test_check[test_fits_least_squares]"]["points"] == "3.0"


@pytest.mark.slow
def test_self_check_runs_visible_checks_only(tmp_path):
    run, results = results_of(SUBMITTED / "tampered-test" / "bonus_predictor" / "bonus_prediction_nn.ipynb",
                              tmp_path, "--self-check")
    names = [t["name"] for t in results["tests"]]
    assert names and not [n for n in names if n.endswith("_hidden")]
    assert run.returncode == 1 and "self-check: visible checks only" in run.stdout
    failed = [t for t in results["tests"] if t["score"] == 0]
    assert [t["name"] for t in failed] == ["test_mse"]
    assert "expected" in failed[0]["output"] and "found" in failed[0]["output"]


def write_notebook(path: Path, nb) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def test_invalid_json_gets_a_verdict_not_a_traceback(tmp_path):
    broken = tmp_path / "bonus_prediction_nn.ipynb"
    broken.write_text('{"cells": [ {"cell_type": "code", ')
    before = digest(broken)
    run, results = results_of(broken, tmp_path)
    assert run.returncode != 0
    assert "not a valid notebook file" in results["output"] and "Traceback" not in run.stdout + run.stderr
    assert results["score"] == 0 and digest(broken) == before


def test_a_notebook_of_no_assignment_is_refused_clearly(tmp_path):
    stranger = write_notebook(tmp_path / "homework.ipynb", nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]))
    run, results = results_of(stranger, tmp_path)
    assert run.returncode != 0 and "does not belong to any assignment" in results["output"]


def test_another_assignments_notebook_is_refused_clearly(tmp_path):
    other = write_notebook(tmp_path / "bonus_prediction_nn.ipynb",
                           nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# my own notebook")]))
    run, results = results_of(other, tmp_path)
    assert run.returncode != 0 and "has none of the cells" in results["output"]


@pytest.mark.slow
def test_renamed_answer_cell_still_grades_and_is_reported(tmp_path):
    nb = nbformat.read(str(BONUS), as_version=4)
    sample_class.cell_by_id(nb, "to_tensors").metadata["nbgrader"]["grade_id"] = "my_to_tensors"
    run, results = results_of(write_notebook(tmp_path / "s" / "bonus_prediction_nn.ipynb", nb), tmp_path)
    assert results["score"] == 23.0, run.stdout[-2000:]
    assert "answer cells missing or renamed: to_tensors" in run.stdout


@pytest.mark.slow
def test_a_notebook_that_never_finishes_times_out_per_cell(tmp_path):
    nb = nbformat.read(str(BONUS), as_version=4)
    cell = sample_class.cell_by_id(nb, "mse")
    cell.source = cell.source.replace('"""\n', '"""\n    while True:\n        pass\n', 1)
    run, results = results_of(write_notebook(tmp_path / "s" / "bonus_prediction_nn.ipynb", nb), tmp_path,
                              env={"KIT_CELL_TIMEOUT": "8"})
    scores = {t["name"]: (t["score"], t["output"]) for t in results["tests"]}
    assert scores["test_mse"][0] == 0 and "ran past 8 s" in scores["test_mse"][1]
    assert scores["test_predict_bonus"][0] == 1.0, "cells after the timed-out one still run"
    assert run.returncode == 1


@pytest.mark.slow
def test_a_kernel_crash_fails_the_remaining_checks_with_a_verdict(tmp_path):
    nb = nbformat.read(str(BONUS), as_version=4)
    cell = sample_class.cell_by_id(nb, "train_model")
    cell.source = "import os\n" + cell.source.replace('"""\n', '"""\n    os._exit(3)\n', 1)
    run, results = results_of(write_notebook(tmp_path / "s" / "bonus_prediction_nn.ipynb", nb), tmp_path)
    scores = {t["name"]: (t["score"], t["output"]) for t in results["tests"]}
    assert scores["test_mse"][0] == 1.0 or scores["test_mse"][0] == 0  # after the crash: not run
    assert scores["test_train_model"][0] == 0 and "kernel died" in scores["test_train_model"][1]
    assert scores["test_predict_bonus"][0] == 0 and "kernel died" in scores["test_predict_bonus"][1]
    assert scores["test_standardize"][0] == 2.0, "checks before the crash keep their points"
    assert run.returncode == 1 and "Traceback" not in run.stdout


def test_missing_datasets_stop_the_grader_with_what_to_do(tmp_path):
    """The sandboxed kernel cannot write the data root, so the grader fetches the datasets first; when it
    cannot, the notebook is not run and the verdict says where to put the files (no per-check zeros)."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy2(REPO_ROOT / "data" / "bonus.csv", data)
    notebook = SUBMITTED / "correct" / "digit_classifier" / ASSIGNMENTS["digit_classifier"]
    run, results = results_of(notebook, tmp_path, env={"KIT_DATA_ROOT": str(data),
                                                        "KIT_DATA_MIRROR": str(tmp_path / "no-mirror")})
    assert run.returncode != 0 and results["score"] == 0
    assert [(t["name"], t["output"]) for t in results["tests"]] == [("notebook", results["output"])]
    assert "has no MNIST/raw/ folder" in results["output"] and "KIT_DATA_MIRROR" in results["output"]
    assert "notebook        0 / 0  The mirror folder" in run.stdout and "Traceback" not in run.stdout


@pytest.mark.slow
def test_a_grader_with_a_temp_folder_of_its_own_gives_full_marks_and_leaves_nothing_there(tmp_path):
    """A cluster's TMPDIR is not in the sandbox's reach, yet PyTorch exports its cache folder under it
    (TORCHINDUCTOR_CACHE_DIR) for the kernel to inherit: the correct submission must keep every point
    (it lost 7 once), and the grader's scratch, compiled hidden checks and sockets must be gone after."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    run, results = results_of(BONUS, tmp_path, env={"TMPDIR": str(scratch)})
    assert results["score"] == 23.0, run.stdout
    assert not [p.name for p in scratch.iterdir() if p.name.startswith("kit-")]
