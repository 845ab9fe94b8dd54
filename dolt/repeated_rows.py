"""Rows a merge would add a second time: what Dolt's merge does not call a conflict.

Two branches that each add the same rows to a table without a primary key merge cleanly, and
the table then holds every such row twice. `repeated_rows` finds them before the merge: rows
`branch` adds that `into` also added since the two forked, counted row for row (a row added
three times on one side and once on the other repeats once).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any

from dolt.interface import Database
from dolt.models import RepeatedRows, RowChangeType


def repeated_rows(
    database: Database, *, branch: str, into: str = "main"
) -> tuple[RepeatedRows, ...]:
    """Per keyless table, the rows `branch` adds that `into` already added since they forked."""
    ours = {t.name for t in database.diff_summary(branch=branch, base=into).tables if t.rows_added}
    if not ours:
        return ()
    theirs = {
        t.name for t in database.diff_summary(branch=into, base=branch).tables if t.rows_added
    }
    schemas = database.create_statements(ref=branch)
    found = []
    for table in sorted(ours & theirs):
        if _has_primary_key(schemas.get(table, "")):
            continue  # the same key added on both sides merges into one row, or conflicts
        held = Counter(_added(database, table=table, branch=into, base=branch))
        count = 0
        for row in _added(database, table=table, branch=branch, base=into):
            if held[row] > 0:
                held[row] -= 1
                count += 1
        if count:
            found.append(RepeatedRows(table=table, count=count))
    return tuple(found)


def _added(database: Database, *, table: str, branch: str, base: str) -> Iterator[bytes]:
    for change in database.diff_rows(
        table=table, branch=branch, base=base, diff_type=RowChangeType.ADDED
    ):
        yield _fingerprint(change.to_row or {})


def _fingerprint(row: Mapping[str, Any]) -> bytes:
    text = repr(sorted(row.items()))
    return hashlib.blake2b(text.encode(), digest_size=16).digest()


def _has_primary_key(create_statement: str) -> bool:
    return "PRIMARY KEY" in create_statement.upper()
