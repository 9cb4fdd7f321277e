"""The tamper screen finds what reaches into the grader, and nothing in honest notebooks (fast: no kernel).

The end-to-end refusals, through real ``nbgrader autograde``, are in ``test_safety.py``.
"""

from __future__ import annotations

import nbformat
import pytest

from autograder.grader.tamper import report, screen
from autograder.paths import REPO_ROOT

SUBMITTED = sorted((REPO_ROOT / "sample_class" / "submitted").glob("*/*/*.ipynb"))

ATTACKS = {
    "get_ipython().input_transformers_cleanup.append(lambda lines: [])": "input_transformers_cleanup",
    "check.fits_least_squares = lambda *a, **k: None": "replaces check.fits_least_squares",
    "import torch as t\nt.allclose = lambda *a, **k: True": "replaces t.allclose",
    "import builtins\nbuiltins.isinstance = lambda *a: True": "imports builtins",
    "AssertionError = Warning": "rebinds AssertionError",
    "import sys\nsys.excepthook = print": "sys.excepthook",
    "import sys as s\ns.modules['autograder.hidden.bonus_predictor'] = None": "sys.modules",
    "from sys import modules": "imports sys.modules",
    "class Liar:\n    def __eq__(self, other):\n        return True": "defines __eq__",
    "import torch\nclass T(torch.Tensor):\n    pass": "subclasses torch.Tensor",
    "def train_model(m, X, y):\n    import autograder.asserts as a\n    a.expect_close = None": "imports autograder.asserts",
    "def f():\n    global check\n    check = None": "rebinds the global check",
    "setattr(check, 'mse', print)": "uses setattr",
    "eval('1 + 1')": "uses eval",
    "f = lambda: None\nf.__code__ = (lambda: 1).__code__": "uses .__code__",
}

HONEST = """
import torch
from torch import nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 1)
        for module in self.modules():
            pass

    def forward(self, x):
        return F.relu(self.linear(x))


model = torch.compile(Net()).eval()
model.train()
LEARNING_RATE = 0.1
sizes = [max(a, 1) for a in (1, 2)]
"""


def _notebook(code: str) -> nbformat.NotebookNode:
    setup = nbformat.v4.new_code_cell("from autograder.checks import bonus_predictor as check\nimport torch")
    setup.metadata["nbgrader"] = {"grade": False, "grade_id": "setup", "locked": True, "solution": False}
    return nbformat.v4.new_notebook(cells=[setup, nbformat.v4.new_code_cell(code)])


@pytest.mark.parametrize("code", ATTACKS)
def test_each_attack_is_found_and_named(code):
    findings = screen(_notebook(code))
    assert findings and ATTACKS[code] in report(findings), [str(f) for f in findings]
    assert all(f.cell == 2 for f in findings)


def test_honest_code_in_other_styles_is_not_flagged():
    assert screen(_notebook(HONEST)) == []


@pytest.mark.parametrize("path", SUBMITTED, ids=lambda p: f"{p.parts[-3]}/{p.parts[-2]}")
def test_no_sample_submission_is_flagged(path):
    assert screen(nbformat.read(str(path), as_version=4)) == []


def test_a_source_kept_as_a_list_of_lines_is_read_too():
    nb = _notebook("")
    nb.cells[1].source = ["import builtins\n", "builtins.print = None\n"]  # as nbformat.from_dict leaves it
    assert "imports builtins" in report(screen(nb))


def test_locked_cells_are_not_screened():
    nb = _notebook("LEARNING_RATE = 0.1")
    nb.cells[0].source += "\nget_ipython()"  # restored from the gradebook at autograde anyway
    assert screen(nb) == []
