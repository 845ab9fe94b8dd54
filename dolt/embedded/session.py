"""The doltlite write session: one connection pinned to one branch."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from functools import partial
from pathlib import Path

from dolt.dolt_tests import TESTS_COLUMNS, row_of_test
from dolt.embedded.arrow import load_arrow_stream
from dolt.embedded.connect import connect, scalar, sqlite3
from dolt.embedded.errors import map_sqlite_error, retry_when_busy
from dolt.embedded.insert import MultiRowInsert, multi_row_insert
from dolt.errors import ConstraintViolation, DoltError, SqlError
from dolt.interface import ArrowStream, ProgressCallback
from dolt.models import Author, DoltTest, RejectedRow, WriteMode
from dolt.sql.dialect import mysql_to_sqlite, rebuilds_table
from dolt.sql.names import quote_identifier, validate_branch_name
from dolt.sql.policy import check_ddl
from dolt.write_session_base import InsertStatement, Row, WriteSessionBase, upsert_updates

_ROW_ERRORS = (sqlite3.IntegrityError, sqlite3.InterfaceError, sqlite3.DataError)


class DoltliteWriteSession(WriteSessionBase):
    def __init__(self, *, path: Path, branch: str) -> None:
        self.branch = validate_branch_name(branch)
        self._path = path
        self._connection = connect(path, ref=branch)
        if scalar(self._connection, "SELECT active_branch()") != branch:
            self._connection.close()
            raise DoltError(f"{branch!r} is a revision, not a branch: sessions write to branches.")
        self._depth = 0

    # transactions -----------------------------------------------------------
    def _begin(self) -> None:
        """`BEGIN IMMEDIATE`: take the file's write lock up front (one writer per file)."""
        retry_when_busy(lambda: self._connection.execute("BEGIN IMMEDIATE"))

    def _rollback(self) -> None:
        if self._connection.in_transaction:
            self._connection.execute("ROLLBACK")

    # schema -----------------------------------------------------------------
    def tables(self) -> list[str]:
        rows = self._connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE 'dolt\\_%' ESCAPE '\\' "
            "ORDER BY name"
        ).fetchall()
        return [name for (name,) in rows]

    def execute_ddl(self, *, sql: str, allow: Collection[str] = ()) -> None:
        check_ddl(sql, known_tables=self.tables(), allow=allow)
        if rebuilds_table(sql):
            self._rebuild_table(sql)
            return
        with self.transaction():
            for statement in mysql_to_sqlite(sql):
                self._run(statement, context="applying DDL")

    def _rebuild_table(self, sql: str) -> None:
        """A MODIFY COLUMN, run as SQLite's table rebuild: foreign-key checks are off meanwhile
        (dropping the old table must not touch the rows that refer to it) and every reference
        is checked before the transaction commits."""
        if self._depth:
            raise DoltError(
                "MODIFY COLUMN rebuilds the table on doltlite: run it outside a transaction()."
            )
        self._connection.execute("PRAGMA foreign_keys = OFF")
        try:
            with self.transaction():
                for statement in mysql_to_sqlite(sql, schema_of=self._table_schema):
                    self._run(statement, context="applying DDL")
                broken = self._run("PRAGMA foreign_key_check", context="checking references")
                if broken.fetchone() is not None:
                    raise ConstraintViolation(
                        f"{sql}: the changed table no longer matches the rows that refer to it."
                    )
        finally:
            self._connection.execute("PRAGMA foreign_keys = ON")

    def _table_schema(self, table: str) -> tuple[str, list[str]] | None:
        """The table's CREATE TABLE and CREATE INDEX statements as doltlite stores them."""
        rows = self._connection.execute(
            "SELECT type, sql FROM sqlite_master WHERE tbl_name = ? COLLATE NOCASE "
            "AND sql IS NOT NULL AND type IN ('table', 'index') ORDER BY type DESC, name",
            (table,),
        ).fetchall()
        creates = [sql for kind, sql in rows if kind == "table"]
        if not creates:
            return None
        return creates[0], [sql for kind, sql in rows if kind == "index"]

    def primary_key(self, *, table: str) -> list[str]:
        rows = self._connection.execute(
            "SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk", (table,)
        ).fetchall()
        return [name for (name,) in rows]

    # rows -------------------------------------------------------------------
    def _insert_statement(
        self, *, table: str, columns: Sequence[str], mode: WriteMode, tagged: bool
    ) -> MultiRowInsert:
        if not columns:
            raise SqlError(f"No columns given for inserting into {table!r}.")
        names = ", ".join(quote_identifier(c) for c in columns)
        head = f"INSERT INTO {quote_identifier(table)} ({names})"
        return multi_row_insert(
            head=head,
            tail=self._upsert_clause(table, columns, mode),
            width=len(columns),
            tagged=tagged,
        )

    def _upsert_clause(self, table: str, columns: Sequence[str], mode: WriteMode) -> str:
        if mode != WriteMode.UPSERT:
            return ""
        key = self.primary_key(table=table)
        updates = upsert_updates(table=table, columns=columns, key=key)
        target = ", ".join(quote_identifier(k) for k in key)
        if not updates:
            return f" ON CONFLICT ({target}) DO NOTHING"
        assignments = ", ".join(
            f"{quote_identifier(c)} = excluded.{quote_identifier(c)}" for c in updates
        )
        return f" ON CONFLICT ({target}) DO UPDATE SET {assignments}"

    def _execute_batch(self, statement: InsertStatement, rows: list[Row]) -> None:
        assert isinstance(statement, MultiRowInsert)
        step = statement.rows_per_statement
        for start in range(0, len(rows), step):
            chunk = rows[start : start + step]
            self._insert(statement.sql_for(len(chunk)), statement.parameters(chunk))

    def _write_collecting(
        self, statement: InsertStatement, rows: list[Row], indexes: Sequence[int]
    ) -> list[RejectedRow]:
        """Write the rows a statement at a time, without a savepoint.

        Inside a savepoint doltlite journals every multi-row statement, which makes them
        about three times slower. None is needed: a refused statement undoes itself, and
        only its rows are then written one by one to find those the database refuses.
        """
        assert isinstance(statement, MultiRowInsert)
        step = statement.rows_per_statement
        rejected: list[RejectedRow] = []
        for start in range(0, len(rows), step):
            chunk = rows[start : start + step]
            try:
                self._insert(statement.sql_for(len(chunk)), statement.parameters(chunk))
            except ConstraintViolation:
                chunk_indexes = indexes[start : start + step]
                rejected.extend(self._write_one_by_one(statement, chunk, chunk_indexes))
        return rejected

    def _execute_row(self, statement: InsertStatement, row: Row) -> None:
        self._insert(statement.sql, row)  # a failed statement undoes only itself

    def _insert(self, sql: str, parameters: Row) -> None:
        try:
            self._connection.execute(sql, parameters)
        except _ROW_ERRORS as exc:
            raise ConstraintViolation(str(exc)) from exc
        except sqlite3.Error as exc:
            raise map_sqlite_error(exc, context="inserting rows") from exc

    def _execute_plain(self, sql: str) -> None:
        self._run(sql, context="writing rows")

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
        """The native loader on its own connection to this branch (see `dolt.embedded.arrow`):
        the rows it commits are this branch's working set, which `commit()` then commits."""
        if self._depth:
            raise DoltError("load_arrow writes in transactions of its own; none may be open.")
        statement = self._insert_statement(
            table=table, columns=columns, mode=WriteMode(mode), tagged=tagged
        )
        assert isinstance(statement, MultiRowInsert)
        return load_arrow_stream(
            target=f"{self._path}@{self.branch}",
            insert_sql=statement.sql,
            group_sql=statement.sql_for(statement.rows_per_statement),
            group_rows=statement.rows_per_statement,
            source=source,
            rows_per_transaction=rows_per_transaction,
            progress_every=progress_every,
            on_progress=on_progress,
        )

    def delete_all_rows(self, *, table: str) -> int:
        with self.transaction():
            cursor = self._run(f"DELETE FROM {quote_identifier(table)}", context="deleting rows")
        return cursor.rowcount

    def row_count(self, *, table: str) -> int:
        return int(scalar(self._connection, f"SELECT count(*) FROM {quote_identifier(table)}"))

    # commits ----------------------------------------------------------------
    def commit(self, *, message: str, author: Author, allow_empty: bool = False) -> str | None:
        if self._depth:
            raise DoltError("Commit the SQL transaction before making a Dolt commit.")
        arguments: tuple[str, ...] = ("-Am", message, "--author", str(author))
        if allow_empty:
            arguments += ("--allow-empty",)
        marks = ", ".join("?" for _ in arguments)
        try:
            return str(
                retry_when_busy(
                    lambda: scalar(self._connection, f"SELECT dolt_commit({marks})", arguments)
                )
            )
        except DoltError as exc:
            if "nothing to commit" in str(exc):
                return None
            raise

    def write_tests(self, tests: Sequence[DoltTest]) -> None:
        if not tests:
            return
        columns = ", ".join(TESTS_COLUMNS)
        marks = ", ".join("?" for _ in TESTS_COLUMNS)
        sql = f"REPLACE INTO dolt_tests ({columns}) VALUES ({marks})"
        with self.transaction():
            try:
                self._connection.executemany(sql, [row_of_test(test) for test in tests])
            except sqlite3.Error as exc:
                raise map_sqlite_error(exc, context="writing Dolt tests") from exc

    def delete_tests(self, names: Collection[str]) -> None:
        if not names:
            return
        with self.transaction():
            try:
                self._connection.executemany(
                    "DELETE FROM dolt_tests WHERE test_name = ?", [(name,) for name in names]
                )
            except sqlite3.Error as exc:
                raise map_sqlite_error(exc, context="deleting Dolt tests") from exc

    def reset_hard(self, *, ref: str | None = None) -> None:
        if self._depth:
            raise DoltError("Cannot reset inside an open transaction.")
        arguments = ("--hard",) if ref is None else ("--hard", ref)
        marks = ", ".join("?" for _ in arguments)
        retry_when_busy(lambda: scalar(self._connection, f"SELECT dolt_reset({marks})", arguments))
        # reset keeps tables that were never committed (like git's untracked files)
        retry_when_busy(lambda: scalar(self._connection, "SELECT dolt_clean()"))

    def restore_tables(self, *, ref: str, tables: Collection[str], drop: Collection[str]) -> None:
        """`dolt_checkout(ref, '--', table)` per table and `DROP TABLE` for the others, with
        foreign-key checks off meanwhile (the tables' rows refer to each other as at `ref`)."""
        if self._depth:
            raise DoltError("Cannot restore tables inside an open transaction.")
        self._connection.execute("PRAGMA foreign_keys = OFF")
        try:
            for table in drop:
                self._run(f"DROP TABLE IF EXISTS {quote_identifier(table)}", context="dropping")
            for table in tables:
                quote_identifier(table)  # validates the name
                checkout = "SELECT dolt_checkout(?, '--', ?)"
                retry_when_busy(partial(scalar, self._connection, checkout, (ref, table)))
        finally:
            self._connection.execute("PRAGMA foreign_keys = ON")

    def head(self) -> str:
        return str(scalar(self._connection, "SELECT dolt_hashof(?)", (self.branch,)))

    # plumbing ---------------------------------------------------------------
    def _run(self, sql: str, *, context: str) -> sqlite3.Cursor:
        try:
            return self._connection.execute(sql)
        except sqlite3.Error as exc:
            raise map_sqlite_error(exc, context=context) from exc

    def close(self) -> None:
        self._depth = 0
        self._rollback()
        self._connection.close()
