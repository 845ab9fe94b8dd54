"""Multi-row INSERT statements for doltlite.

A statement per row spends its time in Python, binding and handing the GIL back and forth
once per row. A statement of a few hundred rows binds them in one call and then runs about a
millisecond inside SQLite with the GIL released, which is when the executor's reader thread
turns the next DuckDB rows into Python values: the two overlap (`bench/import_csv.py`).

Tagged rows start with a value of the caller's (the source record number) that is not
written. Numbered parameters skip it — row r binds ?(r·(w+1)+2) … ?(r·(w+1)+w+1) — so the
rows are bound as they come, without copying each one to drop its tag.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import Any

from dolt.write_session_base import InsertStatement, Row

MAX_ROWS_PER_STATEMENT = 500
MAX_PARAMETERS = 32_766  # SQLITE_MAX_VARIABLE_NUMBER of the doltlite build


@dataclass(frozen=True)
class MultiRowInsert(InsertStatement):
    """`INSERT INTO t (...) VALUES (...), (...) [ON CONFLICT ...]` for any number of rows."""

    head: str  # INSERT INTO "t" ("a", "b")
    tail: str  # "" or " ON CONFLICT (...) DO ..."
    width: int  # values written per row

    @property
    def rows_per_statement(self) -> int:
        per_row = self.width + self.tagged
        return max(1, min(MAX_ROWS_PER_STATEMENT, MAX_PARAMETERS // per_row))

    def sql_for(self, rows: int) -> str:
        """The statement for `rows` rows: built once, then the same text object every time,
        so the sqlite3 module's statement cache prepares it once."""
        return _statement(self.head, self.tail, self.width, self.tagged, rows)

    def parameters(self, rows: Sequence[Row]) -> list[Any]:
        """The values of `rows`, in the order `sql_for(len(rows))` binds them."""
        return list(chain.from_iterable(rows))


def multi_row_insert(*, head: str, tail: str, width: int, tagged: bool) -> MultiRowInsert:
    one_row = _statement(head, tail, width, tagged, 1)
    return MultiRowInsert(sql=one_row, tagged=tagged, head=head, tail=tail, width=width)


@lru_cache(maxsize=64)
def _statement(head: str, tail: str, width: int, tagged: bool, rows: int) -> str:
    if not tagged:
        group = f"({', '.join('?' * width)})"
        return f"{head} VALUES {', '.join([group] * rows)}{tail}"
    per_row = width + 1
    groups = (
        "(" + ", ".join(f"?{r * per_row + c + 2}" for c in range(width)) + ")" for r in range(rows)
    )
    return f"{head} VALUES {', '.join(groups)}{tail}"
