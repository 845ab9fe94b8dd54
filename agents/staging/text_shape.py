"""Whether a .txt or extension-less file is a consistent delimited file, from its first lines.

Such a file may hold anything (a readme, a log, a report), so before it is read as data its
first records must split into the same number of fields with one delimiter; quoted fields are
honoured. A file a folder holds must have at least two fields (one "field" per line is prose,
not a table): :func:`holds_table`. A file the person named is read with the delimiter DuckDB's
sniffer found, and refused when its first records disagree on it: :func:`uneven_field_counts`.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from agents.staging.encodings import decode_head

DELIMITERS = (",", "\t", ";", "|")
HEAD_BYTES = 64 * 1024
HEAD_RECORDS = 20
"""How many of the first non-blank records must agree."""


def holds_table(file: Path) -> bool:
    """Whether the file's first records split alike into two or more fields on one of
    :data:`DELIMITERS` (not a binary or blank file)."""
    lines = _head_lines(file)
    return any(_agreed_width(lines, delimiter) > 1 for delimiter in DELIMITERS)


def uneven_field_counts(file: Path, *, delimiter: str, skip: int = 0) -> list[int]:
    """The different numbers of fields the first records (after `skip` lines) have with
    `delimiter`, in order of first appearance; empty when they agree."""
    counts = _field_counts(_head_lines(file)[skip:], delimiter)
    distinct = list(dict.fromkeys(counts))
    return distinct if len(distinct) > 1 else []


def _head_lines(file: Path) -> list[str]:
    """The first complete non-blank lines of the file's head ([] for a binary file)."""
    with file.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
        cut = bool(handle.read(1))
    text = decode_head(head)
    if "\x00" in text or "\ufffd" in text[:1024]:
        return []  # binary
    if cut and "\n" in text:  # the last line may be partial
        text = text[: text.rfind("\n") + 1]
    return [line for line in text.splitlines() if line.strip()][: HEAD_RECORDS * 4]


def _field_counts(lines: list[str], delimiter: str) -> list[int]:
    rows = csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter)  # head < field limit
    return [len(row) for row in rows if row][:HEAD_RECORDS]


def _agreed_width(lines: list[str], delimiter: str) -> int:
    """The number of fields every record has (0 when they disagree or there are none)."""
    widths = set(_field_counts(lines, delimiter))
    return widths.pop() if len(widths) == 1 else 0
