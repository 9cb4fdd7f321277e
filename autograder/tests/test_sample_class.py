"""Autograding the sample class gives every fake student their known score, cell by cell.

The class is graded once, by ``./kit run`` (the README's main command), in
the ``main_job`` fixture; these tests read its gradebook and outputs.
"""

from __future__ import annotations

import pytest

from autograder.course import ASSIGNMENTS, notebooks, report, sample_class
from autograder.course.nbgrader_cli import nbgrader
from autograder.paths import REPO_ROOT

CASES = [(a, s) for a in ASSIGNMENTS for s in sample_class.scenarios(a)]


@pytest.fixture(scope="module")
def results(main_job):
    return {(r.student, r.assignment): r for r in report.read_results(main_job.db_url)}


@pytest.mark.slow
@pytest.mark.parametrize("assignment, scenario", CASES, ids=[f"{a}-{s.student}" for a, s in CASES])
def test_each_grade_cell_scores_as_the_scenario_expects(results, assignment, scenario):
    cells = notebooks.grade_cells(notebooks.read(REPO_ROOT / "release" / assignment / ASSIGNMENTS[assignment]))
    expected = scenario.expected_scores(cells)
    found = results[(scenario.student, assignment)].cells
    wrong = {name: (found.get(name), want) for name, want in expected.items() if found.get(name) != want}
    assert not wrong, f"{scenario.student} ({scenario.description}): cell -> (found, expected): {wrong}"


@pytest.mark.slow
def test_correct_submissions_get_full_marks_and_blank_gets_zero(results):
    for assignment in ASSIGNMENTS:
        assert results[("correct", assignment)].percent == 100.0
        assert results[("alt-style", assignment)].percent == 100.0
        assert results[("blank", assignment)].score == 0.0


@pytest.mark.slow
def test_main_job_prints_scores_and_saves_the_plot(main_job):
    for assignment in ASSIGNMENTS:
        for scenario in sample_class.scenarios(assignment):
            assert any(line.startswith(scenario.student) and assignment in line for line in main_job.output.splitlines())
    assert "MISMATCH" not in main_job.output
    png = main_job.report / "grade_distribution.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    assert (main_job.report / "grades.csv").read_text().count("\n") == 1 + len(CASES)


@pytest.mark.slow
def test_written_answers_wait_for_manual_grading(results):
    for assignment in ASSIGNMENTS:
        assert results[("correct", assignment)].needs_manual
        assert not results[("blank", assignment)].needs_manual, "an unchanged written answer is scored 0 automatically"


@pytest.mark.slow
def test_deleted_and_tampered_test_cells_are_restored(main_job):
    source = notebooks.read(REPO_ROOT / "source" / "bonus_predictor" / ASSIGNMENTS["bonus_predictor"])
    graded_dir = main_job.course / "autograded"
    for student, grade_id in (("deleted-test", "test_to_tensors"), ("deleted-test", "test_bonus_regressor"),
                              ("deleted-test", "split"),
                              ("tampered-test", "test_mse")):
        graded = notebooks.read(graded_dir / student / "bonus_predictor" / ASSIGNMENTS["bonus_predictor"])
        assert sample_class.cell_by_id(graded, grade_id).source == sample_class.cell_by_id(source, grade_id).source
    graded = notebooks.read(graded_dir / "deleted-test" / "bonus_predictor" / ASSIGNMENTS["bonus_predictor"])
    order = [c.metadata.get("nbgrader", {}).get("grade_id") for c in graded.cells]
    assert order.index("test_to_tensors") == order.index("to_tensors") + 1, "restored in its original place"


@pytest.mark.slow
def test_feedback_shows_scores_but_never_hidden_tests(main_job):
    nbgrader(main_job.course, "generate_feedback", "bonus_predictor", "--force")
    pages = sorted((main_job.course / "feedback").glob("*/bonus_predictor/*.html"))
    assert len(pages) == len(sample_class.scenarios("bonus_predictor"))
    for page in pages:
        html = page.read_text()
        for secret in ("BEGIN HIDDEN TESTS", "autograder.hidden", "autograder/hidden", "hidden.train_model"):
            assert secret not in html, f"{page}: feedback reveals {secret!r}"
        assert html.count("hidden tests ran here") == 7
    no_zero = (main_job.course / "feedback" / "no-zero-grad" / "bonus_predictor" / "bonus_prediction_nn.html").read_text()
    assert "(Score: 16.0 / 26.0)" in no_zero and no_zero.count("A hidden test failed") == 1
