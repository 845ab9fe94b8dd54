"""The one interface both backends implement (doltlite embedded, Dolt sql-server).

Every method is keyword-only after `self`; results are the dataclasses of `dolt.models`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from dolt.errors import TestsUnavailable
from dolt.models import (
    Author,
    BranchInfo,
    ConflictPreview,
    DiffSummary,
    DoltTest,
    InsertResult,
    MergeResult,
    RowChange,
    RowChangeType,
    TestResult,
    WriteMode,
)

DEFAULT_BATCH_ROWS = 10_000

ProgressCallback = Callable[[int], None]


class ArrowStream(Protocol):
    """Rows exported through the Arrow PyCapsule stream interface (a DuckDB relation, say)."""

    def __arrow_c_stream__(self, requested_schema: object | None = None) -> object: ...


class WriteSession(ABC):
    """A connection pinned to one branch of one database; the only way to write.

    Use as a context manager; `transaction()` groups writes, `commit()` makes a Dolt commit.
    """

    branch: str

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """Open a write transaction; committed on success, rolled back on error."""

    @abstractmethod
    def tables(self) -> list[str]:
        """Tables on this branch as this session sees them (no system tables)."""

    @abstractmethod
    def primary_key(self, *, table: str) -> list[str]:
        """Primary-key columns of `table` in key order; empty when it has none."""

    @abstractmethod
    def head(self) -> str:
        """The commit the branch points at."""

    @abstractmethod
    def execute_ddl(self, *, sql: str, allow: Collection[str] = ()) -> None:
        """Run one policy-checked MySQL-dialect DDL statement, translated for this backend.

        `allow` opts in to statement kinds the policy refuses by default (e.g. {"drop"}).
        """

    @abstractmethod
    def insert_rows(
        self,
        *,
        table: str,
        columns: Sequence[str],
        rows: Iterable[Sequence[Any]],
        mode: WriteMode = WriteMode.APPEND,
        batch_rows: int = DEFAULT_BATCH_ROWS,
        collect_rejects: bool = False,
        on_progress: ProgressCallback | None = None,
        tagged: bool = False,
    ) -> InsertResult:
        """Write rows in batches, all or nothing: in a transaction of their own (a savepoint
        inside the caller's). `REPLACE` deletes the table's rows first.

        With `collect_rejects`, a batch the database refuses is retried row by row and the
        refused rows come back in `InsertResult.rejected`; otherwise the first refusal raises
        `ConstraintViolation`. `on_progress` receives the number of rows handled so far.
        `tagged` rows start with one value of the caller's (e.g. the source record number)
        that is not written; `RejectedRow.row` leaves it out.
        """

    @abstractmethod
    def write_rows(
        self,
        *,
        table: str,
        columns: Sequence[str],
        rows: Iterable[Sequence[Any]],
        mode: WriteMode = WriteMode.APPEND,
        batch_rows: int = DEFAULT_BATCH_ROWS,
        collect_rejects: bool = False,
        on_progress: ProgressCallback | None = None,
        tagged: bool = False,
    ) -> InsertResult:
        """Stream rows into the caller's open `transaction()` at the backend's full speed.

        As `insert_rows`, but without a savepoint of its own: when it raises, the rows it
        wrote so far are left for the caller's rollback. `UPSERT` updates rows whose key
        exists; every other mode appends.
        """

    def load_arrow(
        self,
        *,
        table: str,
        columns: Sequence[str],
        source: ArrowStream,
        mode: WriteMode = WriteMode.APPEND,
        tagged: bool = False,
        rows_per_transaction: int = 1_000_000,
        progress_every: int = 20_000,
        on_progress: ProgressCallback | None = None,
    ) -> int | None:
        """Write every row of `source` (anything with `__arrow_c_stream__`, such as a DuckDB
        relation) natively, in transactions of its own of `rows_per_transaction` rows; no
        transaction may be open. Returns the rows written, or None when this backend has no
        native path for them (nothing written: use `write_rows`).

        The first row the database refuses raises `ConstraintViolation`; rows committed
        before it stay on the branch, so the caller resets it. Modes as in `write_rows`.
        """
        return None

    @abstractmethod
    def delete_all_rows(self, *, table: str) -> int:
        """Delete every row of `table` on this branch (replace mode); returns the count."""

    @abstractmethod
    def row_count(self, *, table: str) -> int:
        """Rows of `table` as this session sees them (including uncommitted writes)."""

    @abstractmethod
    def commit(self, *, message: str, author: Author, allow_empty: bool = False) -> str | None:
        """Dolt-commit everything on the branch; returns the hash, None when nothing changed.

        Refused inside an open `transaction()`: a Dolt commit ends the SQL transaction.
        """

    def write_tests(self, tests: Sequence[DoltTest]) -> None:
        """`REPLACE INTO dolt_tests` one row per test (values as parameters), in a
        transaction of its own; `TestsUnavailable` when the server has no Dolt tests."""
        raise TestsUnavailable("This server has no Dolt tests.")

    def delete_tests(self, names: Collection[str]) -> None:
        """Delete these rows of `dolt_tests` (a test a replace made meaningless)."""
        raise TestsUnavailable("This server has no Dolt tests.")

    @abstractmethod
    def reset_hard(self, *, ref: str | None = None) -> None:
        """Throw away uncommitted work on the branch — including tables created since the
        last commit — or move the branch back to `ref`."""

    @abstractmethod
    def restore_tables(self, *, ref: str, tables: Collection[str], drop: Collection[str]) -> None:
        """Set `tables` back to what they hold at `ref` (schema and rows) and drop `drop` (tables
        `ref` does not have), uncommitted: what a revision of an import starts from. Refused
        inside an open `transaction()`."""

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> WriteSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class Database(ABC):
    """One Dolt database: reading schemas, branches, review, conflict preview and merge."""

    name: str
    dialect: str = "mysql"
    """How this database's SQL is written (`dolt.sql.dialect.query_sql`): mysql or sqlite."""
    engine: str = "dolt"
    """What runs it ("doltlite", "dolt"): which of Dolt's own commands show its diffs."""

    # tables -----------------------------------------------------------------
    @abstractmethod
    def list_tables(self, *, ref: str = "main") -> list[str]: ...

    @abstractmethod
    def create_statements(self, *, ref: str = "main") -> dict[str, str]:
        """CREATE TABLE statements per table, in canonical MySQL dialect."""

    @abstractmethod
    def row_counts(self, *, ref: str = "main") -> dict[str, int]: ...

    @abstractmethod
    def count_rows(self, *, table: str, ref: str = "main", where: str | None = None) -> int:
        """Rows of `table` at `ref`, optionally only those matching a MySQL-dialect predicate.

        The predicate passes the SELECT policy (known columns, ordinary functions) before
        it is translated for the backend: it may come from a person or an LLM.
        """

    @abstractmethod
    def read_rows(
        self, *, table: str, ref: str = "main", where: str | None = None, limit: int = 20
    ) -> list[dict[str, Any]]:
        """Up to `limit` rows of `table` at `ref` as stored, optionally only those matching a
        MySQL-dialect predicate (checked by the SELECT policy; its values go as parameters)."""

    @abstractmethod
    def column_values(self, *, table: str, column: str, ref: str = "main") -> Iterator[Any]:
        """The values of one column at `ref`, streamed (e.g. a key, to check references)."""

    @abstractmethod
    def foreign_key_violations(self, *, table: str, ref: str = "main") -> int:
        """Rows of `table` at `ref` whose foreign keys point at no row."""

    # branches ---------------------------------------------------------------
    @abstractmethod
    def create_branch(self, *, name: str, start: str = "main") -> BranchInfo: ...

    @abstractmethod
    def list_branches(self) -> list[BranchInfo]: ...

    @abstractmethod
    def branch(self, *, name: str) -> BranchInfo:
        """One branch; raises `BranchNotFound`."""

    @abstractmethod
    def delete_branch(self, *, name: str) -> None: ...

    @abstractmethod
    def write_session(self, *, branch: str) -> WriteSession: ...

    @abstractmethod
    def commits(self, *, ref: str = "main", limit: int = 1000) -> list[tuple[str, str]]:
        """(hash, message) of the newest `limit` commits reachable from `ref`, newest first."""

    @abstractmethod
    def merge_base(self, *, branch: str, other: str = "main") -> str:
        """The commit where `branch` and `other` last met (where an import branch started)."""

    # review -----------------------------------------------------------------
    @abstractmethod
    def diff_summary(self, *, branch: str, base: str = "main") -> DiffSummary:
        """Three-dot diff `base...branch`: only what the branch changed since it forked."""

    @abstractmethod
    def diff_rows(
        self,
        *,
        table: str,
        branch: str,
        base: str = "main",
        diff_type: RowChangeType | None = None,
        limit: int | None = None,
    ) -> Iterator[RowChange]:
        """Row changes of one table, streamed (no limit means every changed row)."""

    def sample_rows(
        self, *, table: str, branch: str, base: str = "main", limit: int = 3
    ) -> dict[RowChangeType, list[RowChange]]:
        """Up to `limit` example rows per kind of change."""
        return {
            kind: list(
                self.diff_rows(table=table, branch=branch, base=base, diff_type=kind, limit=limit)
            )
            for kind in RowChangeType
        }

    # merge ------------------------------------------------------------------
    @abstractmethod
    def preview_merge(
        self, *, branch: str, into: str = "main", examples: int = 3
    ) -> ConflictPreview:
        """Try the merge inside a transaction, report conflicts, abort: nothing changes."""

    @abstractmethod
    def merge(
        self,
        *,
        branch: str,
        message: str,
        author: Author,
        into: str = "main",
        tests: str | None = None,
    ) -> MergeResult:
        """Merge with --no-ff; raises `MergeConflict` (carrying the preview) and changes nothing.

        With `tests` (a `dolt_test_run` selector, `*` for all), those Dolt tests run on the
        merged result before `into` moves, under the same lock or transaction: any failure
        raises `TestsFailed` naming them, and nothing changes."""

    def run_tests(self, *, ref: str, selector: str = "*") -> list[TestResult]:
        """`dolt_test_run(selector)` at `ref`: every test (`*`), a group or one test by
        name; none when `dolt_tests` is empty. `TestsUnavailable` when the server has none."""
        raise TestsUnavailable("This server has no Dolt tests.")

    @abstractmethod
    def revert(self, *, commit: str, author: Author, branch: str = "main") -> str:
        """Undo a commit (e.g. a merge) with a new commit on `branch`; returns its hash."""

    @abstractmethod
    def gc(self) -> None:
        """Reclaim space (doltlite files grow with branch churn until gc)."""

    @abstractmethod
    def close(self) -> None: ...


class DoltServer(ABC):
    """The place databases live: a doltlite directory or a Dolt sql-server."""

    url: str

    @abstractmethod
    def list_databases(self) -> list[str]: ...

    @abstractmethod
    def create_database(self, *, name: str) -> Database:
        """Create a database with an initial commit on `main`; `DatabaseExists` if it exists."""

    @abstractmethod
    def database(self, *, name: str, create: bool = False) -> Database:
        """Open a database; with `create`, make it first when it is missing."""

    @abstractmethod
    def drop_database(self, *, name: str) -> None:
        """Delete a database and everything in it."""

    def drop_if_untouched(self, *, name: str) -> bool:
        """Delete a database that holds nothing yet (no table on `main`, no branch but
        `main`), as one a failed request just created; True when it was deleted."""
        if name not in self.list_databases():
            return False
        database = self.database(name=name)
        try:
            untouched = not database.list_tables() and [
                b.name for b in database.list_branches()
            ] == ["main"]
        finally:
            database.close()
        if untouched:
            self.drop_database(name=name)
        return untouched

    @abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> DoltServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
