"""Dolt tests on a Dolt sql-server: `dolt_test_run`, writing `dolt_tests`, a merge they gate.

MariaDB (and Dolt before `dolt_tests`) has no such table: every call here raises
`TestsUnavailable` there, and the callers skip the tests, saying so.

Commit verification (Dolt 1.81.9+): while a gated merge commits, the import groups of the
merged tests are added to the server's `dolt_commit_verification_groups` (`verified_by_dolt`)
and taken out after, so Dolt itself refuses a merge commit whose tests fail (reported as
`TestsFailed`); groups the operator set stay. The bot's commits on import branches pass
`--skip-verification`, so that a failing test shows in the review instead of stopping the
import. On every server the gated merge also runs the tests itself: the merge
is staged (`--no-commit`) inside a transaction, `dolt_test_run` reads the staged result, and
only then `DOLT_COMMIT` makes the merge commit; a failure aborts and rolls back.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from dolt.dolt_tests import (
    NO_TESTS,
    TESTS_COLUMNS,
    failure_in_words,
    failures_in_words,
    result_of_row,
    row_of_test,
    selector_literal,
)
from dolt.errors import DoltError, SqlError, TableNotFound, TestsFailed, TestsUnavailable
from dolt.models import Author, ConflictPreview, DoltTest, TestResult
from dolt.sqlserver.connect import ServerConnection
from dolt.sqlserver.errors import server_words

VERIFICATION_VARIABLE = "dolt_commit_verification_groups"
_VERIFICATION_WORDS = ("verification", "test")


def _unavailable(error: Exception) -> TestsUnavailable:
    return TestsUnavailable(f"Dolt tests: not available on this server ({error}).")


def run_tests(connection: ServerConnection, *, selector: str = "*") -> list[TestResult]:
    """`dolt_test_run(selector)` on the connection's branch (and its open transaction)."""
    try:
        if not connection.scalar("SELECT COUNT(*) FROM dolt_tests"):
            return []
    except TableNotFound as error:
        raise _unavailable(error) from error
    try:
        rows = connection.tuples(f"SELECT * FROM dolt_test_run({selector_literal(selector)})")
    except SqlError as error:
        if NO_TESTS in str(error):
            return []
        raise
    return [result_of_row(row) for row in rows]


def write_tests(connection: ServerConnection, tests: Sequence[DoltTest]) -> None:
    """`REPLACE INTO dolt_tests`, one row per test, values as parameters."""
    columns = ", ".join(TESTS_COLUMNS)
    marks = ", ".join("%s" for _ in TESTS_COLUMNS)
    try:
        connection.execute_many(
            f"REPLACE INTO dolt_tests ({columns}) VALUES ({marks})",
            [row_of_test(test) for test in tests],
        )
    except TableNotFound as error:
        raise _unavailable(error) from error


def delete_tests(connection: ServerConnection, names: Collection[str]) -> None:
    try:
        connection.execute_many(
            "DELETE FROM dolt_tests WHERE test_name = %s", [(name,) for name in names]
        )
    except TableNotFound as error:
        raise _unavailable(error) from error


def verification_groups(connection: ServerConnection) -> str | None:
    """The server's `dolt_commit_verification_groups` ('' when off), None when it has none."""
    rows = connection.tuples(f"SHOW GLOBAL VARIABLES LIKE '{VERIFICATION_VARIABLE}'")
    return str(rows[0][1] or "") if rows else None


@contextmanager
def verified_by_dolt(connection: ServerConnection, groups: Collection[str]) -> Iterator[None]:
    """While the merge commit is made, Dolt's own commit verification covers `groups` too,
    where the server has it (1.81.9+): the groups are added to the server's
    `dolt_commit_verification_groups` and taken out again after, leaving any the operator set.
    The variable is GLOBAL, but the groups are this database's import groups
    (`import/<job>`), which no other database holds, so nothing else is verified meanwhile.
    Without the variable (older Dolt), the tests this module ran are the gate."""
    try:
        current = verification_groups(connection)
    except SqlError:
        current = None
    operator = {g.strip() for g in (current or "").split(",") if g.strip()}
    added = sorted(set(groups) - operator)
    if current is None or "*" in operator or not added:
        yield
        return
    _set_verification(connection, sorted(operator) + added)
    try:
        yield
    finally:
        with suppress(DoltError):  # another merge may have changed it meanwhile: re-read
            now = {g.strip() for g in (verification_groups(connection) or "").split(",")}
            _set_verification(connection, sorted(g for g in now - set(added) if g))


def _set_verification(connection: ServerConnection, groups: Sequence[str]) -> None:
    connection.execute(f"SET GLOBAL {VERIFICATION_VARIABLE} = %s", (",".join(groups),))


def tested_merge(
    connection: ServerConnection,
    *,
    branch: str,
    into: str,
    message: str,
    author: Author,
    tests: str,
) -> list[dict[str, Any]]:
    """Inside the caller's transaction on `into`: stage the merge, test it, commit it.

    Returns DOLT_MERGE's result when there was nothing to merge or it conflicted (the caller
    handles those as for an ungated merge), else DOLT_COMMIT's. Failing tests abort the merge,
    roll back and raise `TestsFailed`."""
    staged = connection.call("CALL DOLT_MERGE('--no-ff', '--no-commit', %s)", (branch,))
    row = staged[0] if staged else {}
    if int(row.get("conflicts") or 0) or "up to date" in str(row.get("message") or "").lower():
        return staged
    try:
        results = run_tests(connection, selector=tests)
    except TestsUnavailable:  # a Dolt older than dolt_tests: nothing to run
        results = []
    failures = [r for r in results if not r.passed]
    if failures:
        _abort(connection)
        raise _refused(branch, into, failures_in_words(failures), failures)
    try:
        with verified_by_dolt(connection, {r.group for r in results}):
            committed = connection.call(
                "CALL DOLT_COMMIT('-m', %s, '--author', %s)", (message, str(author))
            )
    except SqlError as error:  # the server's own verification refused the commit
        words = server_words(error)
        if not any(word in words.lower() for word in _VERIFICATION_WORDS):
            raise
        _abort(connection)
        raise _refused(branch, into, words, ()) from error
    return [{**row, **(committed[0] if committed else {}), "fast_forward": 0}]


def _refused(branch: str, into: str, said: str, failures: Sequence[TestResult]) -> TestsFailed:
    return TestsFailed(
        f"Merging {branch!r} into {into!r} was refused: {said}. Nothing was changed.",
        preview=ConflictPreview(
            branch=branch,
            into=into,
            failing_tests=tuple(map(failure_in_words, failures)) or (said,),
        ),
        failures=failures,
    )


def _abort(connection: ServerConnection) -> None:
    """Abort the staged merge and roll back; errors are ignored (the connection closes next)."""
    with suppress(DoltError):
        connection.call("CALL DOLT_MERGE('--abort')")
    with suppress(DoltError):
        connection.execute("ROLLBACK")
