"""Grading a whole class in parallel: on the local cores or on a Dask cluster.

nbgrader grades one student after another, and its SQLite gradebook must not be
written by several graders at once.  Here one **task** is one (student,
assignment): it carries, as bytes, the submission's files and the assignment's
files (``nbgrader_config.py``, ``source/<id>/``, the release notebook and a
gradebook that knows the assignment), so a worker needs no shared filesystem.
The worker (:func:`grade_task`) lays them out as a private, throw-away course
with a private SQLite gradebook and runs the real ``nbgrader autograde <id>
--student <s>`` there, with the course's own configuration: the kit's sandbox,
preprocessors and timeouts apply on every worker.  It sends back the autograded
folder and what autograde recorded (scores, comments, late penalty, timestamp).
The coordinator (:func:`autograde`) alone writes the real gradebook (SQLite or
PostgreSQL, through :class:`nbgrader.api.Gradebook`) and copies
``autograded/<student>/<id>/`` into the course, one submission at a time, as the
results arrive: nothing already graded is lost when a run is interrupted.

Resumption: each graded submission is recorded with a fingerprint of its files,
the assignment's files, the configuration and the kit's checks (in
``.kit-autograde.json`` in the course); a re-run grades only what is missing,
changed or failed, unless ``force``.

Backends: ``workers`` threads that each run one ``nbgrader`` process (the default;
the kernels do the work), or Dask distributed (``scheduler="local"`` for a
LocalCluster of worker processes, or a scheduler's address for a cluster).
"""

from __future__ import annotations

import argparse
import ctypes
import dataclasses
import fnmatch
import hashlib
import json
import logging
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.exc import SAWarning

from autograder.course import ASSIGNMENTS, intake
from autograder.course.nbgrader_cli import environment, nbgrader
from autograder.paths import PACKAGE_ROOT, data_root

STATE_FILE = ".kit-autograde.json"
IGNORE = [".ipynb_checkpoints", "*.pyc", "__pycache__", "*.pt", "*.pth", "MNIST", "FashionMNIST", "fashion_images"]
TASK_TIMEOUT = float(os.environ.get("KIT_TASK_TIMEOUT", "3600"))


class GradingError(RuntimeError):
    """The class cannot be graded as asked (the message says what to do)."""


# --- tasks and results ------------------------------------------------------------------------------

@dataclass
class Task:
    """One submission to grade, with everything a worker needs, as bytes."""

    assignment: str
    student: str
    submission: dict[str, bytes]          # files of submitted/<student>/<assignment>/, by relative path
    course: dict[str, bytes]              # nbgrader_config.py, source/<id>/..., release/<id>/..., gradebook.db
    fingerprint: str
    kit: str                              # the coordinator's kit fingerprint; a Dask worker with other checks refuses
    duedate: object = None                # the real gradebook's due date and this student's extension
    extension: object = None
    threads: dict[str, int] = field(default_factory=dict)   # worker address -> kernel threads ("" = default)
    timeout: float = TASK_TIMEOUT
    env: dict[str, str] = field(default_factory=lambda: grading_settings())
    attempt: int = 1

    @property
    def key(self) -> str:
        return f"{self.assignment}/{self.student}"


@dataclass
class Result:
    """What a worker sends back: the autograded folder and what autograde recorded, or why it failed."""

    assignment: str
    student: str
    ok: bool
    reason: str = ""
    retryable: bool = False               # the grading process was killed: another attempt may succeed
    seconds: float = 0.0
    worker: str = ""
    autograded: dict[str, bytes] = field(default_factory=dict)
    timestamp: object = None
    notebooks: dict[str, dict] = field(default_factory=dict)  # name -> {penalty, submitted, grades, comments}


def _ignored(relative: str) -> bool:
    return any(fnmatch.fnmatch(part, pattern) for part in Path(relative).parts for pattern in IGNORE)


