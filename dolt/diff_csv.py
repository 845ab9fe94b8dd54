"""Every changed row of a table as CSV, one `change` column first (added / modified-before /
modified-after / deleted); cells a spreadsheet would run as formulas get a leading `'`."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from dolt.models import RowChange, RowChangeType

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CHANGE_WORDS = {RowChangeType.ADDED: "added", RowChangeType.REMOVED: "deleted"}


def formula_safe(value: object) -> str:
    """A CSV cell: NULL is empty, bytes are hex, a formula-like start gets a leading `'`."""
    text = "" if value is None else value.hex() if isinstance(value, bytes) else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def diff_csv(changes: Iterable[RowChange], *, columns: list[str] | None = None) -> str:
    """The changes as CSV; a modified row is two lines, before then after."""
    lines = [line for change in changes for line in _lines(change)]
    columns = columns or list(dict.fromkeys(c for _, row in lines for c in row))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["change", *columns])
    for change, row in lines:
        writer.writerow([change, *(formula_safe(row.get(c)) for c in columns)])
    return buffer.getvalue()


def _lines(change: RowChange) -> list[tuple[str, dict]]:
    if change.diff_type == RowChangeType.MODIFIED:
        return [("modified-before", change.from_row or {}), ("modified-after", change.to_row or {})]
    return [(_CHANGE_WORDS[change.diff_type], change.to_row or change.from_row or {})]
