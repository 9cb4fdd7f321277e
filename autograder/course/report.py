"""Reading scores out of a gradebook, printing them, and plotting their distribution."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook

from autograder.course import ASSIGNMENTS


@dataclass(frozen=True)
class Result:
    """One student's autograded result on one assignment."""

    student: str
    assignment: str
    score: float          # automatic points earned (manual cells not yet graded count 0)
    max_score: float      # automatic points available
    cells: dict           # grade id -> automatic score (None where manual grading is pending)
    needs_manual: bool

    @property
    def percent(self) -> float:
        return 100.0 * self.score / self.max_score if self.max_score else 0.0


def read_results(db_url: str, assignments: list[str] | None = None) -> list[Result]:
    """Every submission's automatic score, per grade cell, from the gradebook at ``db_url``."""
    results = []
    with Gradebook(db_url) as gb:
        for assignment in assignments or list(ASSIGNMENTS):
            notebook = ASSIGNMENTS[assignment].removesuffix(".ipynb")
            for submission in gb.assignment_submissions(assignment):
                nb = gb.find_submission_notebook(notebook, assignment, submission.student_id)
                cells, score, maximum = {}, 0.0, 0.0
                for grade in nb.grades:
                    if grade.cell.cell_type != "code":
                        continue
                    cells[grade.name] = grade.auto_score
                    score += grade.auto_score or 0.0
                    maximum += grade.max_score
                results.append(Result(submission.student_id, assignment, score, maximum, cells,
                                      needs_manual=nb.needs_manual_grade))
    return sorted(results, key=lambda r: (r.assignment, r.student))


def table(results: list[Result], expected: dict | None = None) -> str:
    """A plain-text table: student, assignment, automatic score, and (when given) the expected score."""
    header = f"{'student':<16} {'assignment':<18} {'score':>13} {'%':>6}"
    if expected is not None:
        header += "  expected"
    lines = [header, "-" * len(header)]
    for r in results:
        line = f"{r.student:<16} {r.assignment:<18} {r.score:>6g} / {r.max_score:<4g} {r.percent:>6.1f}"
        if expected is not None:
            want = expected.get((r.student, r.assignment))
            if want is not None:
                line += f"  {want:g} {'ok' if abs(want - r.score) < 1e-9 else 'MISMATCH'}"
        lines.append(line)
    return "\n".join(lines)


def write_csv(results: list[Result], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "assignment", "score", "max_score", "percent", "needs_manual_grade"])
        for r in results:
            writer.writerow([r.student, r.assignment, r.score, r.max_score, round(r.percent, 1), r.needs_manual])
    return path


def plot_distribution(results: list[Result], path: Path) -> Path:
    """A histogram of automatic scores (percent) per assignment, saved as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    assignments = sorted({r.assignment for r in results})
    fig, axes = plt.subplots(1, len(assignments), figsize=(5 * len(assignments), 3.6), squeeze=False)
    for ax, assignment in zip(axes[0], assignments):
        percents = [r.percent for r in results if r.assignment == assignment]
        ax.hist(percents, bins=[i * 10 for i in range(11)], color="#4C72B0", edgecolor="white")
        ax.set(title=f"{assignment} (n={len(percents)})", xlabel="automatic score (%)", ylabel="students", xlim=(0, 100))
        ax.yaxis.get_major_locator().set_params(integer=True)
    fig.suptitle("Grade distribution of the sample class")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
