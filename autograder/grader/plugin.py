"""The pytest plugin behind ``python -m autograder.grader``: one test per grade cell.

Options: ``--notebook PATH`` (activates it), ``--assignment ID``, ``--self-check``
(visible checks only, against the release), ``--results-json PATH``
(Gradescope's format).  Each test carries its points as JUnit properties
(``--junit-xml``), and the session ends with a per-check table and the total.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from autograder import data
from autograder.grader.cells import HIDDEN_FAILED, grade_id, is_grade, is_hidden, nbgrader_meta
from autograder.grader.execute import CheckResult, Execution
from autograder.grader.submission import GradingError, load

KEY = pytest.StashKey[dict]()


def pytest_addoption(parser):
    group = parser.getgroup("kit grader", "grade a notebook with the course's checks")
    group.addoption("--notebook", help="the filled-in notebook to grade")
    group.addoption("--assignment", help="its assignment id (default: inferred)")
    group.addoption("--self-check", action="store_true", default=None,
                    help="visible checks only, against the release notebook (the default without hidden checks)")
    group.addoption("--results-json", help="write Gradescope's results.json here")


def pytest_configure(config):
    path = config.getoption("--notebook")
    if not path:
        return
    state = {"path": Path(path), "results": {}, "error": None, "submission": None, "checks": []}
    try:
        submission = load(path, config.getoption("--assignment"), config.getoption("--self-check"))
        data.prepare([submission.assignment])  # the sandboxed kernel cannot download them itself
    except (GradingError, data.DataError) as error:
        state["error"] = str(error)
    else:
        state["submission"] = submission
        state["checks"] = [c for c in submission.prepared.cells if is_grade(c)
                           and not (submission.self_check and is_hidden(c))]
    config.stash[KEY] = state


def pytest_generate_tests(metafunc):
    if "check" not in metafunc.fixturenames:
        return
    state = metafunc.config.stash.get(KEY, None)
    if state is None:
        metafunc.parametrize("check", [pytest.param(None, marks=pytest.mark.skip(reason="no --notebook given"))])
    elif state["error"]:
        metafunc.parametrize("check", ["notebook"], ids=["notebook"])
    else:
        metafunc.parametrize("check", [grade_id(c) for c in state["checks"]], ids=[grade_id(c) for c in state["checks"]])


@pytest.fixture(scope="session")
def execution(request):
    state = request.config.stash[KEY]
    submission = state["submission"]
    with Execution(submission.prepared, source_dir=submission.source_dir, assignment=submission.assignment) as running:
        yield running


@pytest.fixture
def grade(request, record_property):
    """Grade one check: run the notebook through its cell and fail with the check's own message."""
    state = request.config.stash[KEY]

    def _grade(check: str) -> None:
        if state["error"]:
            state["results"]["notebook"] = CheckResult("notebook", 0, 0, False, message=state["error"])
            pytest.fail(state["error"], pytrace=False)
        result = request.getfixturevalue("execution").run_through(check)
        state["results"][check] = result
        record_property("points", result.points)
        record_property("score", result.score)
        if result.manual:
            pytest.skip("graded by hand (the written answer)")
        if not result.passed:
            pytest.fail(result.message or "the check failed", pytrace=False)

    return _grade


def _rows(state) -> list[CheckResult]:
    if state["error"]:
        return [state["results"].get("notebook") or CheckResult("notebook", 0, 0, False, message=state["error"])]
    rows = []
    for cell in state["checks"]:
        name = grade_id(cell)
        rows.append(state["results"].get(name) or CheckResult(
            name, float(nbgrader_meta(cell).get("points", 0)), 0.0, is_hidden(cell), message="not run"))
    return rows


def pytest_terminal_summary(terminalreporter, config):
    state = config.stash.get(KEY, None)
    if state is None:
        return
    rows = _rows(state)
    write = terminalreporter.write_line
    terminalreporter.section("grades")
    submission = state["submission"]
    if submission:
        mode = "self-check: visible checks only" if submission.self_check else "visible and hidden checks"
        write(f"{submission.path.name} ({submission.assignment}; {mode})")
        for note in submission.notes:
            write(f"  note: {note}")
    width = max([len(r.grade_id) for r in rows] + [5])
    write(f"{'check':<{width}}  {'points':>11}  message")
    for r in rows:
        earned = "manual" if r.manual else f"{r.score:g} / {r.points:g}"
        message = "" if r.passed and not r.manual else (r.message.splitlines() or [""])[0][:110]
        write(f"{r.grade_id:<{width}}  {earned:>11}  {message}")
    auto = [r for r in rows if not r.manual]
    write(f"{'TOTAL':<{width}}  {sum(r.score or 0 for r in auto):g} / {sum(r.points for r in auto):g}"
          + ("  (+ written answers graded by hand)" if any(r.manual for r in rows) else ""))
    target = config.getoption("--results-json")
    if target:
        write_results_json(rows, Path(target), state)


def write_results_json(rows: list[CheckResult], path: Path, state) -> None:
    """Gradescope's results.json: hidden checks become visible once grades are published."""
    tests = [{
        "name": r.grade_id,
        "score": r.score or 0.0,
        "max_score": r.points,
        "output": "passed" if r.passed else (HIDDEN_FAILED if r.hidden else r.message),
        "visibility": "after_published" if r.hidden else "visible",
    } for r in rows if not r.manual]
    results = {"score": sum(t["score"] for t in tests), "tests": tests, "visibility": "visible",
               "stdout_visibility": "hidden"}
    if state["submission"] and state["submission"].notes:
        results["output"] = "\n".join(state["submission"].notes)
    if state["error"]:
        results["output"] = state["error"]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2))
