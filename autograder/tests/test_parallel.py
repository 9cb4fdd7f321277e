"""Parallel grading: the same gradebook as serial ``nbgrader autograde``, on the local cores,
in a PostgreSQL gradebook and on a Dask cluster; killed graders, a lost scheduler and timeouts
are reported, and a re-run completes the class.

The bonus predictor class (8 submissions, a few seconds each) is graded serially once per
session (``serial_bonus``); the main job (``./kit run``) grades the whole sample class with the
parallel grader, and the other tests grade the bonus class or part of it again in other ways.
The PostgreSQL server and the Dask scheduler and workers are real processes started here.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import nbformat
import pytest

from autograder.course import parallel
from autograder.course.grading import grade_class
from autograder.course.nbgrader_cli import BIN, environment, make_course, nbgrader
from autograder.paths import REPO_ROOT

SUBMITTED = REPO_ROOT / "sample_class" / "submitted"
ASSIGNMENT = "bonus_predictor"
NOTEBOOK = "bonus_prediction_nn.ipynb"


def sqlite(course: Path) -> str:
    return f"sqlite:///{course / 'gradebook.db'}"


def class_course(folder: Path, students: list[str] | None = None) -> Path:
    """A fresh course holding the sample class's bonus predictor submissions (or some of them)."""
    course = make_course(folder)
    for submission in sorted(SUBMITTED.glob(f"*/{ASSIGNMENT}")):
        if students is None or submission.parent.name in students:
            shutil.copytree(submission, course / "submitted" / submission.parent.name / ASSIGNMENT)
    return course


def contents(db_url: str, students: list[str] | None = None) -> dict:
    found = parallel.gradebook_contents(db_url, [ASSIGNMENT])
    return {k: v for k, v in found.items() if students is None or k[1] in students}


def sources(course: Path, student: str) -> list[tuple[str, str]]:
    nb = nbformat.read(str(course / "autograded" / student / ASSIGNMENT / NOTEBOOK), as_version=4)
    return [(c.cell_type, c.source) for c in nb.cells]


class Kit:
    """``kit autograde ARGS`` running in the background; its output goes to a file."""

    def __init__(self, *args: str, env: dict | None = None):
        self.log = tempfile.TemporaryFile("w+")
        self.process = subprocess.Popen([sys.executable, "-m", "autograder.cli", "autograde", *args, "--no-progress"],
                                        cwd=REPO_ROOT, env=environment(env), stdout=self.log, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL)
        self.pid = self.process.pid

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()

    def wait(self, timeout: float = 600) -> tuple[int, str]:
        self.process.wait(timeout=timeout)
        return self.process.returncode, self.output()


def kit(*args: str, env: dict | None = None) -> tuple[int, str]:
    return Kit(*args, env=env).wait()


@pytest.fixture(scope="session")
def serial_bonus(tmp_path_factory) -> Path:
    """The bonus predictor class graded by plain serial ``nbgrader autograde``."""
    course = make_course(tmp_path_factory.mktemp("serial") / "course")
    grade_class(course, SUBMITTED, [ASSIGNMENT], serial=True, log=lambda *a: None)
    return course


# --- processes: what this test started, found by parent id -------------------------------------------

