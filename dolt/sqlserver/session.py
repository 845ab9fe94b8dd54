"""The Dolt sql-server write session: one connection pinned to ``db/branch``.

The connection selects Dolt's revision-qualified database ``db/branch`` when it connects, so every
statement lands on that branch and nothing ever calls ``DOLT_CHECKOUT``. Rows go out through
`executemany`, which mysql-connector rewrites into multi-row ``INSERT ... VALUES (...), (...)``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Sequence
from typing import Any

from dolt.errors import DoltError, SqlError
from dolt.models import Author, DoltTest, WriteMode
from dolt.sql.names import validate_branch_name, validate_identifier
from dolt.sql.policy import check_ddl
from dolt.sqlserver import dolt_tests
from dolt.sqlserver.connect import Connector, ServerConnection, quote, validate_commitish
from dolt.sqlserver.errors import is_row_error, server_words
from dolt.write_session_base import InsertStatement, Row, WriteSessionBase, upsert_updates

# A batch also ends when its values reach about this many bytes, so that one multi-row INSERT
# stays well below the server's max_allowed_packet (MariaDB's default is 16 MiB).
MAX_BATCH_BYTES = 4 * 1024 * 1024


class SqlServerWriteSession(WriteSessionBase):
    """Writes to one branch of one database on a Dolt sql-server."""

    def __init__(self, *, connector: Connector, database: str, branch: str) -> None:
        self.branch = validate_branch_name(branch)
        self.database = database
        self._connection: ServerConnection = connector.connect_to_ref(database=database, ref=branch)
        self._depth = 0
        self._verification: bool | None = None

    # transactions -----------------------------------------------------------
    def _begin(self) -> None:
        """``START TRANSACTION``. (On MariaDB DDL commits implicitly; Dolt keeps it
        transactional.) Dolt may refuse the final COMMIT with Busy (serialization failure)."""
        self._connection.execute("START TRANSACTION")

    # schema -----------------------------------------------------------------
    def tables(self) -> list[str]:
        """Base tables on this branch, as this session sees them (no ``dolt_`` system tables)."""
        return base_tables(self._connection)

    def primary_key(self, *, table: str) -> list[str]:
        """The primary key columns of `table`, in key order (empty for a keyless table)."""
        rows = self._connection.rows(f"SHOW KEYS FROM {quote(table)}")
        key = [r for r in rows if str(r["Key_name"]).upper() == "PRIMARY"]
        return [str(r["Column_name"]) for r in sorted(key, key=lambda r: int(r["Seq_in_index"]))]

    def execute_ddl(self, *, sql: str, allow: Collection[str] = ()) -> None:
        """Check `sql` with the DDL policy, then run exactly the statement that was checked.

        The checked syntax tree is rendered back to MySQL without comments, so text the
        policy did not see (e.g. MySQL's executable ``/*! ... */`` comments) never runs.
        """
        checked = check_ddl(sql, known_tables=self.tables(), allow=allow)
        statement = checked.sql(dialect="mysql", comments=False, identify=True)
        self._connection.execute(statement)

    # rows -------------------------------------------------------------------
    def _insert_statement(
        self, *, table: str, columns: Sequence[str], mode: WriteMode, tagged: bool
    ) -> InsertStatement:
        if not columns:
            raise SqlError(f"No columns given for inserting into {table!r}.")
        for name in (table, *columns):
            validate_identifier(name)
            if "%" in name:
                # mysql-connector substitutes %s anywhere in the statement text.
                raise SqlError(f"The name {name!r} contains '%', which cannot be bound safely.")
        names = ", ".join(quote(c) for c in columns)
        marks = ", ".join("%s" for _ in columns)
        sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({marks})"
        if mode == WriteMode.UPSERT:
            key = self.primary_key(table=table)
            updates = upsert_updates(table=table, columns=columns, key=key) or key[:1]
            assignments = ", ".join(f"{quote(c)} = VALUES({quote(c)})" for c in updates)
            sql = f"{sql} ON DUPLICATE KEY UPDATE {assignments}"
        return InsertStatement(sql=sql, tagged=tagged)

    def _batches(self, rows: Iterable[Row], *, batch_rows: int) -> Iterator[list[Row]]:
        """At most `batch_rows` rows and about `MAX_BATCH_BYTES` bytes per batch, so that
        one multi-row INSERT stays under the server's packet limit."""
        batch: list[Row] = []
        size = 0
        for row in rows:
            batch.append(row)
            size += sum(len(v) if isinstance(v, (str, bytes)) else 8 for v in row)
            if len(batch) >= batch_rows or size >= MAX_BATCH_BYTES:
                yield batch
                batch, size = [], 0
        if batch:
            yield batch

    def _execute_batch(self, statement: InsertStatement, rows: list[Row]) -> None:
        values = [statement.values(row) for row in rows] if statement.tagged else rows
        self._connection.execute_many(statement.sql, values)

    def _execute_row(self, statement: InsertStatement, row: Row) -> None:
        # a failed one-row INSERT changes nothing
        self._connection.execute(statement.sql, statement.values(row))

    def _execute_plain(self, sql: str) -> None:
        self._connection.execute(sql)

    def _is_row_error(self, error: DoltError) -> bool:
        return is_row_error(error)

    def _row_reason(self, error: DoltError) -> str:
        return server_words(error)

    def delete_all_rows(self, *, table: str) -> int:
        """``DELETE FROM`` the table (kept in Dolt's history, unlike ``TRUNCATE``)."""
        with self.transaction():
            return self._connection.execute(f"DELETE FROM {quote(table)}")

    def row_count(self, *, table: str) -> int:
        return int(self._connection.scalar(f"SELECT COUNT(*) FROM {quote(table)}"))

    # commits ----------------------------------------------------------------
    def commit(self, *, message: str, author: Author, allow_empty: bool = False) -> str | None:
        """``CALL DOLT_COMMIT('-A', '-m', msg, '--author', 'Name <mail>')``; None when clean."""
        if self._depth:
            raise DoltError("Commit the SQL transaction before making a Dolt commit.")
        arguments: tuple[str, ...] = ("-A", "-m", message, "--author", str(author))
        if allow_empty:
            arguments += ("--allow-empty",)
        if self._verifies_commits():
            arguments += ("--skip-verification",)  # a failing test shows in the review
        try:
            result = self._connection.call(_call_sql("DOLT_COMMIT", arguments), arguments)
        except SqlError as exc:
            if "nothing to commit" in str(exc).lower():
                return None
            raise
        commit_hash = _first_value(result, "hash")
        return str(commit_hash) if commit_hash else None

    def _verifies_commits(self) -> bool:
        """Whether the server tests every commit itself (see `dolt.sqlserver.dolt_tests`)."""
        if self._verification is None:
            try:
                self._verification = bool(dolt_tests.verification_groups(self._connection))
            except DoltError:
                self._verification = False
        return self._verification

    def write_tests(self, tests: Sequence[DoltTest]) -> None:
        """``REPLACE INTO dolt_tests``; `TestsUnavailable` on MariaDB."""
        if tests:
            with self.transaction():
                dolt_tests.write_tests(self._connection, tests)

    def delete_tests(self, names: Collection[str]) -> None:
        if names:
            with self.transaction():
                dolt_tests.delete_tests(self._connection, names)

    def reset_hard(self, *, ref: str | None = None) -> None:
        """``CALL DOLT_RESET('--hard'[, ref])`` then ``CALL DOLT_CLEAN()``: drop uncommitted
        work, including tables never committed (reset alone keeps those), or move the branch."""
        if self._depth:
            raise DoltError("Cannot reset inside an open transaction.")
        arguments = ("--hard",) if ref is None else ("--hard", validate_commitish(ref))
        self._connection.call(_call_sql("DOLT_RESET", arguments), arguments)
        self._connection.call("CALL DOLT_CLEAN()", ())

    def restore_tables(self, *, ref: str, tables: Collection[str], drop: Collection[str]) -> None:
        """``CALL DOLT_CHECKOUT(ref, '--', table)`` per table (Dolt 1.43.5+) and ``DROP TABLE``
        for the others, with foreign-key checks off meanwhile."""
        if self._depth:
            raise DoltError("Cannot restore tables inside an open transaction.")
        self._connection.execute("SET foreign_key_checks = 0")
        try:
            for table in drop:
                name = quote(validate_identifier(table))
                self._connection.execute(f"DROP TABLE IF EXISTS {name}")
            for table in tables:
                arguments = (validate_commitish(ref), "--", validate_identifier(table))
                self._connection.call(_call_sql("DOLT_CHECKOUT", arguments), arguments)
        finally:
            self._connection.execute("SET foreign_key_checks = 1")

    def head(self) -> str:
        """The hash of the branch's latest commit."""
        return str(self._connection.scalar("SELECT DOLT_HASHOF(%s)", (self.branch,)))

    def close(self) -> None:
        """Roll back an open transaction and close the connection."""
        if self._depth:
            self._depth = 0
            self._undo_level()
        self._connection.close()


def base_tables(connection: ServerConnection) -> list[str]:
    """Base tables of the connection's database, without Dolt's ``dolt_`` system tables."""
    rows = connection.tuples("SHOW FULL TABLES")
    names = (str(name) for name, kind, *_ in rows if str(kind).upper() == "BASE TABLE")
    return sorted(n for n in names if not n.lower().startswith("dolt_"))


def _call_sql(procedure: str, arguments: Sequence[object]) -> str:
    marks = ", ".join("%s" for _ in arguments)
    return f"CALL {procedure}({marks})"


def _first_value(rows: list[dict[str, Any]], column: str) -> Any:
    if not rows:
        return None
    row = rows[0]
    return row.get(column, next(iter(row.values()), None))
