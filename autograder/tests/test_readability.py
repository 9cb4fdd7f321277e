"""The notebooks read well in JupyterLab: roadmap and headings agree, answer cells say what to write,
the figures are there.

JupyterLab's table of contents is built from a notebook's Markdown headings, so each notebook's
``## Roadmap`` list must be its numbered ``##`` sections, in order.  Each answer cell a student
gets keeps what it asks for (signature and docstring, or a comment naming the constant) next to
nbgrader's stub, and the prose of its section names it.  The executed solutions carry the
figures the notebooks promise, as real PNG images.
"""

from __future__ import annotations

import ast
import base64
import io
import re

import nbformat
import pytest

from autograder.course import ASSIGNMENTS
from autograder.grader.cells import grade_id, nbgrader_meta
from autograder.paths import REPO_ROOT

STOP = {"a", "an", "and", "the", "of", "to", "in", "on", "with", "from", "for", "is", "it", "its", "one", "what",
        "which", "why", "when", "how", "your", "own", "at", "all", "by", "s", "not", "no", "be"}
# The figures each assignment's notebook draws: the grade ids of the read-only cells that draw them.
FIGURES = {
    "bonus_predictor": {"fit": "the loss curve"},
    "digit_classifier": {"curves": "the training curves", "confusion": "the confusion matrix"},
    "fashion_pipeline": {"grid_show": "the labelled image grid"},
}


def read(folder: str, assignment: str) -> nbformat.NotebookNode:
    return nbformat.read(REPO_ROOT / folder / assignment / ASSIGNMENTS[assignment], as_version=4)


def words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z]+", text.lower().replace("`", "")) if w not in STOP]


def roadmap_and_sections(nb) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The numbered items under ``## Roadmap`` and the numbered ``##`` headings, as (number, text)."""
    roadmap, sections = [], []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        in_roadmap = False
        for line in cell.source.split("\n"):
            if line.startswith("#"):
                in_roadmap = line.strip() == "## Roadmap"
                numbered = re.match(r"##\s+(\d+)\.\s+(.+)", line)
                if numbered:
                    sections.append((int(numbered.group(1)), numbered.group(2).strip()))
                elif re.match(r"#{2,}\s+\d+\.", line):
                    raise AssertionError(f"a numbered section below level 2 (JupyterLab's contents nest it): {line}")
            elif in_roadmap and (item := re.match(r"(\d+)\.\s+(.+)", line)):
                roadmap.append((int(item.group(1)), item.group(2).strip()))
    return roadmap, sections


@pytest.mark.parametrize("folder", ["source", "release"])
def test_roadmap_matches_the_numbered_sections(assignment, folder):
    roadmap, sections = roadmap_and_sections(read(folder, assignment))
    assert roadmap, f"{folder}/{assignment}: no numbered list under '## Roadmap'"
    assert [n for n, _ in sections] == list(range(1, len(sections) + 1)), f"sections numbered {sections}"
    assert [n for n, _ in roadmap] == [n for n, _ in sections], (
        f"{folder}/{assignment}: the roadmap lists {len(roadmap)} steps, the notebook has {len(sections)} "
        f"numbered sections:\n  roadmap:  {roadmap}\n  sections: {sections}")
    for (number, item), (_, heading) in zip(roadmap, sections):
        lead = words(heading.split(":")[0])
        assert lead and lead[0] in words(item), (
            f"{folder}/{assignment}: section {number} is '{heading}' but the roadmap's step {number} is '{item}'")


def defined_names(source: str) -> tuple[list[str], dict[str, ast.AST]]:
    """The top-level names a cell defines, and its ``def``/``class`` nodes by name."""
    tree = ast.parse(source)
    definitions = {node.name: node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    names = list(definitions)
    for node in tree.body:
        targets = [node.target] if isinstance(node, ast.AnnAssign) else getattr(node, "targets", [])
        names += [t.id for t in targets if isinstance(t, ast.Name)]
    return names, definitions


def test_answer_cells_say_what_to_write(assignment):
    release = read("release", assignment)
    source = {grade_id(c): c for c in read("source", assignment).cells if grade_id(c)}
    section, answers = "", 0
    for cell in release.cells:
        meta = nbgrader_meta(cell)
        if cell.cell_type == "markdown" and not meta.get("solution"):
            section = cell.source if re.match(r"#{1,2}\s", cell.source) else section + "\n" + cell.source
            continue
        if not meta.get("solution"):
            continue
        answers += 1
        name = grade_id(cell)
        if cell.cell_type == "markdown":  # a written answer: the stub, after a prompt that asks questions
            assert cell.source.strip() == "YOUR ANSWER HERE", name
            assert "?" in section and "graded by hand" in section.lower(), f"{assignment}/{name}: no question asked"
            continue
        assert "# YOUR CODE HERE" in cell.source and "raise NotImplementedError()" in cell.source, name
        wanted, definitions = defined_names(source[name].source)
        assert wanted, f"{assignment}/{name}: the source answer defines nothing"
        _, given = defined_names(cell.source)
        for wanted_name in wanted:
            if wanted_name in definitions:
                assert wanted_name in given and ast.get_docstring(given[wanted_name]), (
                    f"{assignment}/{name}: the student's cell lacks the signature and docstring of {wanted_name}")
            else:  # a constant: the cell's own text names it (a comment, or the line to complete)
                assert wanted_name in cell.source, f"{assignment}/{name}: the cell does not say to define {wanted_name}"
            assert re.search(rf"`[^`\n]*\b{wanted_name}\b", section), (
                f"{assignment}/{name}: the prose of its section never names `{wanted_name}`")
    assert answers >= 5


def test_solutions_carry_the_figures(assignment):
    from PIL import Image

    cells = {grade_id(c): c for c in read("solutions", assignment).cells if grade_id(c)}
    for name, figure in FIGURES[assignment].items():
        pngs = [o.data["image/png"] for o in cells[name].outputs if "image/png" in o.get("data", {})]
        assert pngs, f"solutions/{assignment}: {figure} (cell '{name}') has no image output"
        image = Image.open(io.BytesIO(base64.b64decode(pngs[0]))).convert("L")
        assert image.width >= 300 and image.height >= 200, (figure, image.size)
        low, high = image.getextrema()
        assert high - low > 100, f"solutions/{assignment}: {figure} is blank"
