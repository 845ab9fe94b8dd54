"""Turn doltlite's sqlite3 exceptions into the Dolt layer's typed errors."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from dolt.embedded.loader import load_sqlite3
from dolt.errors import (
    BranchExists,
    BranchNotFound,
    Busy,
    ConstraintViolation,
    DoltError,
    NothingToCommit,
    SqlError,
    TableNotFound,
    UnavailableFunction,
)

if TYPE_CHECKING:
    import sqlite3  # the very module load_sqlite3() returns, for its types
else:
    sqlite3 = load_sqlite3()  # doltlite must be loaded before anything imports sqlite3

T = TypeVar("T")

_BY_MESSAGE: tuple[tuple[str, type[DoltError]], ...] = (
    ("database is locked", Busy),
    ("database is busy", Busy),
    ("branch already exists", BranchExists),
    ("branch not found", BranchNotFound),
    ("start point not found", BranchNotFound),
    ("revision", BranchNotFound),  # 'branch or revision "x" not found'
    ("no such table", TableNotFound),
    ("nothing to commit", NothingToCommit),
)

_NO_SUCH_FUNCTION = re.compile(r"no such function: (?P<name>\w+)", re.IGNORECASE)


def map_sqlite_error(exc: sqlite3.Error, *, context: str = "") -> DoltError:
    """A typed error for a sqlite3 exception, with `context` saying what we were doing."""
    message = str(exc)
    prefix = f"{context}: " if context else ""
    lowered = message.lower()
    if isinstance(exc, sqlite3.IntegrityError):
        return ConstraintViolation(prefix + message)
    missing = _NO_SUCH_FUNCTION.search(message)
    if missing:
        return UnavailableFunction(prefix + message, function=missing["name"].upper())
    for needle, error_type in _BY_MESSAGE:
        if needle in lowered and (error_type is not BranchNotFound or "not found" in lowered):
            return error_type(prefix + message)
    return SqlError(prefix + message)


def retry_when_busy(
    operation: Callable[[], T], *, attempts: int = 5, first_delay: float = 0.2
) -> T:
    """Run `operation`, retrying with backoff while the file is locked by another writer.

    The connection's busy timeout (60 s) already waits inside SQLite; this covers the
    lock errors doltlite raises without waiting (e.g. around `dolt_*` write functions).
    """
    delay = first_delay
    for attempt in range(attempts):
        try:
            return operation()
        except sqlite3.OperationalError as exc:
            error = map_sqlite_error(exc)
            if not isinstance(error, Busy) or attempt == attempts - 1:
                raise error from exc
            time.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")
