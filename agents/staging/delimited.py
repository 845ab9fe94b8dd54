"""Delimited text (CSV, TSV and friends, and converted XLSX) read into DuckDB, with exact rejects.

DuckDB's sniffer picks delimiter, quote, escape and whether the first row is a header; the file
is then read once, in parallel, into an in-memory table (``__staged_<name>``, see
:func:`staged_table`), every column VARCHAR with ``allow_quoted_nulls=false`` (an empty unquoted
field is NULL, a quoted ``""`` the empty string). DuckDB keeps the file's order when it fills the
table, so ``__record`` is set from the ``rowid`` afterwards. Ragged rows and bad quoting become
rejects with exact lines (DuckDB ``store_rejects``), and the staged rows are renumbered so each
reject keeps its record number; blank lines are skipped like DuckDB does (in a one-column file a
blank line is a NULL value). More than :data:`~agents.staging.relations.MAX_REJECTS` rejects is
a FormatError.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from agents.staging.names import column_names, quote_ident
from agents.staging.relations import (
    MAX_REJECT_RAW,
    MAX_REJECTS,
    Format,
    ReaderReject,
    StagedRelation,
    StagingJob,
    first_line,
)
from agents.staging.text_records import data_items
from agents.staging.text_shape import uneven_field_counts

MAX_FIELD_BYTES = 16 * 1024 * 1024
"""Longest CSV record DuckDB will read (its ``max_line_size``); longer ones are rejects."""


@dataclass(frozen=True)
class Dialect:
    delimiter: str
    quote: str
    escape: str
    newline: str
    skip: int
    header: bool
    width: int


def staged_table(relation: str) -> str:
    """The in-memory table a delimited file's rows are read into (``raw_<relation>`` views it)."""
    return f"__staged_{relation}"


def _reader_sizes(data_file: Path) -> dict[str, int]:
    size = data_file.stat().st_size
    line = min(max(size + 1, 2 * 1024 * 1024), MAX_FIELD_BYTES)
    return {"max_line_size": line, "buffer_size": max(2 * line, 32 * 1024 * 1024)}


def sniff_dialect(job: StagingJob, data_file: Path, *, null_padding: bool = False) -> Dialect:
    """Delimiter, quote, escape, newline, header and width by DuckDB's sniffer.

    Ragged rows are ignored while sniffing, so a few of them do not change the guess.
    """
    sizes = _reader_sizes(data_file)
    said, given = _said_options(job)
    try:
        row = job.con.execute(
            "SELECT Delimiter, Quote, Escape, NewLineDelimiter, SkipRows, HasHeader, len(Columns) "
            "FROM sniff_csv($file, ignore_errors = true, null_padding = $padding, "
            f"max_line_size = $max_line_size, buffer_size = $buffer_size{said})",
            {"file": str(data_file), "padding": null_padding, **sizes, **given},
        ).fetchone()
    except duckdb.Error as error:
        raise job.unreadable("delimited text", error) from None
    assert row is not None
    delimiter, quote, escape, newline, skip, header, width = row
    if job.read.header_row is not None:  # the person said where the header is
        skip, header = job.read.header_row - 1, True
    quote = quote if quote not in ("", "(empty)") else '"'
    escape = escape if escape not in ("", "(empty)") else quote
    newline = {"\\r\\n": "\r\n", "\\r": "\r"}.get(newline, "\n")
    return Dialect(delimiter, quote, escape, newline, int(skip), bool(header), int(width))


_DELIMITER_WORDS = {",": "comma", "\t": "tab", ";": "semicolon", "|": "pipe"}


def _refuse_uneven(job: StagingJob, dialect: Dialect, data_file: Path) -> None:
    counts = uneven_field_counts(data_file, delimiter=dialect.delimiter, skip=dialect.skip)
    if counts:
        delimiter = _DELIMITER_WORDS.get(dialect.delimiter, repr(dialect.delimiter))
        raise job.error(
            "is not a consistent delimited file: its first lines have "
            f"{', '.join(map(str, counts[:-1]))} and {counts[-1]} fields with the {delimiter} "
            "as delimiter; if it is a table, say its delimiter (for example `delimiter ;`)"
        )


