"""The student bundle holds no solutions and no hidden checks, and self-checks in a fresh venv;
the Gradescope zip grades a submission in a simulated /autograder layout."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from autograder.course import ASSIGNMENTS, notebooks
from autograder.course.bundle import write_gradescope_zip, write_student_bundle
from autograder.grader.cells import HIDDEN_BEGIN, HIDDEN_END
from autograder.paths import REPO_ROOT

SUBMITTED = REPO_ROOT / "sample_class" / "submitted"


def regions(text: str, begin: str, end: str) -> list[str]:
    return [m.strip() for m in re.findall(re.escape(begin) + r"(.*?)" + re.escape(end), text, re.S) if m.strip()]


def secrets() -> dict[str, str]:
    """Every solution region and hidden test of source/, and every line that only the hidden checks have
    (leaving out what the release itself tells students, such as a one-line ``return self.linear(X)``)."""
    found = {}
    for assignment, name in ASSIGNMENTS.items():
        told = "\n".join(c.source for c in notebooks.read(REPO_ROOT / "release" / assignment / name).cells)
        for cell in notebooks.read(REPO_ROOT / "source" / assignment / name).cells:
            for region in regions(cell.source, "### BEGIN SOLUTION", "### END SOLUTION"):
                if region in told:
                    continue
                found[f"{assignment}: solution region {region.splitlines()[0][:40]!r}"] = region
            for region in regions(cell.source, HIDDEN_BEGIN, HIDDEN_END):
                found[f"{assignment}: hidden test {region.splitlines()[-1][:40]!r}"] = region
            if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "markdown":
                found[f"{assignment}: model answer"] = cell.source.strip()
    public = "".join(p.read_text() for p in (REPO_ROOT / "autograder" / "checks").glob("*.py"))
    for module in (REPO_ROOT / "autograder" / "hidden").glob("*.py"):
        for line in module.read_text().splitlines():
            line = line.strip()
            if len(line) >= 30 and line not in public and not line.startswith(("#", '"""', "from ", "import ")):
                found[f"hidden/{module.name}: {line[:40]!r}"] = line
    return found


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    return write_student_bundle(tmp_path_factory.mktemp("bundle") / "exercises")


def test_bundle_has_the_exercises_and_the_public_checks(bundle):
    for assignment, name in ASSIGNMENTS.items():
        assert (bundle / "release" / assignment / name).is_file()
    assert (bundle / "autograder" / "checks" / "bonus_predictor.py").is_file()
    assert (bundle / "autograder" / "grader" / "__main__.py").is_file()
    for absent in ("source", "solutions", "sample_class", "autograder/hidden", "autograder/course", "autograder/tests"):
        assert not (bundle / absent).exists(), absent


def test_bundle_reveals_no_solution_and_no_hidden_test(bundle):
    texts = {p: p.read_text(errors="ignore") for p in bundle.rglob("*") if p.is_file()}
    known = secrets()
    assert len(known) > 10
    hits = [f"{label} in {path.relative_to(bundle)}" for label, secret in known.items()
            for path, text in texts.items() if secret in text]
    assert not hits, hits


@pytest.fixture
def fresh_venv(tmp_path):
    """An empty virtual environment, deleted afterwards whatever the outcome (PyTorch makes it about 5.5 GB)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    yield venv
    shutil.rmtree(venv, ignore_errors=True)


@pytest.mark.slow
def test_bundle_installs_in_a_fresh_venv_and_self_checks(bundle, fresh_venv, tmp_path):
    venv = fresh_venv
    python = venv / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", "-e", str(bundle)], capture_output=True,
                             text=True, timeout=1800)
    assert install.returncode == 0, install.stderr[-3000:]
    work = bundle / "release" / "bonus_predictor" / "bonus_prediction_nn.ipynb"
    shutil.copy2(SUBMITTED / "correct" / "bonus_predictor" / "bonus_prediction_nn.ipynb", work)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "KIT_DATA_ROOT")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env['PATH']}"
    check = subprocess.run([str(python), "-m", "autograder.grader", str(work)], cwd=bundle, env=env,
                           capture_output=True, text=True, timeout=1800)
    assert check.returncode == 0, check.stdout[-3000:] + check.stderr[-2000:]
    assert "self-check: visible checks only" in check.stdout and "_hidden" not in check.stdout
    origin = subprocess.run([str(python), "-c", "import autograder; print(autograder.__file__)"], cwd=tmp_path,
                            env=env, capture_output=True, text=True)
    assert origin.stdout.strip().startswith(str(bundle)), "the venv's autograder is the bundle's, not the kit's"


@pytest.mark.slow
def test_gradescope_zip_grades_a_submission(tmp_path):
    archive = write_gradescope_zip("bonus_predictor", tmp_path / "autograder.zip")
    root = tmp_path / "autograder"
    with zipfile.ZipFile(archive) as z:
        names = z.namelist()
        assert {"setup.sh", "run_autograder", "requirements.txt"} <= set(names)
        z.extractall(root / "source")
    subprocess.run(["bash", "-n", str(root / "source" / "setup.sh")], check=True)
    shutil.copy2(root / "source" / "run_autograder", root / "run_autograder")
    (root / "submission").mkdir()
    shutil.copy2(SUBMITTED / "no-zero-grad" / "bonus_predictor" / "bonus_prediction_nn.ipynb", root / "submission")
    env = dict(os.environ, AUTOGRADER_ROOT=str(root), KIT_PYTHON=sys.executable)
    env.pop("KIT_DATA_ROOT", None)
    run = subprocess.run(["bash", str(root / "run_autograder")], env=env, capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stderr[-3000:]
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 16.0
    assert isinstance(results["tests"], list) and len(results["tests"]) == 15
    for test in results["tests"]:
        assert isinstance(test["score"], float) and isinstance(test["max_score"], float)
        assert test["visibility"] in ("visible", "after_published") and isinstance(test["output"], str)
    assert any(t["visibility"] == "after_published" for t in results["tests"])


def test_gradescope_reports_a_missing_notebook(tmp_path):
    archive = write_gradescope_zip("bonus_predictor", tmp_path / "autograder.zip")
    root = tmp_path / "autograder"
    with zipfile.ZipFile(archive) as z:
        z.extractall(root / "source")
    (root / "submission").mkdir()
    (root / "submission" / "answers.txt").write_text("I forgot the notebook")
    run = subprocess.run(["bash", str(root / "source" / "run_autograder")], env=dict(os.environ, AUTOGRADER_ROOT=str(root)),
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0
    results = json.loads((root / "results" / "results.json").read_text())
    assert results["score"] == 0 and "No notebook" in results["output"]
