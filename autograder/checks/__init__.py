"""Visible checks, one module per assignment.

A grade cell calls one function with the student's objects, for example
``check.to_tensors(to_tensors)``; the function builds its own inputs, so a
hard-coded answer or code that reads notebook globals fails.  These modules
are public: students receive them and may read them.
"""