def _said_options(job: StagingJob) -> tuple[str, dict[str, object]]:
    """The sniffer's options the person fixed (`delimiter ;`, `header on row N`), as SQL
    parameters; the sniffer detects the rest."""
    given: dict[str, object] = {}
    if job.read.delimiter:
        given["delim"] = job.read.delimiter
    if job.read.header_row is not None:
        given["skip"] = max(job.read.header_row - 1, 0)
    return "".join(f", {name} = ${name}" for name in given), given


def _read_options(dialect: Dialect, data_file: Path, *, null_padding: bool) -> dict[str, object]:
    return {
        "file": str(data_file),
        "skip": dialect.skip,
        "delim": dialect.delimiter,
        "quote": dialect.quote,
        "escape": dialect.escape,
        "padding": null_padding,
        **_reader_sizes(data_file),
    }


_READ_CSV = (
    "read_csv($file, header = $header, skip = $skip, delim = $delim, quote = $quote, "
    "escape = $escape, columns = $columns, auto_detect = false, all_varchar = true, "
    "allow_quoted_nulls = false, null_padding = $padding, parallel = NOT $padding, "
    "max_line_size = $max_line_size, buffer_size = $buffer_size"
)


def _header_row(job: StagingJob, dialect: Dialect, data_file: Path) -> list[str | None]:
    """The first record, parsed by DuckDB with the sniffed dialect."""
    columns = {f"c{i}": "VARCHAR" for i in range(dialect.width)}
    options = _read_options(dialect, data_file, null_padding=True)
    row = job.con.execute(
        f"SELECT * FROM {_READ_CSV}, strict_mode = false) LIMIT 1",
        {**options, "header": False, "columns": columns},
    ).fetchone()
    return list(row) if row else [None] * dialect.width


def stage_delimited(
    job: StagingJob,
    *,
    data_file: Path,
    encoding: str | None,
    notes: tuple[str, ...] = (),
    fmt: Format = "csv",
    null_padding: bool = False,
    width: int | None = None,
    line_map: tuple[tuple[int, int], ...] = (),
    consistent: bool = False,
) -> StagedRelation:
    """Materialise a delimited UTF-8 file as ``raw_<relation>`` with ``__record`` and rejects.

    ``consistent``: the file may hold anything (.txt, no extension), so its first records must
    agree on their number of fields with the sniffed delimiter, else a FormatError says so."""
    dialect = sniff_dialect(job, data_file, null_padding=null_padding)
    if consistent:
        _refuse_uneven(job, dialect, data_file)
    if width is not None:
        dialect = dataclasses.replace(dialect, width=width)
    if dialect.header:
        headers = [
            value.removeprefix("\ufeff") if value else value
            for value in _header_row(job, dialect, data_file)
        ]
        source_names = [value or "" for value in headers]
    else:
        headers = [None] * dialect.width
        source_names = [""] * dialect.width
        notes = (*notes, f"no header row: columns named column_1..column_{dialect.width}")
    names = column_names(headers)
    raw = f"raw_{job.relation}"
    table = quote_ident(staged_table(job.relation))
    rejects_table = f"__rejects_{job.relation}"
    con = job.con
    con.execute(f"DROP TABLE IF EXISTS temp.{quote_ident(rejects_table)}")
    con.execute(f"DROP TABLE IF EXISTS temp.{quote_ident(rejects_table + '_scan')}")
    options = _read_options(dialect, data_file, null_padding=null_padding)
    try:
        con.execute(
            f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM {_READ_CSV}, "
            "store_rejects = true, rejects_table = $rejects, rejects_scan = $scan)",
            {
                **options,
                "header": dialect.header,
                "columns": {name: "VARCHAR" for name in names},
                "rejects": rejects_table,
                "scan": rejects_table + "_scan",
            },
        )
        # The table holds the rows in file order (preserve_insertion_order), so a row's
        # rowid numbers it; staged names never start with "_", so "__record" is free.
        con.execute(f"ALTER TABLE {table} ADD COLUMN __record BIGINT")
        con.execute(f"UPDATE {table} SET __record = rowid + 1")
        failures = con.execute(
            "SELECT line, arg_min(error_type, column_idx), arg_min(error_message, column_idx), "
            f"arg_min(csv_line, column_idx) FROM temp.{quote_ident(rejects_table)} "
            "GROUP BY line ORDER BY line"
        ).fetchall()
    except duckdb.Error as error:
        raise job.unreadable("delimited text", error) from None
    finally:
        con.execute(f"DROP TABLE IF EXISTS temp.{quote_ident(rejects_table)}")
        con.execute(f"DROP TABLE IF EXISTS temp.{quote_ident(rejects_table + '_scan')}")
    staged = StagedRelation(
        relation=job.relation,
        raw_relation=raw,
        source=job.source,
        file=job.file,
        format=fmt,
        encoding=encoding,
        delimiter=dialect.delimiter,
        header=dialect.header,
        columns=list(zip(names, source_names, strict=True)),
        data_file=data_file if data_file != job.file else None,
        quote=dialect.quote,
        escape=dialect.escape,
        newline=dialect.newline,
        skip_lines=dialect.skip,
        line_map=line_map,
        notes=notes,
    )
    if failures:
        rejects = _place_rejects(job, staged, failures)
        staged = dataclasses.replace(staged, rejects=rejects)
    con.execute(
        f"CREATE OR REPLACE VIEW {quote_ident(raw)} AS "
        f"SELECT __record, * EXCLUDE (__record) FROM {table}"
    )
    return staged


