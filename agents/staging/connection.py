"""The DuckDB connection staging works on: bounded memory, spilling and the staging file.

:func:`open_duckdb` opens an in-memory connection set up by :func:`configure_connection`: memory
capped at :data:`MEMORY_LIMIT` (larger work spills under the workdir), insertion order kept (so a
table filled from a file numbers its rows in file order), and the workdir's ``staging.duckdb``
attached under a catalog name of its own, where JSON records are kept.
"""

from __future__ import annotations

import contextlib
import hashlib
from pathlib import Path

import duckdb

from agents.staging.names import quote_ident, sql_literal

MEMORY_LIMIT = "256MB"
"""DuckDB memory limit set by :func:`configure_connection`; larger work spills to the workdir."""


def configure_connection(
    con: duckdb.DuckDBPyConnection, *, workdir: Path, memory_limit: str = MEMORY_LIMIT
) -> str:
    """Bound DuckDB's memory, spill under ``workdir``, attach the staging file; its catalog name.

    A connection that has already spilled keeps its spill directory (DuckDB cannot switch it).
    """
    workdir.mkdir(parents=True, exist_ok=True)
    spill = workdir / "duckdb_tmp"
    spill.mkdir(exist_ok=True)
    con.execute(f"SET memory_limit = {sql_literal(memory_limit)}")
    with contextlib.suppress(duckdb.NotImplementedException):
        con.execute(f"SET temp_directory = {sql_literal(str(spill))}")
    con.execute("SET preserve_insertion_order = true")
    path = str((workdir / "staging.duckdb").resolve())
    catalog = "staging_" + hashlib.sha1(path.encode()).hexdigest()[:10]
    attached = {
        row[0] for row in con.execute("SELECT database_name FROM duckdb_databases()").fetchall()
    }
    if catalog not in attached:
        con.execute(f"ATTACH {sql_literal(path)} AS {quote_ident(catalog)}")
    return catalog


def open_duckdb(*, workdir: Path, memory_limit: str = MEMORY_LIMIT) -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB connection set up for staging files under ``workdir``."""
    con = duckdb.connect()
    try:
        configure_connection(con, workdir=Path(workdir), memory_limit=memory_limit)
    except BaseException:
        con.close()
        raise
    return con
