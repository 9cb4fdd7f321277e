"""``./kit lab``: the JupyterLab set-ups, as Jupyter itself reads them (no server; test_browser.py runs one)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys

import pytest

from autograder.course import lab
from autograder.paths import REPO_ROOT


def jupyter(setup: lab.LabSetup, *args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "jupyter", *args], env=setup.env, cwd=setup.root,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout + result.stderr


def lab_extensions(setup: lab.LabSetup) -> set[str]:
    """The nbgrader lab extensions that ``jupyter labextension list`` reports disabled."""
    text = jupyter(setup, "labextension", "list")
    return set(re.findall(r"@jupyter/nbgrader:([\w-]+)", text.split("Disabled extensions:")[-1]))


@pytest.fixture
def release_copy(tmp_path):
    folder = tmp_path / "mine"
    shutil.copytree(REPO_ROOT / "release", folder / "release")
    return folder


def test_student_lab_has_validate_but_no_instructor_tools(release_copy, tmp_path):
    setup = lab.prepare("student", release_copy, config_dir=tmp_path / "jupyter")
    assert setup.root == release_copy.resolve()
    assert lab_extensions(setup) == {"formgrader", "create-assignment", "course-list"}
    # The server extensions (formgrader answering 404, Validate answering) are checked on a running server
    # in test_browser.py; here the file that switches them, which has the highest precedence.
    servers = json.loads((tmp_path / "jupyter" / "jupyter_server_config.json").read_text())
    assert servers["ServerApp"]["jpserver_extensions"] == {
        "nbgrader.server_extensions.formgrader": False, "nbgrader.server_extensions.course_list": False,
        "nbgrader.server_extensions.assignment_list": True, "nbgrader.server_extensions.validate_assignment": True}
    assert (tmp_path / "jupyter" / "nbgrader_config.py").is_file()  # Validate's timeouts, outside the root


def test_instructor_lab_has_every_nbgrader_tool(tmp_path):
    setup = lab.prepare("instructor", None, config_dir=tmp_path / "jupyter")
    assert setup.root == REPO_ROOT
    assert lab_extensions(setup) == set()
    argv = lab.command(setup, port=8899, open_browser=False)
    assert f"--ServerApp.root_dir={REPO_ROOT}" in argv and "--port=8899" in argv and "--no-browser" in argv


@pytest.mark.parametrize("folder", [".", "source", "solutions"])
def test_student_lab_refuses_folders_with_instructor_files(folder, tmp_path):
    target = REPO_ROOT / folder if folder != "." else REPO_ROOT
    with pytest.raises(lab.LabError, match="students must not see"):
        lab.prepare("student", target, config_dir=tmp_path / "jupyter")


def test_student_lab_refuses_a_gradebook_anywhere(release_copy, tmp_path):
    (release_copy / "release" / "bonus_predictor" / "gradebook.db").write_text("")
    with pytest.raises(lab.LabError, match="gradebook.db"):
        lab.prepare("student", release_copy, config_dir=tmp_path / "jupyter")


def test_instructor_lab_needs_a_course(tmp_path):
    with pytest.raises(lab.LabError, match="no nbgrader_config.py"):
        lab.prepare("instructor", tmp_path, config_dir=tmp_path / "jupyter")


def test_kit_lab_says_what_to_do_on_bad_input(tmp_path):
    result = subprocess.run([sys.executable, "-m", "autograder.cli", "lab", "student", str(REPO_ROOT)],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "./kit lab student" in result.stderr


def test_student_lab_on_the_bundle_runs_the_bundles_checks(tmp_path):
    from autograder.course.bundle import write_student_bundle

    bundle = write_student_bundle(tmp_path / "bundle")
    setup = lab.prepare("student", bundle, config_dir=tmp_path / "jupyter")
    assert not (tmp_path / "jupyter" / "nbgrader_config.py").exists()  # the bundle's own config serves Validate
    probe = "import autograder.checks.bonus_predictor as c; print(c.__file__)"
    result = subprocess.run([sys.executable, "-c", probe], env=setup.env, cwd=bundle / "release", capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().startswith(str(bundle)), result.stdout