def children() -> dict[int, list[tuple[int, str]]]:
    """parent pid -> [(pid, command line)] for every process."""
    found: dict[int, list[tuple[int, str]]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue
        found.setdefault(ppid, []).append((int(stat.parent.name), cmdline))
    return found


def descendants(root: int) -> list[tuple[int, int, str]]:
    """(pid, parent pid, command line) of every process below ``root``."""
    tree, out, todo = children(), [], [root]
    while todo:
        parent = todo.pop()
        for pid, cmdline in tree.get(parent, []):
            out.append((pid, parent, cmdline))
            todo.append(pid)
    return out


def wait_for_grading(root: int, match: str = "", seen: set[int] = frozenset(), timeout: float = 600,
                     coordinator: Kit | None = None) -> tuple[int, int]:
    """Wait until an ``nbgrader autograde`` below ``root`` (whose command line holds ``match``, and not in
    ``seen``) has run for 4 seconds (its kernel is working); return (its pid, its parent's pid)."""
    deadline, first = time.monotonic() + timeout, {}
    while time.monotonic() < deadline:
        if coordinator is not None and coordinator.process.poll() is not None:
            raise AssertionError(f"kit autograde ended before grading:\n{coordinator.output()}")
        for pid, parent, cmdline in descendants(root):
            if "nbgrader autograde" in cmdline and match in cmdline and pid not in seen:
                first.setdefault(pid, time.monotonic())
                if time.monotonic() - first[pid] > 4:
                    return pid, parent
        time.sleep(0.2)
    raise AssertionError(f"no nbgrader autograde {match} started under process {root} in {timeout} s")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- one machine ---------------------------------------------------------------------------------------

@pytest.mark.slow
def test_the_parallel_main_job_leaves_the_gradebook_of_serial_autograde(main_job, serial_bonus):
    state = json.loads((main_job.course / parallel.STATE_FILE).read_text())
    graded = {key for keys in state.values() for key in keys}
    students = sorted(p.parent.name for p in SUBMITTED.glob(f"*/{ASSIGNMENT}"))
    assert {f"{ASSIGNMENT}/{s}" for s in students} <= graded, "the main job did not use the parallel grader"
    mine, theirs = contents(main_job.db_url), contents(sqlite(serial_bonus))
    assert sorted(theirs) == [(ASSIGNMENT, s) for s in students]
    for key in theirs:
        assert mine[key] == theirs[key], f"{key}: parallel {mine[key]}\nserial {theirs[key]}"
    for student in students:
        ours, serial = (course / "autograded" / student / ASSIGNMENT for course in (main_job.course, serial_bonus))
        assert sorted(p.name for p in ours.rglob("*")) == sorted(p.name for p in serial.rglob("*"))
        assert sources(main_job.course, student) == sources(serial_bonus, student)


@pytest.mark.slow
def test_killed_graders_and_timeouts_are_reported_and_a_rerun_completes_the_class(tmp_path, serial_bonus):
    students = ["blank", "correct", "flat-target"]
    course = class_course(tmp_path / "course", students)
    run = Kit(ASSIGNMENT, "--course", str(course), "--workers", "2", "--retries", "1")
    first = wait_for_grading(run.pid, "--student correct", coordinator=run)[0]
    os.kill(first, signal.SIGKILL)
    second = wait_for_grading(run.pid, "--student correct", seen={first}, coordinator=run)[0]  # the retry
    os.kill(second, signal.SIGKILL)
    code, output = run.wait()
    assert code == 1, output
    assert "retried: correct (bonus_predictor): the grading process was killed by signal 9" in output
    assert "correct          bonus_predictor    the grading process was killed by signal 9" in output
    assert "2 graded, 0 up to date, 1 failed" in output
    assert sorted(contents(sqlite(course))) == [(ASSIGNMENT, "blank"), (ASSIGNMENT, "flat-target")]

    changed = course / "submitted" / "flat-target" / ASSIGNMENT / NOTEBOOK
    nb = nbformat.read(str(changed), as_version=4)
    nb.metadata["resubmitted"] = True
    nbformat.write(nb, str(changed))
    code, output = kit(ASSIGNMENT, "--course", str(course), "--workers", "2")
    assert code == 0, output
    assert "2 graded, 1 up to date, 0 failed" in output, "only the failed and the changed submissions"
    assert contents(sqlite(course)) == contents(sqlite(serial_bonus), students)

    code, output = kit(ASSIGNMENT, "--course", str(course), "--student", "blank", "--force", "--task-timeout", "2")
    assert code == 1 and "timed out: grading ran past 2 s" in output, output
    assert contents(sqlite(course)) == contents(sqlite(serial_bonus), students), "nothing graded is lost"
    assert sources(course, "blank") == sources(serial_bonus, "blank")


def test_the_thread_count_reaches_the_sandboxed_kernel(tmp_path, monkeypatch):
    from nbclient import NotebookClient

    from autograder.grader.sandbox import SandboxedKernelManager

    for name, value in parallel.thread_environment(1).items():
        monkeypatch.setenv(name, value)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import os, torch\nprint(os.environ['OMP_NUM_THREADS'], os.environ['MKL_NUM_THREADS'], torch.get_num_threads())")])
    NotebookClient(nb, kernel_name="python3", kernel_manager_class=SandboxedKernelManager, timeout=120,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert nb.cells[0].outputs[0]["text"].split() == ["1", "1", "1"]
    assert parallel.thread_environment(0)["OMP_NUM_THREADS"] == "1"


def test_a_worker_with_other_checks_refuses_the_task():
    task = parallel.Task(ASSIGNMENT, "someone", submission={}, course={}, fingerprint="", kit="other checks")
    result = parallel.grade_task(task)
    assert not result.ok and "install the same kit version on every worker" in result.reason


def test_a_folder_that_is_no_course_is_refused_clearly(tmp_path):
    code, output = kit("--course", str(tmp_path))
    assert code == 2 and "is not a course folder" in output and "--course DIR" in output


# --- PostgreSQL ----------------------------------------------------------------------------------------

def postgres_bin() -> Path | None:
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / "initdb").exists():
            return folder
    found = shutil.which("initdb")
    return Path(found).parent if found else None


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server in a temporary folder, as an unprivileged user; yields its URL."""
    bin_dir = postgres_bin()
    if bin_dir is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) here: apt-get install postgresql")
    folder = Path(tempfile.mkdtemp(prefix="kit-postgres-"))
    as_user: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            user = pwd.getpwnam("nobody")
        os.chown(folder, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", user.pw_name, "--"]
    port, data = free_port(), folder / "data"

    def pg(*args: str) -> None:
        subprocess.run(as_user + list(args), check=True, capture_output=True, text=True, timeout=120)

    pg(str(bin_dir / "initdb"), "-D", str(data), "-U", "kit", "--auth=trust", "-E", "UTF8")
    pg(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(folder / "server.log"), "-w", "-o",
       f"-p {port} -k {folder} -c listen_addresses=127.0.0.1", "start")
    try:
        pg(str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "kit", "gradebook")
        yield f"postgresql://kit@127.0.0.1:{port}/gradebook"
    finally:
        pg(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


# --- Dask ----------------------------------------------------------------------------------------------

class Cluster:
    """A real ``dask scheduler`` and ``dask worker`` processes on localhost."""

    def __init__(self, folder: Path, workers: int):
        self.address = f"tcp://127.0.0.1:{free_port()}"
        folder.mkdir(parents=True, exist_ok=True)
        self.log = (folder / "dask.log").open("w")
        start = dict(cwd=folder, env=environment(), stdout=self.log, stderr=subprocess.STDOUT,
                     stdin=subprocess.DEVNULL)
        self.scheduler = subprocess.Popen([str(BIN / "dask"), "scheduler", "--host", "127.0.0.1", "--port",
                                           self.address.rsplit(":", 1)[1], "--no-dashboard"], **start)
        self.workers = [subprocess.Popen([str(BIN / "dask"), "worker", self.address, "--nthreads", "1",
                                          "--no-dashboard", "--name", f"grader-{i}"], **start) for i in range(workers)]
        from distributed import Client

        with Client(self.address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=120)

    def close(self) -> None:
        for process in [*self.workers, self.scheduler]:
            if process.poll() is None:
                process.terminate()
        for process in [*self.workers, self.scheduler]:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.log.close()


@pytest.fixture
def cluster(tmp_path):
    pytest.importorskip("distributed")
    made = []

    def start(workers: int = 2) -> Cluster:
        made.append(Cluster(tmp_path / f"dask-{len(made)}", workers))
        return made[-1]

    yield start
    for c in made:
        c.close()


@pytest.mark.slow
def test_a_dask_cluster_grades_into_postgresql_like_serial_autograde(tmp_path, postgres, cluster, serial_bonus):
    dask = cluster(2)
    course = class_course(tmp_path / "course")
    killed = []

    def kill_a_worker_mid_task():  # the worker process running a grading task (its nanny restarts it)
        pid, worker = wait_for_grading(dask.workers[0].pid, timeout=300)
        os.kill(worker, signal.SIGKILL)
        killed.append((pid, worker))

    killer = threading.Thread(target=kill_a_worker_mid_task, daemon=True)
    killer.start()
    summary = parallel.autograde(course, [ASSIGNMENT], db_url=postgres, scheduler=dask.address, progress=False)
    killer.join(timeout=5)
    assert killed, "no worker was killed while grading"
    assert not summary.failed and len(summary.graded) == 8, summary.table()
    assert len({r.worker for r in summary.graded}) >= 2, "the tasks ran on several workers"
    assert contents(postgres) == contents(sqlite(serial_bonus))
    for result in summary.graded:
        assert sources(course, result.student) == sources(serial_bonus, result.student)
    assert not (course / "gradebook.db").exists() or not contents(sqlite(course)), "only PostgreSQL was written"

    again = parallel.autograde(course, [ASSIGNMENT], db_url=postgres, scheduler=dask.address, progress=False)
    assert len(again.skipped) == 8 and not again.graded, "a re-run grades nothing that is up to date"
    # the instructor's own nbgrader commands work on the server gradebook
    nbgrader(course, "export", f"--CourseDirectory.db_url={postgres}", "--to", str(tmp_path / "grades.csv"),
             env={"KIT_DB_URL": postgres})
    rows = (tmp_path / "grades.csv").read_text().splitlines()
    assert len(rows) == 1 + 8 and rows[0].startswith("assignment,duedate,timestamp,student_id")


@pytest.mark.slow
def test_a_lost_scheduler_is_reported_and_a_rerun_completes_the_class(tmp_path, cluster, serial_bonus):
    dask = cluster(1)
    students = ["blank", "correct"]
    course = class_course(tmp_path / "course", students)
    run = Kit(ASSIGNMENT, "--course", str(course), "--scheduler", dask.address)
    wait_for_grading(dask.workers[0].pid, coordinator=run)
    dask.scheduler.kill()
    code, output = run.wait()
    assert code == 1, output
    assert f"lost: the connection to the Dask scheduler {dask.address} was lost" in output
    assert "re-run the same command" in output
    code, output = kit(ASSIGNMENT, "--course", str(course), "--workers", "2")  # on this machine this time
    assert code == 0 and "2 graded, 0 up to date, 0 failed" in output, output
    assert contents(sqlite(course)) == contents(sqlite(serial_bonus), students)


def test_an_unreachable_scheduler_is_refused_clearly(tmp_path):
    pytest.importorskip("distributed")
    course = class_course(tmp_path / "course", ["blank"])
    code, output = kit(ASSIGNMENT, "--course", str(course), "--scheduler", f"tcp://127.0.0.1:{free_port()}",
                       env={"KIT_DASK_CONNECT_TIMEOUT": "3"})
    assert code == 2 and "Could not reach a Dask scheduler" in output and "dask worker" in output, output
