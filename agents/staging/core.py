"""Staging: one local file becomes DuckDB relations the plan can SELECT from.

For each file this module makes two relations on the caller's connection:

* ``raw_<name>`` — the rows as read: every column VARCHAR for text formats (CSV, TSV, XLSX),
  the source's own types for Parquet and JSON;
* ``<name>`` — the typed view :func:`apply_types` (re)creates over the raw one.

Both start with a hidden ``__record`` column, the 1-based number of the data record in file order.
Records the reader could not parse (ragged rows, bad quoting, bad JSON lines) keep their numbers:
the staged rows simply skip them, so ``__record`` always points at the same record of the file,
and :func:`record_line` turns it into a physical line for messages.

How each format is read (the decisions, in one place):

* Text is decoded by one rule (:func:`detect_encoding`): a BOM decides (UTF-8, UTF-16 LE/BE);
  else NUL bytes in alternate positions mean BOM-less UTF-16; else the first 4 MiB decoding as
  strict UTF-8 — or holding valid multi-byte UTF-8 next to invalid bytes — means UTF-8, and the
  whole file is checked: an invalid byte is a :class:`FormatError` naming its line; else the file
  is single-byte: ``windows-1252`` when its bytes 0x80-0x9F are all defined there, otherwise
  ``latin-1``. Anything but UTF-8 is transcoded to UTF-8 in the workdir, streaming; line numbers
  are unchanged by transcoding.
* CSV and friends (and XLSX, converted to CSV first) are read once, in parallel, into an
  in-memory DuckDB table (``__staged_<name>``; past :data:`MEMORY_LIMIT` DuckDB spills it under
  the workdir), so every later query (profile, key checks, the executor's stream) reads columns
  instead of re-parsing the text. DuckDB keeps the file's order when it fills a table
  (``preserve_insertion_order``), so ``__record`` is set from the ``rowid`` afterwards — no
  ordered, single-threaded numbering pass. Parquet needs no copy: a view with
  ``file_row_number``. JSON goes to a DuckDB file in the workdir (``staging.duckdb``).
* CSV: DuckDB's sniffer picks delimiter, quote, escape and whether the first row is a header;
  every column is read as VARCHAR with ``allow_quoted_nulls=false`` (an empty unquoted field is
  NULL, a quoted ``""`` is the empty string). Ragged rows and bad quoting become rejects with
  exact lines (DuckDB ``store_rejects``); blank lines are skipped like DuckDB does (in a one-column
  file a blank line is a NULL value). More than :data:`MAX_REJECTS` rejects is a FormatError.
* XLSX: the first sheet, or the first non-empty one; blank rows are dropped (their sheet row
  numbers are kept for messages); dates become ISO text (``YYYY-MM-DD`` at midnight, else
  ``YYYY-MM-DD HH:MM:SS``), booleans ``true``/``false``, integral floats integers.
"""

from __future__ import annotations

import bisect
import codecs
import contextlib
import dataclasses
import datetime as dt
import functools
import hashlib
import re
import unicodedata
import zipfile
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import duckdb

from agents.errors import AgentError, FormatError
from agents.inspection.type_inference import cast_expression

Format = Literal["csv", "json", "jsonl", "parquet", "xlsx"]

MEMORY_LIMIT = "256MB"
"""DuckDB memory limit set by :func:`configure_connection`; larger work spills to the workdir."""
MAX_REJECTS = 10_000
"""More unparseable records than this means the file is not what it seems: FormatError."""
MAX_REJECT_RAW = 1_000
"""Characters of a rejected record's text kept in :class:`ReaderReject`."""
SNIFF_BYTES = 4 * 1024 * 1024
CHUNK = 1024 * 1024
MAX_FIELD_BYTES = 16 * 1024 * 1024
"""Longest CSV record DuckDB will read (its ``max_line_size``); longer ones are rejects."""

_EXTENSIONS: dict[str, Format] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".tab": "csv",
    ".psv": "csv",
    ".txt": "csv",
    ".dat": "csv",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}
