"""Running the real ``nbgrader`` commands in a course folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from autograder.paths import REPO_ROOT

BIN = Path(sys.executable).parent


class NbgraderError(RuntimeError):
    """An nbgrader command failed; the message holds the command and its log."""


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for nbgrader: the venv's ``bin`` first on PATH (nbgrader shells
    out to ``alembic``) and the kit importable."""
    env = dict(os.environ)
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    env.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
    env.update(extra or {})
    return env


def nbgrader(course: Path, *args: str, check: bool = True, timeout: float | None = None,
             env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``nbgrader ARGS`` in ``course``; raise :class:`NbgraderError` on failure when ``check``."""
    command = [sys.executable, "-m", "nbgrader", *args]
    result = subprocess.run(command, cwd=course, env=environment(env), capture_output=True, text=True,
                            timeout=timeout, stdin=subprocess.DEVNULL)
    if check and result.returncode != 0:
        log = result.stderr
        first = log.find("Traceback")
        detail = log[first:first + 6000] + "\n...\n" if first >= 0 else ""
        raise NbgraderError(
            f"`nbgrader {' '.join(args)}` failed in {course} (exit {result.returncode}).\n"
            f"{result.stdout[-3000:]}{detail}{log[-5000:]}"
        )
    return result


def make_course(target: Path, repo: Path = REPO_ROOT, with_release: bool = True) -> Path:
    """A fresh course folder at ``target``: the config, ``source/``, ``data/`` (linked) and,
    when ``with_release``, the committed ``release/``."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    shutil.copy2(repo / "nbgrader_config.py", target / "nbgrader_config.py")
    shutil.copytree(repo / "source", target / "source", ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    if with_release and (repo / "release").is_dir():
        shutil.copytree(repo / "release", target / "release")
    (target / "data").symlink_to((repo / "data").resolve(), target_is_directory=True)
    return target
