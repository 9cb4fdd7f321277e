"""JupyterLab for the course, set up for who opens it (``./kit lab instructor|student``).

* **instructor**: the course root (this repository, or ``--course DIR`` such as
  ``build/sample-course``) with every nbgrader extension on: *Formgrader*
  (manage assignments, grade by hand, feedback), *Create Assignment* (the cell
  toolbar that marks answer and test cells), *Validate*, and the assignment and
  course lists.
* **student**: the student bundle (``./kit bundle``, built when missing) or a
  folder of release notebooks, with *Validate* and the *Assignments* list only.
  The server's root is that folder, so ``source/``, ``solutions/``, the gradebook
  and the hidden checks are not in its file browser; a folder that holds any of
  them is refused.

Each mode has its own Jupyter configuration folder under ``build/jupyter/<mode>/``
(``JUPYTER_CONFIG_DIR``, with lab settings, workspaces and runtime files inside it),
so the user's own Jupyter configuration is neither read for these switches nor
changed.  :func:`prepare` writes it; :func:`command` is the server's command line;
:func:`start` runs it in the background (the browser tests use it).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from autograder.course.nbgrader_cli import environment
from autograder.grader.cells import HIDDEN_BEGIN
from autograder.paths import REPO_ROOT

MODES = ("instructor", "student")
CONFIG_ROOT = REPO_ROOT / "build" / "jupyter"
DEFAULT_BUNDLE = REPO_ROOT / "build" / "student-bundle"

LAB_EXTENSIONS = ("formgrader", "create-assignment", "course-list", "assignment-list", "validate-assignment")
SERVER_EXTENSIONS = ("formgrader", "course_list", "assignment_list", "validate_assignment")
# What a student's JupyterLab leaves out (lab extension / server extension names).
STUDENT_OFF = {"formgrader", "create-assignment", "course-list", "course_list"}

# What a student's folder must not hold (relative paths; any depth for the last two).
FORBIDDEN = ("source", "solutions", "gradebook.db", "autograded", "feedback", "submitted", "autograder/hidden")


class LabError(ValueError):
    """The lab cannot be opened as asked; the message says what to do."""


@dataclass
class LabSetup:
    mode: str
    root: Path          # the server's root_dir: what its file browser shows
    config_dir: Path    # the private JUPYTER_CONFIG_DIR
    env: dict[str, str] = field(default_factory=dict)

    def enabled(self, extension: str) -> bool:
        return self.mode == "instructor" or extension not in STUDENT_OFF


def student_folder_problems(folder: Path) -> list[str]:
    """What in ``folder`` a student must not see (empty when it is safe to serve): instructor folders and
    gradebooks, the course's own ``source/`` and ``solutions/``, notebooks with solution or hidden regions."""
    folder = folder.resolve()
    found = [name for name in FORBIDDEN if (folder / name).exists()]
    if found:  # a course folder: no need to look further (nor into its .venv)
        return found
    found += sorted(str(p.relative_to(folder)) for p in folder.rglob("gradebook.db") if p != folder / "gradebook.db")
    for secret in ("source", "solutions"):
        if folder.is_relative_to(REPO_ROOT / secret):
            found.append(f"the course's {secret}/")
    for notebook in sorted(folder.rglob("*.ipynb")):
        text = notebook.read_text(errors="replace")
        if "### BEGIN SOLUTION" in text or HIDDEN_BEGIN in text:
            found.append(f"{notebook.relative_to(folder)} (solutions or hidden tests)")
    return found


def _student_root(folder: Path | None) -> Path:
    if folder is None:
        if not (DEFAULT_BUNDLE / "release").is_dir():
            from autograder.course.bundle import write_student_bundle

            print(f"kit lab: building the student bundle in {DEFAULT_BUNDLE} (./kit bundle)")
            write_student_bundle(DEFAULT_BUNDLE)
        return DEFAULT_BUNDLE
    folder = folder.resolve()
    if not folder.is_dir():
        raise LabError(f"kit lab student: {folder} is not a folder. Give the student bundle (./kit bundle writes "
                       f"build/student-bundle) or a folder of release notebooks such as release/, or no folder at all "
                       f"to use (and build if needed) build/student-bundle.")
    problems = student_folder_problems(folder)
    if problems:
        raise LabError(f"kit lab student: {folder} holds {', '.join(problems)}, which students must not see, and the "
                       f"lab's file browser would show everything in it. Serve the student bundle (./kit lab student, "
                       f"which builds build/student-bundle) or release/ (./kit lab student release) instead.")
    if not any(folder.rglob("*.ipynb")):
        raise LabError(f"kit lab student: {folder} holds no notebook. Give the student bundle or release/.")
    return folder


def _instructor_root(course: Path | None) -> Path:
    course = (course or REPO_ROOT).resolve()
    if not (course / "nbgrader_config.py").is_file():
        raise LabError(f"kit lab instructor: {course} is not an nbgrader course (it has no nbgrader_config.py). "
                       f"Give the course folder with --course (this repository, the default, or a graded copy such "
                       f"as build/sample-course, which ./kit run writes).")
    return course