_NAME_EXTENSIONS = (*_EXTENSIONS, ".gz", ".zip", ".bz2", ".xz", ".zst")
_RELATION_NAME = re.compile(r"[a-z_][a-z0-9_]*")


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


# --- names ----------------------------------------------------------------------------------


def quote_ident(name: str) -> str:
    """A DuckDB identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def sql_literal(text: str) -> str:
    """A DuckDB string literal, for the few places that take no parameters (views, SET)."""
    return "'" + text.replace("'", "''") + "'"


def sanitize_name(text: str, *, max_length: int = 64) -> str:
    """``First Name`` -> ``first_name``: ASCII snake_case, runs of anything else become one ``_``.

    camelCase is split (``PersonID`` -> ``person_id``), accents are dropped (``é`` -> ``e``,
    ``ß`` -> ``ss``). The result never starts or ends with ``_`` (names beginning with ``_`` are
    ours), may start with a digit (callers prefix), and may be empty.
    """
    text = unicodedata.normalize("NFKD", text.replace("ß", "ss").replace("ẞ", "SS"))
    text = text.encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    text = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return text[:max_length].rstrip("_")


def unique_name(name: str, taken: Collection[str], *, max_length: int = 64) -> str:
    """``name``, or ``name_2``, ``name_3``... the first not in ``taken``."""
    if name not in taken:
        return name
    number = 2
    while True:
        suffix = f"_{number}"
        candidate = name[: max_length - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        number += 1


def column_names(headers: list[str | None], *, reserved: Collection[str] = ()) -> list[str]:
    """Staged names for file headers: sanitised, ``column_<n>`` for blanks, duplicates numbered."""
    names: list[str] = []
    taken = set(reserved)
    for position, header in enumerate(headers, start=1):
        name = sanitize_name(header or "")
        if not name:
            name = f"column_{position}"
        elif name[0].isdigit():
            name = sanitize_name(f"c_{name}")
        name = unique_name(name, taken)
        taken.add(name)
        names.append(name)
    return names


def relation_name_for(file_name: str, *, taken: Collection[str]) -> str:
    """``people.csv`` -> ``people``: the file's name without its extensions, sanitised, unique."""
    name = Path(file_name).name
    lowered = name.lower()
    while True:
        for extension in _NAME_EXTENSIONS:
            if lowered.endswith(extension) and len(lowered) > len(extension):
                name, lowered = name[: -len(extension)], lowered[: -len(extension)]
                break
        else:
            break
    name = sanitize_name(name) or "data"
    if name[0].isdigit():
        name = f"t_{name}"
    return unique_name(name, taken)


# --- the connection ----------------------------------------------------------------------------


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


@dataclass(frozen=True)
class StagingJob:
    """What every format's stager needs: the connection, the file and where to put things."""

    con: duckdb.DuckDBPyConnection
    file: Path
    source: str
    relation: str
    workdir: Path
    catalog: str

    def table(self, name: str) -> str:
        """A table in the staging file, quoted."""
        return f"{quote_ident(self.catalog)}.{quote_ident(name)}"

    def error(self, message: str, line: int | None = None) -> FormatError:
        return FormatError(message, file=self.source, line=line)


# --- entry points ------------------------------------------------------------------------------


