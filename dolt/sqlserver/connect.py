"""Connections to a Dolt sql-server through `mysql-connector-python`, with error translation.

`Connector` opens connections (optionally pinned to a database or a revision database
``db/branch``); `ServerConnection` wraps one of them with a few query helpers whose errors are
already `DoltError`s. Values always travel as parameters.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

import mysql.connector
from mysql.connector import errors as mysql_errors

from dolt.errors import BranchNotFound, DatabaseNotFound, InvalidName
from dolt.sql.names import quote_identifier, validate_branch_name, validate_database_name
from dolt.sqlserver.errors import map_mysql_error
from dolt.urls import MysqlLocation

DEFAULT_CONNECT_TIMEOUT = 10.0
SYSTEM_DATABASES = frozenset({"information_schema", "mysql", "performance_schema", "sys"})

Params = Sequence[Any]


def revision_database(database: str, ref: str) -> str:
    """Dolt's revision-qualified database name ``db/ref``, after validating both parts."""
    validate_database_name(database)
    validate_ref(ref)
    return f"{database}/{ref}"


def validate_ref(ref: str) -> str:
    """Return `ref` if it can name a branch or a commit hash, else raise `InvalidName`."""
    try:
        return validate_branch_name(ref)
    except InvalidName as exc:
        raise InvalidName(f"Revision {ref!r} is not a branch name or commit hash: {exc}") from exc


def validate_commitish(ref: str) -> str:
    """Return `ref` if it can be passed to a Dolt procedure as a commit (hash, branch, HEAD~1).

    A leading '-' would be read as an option of the procedure, so it is refused.
    """
    if not isinstance(ref, str) or not ref or ref.startswith("-"):
        raise InvalidName(f"{ref!r} does not name a commit.")
    if any(ch.isspace() or ord(ch) < 0x20 for ch in ref):
        raise InvalidName(f"{ref!r} does not name a commit: it has spaces or control characters.")
    return ref


def quote(name: str) -> str:
    """Validate and backtick-quote a table or column name for MySQL."""
    return quote_identifier(name, quote="`")


def quote_database(name: str) -> str:
    """Backtick-quote a (possibly revision-qualified) database name."""
    return "`" + name.replace("`", "``") + "`"


@contextmanager
def translated_errors(context: str) -> Iterator[None]:
    """Re-raise `mysql.connector` errors as `DoltError`s that mention `context`."""
    try:
        yield
    except mysql_errors.Error as err:
        raise map_mysql_error(err, context=context) from err


@dataclass(frozen=True)
class Connector:
    """Opens connections to one server; its string form never contains the password."""

    location: MysqlLocation
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT

    def __str__(self) -> str:
        return str(self.location)

    def context(self, database: str | None = None) -> str:
        """Where a statement runs, for error messages: URL without password, database."""
        if database is None:
            return str(self.location)
        return f"{self.location}, database {database!r}"

    def connect(self, *, database: str | None = None, autocommit: bool = True) -> ServerConnection:
        """Open a connection, optionally with `database` (may be ``db/branch``) selected."""
        context = self.context(database)
        with translated_errors(context):
            raw = mysql.connector.connect(
                host=self.location.host,
                port=self.location.port,
                user=self.location.user,
                password=self.location.password,
                database=database,
                autocommit=autocommit,
                connection_timeout=self.connect_timeout,
                charset="utf8mb4",
            )
        return ServerConnection(raw, context=context)

    def connect_to_ref(
        self, *, database: str, ref: str, autocommit: bool = True
    ) -> ServerConnection:
        """Open a connection pinned to branch (or commit) `ref` of `database`.

        Raises `BranchNotFound` when the database exists but the ref does not, and
        `DatabaseNotFound` when the database itself is missing.
        """
        qualified = revision_database(database, ref)
        try:
            return self.connect(database=qualified, autocommit=autocommit)
        except DatabaseNotFound as exc:
            if database in self.list_databases():
                raise BranchNotFound(
                    f"Database {database!r} has no branch or revision {ref!r} ({self.location})."
                ) from exc
            raise DatabaseNotFound(
                f"Database {database!r} does not exist on {self.location}."
            ) from exc

    def list_databases(self) -> list[str]:
        """User databases on the server: no system schemas, no revision (``db/ref``) names."""
        with self.connect() as connection:
            rows = connection.tuples("SHOW DATABASES")
        names = (str(row[0]) for row in rows)
        return sorted(n for n in names if n.lower() not in SYSTEM_DATABASES and "/" not in n)


