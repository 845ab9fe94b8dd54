"""What staging hands on: a staged relation with its rejects, and the job each stager gets.

:class:`StagedRelation` describes one relation staged from a file (its raw and typed names, the
columns with their source names, the records the reader rejected, and how the file was read, for
:func:`~agents.staging.stage.record_line`); :class:`StagingJob` is what each format's stager
needs. The limits on rejects, :func:`relation_types` and :func:`create_relation_view` (the view
``<name>`` over ``raw_<name>``, typed or not) are shared by all formats and by profiling.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import duckdb

from agents.artifacts import ReadOptions
from agents.errors import FormatError
from agents.staging.names import quote_ident

Format = Literal["csv", "json", "jsonl", "parquet", "xlsx"]

MAX_REJECTS = 10_000
"""More unparseable records than this means the file is not what it seems: FormatError."""
MAX_REJECT_RAW = 1_000
"""Characters of a rejected record's text kept in :class:`ReaderReject`."""


@dataclass(frozen=True)
class ReaderReject:
    """A record the reader could not parse (ragged row, bad quoting, bad JSON line)."""

    line: int | None
    reason: str
    raw: str | None


@dataclass(frozen=True)
class StagedRelation:
    """One relation staged from a file; ``relation`` is what the plan SELECTs from."""

    relation: str
    raw_relation: str
    source: str
    file: Path
    format: Format
    encoding: str | None
    delimiter: str | None
    header: bool | None
    columns: list[tuple[str, str]]
    parent: str | None = None
    rejects: tuple[ReaderReject, ...] = ()
    # How the file was read, for record_line and the profile's notes.
    data_file: Path | None = None
    """The UTF-8 text DuckDB read (a transcoded or converted copy), if not ``file`` itself."""
    quote: str | None = None
    escape: str | None = None
    newline: str | None = None
    skip_lines: int = 0
    line_map: tuple[tuple[int, int], ...] = ()
    """For converted spreadsheets: (first CSV record of a run of rows, its sheet row)."""
    notes: tuple[str, ...] = ()
    renamed: tuple[str, ...] = ()
    """Names changed because Dolt keeps them for itself, in words (the schema shows them)."""


@dataclass(frozen=True)
class StagingJob:
    """What every format's stager needs: the connection, the file and where to put things."""

    con: duckdb.DuckDBPyConnection
    file: Path
    source: str
    relation: str
    workdir: Path
    catalog: str
    read: ReadOptions = field(default_factory=ReadOptions)
    """How the person said to read the file (markers, delimiter, header row, sheets…)."""

    def table(self, name: str) -> str:
        """A table in the staging file, quoted."""
        return f"{quote_ident(self.catalog)}.{quote_ident(name)}"

    def error(self, message: str, line: int | None = None) -> FormatError:
        return FormatError(message, file=self.source, line=line)

    def unreadable(self, kind: str, error: object) -> FormatError:
        """The file cannot be read as ``kind``: the reader's first line of ``error`` says why."""
        return self.error(f"cannot be read as {kind}: {first_line(error)}")


_DUCKDB_KIND = re.compile(r"[A-Z][A-Za-z ]*? Error: ")
"""How DuckDB starts a message: ``Binder Error: ``, ``Invalid Input Error: ``."""


def first_line(error: object) -> str:
    """The first line of a reader's error message, cut to 300 characters, without DuckDB's
    kind of error (``Binder Error:``, ``Invalid Input Error:``), which means nothing to people;
    of an error DuckDB wraps (``Scalar function … threw …. Error: JSON exceeds …``), the last."""
    line = str(error).strip().split("\n", 1)[0]
    if _DUCKDB_KIND.match(line):
        line = line.rsplit("Error: ", 1)[-1]
    return line[:300]


def relation_types(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    """Column name -> DuckDB type of a relation."""
    rows = con.execute(f"DESCRIBE SELECT * FROM {quote_ident(relation)}").fetchall()
    return {row[0]: row[1] for row in rows}


def create_relation_view(
    con: duckdb.DuckDBPyConnection,
    staged: StagedRelation,
    expressions: Mapping[str, str] | None = None,
) -> None:
    """(Re)create the view ``staged.relation`` over ``staged.raw_relation``.

    It selects ``__record`` and every staged column, as ``expressions[name]`` (a cast of the
    quoted column) when given, else as read.
    """
    expressions = expressions or {}
    select = [quote_ident("__record")]
    for name, _ in staged.columns:
        column = quote_ident(name)
        select.append(f"{expressions[name]} AS {column}" if name in expressions else column)
    con.execute(
        f"CREATE OR REPLACE VIEW {quote_ident(staged.relation)} AS "
        f"SELECT {', '.join(select)} FROM {quote_ident(staged.raw_relation)}"
    )