def _place_rejects(
    job: StagingJob, staged: StagedRelation, failures: list[tuple]
) -> tuple[ReaderReject, ...]:
    """Physical lines of DuckDB's rejects, and renumber staged rows so rejects keep their numbers.

    DuckDB numbers a reject by its record (blank lines included, counted from the top of the
    file); the same scan that maps those numbers to lines yields each reject's data record.
    """
    if len(failures) > MAX_REJECTS:
        first = failures[0]
        raise job.error(
            f"{len(failures)} records could not be parsed (first: {_reason(first[1], first[2])}); "
            "is the delimiter or the format right?"
        )
    wanted = {int(failure[0]) for failure in failures}
    placed: dict[int, tuple[int, int | None]] = {}
    for item in data_items(staged):
        duck_line = staged.skip_lines + item.duck_line
        if duck_line in wanted:
            placed[duck_line] = (item.line, item.record)
            if len(placed) == len(wanted):
                break
    rejects = []
    records = []
    for duck_line, error_type, message, raw in failures:
        line, record = placed.get(int(duck_line), (None, None))
        raw_text = (raw or "").lstrip("\r\n")
        rejects.append(
            ReaderReject(
                line=line, reason=_reason(error_type, message), raw=raw_text[:MAX_REJECT_RAW]
            )
        )
        if record is not None:
            records.append(record)
    _renumber_around(job, staged, sorted(records))
    return tuple(rejects)


def _renumber_around(job: StagingJob, staged: StagedRelation, rejected: list[int]) -> None:
    """Staged rows were numbered 1..n; shift them so each rejected record keeps its number."""
    if not rejected:
        return
    # The j-th reject (1-based) at record r shifts every staged row numbered >= r - j + 1 by one.
    starts = [record - j for j, record in enumerate(rejected)]
    bounds = sorted(set(starts))
    rows = []
    for i, low in enumerate(bounds):
        high = bounds[i + 1] if i + 1 < len(bounds) else 2**62
        rows.append((low, high, bisect.bisect_right(starts, low)))
    con = job.con
    con.execute(
        "CREATE OR REPLACE TEMP TABLE __record_shifts (low BIGINT, high BIGINT, shift BIGINT)"
    )
    con.executemany("INSERT INTO __record_shifts VALUES (?, ?, ?)", rows)
    table = quote_ident(staged_table(staged.relation))
    con.execute(
        f"UPDATE {table} SET __record = {table}.__record + s.shift FROM __record_shifts AS s "
        f"WHERE {table}.__record >= s.low AND {table}.__record < s.high"
    )
    con.execute("DROP TABLE __record_shifts")


_REASONS = {
    "MISSING COLUMNS": "too few fields",
    "TOO MANY COLUMNS": "too many fields",
    "UNQUOTED VALUE": "unparseable quoting",
    "LINE SIZE OVER MAXIMUM": "record longer than the reader's limit",
    "INVALID UNICODE": "invalid text encoding",
}


def _reason(error_type: str, message: str) -> str:
    reason = _REASONS.get(error_type, error_type.lower())
    counts = re.search(r"Expected Number of Columns: (\d+) Found: (\d+)", message or "")
    if counts:
        return f"{reason}: expected {counts.group(1)}, found {counts.group(2)}"
    detail = first_line(message)
    return f"{reason}: {detail}" if detail else reason
