"""The Dolt sql-server backend: databases, branches, review and merge over the MySQL protocol.

Written against Dolt's documented SQL (``CALL DOLT_*`` procedures, ``DOLT_*`` table functions,
``dolt_*`` system tables). Every connection is short-lived and pinned by its database name:
``db`` for branch management, ``db/ref`` for anything that reads or writes one branch, so no
session ever switches branches. Write sessions hold their own connection
(`dolt.sqlserver.session`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from dolt.errors import (
    BranchNotFound,
    DatabaseExists,
    DatabaseNotFound,
    DoltError,
    MergeConflict,
    SqlError,
)
from dolt.interface import Database, DoltServer
from dolt.models import (
    Author,
    BranchInfo,
    ConflictPreview,
    DiffSummary,
    MergeResult,
    RowChange,
    RowChangeType,
    TestResult,
)
from dolt.sql.names import validate_branch_name, validate_database_name
from dolt.sql.predicates import count_query, rows_query
from dolt.sqlserver import dolt_tests
from dolt.sqlserver.connect import (
    DEFAULT_CONNECT_TIMEOUT,
    Connector,
    ServerConnection,
    quote,
    quote_database,
    validate_commitish,
    validate_ref,
)
from dolt.sqlserver.errors import server_words
from dolt.sqlserver.review import (
    PreviewFunctionsMissing,
    preview_with_functions,
    read_diff_summary,
    read_merge_state,
    show_create_table,
    stream_row_changes,
)
from dolt.sqlserver.session import SqlServerWriteSession, base_tables
from dolt.urls import MysqlLocation

__all__ = ["SqlServer", "SqlServerDatabase", "SqlServerWriteSession"]

_BRANCH_COLUMNS = (
    "name, hash, latest_committer, latest_committer_email, latest_commit_date, "
    "latest_commit_message"
)
# Dolt's words when a merge leaves conflicts or constraint violations behind.
_UNRESOLVED = "unresolved conflicts or constraint violations"
# Dolt's words when there is nothing to merge ("Everything up-to-date", or `into` is ahead).
_UP_TO_DATE = ("up-to-date", "up to date", "is ahead")


def _orphan_count(table: str, parts: list[dict[str, Any]]) -> str:
    """Rows of `table` whose (non-null) foreign key has no match in the referenced table."""
    parent = quote(str(parts[0]["REFERENCED_TABLE_NAME"]))
    present = " AND ".join(f"c.{quote(str(p['COLUMN_NAME']))} IS NOT NULL" for p in parts)
    match = " AND ".join(
        f"p.{quote(str(p['REFERENCED_COLUMN_NAME']))} = c.{quote(str(p['COLUMN_NAME']))}"
        for p in parts
    )
    return (
        f"SELECT COUNT(*) FROM {quote(table)} AS c WHERE {present} "
        f"AND NOT EXISTS (SELECT 1 FROM {parent} AS p WHERE {match})"
    )


class SqlServer(DoltServer):
    """A Dolt sql-server reached at ``mysql://user:pass@host:port``."""

    def __init__(
        self, location: MysqlLocation, *, connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    ) -> None:
        self.url = str(location)  # never contains the password
        self._connector = Connector(location=location, connect_timeout=connect_timeout)

    def list_databases(self) -> list[str]:
        """User databases, without system schemas and without ``db/branch`` names."""
        return self._connector.list_databases()

    def create_database(self, *, name: str) -> SqlServerDatabase:
        """``CREATE DATABASE``; Dolt makes the initial commit on ``main`` itself."""
        validate_database_name(name)
        with self._connector.connect() as connection:
            connection.execute(f"CREATE DATABASE {quote_database(name)}")
        return SqlServerDatabase(connector=self._connector, name=name)

    def database(self, *, name: str, create: bool = False) -> SqlServerDatabase:
        """Open a database; raises `DatabaseNotFound` unless `create` is set."""
        validate_database_name(name)
        if name in self.list_databases():
            return SqlServerDatabase(connector=self._connector, name=name)
        if not create:
            raise DatabaseNotFound(f"Database {name!r} does not exist on {self.url}.")
        try:
            return self.create_database(name=name)
        except DatabaseExists:  # created meanwhile by someone else: fine
            return SqlServerDatabase(connector=self._connector, name=name)

    def drop_database(self, *, name: str) -> None:
        validate_database_name(name)
        with self._connector.connect() as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {quote_database(name)}")

    def close(self) -> None:
        """Nothing to release: connections are opened per call or per write session."""