def stage_file(
    con: duckdb.DuckDBPyConnection,
    *,
    file: Path,
    source: str,
    relation: str,
    nested_lists: Literal["child_tables", "json_column"] = "child_tables",
    workdir: Path,
) -> list[StagedRelation]:
    """Stage ``file`` as ``relation`` (plus child relations for nested JSON lists).

    Each returned relation has its raw relation and an untyped pass-through ``relation`` view;
    profiling replaces the latter with the inferred types. Raises :class:`FormatError` naming
    ``source`` (and the line, when known) for a file that cannot be read as its format.
    """
    if not _RELATION_NAME.fullmatch(relation):
        raise ValueError(f"relation name {relation!r} is not [a-z_][a-z0-9_]*")
    file = Path(file)
    if not file.is_file():
        raise FormatError("is not a readable file", file=source)
    if file.stat().st_size == 0:
        raise FormatError("the file is empty", file=source)
    job = StagingJob(
        con=con,
        file=file,
        source=source,
        relation=relation,
        workdir=Path(workdir),
        catalog=configure_connection(con, workdir=Path(workdir)),
    )
    fmt = detect_format(file, source=source)
    if fmt == "parquet":
        staged = [_stage_parquet(job)]
    elif fmt == "xlsx":
        staged = [_stage_xlsx(job)]
    elif fmt in ("json", "jsonl"):
        # json_flatten builds on this module's types, so it is imported where it is used.
        from agents.staging.json_records import stage_json

        staged = stage_json(job, format=fmt, nested_lists=nested_lists)
    else:
        decoded = decode_to_utf8(job)
        staged = [
            _stage_delimited(
                job, data_file=decoded.path, encoding=decoded.encoding, notes=decoded.notes
            )
        ]
    for relation_ in staged:
        apply_types(con, staged=relation_, types={})
    return staged


def apply_types(
    con: duckdb.DuckDBPyConnection,
    *,
    staged: StagedRelation,
    types: Mapping[str, str],
    inferred: Collection[str] = (),
) -> None:
    """(Re)create the typed view ``staged.relation`` over ``staged.raw_relation``.

    ``types`` maps staged column names to MySQL types; each such column is cast to the matching
    DuckDB type (``TRY_CAST`` for text, so a value that does not fit becomes NULL — the executor
    compares with the raw relation to reject it). Columns not in ``types`` pass through.
    ``inferred`` names text columns whose type was inferred from all their values (see
    :func:`~agents.inspection.type_inference.cast_expression`).
    """
    known = {name for name, _ in staged.columns}
    unknown = sorted(set(types) - known)
    if unknown:
        raise AgentError(f"{staged.relation} has no column(s) {', '.join(unknown)}")
    raw_types = relation_types(con, staged.raw_relation)
    select = [quote_ident("__record")]
    for name, _ in staged.columns:
        column = quote_ident(name)
        if name in types:
            cast = cast_expression(column, raw_types[name], types[name], inferred=name in inferred)
            select.append(f"{cast} AS {column}")
        else:
            select.append(column)
    con.execute(
        f"CREATE OR REPLACE VIEW {quote_ident(staged.relation)} AS "
        f"SELECT {', '.join(select)} FROM {quote_ident(staged.raw_relation)}"
    )


