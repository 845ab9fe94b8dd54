"""Dolt tests on doltlite: `dolt_test_run` on one connection, and a merge they gate.

doltlite has no commit verification (a commit with a failing test succeeds), so a gated merge
is `dolt_merge('--no-ff', '--no-commit', ...)` inside `BEGIN IMMEDIATE`: the merged result is
staged on the target's working set under the file's write lock, the tests run on it there,
and either `dolt_commit` makes the merge commit or `dolt_merge('--abort')` and ROLLBACK leave
the target as it was. No writer can move the target between the test and the commit.
"""

from __future__ import annotations

from dolt.dolt_tests import (
    NO_TESTS,
    failure_in_words,
    failures_in_words,
    result_of_row,
    selector_literal,
)
from dolt.embedded.connect import scalar, sqlite3
from dolt.embedded.errors import map_sqlite_error
from dolt.errors import TestsFailed
from dolt.models import Author, ConflictPreview, TestResult


def run_tests(
    connection: sqlite3.Connection, *, selector: str = "*", context: str
) -> list[TestResult]:
    """`dolt_test_run(selector)` as `connection` sees its branch (its open transaction too)."""
    if not scalar(connection, "SELECT count(*) FROM dolt_tests"):
        return []
    sql = f"SELECT * FROM dolt_test_run({selector_literal(selector)})"
    try:
        return [result_of_row(row) for row in connection.execute(sql).fetchall()]
    except sqlite3.Error as exc:
        if NO_TESTS in str(exc):
            return []
        raise map_sqlite_error(exc, context=context) from exc


def tested_merge(
    connection: sqlite3.Connection,
    *,
    branch: str,
    into: str,
    message: str,
    author: Author,
    tests: str,
) -> object:
    """Inside the caller's BEGIN IMMEDIATE on `into`: stage the merge, run the tests on it,
    commit it (the merge commit's hash, or Dolt's `Already up to date`). A failing test
    aborts the merge, rolls back and raises `TestsFailed`; a conflict raises as Dolt does."""
    staged = connection.execute(
        "SELECT dolt_merge('--no-ff', '--no-commit', '-m', ?, ?)", (message, branch)
    ).fetchone()[0]
    if str(staged).lower().startswith("already up to date"):
        return staged
    context = f"testing the merge of {branch!r} into {into!r}"
    failures = [r for r in run_tests(connection, selector=tests, context=context) if not r.passed]
    if failures:
        connection.execute("SELECT dolt_merge('--abort')")
        connection.execute("ROLLBACK")
        said = failures_in_words(failures)
        raise TestsFailed(
            f"Merging {branch!r} into {into!r} was refused: {said}. Nothing was changed.",
            preview=ConflictPreview(
                branch=branch, into=into, failing_tests=tuple(map(failure_in_words, failures))
            ),
            failures=failures,
        )
    return scalar(connection, "SELECT dolt_commit('-m', ?, '--author', ?)", (message, str(author)))