class SqlServerDatabase(Database):
    """One Dolt database on a sql-server."""

    def __init__(self, *, connector: Connector, name: str) -> None:
        self.name = validate_database_name(name)
        self._connector = connector

    def _on_ref(self, ref: str, *, autocommit: bool = True) -> ServerConnection:
        return self._connector.connect_to_ref(database=self.name, ref=ref, autocommit=autocommit)

    def _on_database(self) -> ServerConnection:
        """A connection to the database's default branch, for branch management."""
        return self._connector.connect(database=self.name)

    # tables -----------------------------------------------------------------
    def list_tables(self, *, ref: str = "main") -> list[str]:
        with self._on_ref(ref) as connection:
            return base_tables(connection)

    def create_statements(self, *, ref: str = "main") -> dict[str, str]:
        """``SHOW CREATE TABLE`` for every table on `ref`, in canonical MySQL dialect."""
        with self._on_ref(ref) as connection:
            return {t: show_create_table(connection, t) for t in base_tables(connection)}

    def row_counts(self, *, ref: str = "main") -> dict[str, int]:
        with self._on_ref(ref) as connection:
            return {
                t: int(connection.scalar(f"SELECT COUNT(*) FROM {quote(t)}"))
                for t in base_tables(connection)
            }

    def count_rows(self, *, table: str, ref: str = "main", where: str | None = None) -> int:
        with self._on_ref(ref) as connection:
            columns = [
                str(r["Field"]) for r in connection.rows(f"SHOW COLUMNS FROM {quote(table)}")
            ]
            sql = count_query(table=table, columns=columns, where=where, dialect="mysql")
            return int(connection.scalar(sql))

    def read_rows(
        self, *, table: str, ref: str = "main", where: str | None = None, limit: int = 20
    ) -> list[dict[str, Any]]:
        with self._on_ref(ref) as connection:
            columns = [
                str(r["Field"]) for r in connection.rows(f"SHOW COLUMNS FROM {quote(table)}")
            ]
            sql, parameters = rows_query(
                table=table, columns=columns, where=where, limit=limit, dialect="mysql"
            )
            return connection.rows(sql, parameters)

    def column_values(self, *, table: str, column: str, ref: str = "main") -> Iterator[Any]:
        with self._on_ref(ref) as connection:
            for row in connection.stream(f"SELECT {quote(column)} AS v FROM {quote(table)}"):
                yield row["v"]

    def foreign_key_violations(self, *, table: str, ref: str = "main") -> int:
        with self._on_ref(ref) as connection:
            keys: dict[str, list[dict[str, Any]]] = {}
            for row in connection.rows(
                "SELECT CONSTRAINT_NAME, COLUMN_NAME, REFERENCED_TABLE_NAME, "
                "REFERENCED_COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE "
                "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s "
                "AND REFERENCED_TABLE_NAME IS NOT NULL ORDER BY ORDINAL_POSITION",
                (table,),
            ):
                keys.setdefault(str(row["CONSTRAINT_NAME"]), []).append(row)
            return sum(
                int(connection.scalar(_orphan_count(table, parts))) for parts in keys.values()
            )

    # branches ---------------------------------------------------------------
    def create_branch(self, *, name: str, start: str = "main") -> BranchInfo:
        """``CALL DOLT_BRANCH(name, start)``; `BranchExists` / `BranchNotFound` on failure."""
        validate_branch_name(name)
        validate_ref(start)
        with self._on_database() as connection:
            connection.call("CALL DOLT_BRANCH(%s, %s)", (name, start))
        return self.branch(name=name)

    def list_branches(self) -> list[BranchInfo]:
        with self._on_database() as connection:
            rows = connection.rows(f"SELECT {_BRANCH_COLUMNS} FROM dolt_branches ORDER BY name")
        return [_branch_info(row) for row in rows]

    def branch(self, *, name: str) -> BranchInfo:
        validate_branch_name(name)
        with self._on_database() as connection:
            rows = connection.rows(
                f"SELECT {_BRANCH_COLUMNS} FROM dolt_branches WHERE name = %s", (name,)
            )
        if not rows:
            raise BranchNotFound(f"Database {self.name!r} has no branch {name!r}.")
        return _branch_info(rows[0])

    def commits(self, *, ref: str = "main", limit: int = 1000) -> list[tuple[str, str]]:
        validate_ref(ref)
        with self._on_database() as connection:
            rows = connection.rows(
                "SELECT commit_hash, message FROM dolt_log(%s) LIMIT %s", (ref, int(limit))
            )
        return [(str(row["commit_hash"]), str(row["message"])) for row in rows]

    def merge_base(self, *, branch: str, other: str = "main") -> str:
        validate_ref(branch)
        validate_ref(other)
        with self._on_database() as connection:
            return str(connection.scalar("SELECT DOLT_MERGE_BASE(%s, %s)", (other, branch)))

    def delete_branch(self, *, name: str) -> None:
        """``CALL DOLT_BRANCH('-D', name)``: also when a (stale) session still uses it."""
        validate_branch_name(name)
        with self._on_database() as connection:
            connection.call("CALL DOLT_BRANCH('-D', %s)", (name,))

    def write_session(self, *, branch: str) -> SqlServerWriteSession:
        """A session whose connection is pinned to ``db/branch``."""
        return SqlServerWriteSession(connector=self._connector, database=self.name, branch=branch)

    # review -----------------------------------------------------------------
    def diff_summary(self, *, branch: str, base: str = "main") -> DiffSummary:
        validate_ref(base)
        with self._on_ref(branch) as connection:
            return read_diff_summary(connection, base=base, branch=branch)

    def diff_rows(
        self,
        *,
        table: str,
        branch: str,
        base: str = "main",
        diff_type: RowChangeType | None = None,
        limit: int | None = None,
    ) -> Iterator[RowChange]:
        """Stream ``DOLT_DIFF('base...branch', table)`` on a connection of its own."""
        quote(table)
        validate_ref(base)
        validate_ref(branch)
        return self._stream_diff_rows(
            table=table, branch=branch, base=base, diff_type=diff_type, limit=limit
        )

    def _stream_diff_rows(self, **query: Any) -> Iterator[RowChange]:
        with self._on_ref(query["branch"]) as connection:
            yield from stream_row_changes(connection, **query)

    # merge ------------------------------------------------------------------
    def preview_merge(
        self, *, branch: str, into: str = "main", examples: int = 3
    ) -> ConflictPreview:
        """Conflicts a merge would meet, found without changing anything.

        Uses ``DOLT_PREVIEW_MERGE_CONFLICTS[_SUMMARY]`` where the server has them, otherwise a
        trial merge inside a transaction that is aborted and rolled back.
        """
        validate_branch_name(branch)
        validate_branch_name(into)
        with self._on_ref(into) as connection:
            if _merges_cleanly_by_history(connection, branch=branch, into=into):
                return ConflictPreview(branch=branch, into=into)
            try:
                return preview_with_functions(
                    connection, branch=branch, into=into, examples=examples
                )
            except PreviewFunctionsMissing:
                pass
        return self._preview_by_trial_merge(branch=branch, into=into, examples=examples)

    def _preview_by_trial_merge(self, *, branch: str, into: str, examples: int) -> ConflictPreview:
        with self._on_ref(into, autocommit=False) as connection:
            connection.execute("START TRANSACTION")
            try:
                result = connection.call("CALL DOLT_MERGE('--no-ff', '--no-commit', %s)", (branch,))
                if _conflicts(result):
                    return read_merge_state(connection, branch=branch, into=into, examples=examples)
                return ConflictPreview(branch=branch, into=into)
            except SqlError as exc:
                if _UNRESOLVED in str(exc):
                    return read_merge_state(connection, branch=branch, into=into, examples=examples)
                return ConflictPreview(branch=branch, into=into, error=server_words(exc))
            finally:
                _abandon_merge(connection)

    def merge(
        self,
        *,
        branch: str,
        message: str,
        author: Author,
        into: str = "main",
        tests: str | None = None,
    ) -> MergeResult:
        """``CALL DOLT_MERGE('--no-ff', '-m', msg, '--author', who, branch)`` on ``db/into``.

        Runs inside a transaction: on conflicts the merge is aborted and rolled back, and
        `MergeConflict` carries what was found; nothing is left behind. With `tests`, the
        merge is staged and tested first (`dolt.sqlserver.dolt_tests.tested_merge`).
        """
        validate_branch_name(branch)
        validate_branch_name(into)
        with self._on_ref(into, autocommit=False) as connection:
            connection.execute("START TRANSACTION")
            try:
                if tests is None:
                    result = connection.call(
                        "CALL DOLT_MERGE('--no-ff', '-m', %s, '--author', %s, %s)",
                        (message, str(author), branch),
                    )
                else:
                    result = dolt_tests.tested_merge(
                        connection,
                        branch=branch,
                        into=into,
                        message=message,
                        author=author,
                        tests=tests,
                    )
            except SqlError as exc:
                preview = self._failed_merge_preview(connection, exc, branch=branch, into=into)
                raise MergeConflict(_conflict_message(preview), preview=preview) from exc
            if _conflicts(result):
                preview = read_merge_state(connection, branch=branch, into=into, examples=3)
                _abandon_merge(connection)
                raise MergeConflict(_conflict_message(preview), preview=preview)
            return _finish_merge(connection, result, into=into)

    def _failed_merge_preview(
        self, connection: ServerConnection, error: SqlError, *, branch: str, into: str
    ) -> ConflictPreview:
        try:
            if _UNRESOLVED in str(error):
                return read_merge_state(connection, branch=branch, into=into, examples=3)
            return ConflictPreview(branch=branch, into=into, error=server_words(error))
        finally:
            _abandon_merge(connection)

    def run_tests(self, *, ref: str, selector: str = "*") -> list[TestResult]:
        """``SELECT * FROM dolt_test_run(selector)`` on ``db/ref``; `TestsUnavailable` on
        a server without `dolt_tests` (MariaDB)."""
        with self._on_ref(ref) as connection:
            return dolt_tests.run_tests(connection, selector=selector)

    def revert(self, *, commit: str, author: Author, branch: str = "main") -> str:
        """``CALL DOLT_REVERT(commit, '--author', who)`` on ``db/branch``; the new commit's hash."""
        validate_branch_name(branch)
        validate_commitish(commit)
        with self._on_ref(branch, autocommit=False) as connection:
            connection.execute("START TRANSACTION")
            try:
                result = connection.call(
                    "CALL DOLT_REVERT(%s, '--author', %s)", (commit, str(author))
                )
            except SqlError as exc:
                _rollback_quietly(connection)
                if "conflict" not in str(exc).lower():
                    raise
                preview = ConflictPreview(branch=commit, into=branch, error=server_words(exc))
                raise MergeConflict(_conflict_message(preview), preview=preview) from exc
            row = result[0] if result else {}
            if any(int(row.get(k) or 0) for k in _REVERT_CONFLICT_COLUMNS):
                preview = read_merge_state(connection, branch=commit, into=branch, examples=3)
                _call_quietly(connection, "CALL DOLT_REVERT('--abort')")
                _rollback_quietly(connection)
                raise MergeConflict(_conflict_message(preview), preview=preview)
            connection.execute("COMMIT")
            return str(row.get("hash") or connection.scalar("SELECT DOLT_HASHOF('HEAD')"))

    def gc(self) -> None:
        """``CALL DOLT_GC()``. Dolt breaks every open connection to the server while it runs."""
        with self._on_database() as connection:
            connection.call("CALL DOLT_GC()")

    def close(self) -> None:
        """Nothing to release: connections are opened per call."""