def relation_types(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    """Column name -> DuckDB type of a relation."""
    rows = con.execute(f"DESCRIBE SELECT * FROM {quote_ident(relation)}").fetchall()
    return {row[0]: row[1] for row in rows}


def detect_format(file: Path, *, source: str) -> Format:
    """The format by extension; an unknown extension is sniffed (JSON, Parquet, XLSX, else CSV)."""
    suffix = file.suffix.lower()
    if suffix == ".xls":
        raise FormatError("is an old binary Excel file; save it as .xlsx or CSV", file=source)
    if suffix in _EXTENSIONS:
        return _EXTENSIONS[suffix]
    with file.open("rb") as handle:
        head = handle.read(4096)
    if head.startswith(b"PAR1"):
        return "parquet"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(file) as archive:
                if any(name.startswith("xl/") for name in archive.namelist()):
                    return "xlsx"
        except zipfile.BadZipFile:
            pass
        raise FormatError("is a zip archive that is not an XLSX workbook", file=source)
    text = _decode_head(head)
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("["):
        return "json"
    if stripped.startswith("{"):
        return "jsonl" if re.match(r"\{[^\n]*\}\s*\n\s*\{", stripped) else "json"
    return "csv"


def _decode_head(head: bytes) -> str:
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return head[len(bom) :].decode(codec, "replace")
    utf16 = _utf16_without_bom(head)
    return head.decode(utf16 or "utf-8", "replace")


# --- encodings -----------------------------------------------------------------------------------

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")


@dataclass(frozen=True)
class Decoded:
    """A text file as UTF-8: the path DuckDB reads, the encoding it had, notes for the profile."""

    path: Path
    encoding: str
    notes: tuple[str, ...] = ()


def detect_encoding(file: Path) -> tuple[str, int]:
    """The file's encoding by the rule in this module's docstring, and the length of its BOM."""
    with file.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name, len(bom)
    utf16 = _utf16_without_bom(head[:4096])
    if utf16:
        return utf16, 0
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        cut = error.reason == "unexpected end of data" and len(head) == SNIFF_BYTES
        if not cut and not _has_utf8_sequences(head):
            return _single_byte_encoding(file), 0
    return "utf-8", 0


def _has_utf8_sequences(head: bytes) -> bool:
    """Valid multi-byte UTF-8 among invalid bytes means broken UTF-8, not a single-byte code."""
    return re.search("[^\x00-\x7f\ufffd]", head.decode("utf-8", "replace")) is not None


def _utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text without a BOM has NUL in every other byte (for Latin script)."""
    pairs = len(head) // 2
    if pairs < 2:
        return None
    even = head[0 : pairs * 2 : 2].count(0)
    odd = head[1 : pairs * 2 : 2].count(0)
    if even > 0.4 * pairs and odd < 0.05 * pairs:
        return "utf-16-be"
    if odd > 0.4 * pairs and even < 0.05 * pairs:
        return "utf-16-le"
    return None


def _single_byte_encoding(file: Path) -> str:
    """``windows-1252`` if the bytes 0x80-0x9F that occur are all defined there, else latin-1."""
    seen: set[int] = set()
    high = re.compile(rb"[\x80-\x9f]")
    with file.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            seen.update(match.group()[0] for match in high.finditer(chunk))
    if not seen or seen & _CP1252_UNDEFINED:
        return "latin-1"
    return "windows-1252"


def _python_codec(encoding: str, bom_length: int) -> str:
    if encoding == "utf-8":
        return "utf-8-sig" if bom_length else "utf-8"
    if encoding.startswith("utf-16") and bom_length:
        return "utf-16"
    return {"windows-1252": "cp1252"}.get(encoding, encoding)


def decode_chunks(file: Path, *, codec: str, source: str, text: bool = True) -> Iterator[str]:
    """The file as text chunks; an undecodable byte is a FormatError naming its line.

    With ``text=False`` a UTF-8 file is only checked (nothing is yielded), and chunks of ASCII,
    which is valid UTF-8, are not decoded.
    """
    decoder = codecs.getincrementaldecoder(codec)("strict")
    read = 0
    with file.open("rb") as handle:
        while True:
            chunk = handle.read(CHUNK)
            pending = decoder.getstate()[0]
            if not text and read and not pending and chunk.isascii() and chunk:
                read += len(chunk)
                continue
            try:
                decoded = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                bad = read - len(pending) + error.start
                name = codec.removesuffix("-sig")
                raise FormatError(
                    f"is not valid {name} (byte 0x{error.object[error.start]:02x}); "
                    f"save it as UTF-8",
                    file=source,
                    line=_line_at(file, bad, codec=codec),
                ) from None
            read += len(chunk)
            if decoded and text:
                yield decoded
            if not chunk:
                return


def _line_at(file: Path, offset: int, *, codec: str) -> int:
    """The line holding byte ``offset``, the bytes before it being valid ``codec`` text."""
    decoder = codecs.getincrementaldecoder(codec)("replace")
    lines = 0
    with file.open("rb") as handle:
        while offset > 0:
            chunk = handle.read(min(CHUNK, offset))
            if not chunk:
                break
            offset -= len(chunk)
            lines += decoder.decode(chunk, final=offset <= 0).count("\n")
    return lines + 1


def decode_to_utf8(job: StagingJob) -> Decoded:
    """The job's file as UTF-8 text: checked in place if it is UTF-8, else transcoded."""
    encoding, bom = detect_encoding(job.file)
    codec = _python_codec(encoding, bom)
    notes: list[str] = []
    if encoding == "utf-8":
        for _ in decode_chunks(job.file, codec=codec, source=job.source, text=False):
            pass
        if bom:
            notes.append("encoding: UTF-8 with BOM")
        return Decoded(job.file, encoding, tuple(notes))
    target = job.workdir / f"{job.relation}.utf8{job.file.suffix or '.txt'}"
    with target.open("w", encoding="utf-8", newline="") as out:
        for text in decode_chunks(job.file, codec=codec, source=job.source):
            out.write(text)
    notes.append(f"encoding: {encoding}, transcoded to UTF-8")
    return Decoded(target, encoding, tuple(notes))


# --- delimited text --------------------------------------------------------------------------


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
    try:
        row = job.con.execute(
            "SELECT Delimiter, Quote, Escape, NewLineDelimiter, SkipRows, HasHeader, len(Columns) "
            "FROM sniff_csv($file, ignore_errors = true, null_padding = $padding, "
            "max_line_size = $max_line_size, buffer_size = $buffer_size)",
            {"file": str(data_file), "padding": null_padding, **sizes},
        ).fetchone()
    except duckdb.Error as error:
        raise job.error(f"cannot be read as delimited text: {_first_line(error)}") from None
    assert row is not None
    delimiter, quote, escape, newline, skip, header, width = row
    quote = quote if quote not in ("", "(empty)") else '"'
    escape = escape if escape not in ("", "(empty)") else quote
    newline = {"\\r\\n": "\r\n", "\\r": "\r"}.get(newline, "\n")
    return Dialect(delimiter, quote, escape, newline, int(skip), bool(header), int(width))


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


def _stage_delimited(
    job: StagingJob,
    *,
    data_file: Path,
    encoding: str | None,
    notes: tuple[str, ...] = (),
    fmt: Format = "csv",
    null_padding: bool = False,
    width: int | None = None,
    line_map: tuple[tuple[int, int], ...] = (),
) -> StagedRelation:
    """Materialise a delimited UTF-8 file as ``raw_<relation>`` with ``__record`` and rejects."""
    dialect = sniff_dialect(job, data_file, null_padding=null_padding)
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
        raise job.error(f"cannot be read as delimited text: {_first_line(error)}") from None
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
    for item in _data_items(staged):
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
    detail = _first_line(message)
    return f"{reason}: {detail}" if detail else reason


def _first_line(error: object) -> str:
    return str(error).strip().split("\n", 1)[0][:300]


# --- finding records in the text ----------------------------------------------------------------

CHECKPOINT_EVERY = 4096
"""record_line remembers where every 4096th record starts, so each later call reads little."""


@dataclass(frozen=True)
class _Layout:
    """How records are split in a UTF-8 text file: what record_line and rejects need."""

    path: Path
    size: int
    modified: int
    quote: bytes | None  # None: no quoting (JSONL: one record per line)
    escape: bytes | None
    newline: bytes
    skip_lines: int
    header: bool
    blank_is_record: bool  # a one-column CSV reads a blank line as a NULL value

    @classmethod
    def of(cls, staged: StagedRelation) -> _Layout:
        path = staged.data_file or staged.file
        stat = path.stat()
        jsonl = staged.format == "jsonl"
        quote = None if jsonl else (staged.quote or '"').encode()
        escape = None if jsonl else (staged.escape or staged.quote or '"').encode()
        return cls(
            path=path,
            size=stat.st_size,
            modified=stat.st_mtime_ns,
            quote=quote,
            escape=escape if escape != quote else None,
            newline=b"\r" if staged.newline == "\r" else b"\n",
            skip_lines=staged.skip_lines,
            header=bool(staged.header),
            blank_is_record=not jsonl and len(staged.columns) == 1,
        )


@dataclass(frozen=True)
class _Item:
    """A record or a blank line: DuckDB's number for it, its line, offset and data record."""

    items: int  # records and blank lines before it, after the skipped lines
    line: int
    offset: int
    record: int | None  # data record number; None for the header and ignored blank lines

    @property
    def duck_line(self) -> int:
        return self.items + 1


def _lines(handle, newline: bytes) -> Iterator[bytes]:
    if newline == b"\n":
        yield from handle
        return
    rest = b""
    while chunk := handle.read(CHUNK):
        parts = (rest + chunk).split(newline)
        rest = parts.pop()
        for part in parts:
            yield part + newline
    if rest:
        yield rest


def _walk(layout: _Layout, start: _Item | None = None) -> Iterator[_Item]:
    """Every record and blank line from ``start`` (a record start) or the top, as DuckDB splits."""
    escaped = re.compile(re.escape(layout.escape) + b".", re.S) if layout.escape else None
    with layout.path.open("rb") as handle:
        if start is None:
            line, offset, items, records = 0, 0, 0, 0
            header_pending = layout.header
            for _ in range(layout.skip_lines):
                text = handle.readline()
                line, offset = line + 1, offset + len(text)
        else:
            handle.seek(start.offset)
            line, offset, items = start.line - 1, start.offset, start.items
            records = (start.record or 1) - 1
            header_pending = False
        in_quote = False
        first_line = first_offset = 0
        for text in _lines(handle, layout.newline):
            line += 1
            if not in_quote:
                first_line, first_offset = line, offset
            offset += len(text)
            if not in_quote and not text.strip(b"\r\n" if layout.quote else None):
                if layout.blank_is_record and not header_pending:
                    records += 1
                    yield _Item(items, first_line, first_offset, records)
                else:
                    yield _Item(items, first_line, first_offset, None)
                items += 1
                continue
            if layout.quote is not None:
                counted = escaped.sub(b"", text) if escaped else text
                if counted.count(layout.quote) % 2:
                    in_quote = not in_quote
            if in_quote:
                continue
            if header_pending:
                header_pending = False
                yield _Item(items, first_line, first_offset, None)
            else:
                records += 1
                yield _Item(items, first_line, first_offset, records)
            items += 1
        if in_quote:
            yield _Item(items, first_line, first_offset, records + 1)


@functools.lru_cache(maxsize=16)
def _checkpoints(layout: _Layout) -> tuple[_Item, ...]:
    """Every CHECKPOINT_EVERY-th data record's start, from one pass over the file."""
    return tuple(
        item for item in _walk(layout) if item.record and item.record % CHECKPOINT_EVERY == 1
    )


def _text_record_line(staged: StagedRelation, record: int) -> int | None:
    layout = _Layout.of(staged)
    marks = _checkpoints(layout)
    index = bisect.bisect_right([mark.record or 0 for mark in marks], record) - 1
    for item in _walk(layout, marks[index] if index >= 0 else None):
        if item.record == record:
            return item.line
        if item.record is not None and item.record > record:
            return None
    return None


def _data_items(staged: StagedRelation) -> Iterator[_Item]:
    """Every record and blank line of a delimited file from the top."""
    return _walk(_Layout.of(staged))


def record_line(staged: StagedRelation, *, record: int) -> int | None:
    """The physical line (1-based) where data record ``record`` starts, or None if unknown.

    Sheet row for XLSX; None for Parquet, for child relations (use the parent's record) and for
    JSON whose records are not a top-level array. The first call reads the file once and keeps
    checkpoints; later calls for the same file read a few thousand lines at most.
    """
    if record < 1 or staged.parent is not None or staged.format == "parquet":
        return None
    if staged.format == "xlsx":
        return _sheet_row(staged, record)
    if staged.format == "json":
        from agents.staging.json_records import array_record_line

        return array_record_line(staged, record=record)
    return _text_record_line(staged, record)


def _sheet_row(staged: StagedRelation, record: int) -> int | None:
    csv_record = record + (1 if staged.header else 0)
    row = None
    for first_record, first_row in staged.line_map:
        if first_record > csv_record:
            break
        row = first_row + (csv_record - first_record)
    return row


# --- Parquet ---------------------------------------------------------------------------------


def _stage_parquet(job: StagingJob) -> StagedRelation:
    """A view over the Parquet file; ``__record`` is its row number in the file."""
    reader = f"read_parquet({sql_literal(str(job.file.resolve()))}, file_row_number = true)"
    try:
        described = job.con.execute(f"DESCRIBE SELECT * FROM {reader}").fetchall()
    except duckdb.Error as error:
        raise job.error(f"cannot be read as Parquet: {_first_line(error)}") from None
    originals = [row[0] for row in described if row[0] != "file_row_number"]
    names = column_names(originals)
    select = ", ".join(
        f"{quote_ident(original)} AS {quote_ident(name)}"
        for original, name in zip(originals, names, strict=True)
    )
    raw = f"raw_{job.relation}"
    job.con.execute(
        f"CREATE OR REPLACE VIEW {quote_ident(raw)} AS "
        f"SELECT file_row_number + 1 AS __record, {select} FROM {reader}"
    )
    return StagedRelation(
        relation=job.relation,
        raw_relation=raw,
        source=job.source,
        file=job.file,
        format="parquet",
        encoding=None,
        delimiter=None,
        header=None,
        columns=list(zip(names, originals, strict=True)),
    )


# --- XLSX -------------------------------------------------------------------------------------


def _stage_xlsx(job: StagingJob) -> StagedRelation:
    """Convert the sheet to CSV in the workdir (streaming), then stage it like a CSV file."""
    target = job.workdir / f"{job.relation}.xlsx.csv"
    sheet, sheets, width, line_map = _xlsx_to_csv(job, target)
    notes = [f"sheet {sheet!r}" + (f" (the workbook has {sheets} sheets)" if sheets > 1 else "")]
    return _stage_delimited(
        job,
        data_file=target,
        encoding=None,
        notes=tuple(notes),
        fmt="xlsx",
        null_padding=True,
        width=width,
        line_map=line_map,
    )


def _xlsx_to_csv(
    job: StagingJob, target: Path
) -> tuple[str, int, int, tuple[tuple[int, int], ...]]:
    import openpyxl  # only XLSX needs it

    try:
        workbook = openpyxl.load_workbook(job.file, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise job.error(f"cannot be read as an XLSX workbook: {_first_line(error)}") from None
    try:
        sheets = workbook.worksheets
        chosen = next((sheet for sheet in sheets if _sheet_has_values(sheet)), None)
        if chosen is None:
            raise job.error("the workbook has no values")
        width = 0
        records = 0
        previous_row = None
        line_map: list[tuple[int, int]] = []
        with target.open("w", encoding="utf-8", newline="") as out:
            for row_number, row in enumerate(
                chosen.iter_rows(min_row=1, values_only=True), start=1
            ):
                cells = [_cell_text(value) for value in row]
                while cells and cells[-1] is None:
                    cells.pop()
                if not cells:
                    continue
                records += 1
                if previous_row is None or row_number != previous_row + 1:
                    line_map.append((records, row_number))
                previous_row = row_number
                width = max(width, len(cells))
                out.write(_csv_record(cells))
        return chosen.title, len(sheets), width, tuple(line_map)
    finally:
        workbook.close()


def _sheet_has_values(sheet: object) -> bool:
    rows = sheet.iter_rows(values_only=True)  # type: ignore[attr-defined]
    return any(any(value is not None for value in row) for row in rows)


def _csv_record(cells: list[str | None]) -> str:
    """One CSV record: every value quoted (so ``""`` stays an empty string), None left empty."""
    return (
        ",".join("" if cell is None else '"' + cell.replace('"', '""') + '"' for cell in cells)
        + "\n"
    )


def _cell_text(value: object) -> str | None:
    """A cell as CSV text: ISO dates, ``true``/``false``, integral floats as integers."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)
