"""Generated artifacts match what ``source/`` generates today (cell ids and volatile metadata aside).

``./kit run`` (the ``main_job`` fixture) regenerates ``release/``, ``solutions/`` and the
sample class in the working tree; the committed versions were captured by ``conftest``
before any test ran.  Comparing the two needs no second build.
"""

from __future__ import annotations

import pytest

from autograder.course import ASSIGNMENTS, notebooks
from autograder.paths import REPO_ROOT
from autograder.tests.conftest import GENERATED_DIRS, snapshot


@pytest.mark.slow
def test_release_solutions_and_sample_class_have_not_drifted(main_job, committed_notebooks):
    fresh = snapshot()
    assert sorted(fresh) == sorted(committed_notebooks), (
        f"generated files were added or removed under {GENERATED_DIRS}: run ./kit build and commit")
    stale = [name for name in fresh if fresh[name] != committed_notebooks[name]]
    assert not stale, f"these generated notebooks differ from what source/ generates: {stale}. Run ./kit build and commit."


def test_solutions_are_executed_with_figures(assignment):
    nb = notebooks.read(REPO_ROOT / "solutions" / assignment / ASSIGNMENTS[assignment])
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"], "the solutions notebook has errors"
    assert any("image/png" in o.get("data", {}) for o in outputs), "the solutions notebook has no figure"