def read_tree(folder: Path, everything: bool = False) -> dict[str, bytes]:
    """Every file under ``folder``, by relative path: the course's ignore patterns aside, or (``everything``)
    all of them, as autograde left them (what the notebook wrote included)."""
    if not folder.is_dir():
        return {}
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and (everything or not _ignored(str(p.relative_to(folder))))}


def write_tree(folder: Path, files: dict[str, bytes]) -> None:
    for relative, data in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def digest(*trees: dict[str, bytes]) -> str:
    h = hashlib.sha256()
    for tree in trees:
        for relative in sorted(tree):
            h.update(relative.encode() + b"\0" + hashlib.sha256(tree[relative]).digest())
        h.update(b"\1")
    return h.hexdigest()


def kit_fingerprint() -> str:
    """The kit's grading code that runs inside the kernels: its checks, hidden checks and asserts."""
    trees = [read_tree(PACKAGE_ROOT / "checks"), read_tree(PACKAGE_ROOT / "hidden"),
             {"asserts.py": (PACKAGE_ROOT / "asserts.py").read_bytes()}]
    return digest(*trees)


# --- the worker --------------------------------------------------------------------------------------

_datasets_lock = threading.Lock()
_datasets_ready: set[str] = set()


def _ensure_datasets(assignment: str) -> None:
    """The datasets this assignment's notebook reads, fetched once per worker process."""
    from autograder.course import DATASETS, ensure_datasets

    with _datasets_lock:
        if assignment in DATASETS and assignment not in _datasets_ready:
            ensure_datasets([assignment], log=lambda *a: None)
            _datasets_ready.add(assignment)