def _write_json(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


def prepare(mode: str, folder: Path | None = None, config_dir: Path | None = None) -> LabSetup:
    """The root folder and a fresh private Jupyter configuration for ``mode``.

    ``folder``: the course root (instructor) or the student folder (student).
    """
    if mode not in MODES:
        raise LabError(f"kit lab: unknown mode {mode!r}; use `kit lab instructor` or `kit lab student`.")
    root = _instructor_root(folder) if mode == "instructor" else _student_root(folder)
    config_dir = (config_dir or CONFIG_ROOT / mode).resolve()
    setup = LabSetup(mode=mode, root=root, config_dir=config_dir)
    # Server extensions: this file has the highest precedence of the config paths.
    _write_json(config_dir / "jupyter_server_config.json", {"ServerApp": {"jpserver_extensions": {
        f"nbgrader.server_extensions.{name}": setup.enabled(name) for name in SERVER_EXTENSIONS}}})
    # Lab (front-end) extensions: what `jupyter labextension disable --level=user` writes. The news
    # prompt goes too: the course may run offline, and the prompt covers the notebook.
    disabled = {f"@jupyter/nbgrader:{name}": True for name in LAB_EXTENSIONS if not setup.enabled(name)}
    _write_json(config_dir / "labconfig" / "page_config.json",
                {"disabledExtensions": {**disabled, "@jupyterlab/apputils-extension:announcements": True}})
    if mode == "student" and not (root / "nbgrader_config.py").exists():
        # The Validate button reads nbgrader_config.py from the server's folder or the config dir.
        from autograder.course.bundle import STUDENT_CONFIG

        (config_dir / "nbgrader_config.py").write_text(STUDENT_CONFIG)
    elif (config_dir / "nbgrader_config.py").exists():
        (config_dir / "nbgrader_config.py").unlink()
    extra = {}
    if mode == "student" and (root / "autograder").is_dir():
        # The bundle's own public package comes first, as on a student's machine: its checks, no hidden ones.
        extra["PYTHONPATH"] = str(root)
    setup.env = environment({
        **extra,
        "JUPYTER_CONFIG_DIR": str(config_dir),
        "JUPYTER_RUNTIME_DIR": str(config_dir / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(config_dir / "lab" / "user-settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(config_dir / "lab" / "workspaces"),
    })
    return setup


def command(setup: LabSetup, port: int | None = None, open_browser: bool = True, token: str | None = None) -> list[str]:
    """The ``jupyter lab`` command line for ``setup`` (run it with ``cwd=setup.root, env=setup.env``)."""
    argv = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={setup.root}",
            # offline-friendly: no update checks, no news feed
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate", "--LabApp.news_url=None"]
    if port is not None:
        argv += [f"--port={port}", "--ServerApp.port_retries=0"]
    if not open_browser:
        argv.append("--no-browser")
    if token is not None:
        argv.append(f"--IdentityProvider.token={token}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        argv.append("--allow-root")
    return argv


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    process: subprocess.Popen
    url: str
    token: str
    log: Path

    def lab_url(self, path: str = "") -> str:
        return f"{self.url}/lab/tree/{path}?token={self.token}" if path else f"{self.url}/lab?token={self.token}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def start(setup: LabSetup, log: Path, token: str, timeout: float = 120) -> Server:
    """Start JupyterLab for ``setup`` on a free localhost port; return once it answers."""
    port = free_port()
    argv = command(setup, port=port, open_browser=False, token=token) + ["--ServerApp.ip=127.0.0.1"]
    log.parent.mkdir(parents=True, exist_ok=True)
    out = log.open("w")
    process = subprocess.Popen(argv, cwd=setup.root, env=setup.env, stdout=out, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
    server = Server(process=process, url=f"http://127.0.0.1:{port}", token=token, log=log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"JupyterLab exited ({process.returncode}) before answering:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{server.url}/api/status?token={token}", timeout=5):
                return server
        except (urllib.error.URLError, ConnectionError, OSError):
            time.sleep(0.5)
    server.stop()
    raise RuntimeError(f"JupyterLab did not answer within {timeout:.0f} s:\n{log.read_text()[-4000:]}")


def main(mode: str, folder: str | None, port: int | None, open_browser: bool) -> int:
    """``./kit lab``: run JupyterLab in the foreground until Ctrl-C."""
    try:
        setup = prepare(mode, Path(folder) if folder else None)
    except LabError as error:
        print(error, file=sys.stderr)
        return 2
    off = sorted({n.replace("_", "-") for n in STUDENT_OFF}) if mode == "student" else []
    print(f"kit lab {mode}: serving {setup.root}\n  Jupyter configuration: {setup.config_dir}"
          + (f"\n  turned off: {', '.join(off)}" if off else "\n  nbgrader: formgrader, create-assignment, validate"))
    try:
        return subprocess.call(command(setup, port=port, open_browser=open_browser), cwd=setup.root, env=setup.env)
    except KeyboardInterrupt:
        return 0