_REVERT_CONFLICT_COLUMNS = ("data_conflicts", "schema_conflicts", "constraint_violations")


def _branch_info(row: dict[str, Any]) -> BranchInfo:
    date = row.get("latest_commit_date")
    return BranchInfo(
        name=str(row["name"]),
        head=str(row["hash"]),
        message=str(row.get("latest_commit_message") or ""),
        author=str(row.get("latest_committer") or ""),
        author_email=str(row.get("latest_committer_email") or ""),
        date=date.isoformat()
        if date is not None and hasattr(date, "isoformat")
        else str(date or ""),
    )


def _merges_cleanly_by_history(connection: ServerConnection, *, branch: str, into: str) -> bool:
    """True when one side contains the other: a fast-forward or nothing to merge."""
    base = connection.scalar("SELECT DOLT_MERGE_BASE(%s, %s)", (into, branch))
    heads = connection.tuples("SELECT DOLT_HASHOF(%s), DOLT_HASHOF(%s)", (into, branch))
    return base is not None and str(base) in {str(h) for h in heads[0]}


def _conflicts(result: list[dict[str, Any]]) -> bool:
    return bool(result) and int(result[0].get("conflicts") or 0) > 0


def _finish_merge(
    connection: ServerConnection, result: list[dict[str, Any]], *, into: str
) -> MergeResult:
    """Commit the transaction of a successful merge; describe it from DOLT_MERGE's result row."""
    row = result[0] if result else {}
    note = str(row.get("message") or "")
    commit_hash = row.get("hash")
    if not commit_hash and any(word in note.lower() for word in _UP_TO_DATE):
        _rollback_quietly(connection)
        head = connection.scalar("SELECT DOLT_HASHOF(%s)", (into,))
        return MergeResult(hash=str(head), fast_forward=False, already_up_to_date=True)
    if not commit_hash and "hash" in row:
        _abandon_merge(connection)
        raise DoltError(f"The merge into {into!r} made no commit and was rolled back: {note}")
    connection.execute("COMMIT")
    if not commit_hash:  # servers older than the hash column
        commit_hash = connection.scalar("SELECT DOLT_HASHOF(%s)", (into,))
    return MergeResult(hash=str(commit_hash), fast_forward=bool(int(row.get("fast_forward") or 0)))


def _abandon_merge(connection: ServerConnection) -> None:
    """Abort a merge in progress and roll the transaction back; errors are ignored."""
    _call_quietly(connection, "CALL DOLT_MERGE('--abort')")
    _rollback_quietly(connection)


def _call_quietly(connection: ServerConnection, sql: str) -> None:
    with contextlib.suppress(DoltError):
        connection.call(sql)


def _rollback_quietly(connection: ServerConnection) -> None:
    with contextlib.suppress(DoltError):
        connection.execute("ROLLBACK")


def _conflict_message(preview: ConflictPreview) -> str:
    if preview.error:
        return f"Merging {preview.branch!r} into {preview.into!r} failed: {preview.error}"
    parts = [f"{c.count} data conflict(s) in {c.table!r}" for c in preview.data_conflicts]
    parts += [f"a schema conflict in {c.table!r}" for c in preview.schema_conflicts]
    parts += [
        f"{v.count} constraint violation(s) in {v.table!r}" for v in preview.constraint_violations
    ]
    found = "; ".join(parts) or "conflicts"
    return (
        f"Merging {preview.branch!r} into {preview.into!r} stopped: {found}. Nothing was changed."
    )
