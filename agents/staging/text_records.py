"""Where each record of a UTF-8 text file starts, split the way DuckDB splits it.

A walk over the text (CSV with its quote and escape, or JSONL, one record per line) yields every
record and blank line with DuckDB's number for it, its physical line and byte offset, and its data
record number. Reject placement uses one walk from the top; :func:`text_record_line` keeps a
checkpoint every :data:`CHECKPOINT_EVERY` records, so repeated look-ups read little.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from agents.staging.encodings import CHUNK
from agents.staging.relations import StagedRelation

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
class TextItem:
    """A record or a blank line: DuckDB's number for it, its line, offset and data record."""

    items: int  # records and blank lines before it, after the skipped lines
    line: int
    offset: int
    record: int | None  # data record number; None for the header and ignored blank lines

    @property
    def duck_line(self) -> int:
        return self.items + 1


def _lines(handle: BinaryIO, newline: bytes) -> Iterator[bytes]:
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


def _walk(layout: _Layout, start: TextItem | None = None) -> Iterator[TextItem]:
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
                    yield TextItem(items, first_line, first_offset, records)
                else:
                    yield TextItem(items, first_line, first_offset, None)
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
                yield TextItem(items, first_line, first_offset, None)
            else:
                records += 1
                yield TextItem(items, first_line, first_offset, records)
            items += 1
        if in_quote:
            yield TextItem(items, first_line, first_offset, records + 1)


@functools.lru_cache(maxsize=16)
def _checkpoints(layout: _Layout) -> tuple[TextItem, ...]:
    """Every CHECKPOINT_EVERY-th data record's start, from one pass over the file."""
    return tuple(
        item for item in _walk(layout) if item.record and item.record % CHECKPOINT_EVERY == 1
    )


def text_record_line(staged: StagedRelation, record: int) -> int | None:
    """The line where data record ``record`` of a CSV or JSONL file starts, or None."""
    layout = _Layout.of(staged)
    marks = _checkpoints(layout)
    index = bisect.bisect_right([mark.record or 0 for mark in marks], record) - 1
    for item in _walk(layout, marks[index] if index >= 0 else None):
        if item.record == record:
            return item.line
        if item.record is not None and item.record > record:
            return None
    return None


def data_items(staged: StagedRelation) -> Iterator[TextItem]:
    """Every record and blank line of a delimited file from the top."""
    return _walk(_Layout.of(staged))
