"""Shared fixtures.

The sample class is graded once per test session, by the README's own main
command (``./kit run``), and every test that needs scores reads that run's
gradebook.  Because ``./kit run`` regenerates ``release/``, ``solutions/`` and
the sample class in the working tree, the committed versions are captured
here, at import time, before any test runs: the drift test compares against
that snapshot.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from autograder.course import ASSIGNMENTS, notebooks
from autograder.paths import REPO_ROOT

GENERATED_DIRS = ("release", "solutions", "sample_class/submitted")


def snapshot() -> dict[str, list]:
    """The fingerprint of every generated notebook in the working tree."""
    found = {}
    for folder in GENERATED_DIRS:
        for path in sorted((REPO_ROOT / folder).rglob("*.ipynb")):
            if ".ipynb_checkpoints" not in path.parts:
                found[str(path.relative_to(REPO_ROOT))] = notebooks.fingerprint(notebooks.read(path))
    return found


COMMITTED = snapshot()

IN_CI = os.environ.get("CI", "").lower() in ("true", "1")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI a skipped test fails: `.ci/run` installs everything the tests need (bubblewrap,
    Chromium, PostgreSQL, the dataset mirror), so a skip there means a missing install step."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = (f"skipped in CI ({reason}); CI must run every test: make .ci/run install "
                           f"what this test needs")


@pytest.fixture(scope="session")
def datasets() -> None:
    """MNIST and FashionMNIST in the data root (from ``KIT_DATA_MIRROR`` or downloaded), for tests that
    read them without running the main job first."""
    from autograder.course import ensure_datasets

    ensure_datasets(list(ASSIGNMENTS), log=lambda *a: None)


@pytest.fixture(scope="session")
def committed_notebooks() -> dict[str, list]:
    return COMMITTED


@dataclass
class MainJob:
    output: str
    course: Path
    report: Path

    @property
    def db_url(self) -> str:
        return f"sqlite:///{self.course / 'gradebook.db'}"


@pytest.fixture(scope="session")
def main_job() -> MainJob:
    """``./kit run``, exactly as the README gives it; its output, graded course and report.

    For development only, ``KIT_REUSE_BUILD=DIR`` reuses an earlier run's folder
    (``DIR/sample-course``, ``DIR/report``) instead of grading again; CI never sets it.
    """
    reuse = os.environ.get("KIT_REUSE_BUILD")
    if reuse:
        folder = Path(reuse).resolve()
        log = folder / "report" / "main-job.log"
        return MainJob(output=log.read_text() if log.exists() else "", course=folder / "sample-course",
                       report=folder / "report")
    result = subprocess.run(["./kit", "run"], cwd=REPO_ROOT, capture_output=True, text=True,
                            timeout=3600, stdin=subprocess.DEVNULL, env=dict(os.environ))
    assert result.returncode == 0, f"./kit run failed ({result.returncode}):\n{result.stdout[-5000:]}\n{result.stderr[-5000:]}"
    build = REPO_ROOT / "build"
    (build / "report").mkdir(parents=True, exist_ok=True)
    (build / "report" / "main-job.log").write_text(result.stdout)
    return MainJob(output=result.stdout, course=build / "sample-course", report=build / "report")


def pytest_generate_tests(metafunc):
    already = any("assignment" in m.args[0] for m in metafunc.definition.iter_markers("parametrize"))
    if "assignment" in metafunc.fixturenames and not already:
        metafunc.parametrize("assignment", list(ASSIGNMENTS))
