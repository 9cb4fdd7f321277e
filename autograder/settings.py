"""Grading settings shared by ``nbgrader_config.py`` and the kit's own grader.

Both graders must agree on these for their totals to agree.
"""

from __future__ import annotations

import os

# Seconds one cell may run (CPU training cells take tens of seconds on a laptop).
CELL_TIMEOUT = int(os.environ.get("KIT_CELL_TIMEOUT", "600"))

# Seconds a whole notebook may run in the kit's grader before the rest is abandoned.
NOTEBOOK_TIMEOUT = int(os.environ.get("KIT_NOTEBOOK_TIMEOUT", "1800"))

KERNEL_NAME = "python3"

# nbgrader scores any stderr output in a test cell as 0 points. A stderr output
# made only of Python warning lines ("...: UserWarning: ..." and the indented
# source line that follows) is dropped before scoring, in both graders.
WARNINGS_ONLY = r"^(?:(?:[^\n]*\b\w*Warning: [^\n]*|  [^\n]*)(?:\n|$))+$"
