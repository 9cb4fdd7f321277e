"""What students receive, and what Gradescope runs: two packagings of the kit.

:func:`write_student_bundle` writes the release notebooks, the bonus data and
the data command, the public checks and the self-check grader, a minimal
``pyproject.toml``/``requirements.txt`` and a student README.  It holds no
solutions, no hidden checks, no ``source/``.

:func:`write_gradescope_zip` writes Gradescope's autograder zip for one
assignment: ``setup.sh``, ``run_autograder`` and the kit's grader *with* the
hidden checks and the source notebook (Gradescope's container is the
instructor's side).
"""

from __future__ import annotations

import shutil
import stat
import zipfile
from pathlib import Path

from autograder import PUBLIC_MODULES
from autograder.course import ASSIGNMENTS
from autograder.paths import REPO_ROOT

PUBLIC_PACKAGE = ["__init__.py", *(m if (REPO_ROOT / "autograder" / m).is_dir() else f"{m}.py" for m in PUBLIC_MODULES)]
REQUIREMENTS = [
    "torch>=2.2", "torchvision>=0.17", "numpy>=1.26", "pandas>=2.1", "scikit-learn>=1.3", "matplotlib>=3.8",
    "seaborn>=0.13", "tqdm>=4.66", "pillow>=10", "jupyterlab>=4.0,<5", "notebook>=7.0,<8", "ipykernel>=6.25",
    "ipywidgets>=8.1", "nbformat>=5.9", "nbclient>=0.10", "nbconvert>=7.10", "nbgrader>=0.9.6,<0.10", "pytest>=8",
]
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")

STUDENT_README = """# PyTorch Foundations: your exercises

This folder holds the course's exercise notebooks (`release/`), the data they
use (`data/`), and the checks you can run yourself (`autograder/`).

## Set up once

```bash
python3 -m venv .venv
.venv/bin/pip install -e .          # PyTorch and Jupyter: a few GB, a few minutes
source .venv/bin/activate
python -m autograder.data           # MNIST and FashionMNIST into data/ (needs internet once)
```

## Work on an exercise

1. `jupyter lab release/bonus_predictor/bonus_prediction_nn.ipynb` (or any other notebook in `release/`).
2. Fill in every cell that says `# YOUR CODE HERE`; keep each function's name, signature and
   docstring. Answer the written question where it says *YOUR ANSWER HERE*.
3. Run everything: *Kernel > Restart Kernel and Run All Cells*. Each test cell prints a line
   when its check passes, or says what it expected and what it found.

## Check yourself

```bash
python -m autograder.grader release/bonus_predictor/bonus_prediction_nn.ipynb
```

runs your notebook in a fresh kernel, exactly as the grader will, and prints a table: each
visible check, your points, and what went wrong. It never changes your notebook. nbgrader's
**Validate** button in JupyterLab does the same check in the notebook. Hidden tests run only
when you are graded, on inputs you have not seen: make your code work for any input.

## Submit

As your course says: nbgrader's *Assignments* tab, or the `.ipynb` file itself.
"""

STUDENT_CONFIG = '''"""nbgrader settings for students (the Validate button): the course's timeouts and warning filter."""
from autograder import settings

c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "pytorch-foundations"
c.Execute.timeout = settings.CELL_TIMEOUT
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = settings.WARNINGS_ONLY
'''


def _pyproject(name: str) -> str:
    deps = "".join(f'    "{r}",\n' for r in REQUIREMENTS)
    return (f'[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
            f'[project]\nname = "{name}"\nversion = "0.1.0"\nrequires-python = ">=3.11"\ndependencies = [\n{deps}]\n\n'
            f'[tool.setuptools.packages.find]\ninclude = ["autograder*"]\n')


def _copy_package(dest: Path, parts: list[str] | None) -> None:
    src = REPO_ROOT / "autograder"
    if parts is None:
        shutil.copytree(src, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "tests"))
        return
    dest.mkdir(parents=True)
    for part in parts:
        if (src / part).is_dir():
            shutil.copytree(src / part, dest / part, ignore=IGNORE)
        else:
            shutil.copy2(src / part, dest / part)


def write_student_bundle(out: Path) -> Path:
    """The student bundle at ``out`` (replaced if present)."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for assignment in ASSIGNMENTS:
        shutil.copytree(REPO_ROOT / "release" / assignment, out / "release" / assignment, ignore=IGNORE)
    (out / "data").mkdir()
    shutil.copy2(REPO_ROOT / "data" / "bonus.csv", out / "data" / "bonus.csv")
    _copy_package(out / "autograder", PUBLIC_PACKAGE)
    (out / "requirements.txt").write_text("\n".join(REQUIREMENTS) + "\n")
    (out / "pyproject.toml").write_text(_pyproject("pytorch-course-exercises"))
    (out / "nbgrader_config.py").write_text(STUDENT_CONFIG)
    (out / "README.md").write_text(STUDENT_README)
    return out


SETUP_SH = """#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder image.
set -euo pipefail
cd /autograder/source
pip3 install -r requirements.txt
pip3 install -e .
python3 -m autograder.data || echo "setup: datasets not fetched now; the notebook's first run will download them"
"""

RUN_AUTOGRADER = """#!/usr/bin/env bash
# Gradescope runs this for each submission. AUTOGRADER_ROOT (default /autograder) lets it
# run anywhere: $ROOT/submission/ holds the student's files, $ROOT/results/results.json the grades.
set -uo pipefail
ROOT="${{AUTOGRADER_ROOT:-/autograder}}"
SOURCE="$ROOT/source"
export PYTHONPATH="$SOURCE${{PYTHONPATH:+:$PYTHONPATH}}"
PYTHON="${{KIT_PYTHON:-python3}}"
mkdir -p "$ROOT/results"
notebook="$(find "$ROOT/submission" -name '*.ipynb' -not -path '*/.ipynb_checkpoints/*' | head -n 1)"
if [ -z "$notebook" ]; then
    printf '{{"score": 0, "output": "No notebook (.ipynb) was found in your submission: upload %s.", "tests": []}}\\n' \\
        "{notebook}" > "$ROOT/results/results.json"
    exit 0
fi
cd "$SOURCE"
"$PYTHON" -m autograder.grader "$notebook" --assignment {assignment} --results-json "$ROOT/results/results.json" || true
"""


def write_gradescope_zip(assignment: str, out: Path) -> Path:
    """Gradescope's autograder zip for ``assignment`` at ``out``."""
    notebook = ASSIGNMENTS[assignment]
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        def add(path: Path, name: str) -> None:
            if "__pycache__" not in path.parts and path.suffix != ".pyc":
                archive.write(path, name)

        for folder in ("source", "release"):
            for path in sorted((REPO_ROOT / folder / assignment).rglob("*")):
                if path.is_file():
                    add(path, str(path.relative_to(REPO_ROOT)))
        for path in sorted((REPO_ROOT / "autograder").rglob("*")):
            if path.is_file() and "tests" not in path.relative_to(REPO_ROOT / "autograder").parts:
                add(path, str(path.relative_to(REPO_ROOT)))
        archive.write(REPO_ROOT / "data" / "bonus.csv", "data/bonus.csv")
        archive.writestr("requirements.txt", "\n".join(REQUIREMENTS) + "\n")
        archive.writestr("pyproject.toml", _pyproject("pytorch-course-autograder"))
        for name, text in (("setup.sh", SETUP_SH),
                           ("run_autograder", RUN_AUTOGRADER.format(assignment=assignment, notebook=notebook))):
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFREG | 0o755) << 16
            archive.writestr(info, text)
    return out
