"""CREATE TABLE / ALTER TABLE text in canonical MySQL dialect from column lists."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


def bq(name: str) -> str:
    """Backtick-quote a name (backticks inside are doubled)."""
    return "`" + name.replace("`", "``") + "`"


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    not_null: bool = False


@dataclass(frozen=True)
class ForeignKeySpec:
    columns: tuple[str, ...]
    table: str
    references: tuple[str, ...]


def create_table(
    *,
    name: str,
    columns: Sequence[ColumnSpec],
    primary_key: Sequence[str] = (),
    foreign_keys: Sequence[ForeignKeySpec] = (),
) -> str:
    lines = [
        f"  {bq(c.name)} {c.type}{' NOT NULL' if c.not_null or c.name in primary_key else ''}"
        for c in columns
    ]
    if primary_key:
        lines.append(f"  PRIMARY KEY ({', '.join(bq(k) for k in primary_key)})")
    for key in foreign_keys:
        lines.append(
            f"  FOREIGN KEY ({', '.join(bq(c) for c in key.columns)}) "
            f"REFERENCES {bq(key.table)} ({', '.join(bq(c) for c in key.references)})"
        )
    return f"CREATE TABLE {bq(name)} (\n" + ",\n".join(lines) + "\n)"


def add_column(*, table: str, column: ColumnSpec) -> str:
    return f"ALTER TABLE {bq(table)} ADD COLUMN {bq(column.name)} {column.type}"
