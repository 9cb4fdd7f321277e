"""The course kit's grading package.

Public part (shipped to students with the release notebooks):

* :mod:`autograder.paths`  -- where the course data lives, wherever a notebook runs;
* :mod:`autograder.asserts` -- assertion helpers whose failures teach
  (type, then dtype, then shape, then values; expected versus found);
* :mod:`autograder.checks` -- the visible checks, one module per assignment;
* :mod:`autograder.data` -- the data command (MNIST and FashionMNIST).

Instructor part (never shipped to students):

* :mod:`autograder.hidden` -- the hidden checks, one module per assignment;
* :mod:`autograder.course` -- building release/solutions, nbgrader plug-ins,
  grading the sample class, reports;
* :mod:`autograder.cli` -- the ``kit`` command.
"""

PUBLIC_MODULES = ("paths", "asserts", "checks", "data")
INSTRUCTOR_MODULES = ("hidden", "course", "cli", "tests")