class ServerConnection:
    """One open connection; every helper raises `DoltError`s, never `mysql.connector` errors."""

    def __init__(self, raw: Any, *, context: str) -> None:
        self._raw = raw
        self.context = context

    def rows(self, sql: str, params: Params = ()) -> list[dict[str, Any]]:
        """All rows of a query, as dicts keyed by column name."""
        with translated_errors(self.context):
            cursor = self._raw.cursor(dictionary=True)
            try:
                cursor.execute(sql, tuple(params))
                return list(cursor.fetchall()) if cursor.with_rows else []
            finally:
                cursor.close()

    def tuples(self, sql: str, params: Params = ()) -> list[tuple[Any, ...]]:
        """All rows of a query, as tuples (for statements whose column names vary)."""
        with translated_errors(self.context):
            cursor = self._raw.cursor()
            try:
                cursor.execute(sql, tuple(params))
                return [tuple(row) for row in cursor.fetchall()] if cursor.with_rows else []
            finally:
                cursor.close()

    def scalar(self, sql: str, params: Params = ()) -> Any:
        """The first column of the first row, or None when there is no row."""
        found = self.tuples(sql, params)
        return found[0][0] if found else None

    def call(self, sql: str, params: Params = ()) -> list[dict[str, Any]]:
        """Run a ``CALL`` and return its first result set; the trailing status set is drained."""
        with translated_errors(self.context):
            cursor = self._raw.cursor(dictionary=True)
            try:
                cursor.execute(sql, tuple(params))
                result = list(cursor.fetchall()) if cursor.with_rows else []
                while cursor.nextset():
                    if cursor.with_rows:
                        cursor.fetchall()
                return result
            finally:
                cursor.close()

    def execute(self, sql: str, params: Params = ()) -> int:
        """Run a statement without a result set; returns the affected row count."""
        with translated_errors(self.context):
            cursor = self._raw.cursor()
            try:
                cursor.execute(sql, tuple(params))
                if cursor.with_rows:
                    cursor.fetchall()
                return max(cursor.rowcount, 0)
            finally:
                cursor.close()

    def execute_many(self, sql: str, rows: Sequence[Params]) -> int:
        """`executemany`: an ``INSERT ... VALUES (%s, ...)`` goes out as one multi-row statement."""
        with translated_errors(self.context):
            cursor = self._raw.cursor()
            try:
                cursor.executemany(sql, rows)
                return max(cursor.rowcount, 0)
            finally:
                cursor.close()

    def stream(self, sql: str, params: Params = (), *, fetch_rows: int = 1000) -> Iterator[dict]:
        """Rows of a query, fetched `fetch_rows` at a time through an unbuffered cursor.

        Use on a connection of its own: until the iterator is exhausted (or the connection
        closed) the connection cannot run anything else.
        """
        with translated_errors(self.context):
            cursor = self._raw.cursor(dictionary=True, buffered=False)
            cursor.execute(sql, tuple(params))
        while True:
            with translated_errors(self.context):
                batch = cursor.fetchmany(fetch_rows)
            if not batch:
                break
            yield from batch

    def close(self) -> None:
        """Close the connection; a connection that is already broken closes quietly."""
        with suppress(mysql_errors.Error):
            self._raw.close()

    def __enter__(self) -> ServerConnection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
