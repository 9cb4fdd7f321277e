"""The kit in a real browser: JupyterLab as ``./kit lab`` serves it, driven by Playwright in headless Chromium.

Each test starts its own JupyterLab (``autograder.course.lab``, the code behind ``./kit lab``) on a free
localhost port with a token, drives Debian's Chromium (``/usr/bin/chromium``; ``.ci/run`` installs it) and
saves a screenshot of each step under ``build/browser-artifacts/<test>/``.

* student: a release notebook, run with its stubs, then with one classic mistake (the visible test's
  teaching message), then with the answers typed into the cells; nbgrader's Validate button passes.
* instructor: the graded sample class in formgrader; a written answer graded by hand lands in the
  gradebook; the feedback generated from formgrader shows the scores and no hidden test.
"""

from __future__ import annotations

import re
import secrets
import shutil
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

from autograder.course import ASSIGNMENTS, lab
from autograder.grader.cells import HIDDEN_BEGIN, HIDDEN_END, grade_id, is_hidden, nbgrader_meta
from autograder.paths import REPO_ROOT

CHROMIUM = Path("/usr/bin/chromium")
# As root on a closed network: no sandbox, and none of Chromium's own background connections.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = REPO_ROOT / "build" / "browser-artifacts"
TIMEOUT_MS = 180_000  # the machine may be loaded: every wait is for a selector or a state, with room to spare

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's Chromium is not installed (/usr/bin/chromium is "
                       "missing): `apt-get install chromium` (.ci/run installs it)"),
]


# --- the browser ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:  # launch() gives Chromium a fresh, empty profile of its own
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Steps:
    """Screenshots of one test's steps: build/browser-artifacts/<test>/NN-<step>.png."""

    def __init__(self, name: str):
        self.folder = ARTIFACTS / name
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        self.count = 0

    def shot(self, page, step: str, full_page: bool = False) -> Path:
        self.count += 1
        path = self.folder / f"{self.count:02d}-{step}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    yield page
    context.close()


def serve(setup: lab.LabSetup, steps: Steps) -> lab.Server:
    return lab.start(setup, log=steps.folder / "jupyterlab.log", token=secrets.token_hex(16))


def http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


# --- JupyterLab, as a person uses it ---------------------------------------------------

def open_notebook(page, server: lab.Server, path: str) -> None:
    page.goto(server.lab_url(path))
    page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for()
    wait_kernel_idle(page)


def wait_kernel_idle(page) -> None:
    page.locator(".jp-NotebookPanel-toolbar .jp-KernelName", has_text=re.compile(r"Python")).wait_for()
    page.locator(".jp-Notebook-ExecutionIndicator[data-status='idle']").wait_for(state="attached")


def menu(page, top: str, item: str) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{top}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}")).first.click()


def restart_and_run_all(page) -> None:
    menu(page, "Kernel", "Restart Kernel and Run All Cells")
    page.locator(".jp-Dialog .jp-mod-accept").click()


def cell(page, index: int):
    return page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").nth(index)


def type_into(page, index: int, text: str, markdown: bool = False) -> None:
    """Replace cell ``index``'s text, as a student does: click into it, select all, type (paste-like)."""
    target = cell(page, index)
    target.scroll_into_view_if_needed()
    if markdown:
        target.dblclick()
    target.locator(".cm-content").click()
    page.keyboard.press("Control+a")
    page.keyboard.insert_text(text)
    page.keyboard.press("Escape")


def output_of(page, index: int):
    return cell(page, index).locator(".jp-OutputArea")


def wait_output(page, index: int, text: str) -> None:
    output_of(page, index).filter(has_text=text).wait_for(state="attached")


def save(page) -> None:
    menu(page, "File", "Save Notebook")
    page.locator(".lm-TabBar-tab.jp-mod-dirty").wait_for(state="detached")  # the tab's unsaved dot is gone


# --- the student ------------------------------------------------------------------------

