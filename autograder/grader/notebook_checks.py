"""The one test of the kit's grader: each grade cell of the notebook is a case of it."""


def test_check(check, grade):
    grade(check)
