"""Instructor tooling (never shipped to students).

* :mod:`.preprocessors` -- nbgrader plug-ins named in ``nbgrader_config.py``;
* :mod:`.notebooks` -- reading notebooks, their grade cells and a semantic fingerprint;
* :mod:`.nbgrader_cli` -- running real ``nbgrader`` commands in a course folder;
* :mod:`.build` -- regenerating ``release/`` and ``solutions/`` from ``source/``;
* :mod:`.sample_class` -- the shipped fake submissions and their expected scores;
* :mod:`.report` -- reading the gradebook, the score table and the grade plot.
"""

from autograder.assignments import present
from autograder.paths import REPO_ROOT

# The contract's assignments that have a source notebook: source/<id>/<notebook>.ipynb.
ASSIGNMENTS = present(REPO_ROOT / "source")

# The torchvision datasets each assignment's notebook downloads (see autograder.data).
DATASETS = {"digit_classifier": ("MNIST",), "fashion_pipeline": ("FashionMNIST",)}


def ensure_datasets(assignments, log=print) -> None:
    """Fetch the datasets these assignments need into the data root (mirror: KIT_DATA_MIRROR)."""
    from autograder import data
    from autograder.paths import data_root

    for name in sorted({d for a in assignments for d in DATASETS.get(a, ())}):
        path = data.fetch(name, data_root(), mirror=data.default_mirror())
        log(f"{name} ready in {path}")