def solved(source_cell) -> str:
    """An answer cell as a student who solved it writes it: the source cell without nbgrader's markers."""
    return "\n".join(line for line in source_cell.source.split("\n")
                     if line.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION"))


def test_student_runs_fills_in_and_validates(page, tmp_path):
    assignment = "bonus_predictor"
    notebook = ASSIGNMENTS[assignment]
    steps = Steps("student")
    folder = tmp_path / "student"
    shutil.copytree(REPO_ROOT / "release" / assignment, folder / "release" / assignment)
    release = nbformat.read(folder / "release" / assignment / notebook, as_version=4)
    source = {grade_id(c): c for c in nbformat.read(REPO_ROOT / "source" / assignment / notebook, 4).cells}
    solutions = nbformat.read(REPO_ROOT / "solutions" / assignment / notebook, as_version=4)
    index = {grade_id(c): i for i, c in enumerate(release.cells)}
    answers = [grade_id(c) for c in release.cells if nbgrader_meta(c).get("solution")]
    visible = [grade_id(c) for c in release.cells if nbgrader_meta(c).get("grade") and c.cell_type == "code"
               and not is_hidden(c)]
    assert "to_tensors" in answers and "written_answer" in answers and len(visible) >= 5

    setup = lab.prepare("student", folder, config_dir=tmp_path / "jupyter")
    server = serve(setup, steps)
    try:
        # The student's lab: Validate on, formgrader and the course list off (server and front end).
        assert http_status(f"{server.url}/formgrader?token={server.token}") == 404
        assert http_status(f"{server.url}/nbgrader_version?version=0&token={server.token}") == 200
        open_notebook(page, server, f"release/{assignment}/{notebook}")
        validate = page.locator(".jp-NotebookPanel-toolbar").get_by_text("Validate", exact=True)
        validate.wait_for()
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Nbgrader$")).click()
        entries = page.locator(".lm-Menu-itemLabel").all_inner_texts()
        page.keyboard.press("Escape")
        assert not any("Formgrader" in e or "Course" in e for e in entries), entries
        steps.shot(page, "opened")

        # 1. The untouched stubs: the first call stops the run with the stub's NotImplementedError.
        restart_and_run_all(page)
        wait_output(page, index["load_show"], "NotImplementedError")
        cell(page, index["load_show"]).scroll_into_view_if_needed()
        steps.shot(page, "stubs-raise")

        # 2. Answers typed in, with the classic dtype mistake in to_tensors: its visible test teaches.
        for name in answers:
            text = solved(source[name])
            if name == "to_tensors":
                text = text.replace(", dtype=torch.float32", "")
                assert "dtype" not in text.split('"""')[-1]
            elif name == "written_answer":
                text = ("1. Performance matters most: about 1,500 per standard deviation, roughly 580 per rating "
                        "point.\n2. Not on its own: the model repeats last year's biases; audit it across groups.")
            type_into(page, index[name], text, markdown=source[name].cell_type == "markdown")
        restart_and_run_all(page)
        wait_output(page, index["test_to_tensors"], "X should have dtype torch.float32, but found torch.float64")
        assert "Hint:" in output_of(page, index["test_to_tensors"]).text_content()
        wait_output(page, index["test_load_bonus_data"], "load_bonus_data: visible checks passed")
        output_of(page, index["test_to_tensors"]).evaluate("e => e.scrollIntoView({block: 'end'})")
        steps.shot(page, "teaching-message")

        # 3. The mistake fixed: every visible test prints what the solutions run printed; the loss curve renders.
        type_into(page, index["to_tensors"], solved(source["to_tensors"]))
        restart_and_run_all(page)
        last = visible[-1]
        wait_output(page, index[last], solutions.cells[index[last]].outputs[0].text.strip())
        for name in visible:
            expected = "".join(o.text for o in solutions.cells[index[name]].outputs if o.output_type == "stream")
            assert expected.strip(), f"the solutions run printed nothing in {name}"
            assert expected.strip() in output_of(page, index[name]).text_content(), name
        assert output_of(page, index["fit"]).locator("img").count() == 1, "the loss curve did not render"
        cell(page, index["fit"]).scroll_into_view_if_needed()
        steps.shot(page, "all-visible-tests-pass")

        # 4. nbgrader's Validate button: the whole notebook, in a fresh kernel, passes.
        save(page)
        validate.click()
        dialog = page.locator(".jp-Dialog")
        dialog.get_by_text("Success! Your notebook passes all the tests.").wait_for()
        steps.shot(page, "validated")
        dialog.locator(".jp-mod-accept").click()
        saved = nbformat.read(folder / "release" / assignment / notebook, as_version=4)
        assert saved.cells[index["to_tensors"]].source.strip() == solved(source["to_tensors"]).strip()
    finally:
        server.stop()


# --- the instructor ---------------------------------------------------------------------

def hidden_region(source: str) -> list[str]:
    """The code lines between a cell's hidden-test markers."""
    lines, inside = [], False
    for line in source.split("\n"):
        if HIDDEN_BEGIN in line or HIDDEN_END in line:
            inside = HIDDEN_BEGIN in line
        elif inside and line.strip():
            lines.append(line)
    return lines


WRITTEN = ("bonus_predictor", "written_answer")  # the manually graded cell the instructor grades in the browser


def test_instructor_grades_by_hand_and_sends_feedback(page, tmp_path, main_job):
    from nbgrader.api import Gradebook

    steps = Steps("instructor")
    course = tmp_path / "course"
    shutil.copytree(main_job.course, course, symlinks=True)
    shutil.rmtree(course / "feedback", ignore_errors=True)  # generated again below, from the browser
    db_url = f"sqlite:///{course / 'gradebook.db'}"
    with Gradebook(db_url) as gb:
        submissions = {a.name: sorted(s.student_id for s in a.submissions) for a in gb.assignments}
    assert set(submissions) == set(ASSIGNMENTS) and all(submissions.values()), submissions
    assignment, grade_cell = WRITTEN
    notebook = Path(ASSIGNMENTS[assignment]).stem
    student = "correct" if "correct" in submissions[assignment] else submissions[assignment][0]
    with Gradebook(db_url) as gb:
        graded = gb.find_submission_notebook(notebook, assignment, student)
        submission_id, auto_before = graded.id, graded.score
        assert gb.find_grade(grade_cell, notebook, assignment, student).manual_score is None

    setup = lab.prepare("instructor", course, config_dir=tmp_path / "jupyter")
    setup.env.pop("KIT_DB_URL", None)  # this copy's own gradebook, whatever the shell says
    setup.env["KIT_EXCHANGE"] = str(tmp_path / "exchange")  # an exchange of its own, so formgrader has one
    (tmp_path / "exchange").mkdir()
    server = serve(setup, steps)
    try:
        # JupyterLab on the course; Nbgrader -> Formgrader opens the formgrader in a tab.
        page.goto(server.lab_url())
        page.locator(".jp-LauncherCard, .jp-Launcher").first.wait_for()
        page.locator(".lm-MenuBar-itemLabel", has_text=re.compile("^Nbgrader$")).click()
        entries = page.locator(".lm-Menu-itemLabel").all_inner_texts()
        assert "Formgrader" in entries and any("Course" in e for e in entries), entries
        page.locator(".lm-Menu-itemLabel", has_text=re.compile("^Formgrader$")).click()
        frame = page.frame_locator("iframe[src*='formgrader']")

        # Manage Assignments: the three assignments, each with its number of submissions.
        for name, students in submissions.items():
            row = frame.locator("tbody tr", has_text=name).first
            row.locator(".num-submissions", has_text=str(len(students))).wait_for()
        steps.shot(page, "formgrader-assignments")

        # Its submissions, one row per student.
        frame.locator("tbody tr", has_text=assignment).first.locator(".num-submissions a").click()
        for name in submissions[assignment]:
            frame.locator("tbody tr", has_text=name).first.wait_for()
        steps.shot(page, "formgrader-submissions")

        # Manual Grading -> assignment -> notebook -> the student's submission: the written answer, graded by hand.
        frame.locator("a[href$='/formgrader/gradebook']", has_text="Manual Grading").first.click()
        frame.locator(f"a[href$='/formgrader/gradebook/{assignment}']").click()
        frame.locator(f"a[href$='/formgrader/gradebook/{assignment}/{notebook}']").click()
        frame.locator(f"a[href$='/formgrader/submissions/{submission_id}']").first.click()
        score = frame.locator(f"input.score#{grade_cell}")
        score.wait_for()
        # The page fetches the grades and comments after it renders; typing before they arrive is overwritten.
        grading = next(f for f in page.frames if f"/formgrader/submissions/{submission_id}" in f.url)
        grading.wait_for_function("() => formgrader.grades.loaded && formgrader.comments.loaded")
        comment_text = "Good reading of the weights; name one concrete check for bias next time."
        score.fill("2")
        score.press("Tab")
        comment = frame.locator(f"textarea#{grade_cell}-comment")
        comment.fill(comment_text)
        comment.press("Tab")
        score.evaluate("e => e.scrollIntoView({block: 'center'})")
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while True:  # formgrader saves on blur, asynchronously
            with Gradebook(db_url) as gb:
                grade = gb.find_grade(grade_cell, notebook, assignment, student)
                saved_comment = gb.find_comment(grade_cell, notebook, assignment, student).manual_comment
                manual, total = grade.manual_score, gb.find_submission_notebook(notebook, assignment, student).score
            if manual is not None and saved_comment == comment_text or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        steps.shot(page, "manual-grade")
        assert manual == 2 and saved_comment == comment_text, (manual, saved_comment)
        assert total == pytest.approx(auto_before + 2)

        # Manage Assignments -> Generate Feedback, then the student's feedback page in the browser.
        frame.locator("a[href$='/formgrader/gradebook']", has_text="Manual Grading").first.click()  # the breadcrumb
        frame.locator("a[href$='/formgrader/manage_assignments']").first.click()
        frame.locator("tbody tr", has_text=assignment).first.locator(".generate-feedback a").click()
        frame.get_by_text(f"Successfully generated feedback of '{assignment}'.").wait_for()
        steps.shot(page, "feedback-generated")
        html_path = course / "feedback" / student / assignment / f"{notebook}.html"
        assert html_path.is_file(), f"formgrader wrote no feedback at {html_path}"
        page.goto(f"{server.url}/files/feedback/{student}/{assignment}/{notebook}.html?token={server.token}")
        body = page.locator("body")
        body.get_by_text(comment_text).wait_for()
        text = body.text_content()
        with Gradebook(db_url) as gb:
            graded = gb.find_submission_notebook(notebook, assignment, student)
            cells = {g.name: (g.score, g.max_score) for g in graded.grades}
            max_total = graded.max_score
        assert re.search(rf"Score:\s*{total:.1f}\s*/\s*{max_total:.1f}", text), "the total is not in the feedback"
        for name, (got, out_of) in cells.items():  # every grade cell's score, the hidden ones and the manual one too
            assert re.search(rf"{name}\s*Score:\s*{got:.1f}\s*/\s*{out_of:.1f}", text) or (
                name == grade_cell and re.search(rf"answer\s*Score:\s*{got:.1f}\s*/\s*{out_of:.1f}", text)), name
        assert cells[grade_cell][0] == 2
        # No hidden test: not one line of the source's hidden regions (compared without whitespace), and
        # each hidden cell says only whether its tests passed.
        source = nbformat.read(REPO_ROOT / "source" / assignment / f"{notebook}.ipynb", as_version=4)
        squeezed = re.sub(r"\s+", "", text)
        hidden_lines = [line for c in source.cells for line in hidden_region(c.source)]
        assert hidden_lines and "autograder.hidden" in "".join(hidden_lines)
        for line in hidden_lines:
            assert re.sub(r"\s+", "", line) not in squeezed, f"a hidden test's code is in the feedback: {line}"
        assert text.count("Hidden tests passed.") + text.count("A hidden test failed") == sum(
            name.endswith("_hidden") for name in cells)
        page.get_by_text(comment_text).scroll_into_view_if_needed()
        steps.shot(page, "feedback")
    finally:
        server.stop()
