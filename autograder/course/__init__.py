"""Instructor tooling (never shipped to students).

* :mod:`.preprocessors` -- nbgrader plug-ins named in ``nbgrader_config.py``;
* :mod:`.notebooks` -- reading notebooks, their grade cells and a semantic fingerprint;
* :mod:`.nbgrader_cli` -- running real ``nbgrader`` commands in a course folder;
* :mod:`.build` -- regenerating ``release/`` and ``solutions/`` from ``source/``;
* :mod:`.sample_class` -- the shipped fake submissions and their expected scores;
* :mod:`.report` -- reading the gradebook, the score table and the grade plot.
"""

from autograder.assignments import DATASETS, present
from autograder.paths import REPO_ROOT

# The contract's assignments that have a source notebook: source/<id>/<notebook>.ipynb.
ASSIGNMENTS = present(REPO_ROOT / "source")


def ensure_datasets(assignments, log=print) -> None:
    """Fetch the datasets these assignments need into the data root (mirror: KIT_DATA_MIRROR)."""
    from autograder import data

    for path in data.prepare(assignments):
        log(f"{path.name} ready in {path}")
