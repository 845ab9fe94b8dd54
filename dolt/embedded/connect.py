"""Opening doltlite files: one connection pinned to one branch or revision (trap 4)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from dolt.embedded.errors import map_sqlite_error
from dolt.embedded.loader import load_sqlite3, require_doltlite
from dolt.errors import NotADoltDatabase

if TYPE_CHECKING:
    import sqlite3  # the very module load_sqlite3() returns, for its types
else:
    sqlite3 = load_sqlite3()

BUSY_TIMEOUT_SECONDS = 60.0  # shorter timeouts starve queued writers (trap 3)


def connect(path: Path, *, ref: str | None = None) -> sqlite3.Connection:
    """Open `path` pinned to `ref` (a branch, tag or commit) with `file.db@ref`.

    Connections run in autocommit mode (`isolation_level=None`): transactions are explicit
    (`BEGIN IMMEDIATE` for writes), never implicit.
    """
    target = f"{path}@{ref}" if ref else str(path)
    try:
        connection = sqlite3.connect(
            target,
            isolation_level=None,
            timeout=BUSY_TIMEOUT_SECONDS,
            check_same_thread=False,
        )
    except sqlite3.Error as exc:
        raise map_sqlite_error(exc, context=f"opening {path.name}@{ref or 'main'}") from exc
    require_doltlite(connection)
    try:
        connection.execute("SELECT 1 FROM dolt_branches LIMIT 1").fetchall()
    except sqlite3.Error as exc:
        connection.close()
        raise NotADoltDatabase(
            f"{path.name} is not a Dolt database ({exc}); it was not created by this tool."
        ) from exc
    connection.execute("PRAGMA foreign_keys = ON")
    return connection


def scalar(connection: sqlite3.Connection, sql: str, params: tuple[object, ...] = ()) -> Any:
    """The single value of a one-row, one-column query (None when there is no row)."""
    row = connection.execute(sql, params).fetchone()
    return None if row is None else row[0]