def _die_with_parent() -> None:
    """In the child: be killed when the worker that started it dies (Linux), so a killed worker
    leaves no grading process behind."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def grading_settings() -> dict[str, str]:
    """The coordinator's grading settings (cell timeout, sandbox limits), which travel with each task:
    every worker grades with the same ones."""
    return {k: v for k, v in os.environ.items() if k == "KIT_CELL_TIMEOUT" or k.startswith("KIT_SANDBOX")}


def thread_environment(threads: int) -> dict[str, str]:
    """Thread counts for a worker's kernel (torch reads them when it starts): with ``n`` workers
    on ``c`` cores each kernel gets ``max(1, c // n)`` threads, so the cores are not oversubscribed."""
    n = str(max(1, threads))
    return {"OMP_NUM_THREADS": n, "MKL_NUM_THREADS": n, "OPENBLAS_NUM_THREADS": n}


def _worker_address() -> str:
    try:
        from distributed import get_worker

        return get_worker().address
    except (ImportError, ValueError):
        return ""


def _error_lines(log: str) -> str:
    lines = [line.strip() for line in log.splitlines() if "[AutogradeApp | ERROR]" in line or "Error" in line]
    return " | ".join(lines[-4:])[-600:] or log.strip()[-600:]


def grade_task(task: Task, course_files: dict[str, bytes] | None = None) -> Result:
    """Grade one submission in a private course with the real ``nbgrader autograde`` (runs on a worker).
    ``course_files`` replaces ``task.course`` (Dask sends them once per worker, not once per task)."""
    from nbgrader.api import Gradebook

    start = time.perf_counter()
    address = _worker_address()
    result = Result(task.assignment, task.student, ok=False, worker=address or socket.gethostname())
    if task.kit and task.kit != kit_fingerprint():
        result.reason = ("this worker's kit has other checks than the coordinator's: install the same kit "
                         "version on every worker")
        return result
    _ensure_datasets(task.assignment)
    with tempfile.TemporaryDirectory(prefix=f"kit-grade-{task.assignment}-") as tmp:
        course = Path(tmp) / "course"
        write_tree(course, task.course if course_files is None else course_files)
        (course / "data").symlink_to(data_root(), target_is_directory=True)
        write_tree(course / "submitted" / task.student / task.assignment, task.submission)
        db_url = f"sqlite:///{course / 'gradebook.db'}"
        with Gradebook(db_url) as gb:  # the real gradebook's due date and extension: the same late penalty
            gb.update_or_create_assignment(task.assignment, duedate=task.duedate)
            gb.update_or_create_student(task.student)
            if task.extension is not None:
                gb.update_or_create_submission(task.assignment, task.student, extension=task.extension)
        threads = task.threads.get(address) or task.threads.get("")
        env = {**task.env, "KIT_DB_URL": db_url, **(thread_environment(threads) if threads else {})}
        command = [sys.executable, "-m", "nbgrader", "autograde", task.assignment, "--student", task.student,
                   "--force", f"--CourseDirectory.db_url={db_url}"]
        try:
            run = subprocess.run(command, cwd=course, env=environment(env), capture_output=True, text=True,
                                 timeout=task.timeout, stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)
        except subprocess.TimeoutExpired:
            result.reason = f"timed out: grading ran past {task.timeout:g} s (raise --task-timeout)"
            result.seconds = time.perf_counter() - start
            return result
        result.seconds = time.perf_counter() - start
        if run.returncode < 0:
            result.reason = f"the grading process was killed by signal {-run.returncode}"
            result.retryable = True
            return result
        if run.returncode != 0:
            result.reason = f"nbgrader autograde failed (exit {run.returncode}): {_error_lines(run.stderr)}"
            return result
        with Gradebook(db_url) as gb:
            submission = gb.find_submission(task.assignment, task.student)
            result.timestamp = submission.timestamp
            for nb in submission.notebooks:
                submitted = (course / "submitted" / task.student / task.assignment / f"{nb.name}.ipynb").exists()
                result.notebooks[nb.name] = {
                    "penalty": nb.late_submission_penalty, "submitted": submitted,
                    "grades": {g.name: (g.auto_score, g.needs_manual_grade) for g in nb.grades},
                    "comments": {c.name: c.auto_comment for c in nb.comments}}
        result.autograded = read_tree(course / "autograded" / task.student / task.assignment, everything=True)
        result.ok = True
        return result


# --- backends ----------------------------------------------------------------------------------------

class LocalBackend:
    """``workers`` threads, each running one ``nbgrader autograde`` process at a time."""

    def __init__(self, workers: int):
        self.workers = workers
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="kit-grade")
        self.done: queue.Queue = queue.Queue()

    def threads(self) -> dict[str, int]:
        return {"": max(1, (os.cpu_count() or 1) // self.workers)}

    def submit(self, task: Task) -> None:
        future = self.pool.submit(grade_task, task)
        future.add_done_callback(lambda f: self.done.put((task, f)))

    def next(self) -> Result:
        task, future = self.done.get()
        try:
            return future.result()
        except Exception as error:  # noqa: BLE001 -- reported, never lost
            return Result(task.assignment, task.student, ok=False, reason=f"{type(error).__name__}: {error}")

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class DaskBackend:
    """Dask distributed: ``"local"`` starts a LocalCluster of worker processes, anything else is
    the address of a running scheduler (``dask scheduler``; ``dask worker ADDRESS`` on each machine)."""

    def __init__(self, scheduler: str, workers: int,
                 connect_timeout: float = float(os.environ.get("KIT_DASK_CONNECT_TIMEOUT", "30"))):
        try:
            from distributed import Client, LocalCluster, as_completed
        except ImportError as error:
            raise GradingError("Dask is not installed: pip install 'pytorch-course-kit[cluster]' "
                               "(or pip install 'dask[distributed]') on the coordinator and every worker.") from error
        self.cluster, self.address = None, scheduler
        # a lost scheduler is reported per submission in the summary, not as the client's tracebacks
        logging.getLogger("distributed.client").setLevel(logging.CRITICAL)
        try:
            if scheduler == "local":
                self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                            dashboard_address=None)
                self.client = Client(self.cluster)
            else:
                self.client = Client(scheduler, timeout=connect_timeout)
        except (OSError, TimeoutError) as error:
            raise GradingError(
                f"Could not reach a Dask scheduler at {scheduler} ({error}). Start one with `dask scheduler` "
                f"and workers with `dask worker {scheduler} --nthreads 1` on each grading machine (with the kit "
                f"installed), or grade on this machine with --workers N (no --scheduler).") from error
        self.as_completed = as_completed()
        self.tasks: dict[str, Task] = {}
        self.scattered: dict[str, object] = {}

    def threads(self) -> dict[str, int]:
        """Per worker: the cores of its machine shared by all worker threads on that machine."""
        info = self.client.scheduler_info(n_workers=-1)["workers"]
        cores = self.client.run(os.cpu_count)
        per_host: dict[str, int] = {}
        for w in info.values():
            per_host[w["host"]] = per_host.get(w["host"], 0) + w["nthreads"]
        return {addr: max(1, (cores.get(addr) or 1) // per_host[w["host"]]) for addr, w in info.items()}

    def submit(self, task: Task) -> None:
        if task.assignment not in self.scattered:  # the assignment's files travel once to each worker
            self.scattered[task.assignment] = self.client.scatter(task.course, broadcast=True, hash=False)
        light = dataclasses.replace(task, course={})
        future = self.client.submit(grade_task, light, self.scattered[task.assignment], pure=False,
                                    key=f"grade-{task.key}-{time.time_ns()}")
        self.tasks[future.key] = task
        self.as_completed.add(future)

    def next(self) -> Result:
        future = next(self.as_completed)
        task = self.tasks.pop(future.key)
        try:
            return future.result()
        except Exception as error:  # noqa: BLE001
            name = type(error).__name__
            if name == "KilledWorker":
                reason = "the workers grading it died repeatedly (Dask KilledWorker)"
            elif name in ("CancelledError", "FutureCancelledError") or not self.client.status == "running":
                reason = (f"lost: the connection to the Dask scheduler {self.address} was lost before it was "
                          f"graded (start the scheduler and its workers again)")
            else:
                reason = f"{name}: {error}"
            return Result(task.assignment, task.student, ok=False, reason=reason)

    def close(self) -> None:
        try:
            self.client.close(timeout=10)
        except Exception:  # noqa: BLE001 -- a lost scheduler: nothing to close
            pass
        if self.cluster is not None:
            self.cluster.close()


# --- the coordinator ---------------------------------------------------------------------------------

@dataclass
class Summary:
    """What one run did: per assignment the graded, skipped (up to date) and failed submissions."""

    graded: list[Result] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[Result] = field(default_factory=list)
    retried: list[Result] = field(default_factory=list)
    seconds: float = 0.0

    def table(self) -> str:
        rows = {}
        for key in [f"{r.assignment}/{r.student}" for r in self.graded + self.failed] + self.skipped:
            rows.setdefault(key.split("/")[0], [0, 0, 0])
        for r in self.graded:
            rows[r.assignment][0] += 1
        for key in self.skipped:
            rows[key.split("/")[0]][1] += 1
        for r in self.failed:
            rows[r.assignment][2] += 1
        lines = [f"{'assignment':<20} {'graded':>7} {'up to date':>11} {'failed':>7}"]
        lines += [f"{a:<20} {g:>7} {s:>11} {f:>7}" for a, (g, s, f) in sorted(rows.items())]
        if self.retried:
            lines.append("retried: " + "; ".join(f"{r.student} ({r.assignment}): {r.reason}" for r in self.retried))
        if self.failed:
            lines += ["", "failed (re-run the same command to grade only these):"]
            lines += [f"  {r.student:<16} {r.assignment:<18} {r.reason}" for r in self.failed]
        lines.append(f"{len(self.graded)} graded, {len(self.skipped)} up to date, {len(self.failed)} failed "
                     f"in {self.seconds:.1f} s")
        return "\n".join(lines)


def default_db_url(course: Path) -> str:
    """The kit's rule (``nbgrader_config.py``): ``KIT_DB_URL``, else ``gradebook.db`` in the course."""
    return os.environ.get("KIT_DB_URL") or f"sqlite:///{course.resolve() / 'gradebook.db'}"


def _load_state(course: Path) -> dict:
    try:
        return json.loads((course / STATE_FILE).read_text())
    except (OSError, ValueError):
        return {}


def _save_state(course: Path, state: dict) -> None:
    tmp = course / (STATE_FILE + ".tmp")
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True))
    os.replace(tmp, course / STATE_FILE)


def assignment_files(course: Path, assignment: str) -> dict[str, bytes]:
    """The assignment as a worker needs it: the configuration, ``source/<id>/`` and the release notebook
    (the gradebook comes from :func:`add_template_gradebook`)."""
    source = course / "source" / assignment
    if not source.is_dir():
        raise GradingError(f"There is no assignment '{assignment}' in {course / 'source'}: give one of "
                           f"{sorted(p.name for p in (course / 'source').iterdir() if p.is_dir())}.")
    files = {"nbgrader_config.py": (course / "nbgrader_config.py").read_bytes()}
    files.update({f"source/{assignment}/{k}": v for k, v in read_tree(source).items()})
    files.update({f"release/{assignment}/{k}": v for k, v in read_tree(course / "release" / assignment).items()
                  if k.endswith(".ipynb")})
    return files


def add_template_gradebook(course: Path, assignment: str, files: dict[str, bytes]) -> None:
    """Add to ``files`` a fresh SQLite gradebook that knows the assignment, from ``generate_assignment`` in
    a scratch course (so no student's data travels), and the release notebook if the course has none."""
    with tempfile.TemporaryDirectory(prefix="kit-template-") as tmp:
        scratch = Path(tmp)
        write_tree(scratch, {k: v for k, v in files.items() if not k.startswith("release/")})
        (scratch / "data").symlink_to(data_root(course), target_is_directory=True)
        url = f"sqlite:///{scratch / 'gradebook.db'}"
        nbgrader(scratch, "generate_assignment", assignment, "--force", f"--CourseDirectory.db_url={url}",
                 env={"KIT_DB_URL": url})
        if not any(k.startswith(f"release/{assignment}/") for k in files):
            files.update({f"release/{assignment}/{k}": v for k, v in read_tree(scratch / "release" / assignment).items()
                          if k.endswith(".ipynb")})
        files["gradebook.db"] = (scratch / "gradebook.db").read_bytes()


def _record(gb, result: Result) -> None:
    """Write one worker's result into the real gradebook, as ``nbgrader autograde`` would have."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SAWarning)  # nbgrader's own add_submission warns about its session
        _write(gb, result)


def _write(gb, result: Result) -> None:
    gb.update_or_create_student(result.student)
    kwargs = {"timestamp": result.timestamp} if result.timestamp is not None else {}
    submission = gb.update_or_create_submission(result.assignment, result.student, **kwargs)
    by_name = {nb.name: nb for nb in submission.notebooks}
    for name, got in result.notebooks.items():
        if name not in by_name:
            raise GradingError(f"The gradebook has no notebook '{name}' in {result.assignment}: it is out of "
                               f"date; run `nbgrader generate_assignment {result.assignment} --force` in the course.")
        nb = by_name[name]
        nb.late_submission_penalty = got["penalty"]
        grades = {g.name: g for g in nb.grades}
        comments = {c.name: c for c in nb.comments}
        missing = (set(got["grades"]) - set(grades)) | (set(got["comments"]) - set(comments))
        if missing:
            raise GradingError(f"The gradebook's {result.assignment} lacks the cells {sorted(missing)}: it is out "
                               f"of date; run `nbgrader generate_assignment {result.assignment} --force`.")
        for cell, (auto_score, needs_manual) in got["grades"].items():
            grade = grades[cell]
            grade.auto_score = auto_score
            # nbgrader's SaveAutoGrades: a grade with a manual score, or without an automatic one, needs review
            grade.needs_manual_grade = needs_manual or (got["submitted"] and grade.manual_score is not None)
        for cell, comment in got["comments"].items():
            comments[cell].auto_comment = comment
    gb.db.commit()


def submissions(course: Path, assignments: list[str], students: list[str] | None = None) -> list[tuple[str, str]]:
    found = []
    for assignment in assignments:
        for folder in sorted((course / "submitted").glob(f"*/{assignment}")):
            if folder.is_dir() and (students is None or folder.parent.name in students):
                found.append((assignment, folder.parent.name))
    return found


def autograde(course: Path, assignments: list[str] | None = None, *, db_url: str | None = None,
              workers: int | None = None, scheduler: str | None = None, force: bool = False,
              students: list[str] | None = None, retries: int = 1, task_timeout: float = TASK_TIMEOUT,
              progress: bool = True, repair: bool = True, log=print) -> Summary:
    """Autograde ``submitted/*/<assignment>/`` of ``course`` in parallel; the gradebook at ``db_url``
    (default: the course's) ends up as serial ``nbgrader autograde`` leaves it.  With ``repair``, the
    kit's intake (:mod:`autograder.course.intake`) first makes mangled submissions gradable."""
    from nbgrader.api import Gradebook, MissingEntry
    from tqdm import tqdm

    started = time.perf_counter()
    course = course.resolve()
    if not (course / "nbgrader_config.py").is_file():
        raise GradingError(f"{course} is not a course folder (it has no nbgrader_config.py): give the course "
                           f"with --course DIR.")
    assignments = assignments or sorted(p.name for p in (course / "source").iterdir() if p.is_dir())
    db_url = db_url or default_db_url(course)
    workers = max(1, workers or os.cpu_count() or 1)
    kit = kit_fingerprint()
    state = _load_state(course)
    done = state.setdefault(db_url, {})
    summary = Summary()
    pending: list[Task] = []
    with Gradebook(db_url) as gb:
        for assignment in assignments:
            try:
                gb.find_assignment(assignment)
            except MissingEntry:  # the course's gradebook must know the assignment, as for nbgrader autograde
                log(f"{assignment}: not in the gradebook yet; running nbgrader generate_assignment")
                nbgrader(course, "generate_assignment", assignment, "--force", f"--CourseDirectory.db_url={db_url}",
                         env={"KIT_DB_URL": db_url})
        gb.db.expire_all()
        for assignment in assignments if repair else []:  # mangled notebooks made gradable first (kit intake)
            if assignment in ASSIGNMENTS and (course / "release" / assignment / ASSIGNMENTS[assignment]).exists():
                for repaired in intake.repair_course(course, assignment):
                    if repaired.changed:
                        log(repaired.text().rstrip())
        shipped = {a: assignment_files(course, a) for a in assignments}
        for assignment, student in submissions(course, assignments, students):
            files = read_tree(course / "submitted" / student / assignment)
            fingerprint = digest(files, shipped[assignment], {"kit": kit.encode()})
            key = f"{assignment}/{student}"
            try:
                existing = gb.find_submission(assignment, student)
            except MissingEntry:
                existing = None
            if (not force and existing is not None and done.get(key) == fingerprint
                    and (course / "autograded" / student / assignment).is_dir()):
                summary.skipped.append(key)
                continue
            duedate = gb.find_assignment(assignment).duedate
            pending.append(Task(assignment, student, files, shipped[assignment], fingerprint,
                                kit if scheduler else "", duedate=duedate,
                                extension=existing.extension if existing is not None else None,
                                timeout=task_timeout))
    if not pending:
        summary.seconds = time.perf_counter() - started
        return summary
    backend = DaskBackend(scheduler, workers) if scheduler else LocalBackend(workers)
    try:
        for assignment in sorted({t.assignment for t in pending}):
            add_template_gradebook(course, assignment, shipped[assignment])
        threads = backend.threads()
        for task in pending:
            task.threads = threads
            backend.submit(task)
        bar = tqdm(total=len(pending), unit="submission", desc="autograde", file=sys.stderr, disable=not progress,
                   dynamic_ncols=True)
        outstanding = len(pending)
        by_key = {t.key: t for t in pending}
        with Gradebook(db_url) as gb:
            while outstanding:
                result = backend.next()
                task = by_key[f"{result.assignment}/{result.student}"]
                if not result.ok and result.retryable and task.attempt <= retries:
                    task.attempt += 1
                    summary.retried.append(result)
                    bar.write(f"retrying {result.student} ({result.assignment}): {result.reason}")
                    backend.submit(task)
                    continue
                outstanding -= 1
                bar.update(1)
                if not result.ok:
                    summary.failed.append(result)
                    bar.write(f"FAILED {result.student} ({result.assignment}): {result.reason}")
                    continue
                try:
                    _record(gb, result)
                except GradingError as error:
                    result.ok, result.reason = False, str(error)
                    summary.failed.append(result)
                    continue
                dest = course / "autograded" / result.student / result.assignment
                if dest.exists():
                    shutil.rmtree(dest)
                write_tree(dest, result.autograded)
                done[task.key] = task.fingerprint
                _save_state(course, state)
                summary.graded.append(result)
                bar.set_postfix_str(f"{result.student} {result.seconds:.0f} s", refresh=False)
        bar.close()
    finally:
        backend.close()
    summary.seconds = time.perf_counter() - started
    return summary


def gradebook_contents(db_url: str, assignments: list[str]) -> dict:
    """What autograde recorded, comparable across gradebooks: per (assignment, student) the timestamp and,
    per notebook, the late penalty, whether it needs manual grading, and per cell the automatic score,
    manual score, extra credit, needs-manual flag and automatic comment."""
    from nbgrader.api import Gradebook

    found = {}
    with Gradebook(db_url) as gb:
        for assignment in assignments:
            for submission in gb.assignment_submissions(assignment):
                found[(assignment, submission.student_id)] = {
                    "timestamp": submission.timestamp,
                    "notebooks": {nb.name: {
                        "late_submission_penalty": nb.late_submission_penalty,
                        "needs_manual_grade": nb.needs_manual_grade,
                        "grades": {g.name: (g.auto_score, g.manual_score, g.extra_credit, g.needs_manual_grade)
                                   for g in nb.grades},
                        "comments": {c.name: (c.auto_comment, c.manual_comment) for c in nb.comments},
                    } for nb in submission.notebooks}}
    return found


def main(argv: list[str] | None = None) -> int:
    """``kit autograde``: grade a class in parallel (see the module docstring)."""
    parser = argparse.ArgumentParser(
        prog="kit autograde", description="Autograde every submission of a course in parallel, with the real "
        "nbgrader autograde per submission; the gradebook ends up as serial autograde leaves it. A re-run grades "
        "only what is missing, changed or failed.")
    parser.add_argument("assignment", nargs="*", help="assignment ids (default: every assignment in source/)")
    parser.add_argument("--course", default=".", help="the course folder (default: the current folder)")
    parser.add_argument("--workers", type=int, help="parallel graders (default: the number of cores)")
    parser.add_argument("--db", help="the gradebook's URL, e.g. postgresql://user@host/db (default: the course's)")
    parser.add_argument("--scheduler", help="'local' (a Dask LocalCluster) or a Dask scheduler address "
                        "(tcp://host:8786); default: threads on this machine")
    parser.add_argument("--student", action="append", help="only this student (repeatable)")
    parser.add_argument("--force", action="store_true", help="grade again even what is up to date")
    parser.add_argument("--retries", type=int, default=1, help="retries of a submission whose grader was killed")
    parser.add_argument("--task-timeout", type=float, default=TASK_TIMEOUT,
                        help=f"seconds one submission may take in all (default {TASK_TIMEOUT:g})")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    try:
        summary = autograde(Path(args.course), args.assignment or None, db_url=args.db, workers=args.workers,
                            scheduler=args.scheduler, force=args.force, students=args.student,
                            retries=args.retries, task_timeout=args.task_timeout, progress=not args.no_progress)
    except GradingError as error:
        print(f"kit autograde: {error}", file=sys.stderr)
        return 2
    print(summary.table())
    return 1 if summary.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
