"""Generated artifacts match what ``source/`` generates today (cell ids and volatile metadata aside)."""

from __future__ import annotations

from autograder.course import ASSIGNMENTS, notebooks
from autograder.course.build import build


def test_release_solutions_and_sample_class_have_not_drifted(tmp_path, committed_notebooks):
    out = build(out=tmp_path)
    fresh = {}
    for folder in ("release", "solutions", "sample_class/submitted"):
        for path in sorted((out / folder).rglob("*.ipynb")):
            fresh[str(path.relative_to(out))] = notebooks.fingerprint(notebooks.read(path))
    assert sorted(fresh) == sorted(committed_notebooks), "generated files were added or removed: run ./kit build"
    stale = [name for name in fresh if fresh[name] != committed_notebooks[name]]
    assert not stale, f"these generated notebooks differ from source/: {stale}. Run ./kit build and commit."


def test_solutions_are_executed_with_figures(assignment):
    from autograder.paths import REPO_ROOT

    nb = notebooks.read(REPO_ROOT / "solutions" / assignment / ASSIGNMENTS[assignment])
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"], "the solutions notebook has errors"
    assert any("image/png" in o.get("data", {}) for o in outputs), "the solutions notebook has no figure"
