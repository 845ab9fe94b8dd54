"""The DuckDB connection staging works on: bounded memory and threads, spilling, the staging file.

:func:`open_duckdb` opens an in-memory connection set up by :func:`configure_connection`: memory
capped at `DuckdbLimits.memory_limit` (larger work spills under the workdir; what cannot spill
fails with DuckDB's ``OutOfMemoryException``), at most `DuckdbLimits.threads` threads (a plan
and a person's ``where`` are untrusted SQL: one job may not take every core), insertion order
kept (so a table filled from a file numbers its rows in file order), and the workdir's
``staging.duckdb`` attached under a catalog name of its own, where JSON records are kept.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass
from pathlib import Path

import duckdb

from agents.staging.names import quote_ident, sql_literal

MEMORY_LIMIT = "256MB"
"""DuckDB memory limit of a job's connection; larger work spills to the workdir."""
THREADS = 2
"""DuckDB threads of a job's connection."""


@dataclass(frozen=True)
class DuckdbLimits:
    """What one job's DuckDB may use (the entry points read them from the environment:
    IMPORTBOT_DUCKDB_MEMORY_LIMIT, in DuckDB's syntax such as 1GB or 512MiB, and
    IMPORTBOT_DUCKDB_THREADS)."""

    memory_limit: str = MEMORY_LIMIT
    threads: int = THREADS

    def __post_init__(self) -> None:
        if self.threads < 1 or not self.memory_limit.strip():
            raise ValueError("DuckdbLimits needs a memory limit and at least one thread.")


_process_limits = DuckdbLimits()
"""The limits of connections opened without their own: an entry point's `use_limits`."""


def use_limits(limits: DuckdbLimits) -> None:
    """Make `limits` this process's default (the entry points, from the environment)."""
    global _process_limits
    _process_limits = limits


def configure_connection(
    con: duckdb.DuckDBPyConnection, *, workdir: Path, limits: DuckdbLimits | None = None
) -> str:
    """Bound DuckDB's memory and threads, spill under ``workdir``, attach the staging file; its
    catalog name.

    Without ``limits`` a connection configured before for ``workdir`` keeps the limits it has
    (each staged file calls this again); a new one gets the default `DuckdbLimits`. A
    connection that has already spilled keeps its spill directory (DuckDB cannot switch it).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    spill = workdir / "duckdb_tmp"
    spill.mkdir(exist_ok=True)
    path = str((workdir / "staging.duckdb").resolve())
    catalog = "staging_" + hashlib.sha1(path.encode()).hexdigest()[:10]
    attached = {
        row[0] for row in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()
    }
    if limits is not None or catalog not in attached:
        apply_limits(con, limits or _process_limits)
    with contextlib.suppress(duckdb.NotImplementedException):
        con.execute(f"SET temp_directory = {sql_literal(str(spill))}")
    con.execute("SET preserve_insertion_order = true")
    if catalog not in attached:
        con.execute(f"ATTACH {sql_literal(path)} AS {quote_ident(catalog)}")
    return catalog


def apply_limits(con: duckdb.DuckDBPyConnection, limits: DuckdbLimits) -> None:
    """Set the connection's memory limit and thread count (values as parameters)."""
    con.execute("SET memory_limit = ?", [limits.memory_limit])
    con.execute("SET threads = ?", [limits.threads])


def open_duckdb(*, workdir: Path, limits: DuckdbLimits | None = None) -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB connection set up for staging files under ``workdir``."""
    con = duckdb.connect()
    try:
        configure_connection(con, workdir=Path(workdir), limits=limits or _process_limits)
    except BaseException:
        con.close()
        raise
    return con
