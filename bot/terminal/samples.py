"""A few rows of each table the import changed, as the review shows them: NULL as NULL, long
cells cut, every value as text (never rich markup)."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from agents.artifacts import SampleRow, TableReview

CELL_CHARACTERS = 40
SAMPLE_COLUMNS = 9
"""Columns of a sample table in the review: the kind of change and eight of the table's."""
NULL = Text("NULL", style="dim italic")


def sample_tables(tables: list[TableReview]) -> list[Table]:
    return [_sample_table(t) for t in tables if t.samples]


def _sample_table(table: TableReview) -> Table:
    title = f"{table.name}: {len(table.samples)} sample row(s)"
    return changes_table(table.samples, title=title)


def changes_table(samples: list[SampleRow], *, title: str) -> Table:
    """Changed rows, one column per table column: a modified row shows its key and, for each
    changed cell, `before → after` (its other cells are blank)."""
    whole_rows_first = sorted(samples, key=lambda sample: bool(sample.before))  # their order
    columns = ["change", *dict.fromkeys(c for sample in whole_rows_first for c in sample.row)]
    if len(columns) > SAMPLE_COLUMNS:  # more would squeeze every cell to a letter a line
        title += f", the first {SAMPLE_COLUMNS - 1} of {len(columns) - 1} columns"
        columns = columns[:SAMPLE_COLUMNS]
    shown = Table(title=title, title_justify="left")
    for column in columns:
        shown.add_column(Text(column), overflow="fold")
    for sample in samples:
        shown.add_row(Text(sample.change), *(_change_cell(sample, c) for c in columns[1:]))
    return shown


def _change_cell(sample: SampleRow, column: str) -> Text:
    if column not in sample.row:
        return Text("")
    if column not in sample.before:
        return cell_text(sample.row[column])
    return Text.assemble(cell_text(sample.before[column]), " → ", cell_text(sample.row[column]))


def cell_text(value: Any) -> Text:
    if value is None:
        return NULL
    text = value.hex() if isinstance(value, bytes) else str(value)
    text = text.replace("\n", "⏎")
    if len(text) > CELL_CHARACTERS:
        text = text[: CELL_CHARACTERS - 1] + "…"
    return Text(text)


def rows_table(
    rows: list[dict[str, Any]], *, title: str | None = None, columns: list[str] | None = None
) -> Table:
    """Rows as they are stored (`importbot rows`): one column per table column (or those of
    `columns`)."""
    columns = columns or list(dict.fromkeys(c for row in rows for c in row))
    shown = Table(title=title, title_justify="left")
    for column in columns:
        shown.add_column(Text(column), overflow="fold")
    for row in rows:
        shown.add_row(*(cell_text(row.get(column)) for column in columns))
    return shown
