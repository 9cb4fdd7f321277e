"""nbgrader configuration for the PyTorch course kit.

Every nbgrader command run from this folder reads it, and so does the kit's
own tooling (``./kit``), which runs the same commands in copies of this
course.  Environment overrides: ``KIT_DB_URL`` (a server gradebook, e.g.
PostgreSQL), ``KIT_CELL_TIMEOUT`` (seconds per cell), ``KIT_EXCHANGE`` (the
exchange folder for release_assignment, fetch_assignment, submit and collect).
"""

import os

from autograder import settings

c = get_config()  # noqa: F821 -- provided by traitlets when nbgrader loads this file

COURSE_ROOT = os.path.dirname(os.path.abspath(__file__))

# --- the course ---------------------------------------------------------------------
c.CourseDirectory.course_id = "pytorch-foundations"
c.CourseDirectory.root = COURSE_ROOT
c.CourseDirectory.solution_directory = "solutions"
# SQLite by default; a server gradebook for several graders at once.
c.CourseDirectory.db_url = os.environ.get("KIT_DB_URL", "sqlite:///" + os.path.join(COURSE_ROOT, "gradebook.db"))
# Where release_assignment puts assignments and students submit (nbgrader's default: /srv/nbgrader/exchange).
c.Exchange.root = os.environ.get("KIT_EXCHANGE", "/srv/nbgrader/exchange")
# Files a notebook writes when it runs (models, the fashion image folder) never travel
# from source/ into release/ or over a submission.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "*.pt", "*.pth", "MNIST", "FashionMNIST",
                            "fashion_images"]

# --- executing notebooks ------------------------------------------------------------
# CPU training cells run for tens of seconds on a laptop: 30 s (nbgrader's default)
# is too short. `Execute.timeout` is the spelling nbgrader reads.
c.Execute.timeout = settings.CELL_TIMEOUT
c.Execute.kernel_name = settings.KERNEL_NAME
c.Execute.interrupt_on_timeout = True
# Student code is untrusted: every kernel runs in the kit's sandbox (no network, read-only
# system, the course's secrets hidden, an unprivileged user, resource limits). See
# autograder/grader/sandbox.py; KIT_SANDBOX=0 turns it off.
c.Execute.kernel_manager_class = "autograder.grader.sandbox.SandboxedKernelManager"
c.Sandbox.course_root = COURSE_ROOT
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
c.OverwriteKernelspec.enabled = True

# --- autograding ----------------------------------------------------------------------
# nbgrader scores any stderr output in a test cell as 0 points. Library warnings
# (PyTorch, torchvision, pandas) must not zero a correct answer: drop stderr
# outputs that are only warnings. (The checks also run student code quietly.)
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = settings.WARNINGS_ONLY

# Restore deleted grade and locked cells in their original place (nbgrader's own
# add_missing_cells crashes when the cell before a deleted one is read-only) and
# repair duplicated cells, before nbgrader overwrites locked cells from checksums.
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "autograder.course.preprocessors.RestoreMissingCells",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Execute with the kit's output cap (a submission printing gigabytes cannot fill memory).
c.Autograde.autograde_preprocessors = [
    "autograder.course.preprocessors.SafeExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# --- feedback -----------------------------------------------------------------------
# Feedback shows scores and visible tests; hidden tests' code and tracebacks never.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "autograder.course.preprocessors.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
