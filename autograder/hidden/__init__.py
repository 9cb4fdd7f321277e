"""Hidden checks, one module per assignment: instructor only.

Hidden grade cells are removed from ``release/`` by ``nbgrader
generate_assignment``, restored at autograde, and kept out of feedback by
:class:`autograder.course.preprocessors.HideHiddenTests`.  This package is
never shipped to students: it uses fresh random sizes, new argument values
and reference computations that a hard-coded answer cannot anticipate.
"""
