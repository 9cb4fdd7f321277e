"""The course kit's grading package.

Public part (shipped to students with the release notebooks, see ``./kit bundle``):

* :mod:`autograder.paths` -- where the course data lives, wherever a notebook runs;
* :mod:`autograder.asserts` -- assertion helpers whose failures teach
  (type, then dtype, then shape, then values; expected versus found);
* :mod:`autograder.checks` -- the visible checks, one module per assignment;
* :mod:`autograder.grader` -- grading one notebook with pytest (the students' self-check),
  and the sandbox student kernels run in;
* :mod:`autograder.settings`, :mod:`autograder.assignments` -- timeouts and the contract's ids;
* :mod:`autograder.data` -- the data command (MNIST and FashionMNIST).

Instructor part (never shipped to students):

* :mod:`autograder.hidden` -- the hidden checks, one module per assignment;
* :mod:`autograder.course` -- building release/solutions, nbgrader plug-ins,
  grading the sample class, reports, the student bundle and the Gradescope zip;
* :mod:`autograder.cli` -- the ``kit`` command; ``autograder.tests`` -- the kit's tests.
"""

PUBLIC_MODULES = ("paths", "asserts", "checks", "grader", "settings", "assignments", "data")
INSTRUCTOR_MODULES = ("hidden", "course", "cli", "tests")
