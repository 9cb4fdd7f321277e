"""Grading one notebook outside nbgrader: with pytest, for students and for instructors.

    python -m autograder.grader NOTEBOOK [--assignment ID] [--self-check] [--results-json F] [--junit-xml F]

The notebook is never modified: a prepared copy runs in a fresh kernel, in a
scratch folder, with nbgrader's timeouts.  Its test cells are taken from the
reference notebook (the instructor's source, with hidden tests; or, for a
student's self-check, the release, visible tests only), exactly as
``nbgrader autograde`` restores them, and each grade cell becomes one pytest
test carrying its points.  Scores follow nbgrader's rules, so both graders
give the same totals.
"""
