"""Mapping of `mysql.connector` errors (errno, SQLSTATE, message) to the errors of `dolt.errors`.

Dolt sql-server reports most of its own failures as errno 1105 (unknown error) with a message, so
branch errors are recognised by their wording; everything MySQL-standard goes by errno.
"""

from __future__ import annotations

import re

from mysql.connector import errors as mysql_errors

from dolt.errors import (
    BranchExists,
    BranchNotFound,
    Busy,
    ConnectionLost,
    ConstraintViolation,
    DatabaseExists,
    DatabaseNotFound,
    DoltError,
    SqlError,
    TableNotFound,
    UnavailableFunction,
)

# Lock wait timeout, deadlock (Dolt: "serialization failure ... try restarting transaction").
BUSY_ERRNOS = frozenset({1205, 1213})
# Client-side connection failures, and the server closing an idle connection (4031).
CONNECTION_ERRNOS = frozenset({2003, 2005, 2006, 2013, 2055, 4031})
UNKNOWN_DATABASE = 1049
DATABASE_EXISTS = 1007
UNKNOWN_TABLE = 1146
# Duplicate key, foreign key (child / parent side), NOT NULL, no default, CHECK (MySQL / MariaDB).
CONSTRAINT_ERRNOS = frozenset({1022, 1048, 1062, 1216, 1217, 1364, 1451, 1452, 1557, 3819, 4025})
# Errors that concern the statement, not the values of one row: retrying row by row is pointless.
STATEMENT_ERRNOS = frozenset({1044, 1045, 1054, 1064, 1136, 1142, 1146, 1149})
# MySQL / MariaDB: "FUNCTION db.md5 does not exist" (1305); Dolt: "function: 'md5' not found".
_MISSING_FUNCTION = re.compile(
    r"FUNCTION (?:\w+\.)?(?P<mysql>\w+) does not exist|function: '(?P<dolt>\w+)' not found",
    re.IGNORECASE,
)

_CONNECTION_ERRORS = (
    mysql_errors.ConnectionTimeoutError,
    mysql_errors.ReadTimeoutError,
    mysql_errors.WriteTimeoutError,
)


def map_mysql_error(error: mysql_errors.Error, *, context: str) -> DoltError:
    """Turn a `mysql.connector` error into the matching `DoltError`.

    `context` says where it happened (server URL without password, database, branch) and is
    appended to the message; never pass anything that contains a password.
    """
    errno = error.errno
    text = error.msg or str(error)
    message = f"{text} ({context})"
    lowered = text.lower()
    if errno in BUSY_ERRNOS or "serialization failure" in lowered:
        return Busy(f"The database is busy, retry later: {message}")
    if _is_connection_error(error):
        return ConnectionLost(f"Lost or could not open the connection: {message}")
    if errno == UNKNOWN_DATABASE:
        return DatabaseNotFound(f"Unknown database: {message}")
    if errno == DATABASE_EXISTS:
        return DatabaseExists(f"The database already exists: {message}")
    if "already exists" in lowered and ("a branch named" in lowered or "refs/heads/" in lowered):
        return BranchExists(f"The branch already exists: {message}")
    if _names_missing_branch(lowered):
        return BranchNotFound(f"No such branch or revision: {message}")
    if errno == UNKNOWN_TABLE or "table not found" in lowered:
        return TableNotFound(f"No such table: {message}")
    if errno in CONSTRAINT_ERRNOS or "duplicate primary key" in lowered:
        return ConstraintViolation(message)
    missing = _MISSING_FUNCTION.search(text)
    if missing:
        name = missing["mysql"] or missing["dolt"]
        return UnavailableFunction(f"No such function: {message}", function=name.upper())
    return SqlError(message)


def is_row_error(error: DoltError) -> bool:
    """True when a failed multi-row INSERT may be caused by the values of single rows.

    Such a batch is worth retrying row by row to find the rows the database refuses;
    statement-level failures (unknown column, syntax, privileges) and lost connections are not.
    """
    if isinstance(error, ConstraintViolation):
        return True
    if not isinstance(error, SqlError) or isinstance(error, TableNotFound):
        return False
    errno = getattr(error.__cause__, "errno", None)
    return errno not in STATEMENT_ERRNOS


def server_words(error: DoltError) -> str:
    """The server's own message behind a mapped error, without our connection context."""
    cause = error.__cause__
    return str(getattr(cause, "msg", None) or error)


def _is_connection_error(error: mysql_errors.Error) -> bool:
    if isinstance(error, _CONNECTION_ERRORS) or error.errno in CONNECTION_ERRNOS:
        return True
    if isinstance(error, (mysql_errors.InterfaceError, mysql_errors.OperationalError)):
        lowered = (error.msg or "").lower()
        return "connection not available" in lowered or "lost connection" in lowered
    return False


def _names_missing_branch(lowered: str) -> bool:
    if "branch not found" in lowered:
        return True
    # "fatal: 'x' is not a commit and a branch 'y' cannot be created from it"; a name that
    # resolves to no branch, tag or commit is an "invalid ref spec".
    return "is not a commit" in lowered or "invalid ref spec" in lowered
