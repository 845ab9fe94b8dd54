"""Staging: one local file becomes DuckDB relations the plan can SELECT from.

For each file :func:`stage_file` finds the format (:func:`detect_format`), hands the file to its
module (:mod:`~agents.staging.delimited` for CSV and friends, :mod:`~agents.staging.xlsx`,
:mod:`~agents.staging.parquet`, :mod:`~agents.staging.json_records`) and makes two relations on
the caller's connection: ``raw_<name>``, the rows as read (every column VARCHAR for text formats,
the source's own types for Parquet and JSON), and ``<name>``, the view profiling retypes
(:func:`~agents.inspection.profiling.apply_types`). Both start with a hidden ``__record`` column,
the 1-based number of the data record in file order; records the reader could not parse keep
their numbers (the staged rows skip them), so ``__record`` always points at the same record of the
file, and :func:`record_line` turns it into a physical line for messages.
"""

from __future__ import annotations

import dataclasses
import re
import zipfile
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Literal

import duckdb

from agents.artifacts import ReadOptions
from agents.errors import FormatError
from agents.staging.connection import configure_connection
from agents.staging.delimited import stage_delimited
from agents.staging.encodings import decode_head, decode_to_utf8
from agents.staging.json_records import array_record_line, stage_json
from agents.staging.names import (
    renamed_because_reserved,
    sanitize_name,
    unique_name,
    usable_name,
)
from agents.staging.parquet import stage_parquet
from agents.staging.relations import (
    Format,
    StagedRelation,
    StagingJob,
    create_relation_view,
    first_line,
)
from agents.staging.text_records import text_record_line
from agents.staging.xlsx import sheet_row, stage_xlsx

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


def relation_name_for(file_name: str, *, taken: Collection[str]) -> str:
    """``people.csv`` -> ``people``: the file's name without its extensions, sanitised, unique;
    ``2024.csv`` and ``dolt_log.csv`` (a prefix Dolt keeps for itself) get ``t_`` in front."""
    return unique_name(usable_name(_stem_name(file_name), prefix="t"), taken)


def name_clash_note(
    file_name: str, relation: str, *, source: str, staged: Mapping[str, StagedRelation]
) -> str | None:
    """Why ``source`` got a numbered ``relation``: another file took its name first."""
    wanted = usable_name(_stem_name(file_name), prefix="t")
    if relation == wanted or wanted not in staged:
        return None
    return f"{source} gets the name {relation}: {staged[wanted].source} is {wanted}"


def _stem_name(file_name: str) -> str:
    """The file's name without its extensions, sanitised (``data`` if nothing is left)."""
    name = Path(file_name).name
    lowered = name.lower()
    while True:
        for extension in _NAME_EXTENSIONS:
            if lowered.endswith(extension) and len(lowered) > len(extension):
                name, lowered = name[: -len(extension)], lowered[: -len(extension)]
                break
        else:
            break
    return sanitize_name(name) or "data"


def reserved_name_notes(staged: StagedRelation) -> tuple[str, ...]:
    """What was renamed because Dolt or SQLite keep its name for themselves, in words."""
    why = "names starting with dolt_, sqlite_ or importbot_ are Dolt's or this tool's own"
    notes = []
    if staged.parent is None and renamed_because_reserved(
        staged.relation, _stem_name(staged.file.name), prefix="t"
    ):
        notes.append(f"{staged.source} gets the name {staged.relation} ({why})")
    renamed = [
        f"{source!r} renamed to {name}"
        for name, source in staged.columns
        if renamed_because_reserved(name, source, prefix="c")
    ]
    if renamed:
        notes.append(f"{staged.source}: column {', '.join(renamed)} ({why})")
    return tuple(notes)


def stage_file(
    con: duckdb.DuckDBPyConnection,
    *,
    file: Path,
    source: str,
    relation: str,
    nested_lists: Literal["child_tables", "json_column"] = "child_tables",
    workdir: Path,
    read: ReadOptions | None = None,
) -> list[StagedRelation]:
    """Stage ``file`` as ``relation`` (plus child relations for nested JSON lists).

    Each returned relation has its raw relation and an untyped pass-through ``relation`` view;
    profiling replaces the latter with the inferred types. Raises :class:`FormatError` naming
    ``source`` (and the line, when known) for a file that cannot be read as its format; a
    DuckDB error no format's reader expected is one too, in words, never DuckDB's own.
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
        read=read or ReadOptions(),
    )
    try:
        staged = [
            dataclasses.replace(relation_, renamed=reserved_name_notes(relation_))
            for relation_ in _stage_as_format(job, nested_lists=nested_lists)
        ]
        for relation_ in staged:
            create_relation_view(con, relation_)
    except duckdb.Error as error:
        raise job.error(f"cannot be read: {first_line(error)}") from None
    return staged


def _stage_as_format(
    job: StagingJob, *, nested_lists: Literal["child_tables", "json_column"]
) -> list[StagedRelation]:
    file = job.file
    fmt = detect_format(file, source=job.source)
    if fmt == "parquet":
        staged = [stage_parquet(job)]
    elif fmt == "xlsx":
        staged = stage_xlsx(job)
    elif fmt in ("json", "jsonl"):
        staged = stage_json(job, format=fmt, nested_lists=nested_lists)
    else:
        decoded = decode_to_utf8(job)
        said = job.read.delimiter is not None or job.read.header_row is not None
        staged = [
            stage_delimited(
                job,
                data_file=decoded.path,
                encoding=decoded.encoding,
                notes=decoded.notes,
                consistent=_may_hold_anything(file) and not said,
            )
        ]
    return staged


def _may_hold_anything(file: Path) -> bool:
    """A .txt file, or one whose extension says nothing: read as delimited text only if it is."""
    suffix = file.suffix.lower()
    return suffix == ".txt" or suffix not in _EXTENSIONS


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
    text = decode_head(head)
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("["):
        return "json"
    if stripped.startswith("{"):
        return "jsonl" if re.match(r"\{[^\n]*\}\s*\n\s*\{", stripped) else "json"
    return "csv"


def record_line(staged: StagedRelation, *, record: int) -> int | None:
    """The physical line (1-based) where data record ``record`` starts, or None if unknown.

    Sheet row for XLSX; None for Parquet, for child relations (use the parent's record) and for
    JSON whose records are not a top-level array. The first call reads the file once and keeps
    checkpoints; later calls for the same file read a few thousand lines at most.
    """
    if record < 1 or staged.parent is not None or staged.format == "parquet":
        return None
    if staged.format == "xlsx":
        return sheet_row(staged, record)
    if staged.format == "json":
        return array_record_line(staged, record=record)
    return text_record_line(staged, record)
