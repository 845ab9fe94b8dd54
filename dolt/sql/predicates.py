"""Counting queries built from a person's (or an LLM's) predicate, checked by the policy."""

from __future__ import annotations

from collections.abc import Collection

from dolt.sql.names import quote_identifier
from dolt.sql.policy import check_select


def count_query(*, table: str, columns: Collection[str], where: str | None, dialect: str) -> str:
    """`SELECT count(*) FROM table [WHERE predicate]` in `dialect`, after the policy."""
    sql = f"SELECT count(*) FROM {quote_identifier(table, quote='`')}"
    if where is not None:
        sql += f" WHERE {where}"
    checked = check_select(sql, relations={table: list(columns)})
    return checked.sql(dialect=dialect, comments=False, identify=True)
