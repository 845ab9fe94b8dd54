"""The doltlite backend: a directory of `<name>.db` files, each a Dolt database."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

from dolt.embedded import dolt_tests, review
from dolt.embedded.connect import connect, scalar, sqlite3
from dolt.embedded.errors import map_sqlite_error, retry_when_busy
from dolt.embedded.session import DoltliteWriteSession
from dolt.errors import (
    BranchNotFound,
    DatabaseExists,
    DatabaseNotFound,
    DoltError,
    InvalidName,
    InvalidUrl,
    MergeConflict,
    TableNotFound,
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
from dolt.sql.dialect import sqlite_to_mysql
from dolt.sql.names import quote_identifier, validate_branch_name, validate_database_name
from dolt.sql.predicates import count_query, rows_query
from dolt.urls import DoltliteLocation

PROTECTED_BRANCHES = frozenset({"main"})
_USER_TABLES = (
    "SELECT name, sql FROM sqlite_master WHERE type = 'table' "
    "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE 'dolt\\_%' ESCAPE '\\' "
    "ORDER BY name"
)
_USER_INDEXES = (
    "SELECT tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name"
)


class DoltliteServer(DoltServer):
    """Databases as files in one directory (`doltlite:///dir`)."""

    def __init__(self, location: DoltliteLocation) -> None:
        if "@" in str(location.directory):
            raise InvalidUrl(
                f"The doltlite directory {location.directory} contains '@', which doltlite "
                "reads as a branch separator: choose another directory."
            )
        self.url = str(location)
        self.directory = location.directory

    def _path(self, name: str) -> Path:
        return self.directory / f"{validate_database_name(name)}.db"

    def list_databases(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        names = []
        for path in sorted(self.directory.glob("*.db")):
            try:
                names.append(validate_database_name(path.stem))
            except InvalidName:
                continue
        return names

    def create_database(self, *, name: str) -> DoltliteDatabase:
        path = self._path(name)
        if path.exists():
            raise DatabaseExists(f"Database {name!r} already exists in {self.directory}.")
        self.directory.mkdir(parents=True, exist_ok=True)
        connect(path).close()  # doltlite creates the file with its initial commit on main
        return DoltliteDatabase(name=name, path=path)

    def database(self, *, name: str, create: bool = False) -> DoltliteDatabase:
        path = self._path(name)
        if not path.exists():
            if not create:
                raise DatabaseNotFound(
                    f"There is no database {name!r} in {self.directory}; "
                    f"known: {', '.join(self.list_databases()) or 'none'}."
                )
            try:
                return self.create_database(name=name)
            except DatabaseExists:  # created by someone else meanwhile
                pass
        return DoltliteDatabase(name=name, path=path)

    def drop_database(self, *, name: str) -> None:
        path = self._path(name)
        for leftover in (path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")):
            leftover.unlink(missing_ok=True)
        path.unlink(missing_ok=True)

    def close(self) -> None:
        return None


class DoltliteDatabase(Database):
    engine = "doltlite"
    dialect = "sqlite"

    def __init__(self, *, name: str, path: Path) -> None:
        self.name = name
        self.path = path
        self._main = connect(path)  # readers never block; used only for reads and merges

    # tables -----------------------------------------------------------------
    @contextmanager
    def _reading(self, ref: str) -> Iterator[sqlite3.Connection]:
        """A connection that reads `ref` (the shared one for main, a pinned one otherwise)."""
        if ref == "main":
            yield self._main
            return
        with closing(connect(self.path, ref=ref)) as connection:
            yield connection

    def _raw_schemas(self, ref: str) -> dict[str, str]:
        with self._reading(ref) as connection:
            return {name: sql for name, sql in connection.execute(_USER_TABLES)}

    def list_tables(self, *, ref: str = "main") -> list[str]:
        return list(self._raw_schemas(ref))

    def create_statements(self, *, ref: str = "main") -> dict[str, str]:
        with self._reading(ref) as connection:
            indexes: dict[str, list[str]] = {}
            for table, sql in connection.execute(_USER_INDEXES):
                indexes.setdefault(table, []).append(sql)
            return {
                name: sqlite_to_mysql(sql, indexes=indexes.get(name, ()))
                for name, sql in connection.execute(_USER_TABLES).fetchall()
            }

    def row_counts(self, *, ref: str = "main") -> dict[str, int]:
        with self._reading(ref) as connection:
            return {
                name: int(scalar(connection, f"SELECT count(*) FROM {quote_identifier(name)}"))
                for name, _ in connection.execute(_USER_TABLES).fetchall()
            }

    def count_rows(self, *, table: str, ref: str = "main", where: str | None = None) -> int:
        with self._reading(ref) as connection:
            columns = [
                c for (c,) in connection.execute("SELECT name FROM pragma_table_info(?)", (table,))
            ]
            if not columns:
                raise TableNotFound(f"There is no table {table!r} on {ref!r}.")
            sql = count_query(table=table, columns=columns, where=where, dialect="sqlite")
            try:
                return int(scalar(connection, sql))
            except sqlite3.Error as exc:
                raise map_sqlite_error(exc, context=f"counting {table!r} on {ref!r}") from exc

    def read_rows(
        self, *, table: str, ref: str = "main", where: str | None = None, limit: int = 20
    ) -> list[dict[str, Any]]:
        with self._reading(ref) as connection:
            columns = [
                c for (c,) in connection.execute("SELECT name FROM pragma_table_info(?)", (table,))
            ]
            if not columns:
                raise TableNotFound(f"There is no table {table!r} on {ref!r}.")
            sql, parameters = rows_query(
                table=table, columns=columns, where=where, limit=limit, dialect="sqlite"
            )
            try:
                cursor = connection.execute(sql, parameters)
                return [dict(zip(columns, row, strict=True)) for row in cursor]
            except sqlite3.Error as exc:
                raise map_sqlite_error(exc, context=f"reading {table!r} on {ref!r}") from exc

    def column_values(self, *, table: str, column: str, ref: str = "main") -> Iterator[Any]:
        sql = f"SELECT {quote_identifier(column)} FROM {quote_identifier(table)}"
        with closing(connect(self.path, ref=ref)) as connection:
            cursor = connection.execute(sql)
            while rows := cursor.fetchmany(10_000):
                for (value,) in rows:
                    yield value

    def foreign_key_violations(self, *, table: str, ref: str = "main") -> int:
        with self._reading(ref) as connection:
            return int(
                scalar(connection, "SELECT count(*) FROM pragma_foreign_key_check(?)", (table,))
            )

    # branches ---------------------------------------------------------------
    def create_branch(self, *, name: str, start: str = "main") -> BranchInfo:
        validate_branch_name(name)
        self._call("dolt_branch", name, start, context=f"creating branch {name!r} from {start!r}")
        return self.branch(name=name)

    def list_branches(self) -> list[BranchInfo]:
        rows = self._main.execute(
            "SELECT name, hash, latest_commit_message, latest_committer, "
            "latest_committer_email, latest_commit_date FROM dolt_branches ORDER BY name"
        ).fetchall()
        return [
            BranchInfo(name=n, head=h, message=m, author=a, author_email=e, date=d)
            for n, h, m, a, e, d in rows
        ]

    def branch(self, *, name: str) -> BranchInfo:
        for info in self.list_branches():
            if info.name == name:
                return info
        raise BranchNotFound(f"There is no branch {name!r} in database {self.name!r}.")

    def delete_branch(self, *, name: str) -> None:
        validate_branch_name(name)
        if name in PROTECTED_BRANCHES:
            raise DoltError(f"Branch {name!r} is protected and cannot be deleted.")
        self._call("dolt_branch", "-D", name, context=f"deleting branch {name!r}")

    def write_session(self, *, branch: str) -> DoltliteWriteSession:
        return DoltliteWriteSession(path=self.path, branch=branch)

    def head(self, *, ref: str = "main") -> str:
        return str(self._call("dolt_hashof", ref, context=f"resolving {ref!r}"))

    def merge_base(self, *, branch: str, other: str = "main") -> str:
        return str(self._call("dolt_merge_base", other, branch, context="finding the merge base"))

    def commits(self, *, ref: str = "main", limit: int = 1000) -> list[tuple[str, str]]:
        validate_branch_name(ref)  # a branch or a commit hash
        with closing(connect(self.path, ref=ref)) as connection:
            rows = connection.execute(
                "SELECT commit_hash, message FROM dolt_log LIMIT ?", (int(limit),)
            ).fetchall()
        return [(str(commit), str(message)) for commit, message in rows]

    # review -----------------------------------------------------------------
    def diff_summary(self, *, branch: str, base: str = "main") -> DiffSummary:
        base_commit = self.merge_base(branch=branch, other=base)
        three_dot = f"{base}...{branch}"
        before = self.create_statements(ref=base_commit)
        after = self.create_statements(ref=branch)
        tables = review.table_diffs(
            self._main,
            three_dot=three_dot,
            before=before,
            after=after,
            count_before=self._counter(base_commit),
            count_after=self._counter(branch),
        )
        # Dolt's own versioned tables (dolt_tests) are not the person's data
        data = tuple(t for t in tables if not t.name.lower().startswith("dolt_"))
        return DiffSummary(base=base, branch=branch, tables=data)

    def _counter(self, ref: str) -> Callable[[str], int]:
        """Row count of a table on `ref`; all tables are counted once, on first use."""
        counts = functools.cache(lambda: self.row_counts(ref=ref))
        return lambda table: counts().get(table, 0)

    def diff_rows(
        self,
        *,
        table: str,
        branch: str,
        base: str = "main",
        diff_type: RowChangeType | None = None,
        limit: int | None = None,
    ) -> Iterator[RowChange]:
        quote_identifier(table)  # validates the name before it becomes part of a function name
        with closing(connect(self.path)) as connection:
            yield from review.diff_rows(
                connection,
                table=table,
                three_dot=f"{base}...{branch}",
                diff_type=diff_type,
                limit=limit,
            )

    # merge ------------------------------------------------------------------
    def preview_merge(
        self, *, branch: str, into: str = "main", examples: int = 3
    ) -> ConflictPreview:
        """Merge into a throw-away copy of `into`, read the conflicts, delete the copy.

        A clean `dolt_merge` commits even inside BEGIN (trap 8), so the trial merge never runs
        on `into` itself.
        """
        self.branch(name=branch)
        scratch = f"preview/{uuid.uuid4().hex[:12]}"
        self._call("dolt_branch", scratch, into, context=f"preparing a merge preview of {into!r}")
        try:
            with closing(connect(self.path, ref=scratch)) as connection:
                return self._trial_merge(connection, branch=branch, into=into, examples=examples)
        finally:
            self._call("dolt_branch", "-D", scratch, context="removing the merge preview")

    def _trial_merge(
        self, connection: sqlite3.Connection, *, branch: str, into: str, examples: int
    ) -> ConflictPreview:
        retry_when_busy(lambda: connection.execute("BEGIN IMMEDIATE"))
        try:
            connection.execute("SELECT dolt_merge('--no-ff', '-m', 'merge preview', ?)", (branch,))
        except sqlite3.OperationalError as exc:
            return self._preview_from_failed_merge(
                connection, exc, branch=branch, into=into, examples=examples
            )
        finally:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
        return ConflictPreview(branch=branch, into=into)

    def _preview_from_failed_merge(
        self,
        connection: sqlite3.Connection,
        exc: sqlite3.Error,
        *,
        branch: str,
        into: str,
        examples: int,
    ) -> ConflictPreview:
        if not connection.in_transaction or not scalar(
            connection, "SELECT is_merging FROM dolt_merge_status"
        ):
            return ConflictPreview(branch=branch, into=into, error=str(exc))
        data, schema, violations = review.read_conflicts(connection, examples=examples)
        connection.execute("SELECT dolt_merge('--abort')")
        preview = ConflictPreview(
            branch=branch,
            into=into,
            data_conflicts=data,
            schema_conflicts=schema,
            constraint_violations=violations,
        )
        if preview.clean:
            return ConflictPreview(branch=branch, into=into, error=str(exc))
        return preview

    def merge(
        self,
        *,
        branch: str,
        message: str,
        author: Author,
        into: str = "main",
        tests: str | None = None,
    ) -> MergeResult:
        """With `tests`, see `dolt.embedded.dolt_tests`: the merge is staged, tested and
        committed (or aborted) inside one write transaction."""
        branch_head = self.branch(name=branch).head
        with closing(connect(self.path, ref=into)) as connection:
            if scalar(connection, "SELECT dirty FROM dolt_branches WHERE name = ?", (into,)):
                raise DoltError(f"{into!r} has uncommitted changes; refusing to merge into it.")
            retry_when_busy(lambda: connection.execute("BEGIN IMMEDIATE"))
            try:
                if tests is None:
                    result = connection.execute(
                        "SELECT dolt_merge('--no-ff', '-m', ?, '--author', ?, ?)",
                        (message, str(author), branch),
                    ).fetchone()[0]
                else:
                    result = dolt_tests.tested_merge(
                        connection,
                        branch=branch,
                        into=into,
                        message=message,
                        author=author,
                        tests=tests,
                    )
            except sqlite3.OperationalError as exc:
                preview = self._preview_from_failed_merge(
                    connection, exc, branch=branch, into=into, examples=3
                )
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise MergeConflict(
                    f"Merging {branch!r} into {into!r} stopped: {exc}. Nothing was changed.",
                    preview=preview,
                ) from exc
            if connection.in_transaction:
                connection.execute("COMMIT")
        if str(result).lower().startswith("already up to date"):
            return MergeResult(
                hash=self.head(ref=into), fast_forward=False, already_up_to_date=True
            )
        return MergeResult(hash=str(result), fast_forward=str(result) == branch_head)

    def run_tests(self, *, ref: str, selector: str = "*") -> list[TestResult]:
        with self._reading(ref) as connection:
            return dolt_tests.run_tests(
                connection, selector=selector, context=f"running the Dolt tests on {ref!r}"
            )

    def revert(self, *, commit: str, author: Author, branch: str = "main") -> str:
        """`dolt_revert` inside BEGIN (a merge commit is undone against its first parent): a
        revert that conflicts with what `branch` changed since raises `MergeConflict` with the
        conflicts read, and leaves `branch` as it was."""
        with closing(connect(self.path, ref=branch)) as connection:
            retry_when_busy(lambda: connection.execute("BEGIN IMMEDIATE"))
            try:
                result = scalar(
                    connection, "SELECT dolt_revert(?, '--author', ?)", (commit, str(author))
                )
            except sqlite3.OperationalError as exc:
                error = self._failed_revert(connection, exc, commit=commit, branch=branch)
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise error from exc
            if connection.in_transaction:
                connection.execute("COMMIT")
            return str(result)

    def _failed_revert(
        self, connection: sqlite3.Connection, exc: sqlite3.Error, *, commit: str, branch: str
    ) -> DoltError:
        """The conflicts of a revert that stopped (read inside its transaction), or the error."""
        if not connection.in_transaction or "conflict" not in str(exc).lower():
            return map_sqlite_error(exc, context=f"reverting {commit[:12]} on {branch!r}")
        data, schema, violations = review.read_conflicts(connection, examples=3)
        preview = ConflictPreview(
            branch=commit,
            into=branch,
            data_conflicts=data,
            schema_conflicts=schema,
            constraint_violations=violations,
            error=None if data or schema or violations else str(exc),
        )
        return MergeConflict(
            f"Reverting {commit[:12]} on {branch!r} stopped: {exc}. Nothing was changed.",
            preview=preview,
        )

    def gc(self) -> None:
        self._call("dolt_gc", context="collecting garbage")

    # plumbing ---------------------------------------------------------------
    def _call(self, function: str, *arguments: str, context: str) -> object:
        marks = ", ".join("?" for _ in arguments)
        try:
            return retry_when_busy(
                lambda: scalar(self._main, f"SELECT {function}({marks})", tuple(arguments))
            )
        except DoltError as exc:
            raise type(exc)(f"{context}: {exc}") from exc
        except sqlite3.Error as exc:
            raise map_sqlite_error(exc, context=context) from exc

    def close(self) -> None:
        self._main.close()
