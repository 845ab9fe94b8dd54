"""What a merge does to main, in one sentence both surfaces show before it happens:
"Adds 50 rows to people, changes 3, deletes 0; adds 2 rows to pets, changes 0, deletes 0"."""

from __future__ import annotations

from collections.abc import Callable

from agents.artifacts import Review, TableReview

CONFIRM_TEXT_LIMIT = 300
"""Slack's limit on a confirm dialog's text, the tightest place the sentence goes."""


def merge_impact(
    review: Review, *, limit: int = CONFIRM_TEXT_LIMIT, name: Callable[[str], str] = str
) -> str:
    """Per changed table what merging adds, changes and deletes, as many tables as fit in
    `limit` characters, then "and N more tables". `name` writes a table's name (Slack escapes
    it); the sentence has no final full stop."""
    parts = [_table_words(table, name) for table in review.tables if _changes(table)]
    if not parts:
        return "Changes no rows on main"
    for shown in range(len(parts), 0, -1):
        text = "; ".join(parts[:shown])
        if shown < len(parts):
            text += f"; and {_more_tables(len(parts) - shown)}"
        text = text[0].upper() + text[1:]
        if len(text) <= limit:
            return text
    return f"Changes {_more_tables(len(parts), more=False)}"[:limit]


def _changes(table: TableReview) -> bool:
    return bool(table.rows_changed or table.schema_change)


def _table_words(table: TableReview, name: Callable[[str], str]) -> str:
    rows = "row" if table.rows_added == 1 else "rows"
    words = (
        f"adds {table.rows_added:,} {rows} to {name(table.name)}, changes "
        f"{table.rows_modified:,}, deletes {table.rows_deleted:,}"
    )
    if table.schema_change and table.change != "added":
        words += " and changes its columns"
    return words


def _more_tables(count: int, *, more: bool = True) -> str:
    kind = "table" if count == 1 else "tables"
    return f"{count:,} more {kind}" if more else f"{count:,} {kind}"
