"""Target column types from a canonical MySQL CREATE TABLE, and how DuckDB must deliver them.

The executor converts every value in DuckDB before it reaches the database, so a value
that does not fit its column is quarantined with a reason instead of being coerced.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlglot import exp, parse_one

_INTEGER_RANGES = {
    "TINYINT": "TINYINT",
    "SMALLINT": "SMALLINT",
    "MEDIUMINT": "INTEGER",
    "INT": "INTEGER",
    "BIGINT": "BIGINT",
}


@dataclass(frozen=True)
class TargetColumn:
    name: str
    mysql_type: str  # e.g. "VARCHAR(80)", "DECIMAL(10, 2)", "DATETIME"
    base: str  # "VARCHAR", "DECIMAL", ...
    length: int | None
    not_null: bool
    primary_key: bool = False


def target_columns(create_statement: str) -> list[TargetColumn]:
    create = parse_one(create_statement, read="mysql")
    schema = create.this
    keyed = {
        column.name
        for key in schema.expressions
        if isinstance(key, exp.PrimaryKey)
        for column in key.expressions
    }
    columns = []
    for definition in schema.expressions:
        if not isinstance(definition, exp.ColumnDef):
            continue
        kind = definition.args.get("kind")
        mysql_type = kind.sql(dialect="mysql") if kind is not None else "TEXT"
        base = mysql_type.split("(")[0].strip().upper()
        params = kind.expressions if kind is not None else []
        length = int(params[0].name) if base in ("VARCHAR", "CHAR") and params else None
        not_null = definition.name in keyed or any(
            isinstance(c.kind, exp.NotNullColumnConstraint | exp.PrimaryKeyColumnConstraint)
            and not c.kind.args.get("allow_null")
            for c in definition.constraints
        )
        columns.append(
            TargetColumn(
                name=definition.name,
                mysql_type=mysql_type,
                base=base,
                length=length,
                not_null=not_null,
                primary_key=definition.name in keyed
                or any(
                    isinstance(c.kind, exp.PrimaryKeyColumnConstraint)
                    for c in definition.constraints
                ),
            )
        )
    return columns


@dataclass(frozen=True)
class ForeignKey:
    """A FOREIGN KEY of a CREATE statement: `columns` reference `parent`'s `parent_columns`."""

    columns: tuple[str, ...]
    parent: str
    parent_columns: tuple[str, ...]


def foreign_keys(create_statement: str) -> list[ForeignKey]:
    """Each FOREIGN KEY of a canonical MySQL CREATE TABLE (columns and referenced columns
    paired, as many of each)."""
    schema = parse_one(create_statement, read="mysql").this
    found = []
    for item in schema.expressions:
        reference = item.args.get("reference") if isinstance(item, exp.ForeignKey) else None
        target = reference.this if reference is not None else None
        if not isinstance(target, exp.Schema) or not isinstance(target.this, exp.Table):
            continue
        columns = tuple(c.name for c in item.expressions)
        keys = tuple(c.name for c in target.expressions)
        if columns and len(columns) == len(keys):
            found.append(ForeignKey(columns=columns, parent=target.this.name, parent_columns=keys))
    return found


def deliver(column: TargetColumn, value_sql: str) -> tuple[str, str | None]:
    """(DuckDB expression giving the value to write, expression true when it cannot be).

    Values are delivered as Python primitives both backends bind as they are: integers,
    floats, strings (dates, datetimes and decimals as exact text), bytes and None.
    """
    base = column.base
    if base in _INTEGER_RANGES:
        typed = f"TRY_CAST({value_sql} AS {_INTEGER_RANGES[base]})"
        return typed, f"{typed} IS NULL"
    if base in ("DOUBLE", "FLOAT", "REAL"):
        typed = f"TRY_CAST({value_sql} AS DOUBLE)"
        return typed, f"{typed} IS NULL OR isnan({typed}) OR isinf({typed})"
    if base in ("DECIMAL", "NUMERIC"):
        precision_scale = (
            column.mysql_type[column.mysql_type.find("(") :]
            if "(" in column.mysql_type
            else "(10, 0)"
        )
        typed = f"TRY_CAST({value_sql} AS DECIMAL{precision_scale})"
        return f"CAST({typed} AS VARCHAR)", f"{typed} IS NULL"
    if base in ("BOOLEAN", "BOOL"):
        typed = f"TRY_CAST({value_sql} AS BOOLEAN)"
        return f"CAST({typed} AS INTEGER)", f"{typed} IS NULL"
    if base == "DATE":
        typed = f"TRY_CAST({value_sql} AS DATE)"
        return f"strftime({typed}, '%Y-%m-%d')", f"{typed} IS NULL"
    if base in ("DATETIME", "TIMESTAMP"):
        typed = f"TRY_CAST({value_sql} AS TIMESTAMP)"
        return f"strftime({typed}, '%Y-%m-%d %H:%M:%S')", f"{typed} IS NULL"
    if base in ("BLOB", "LONGBLOB", "MEDIUMBLOB", "TINYBLOB", "VARBINARY", "BINARY"):
        typed = f"TRY_CAST({value_sql} AS BLOB)"
        return typed, f"{typed} IS NULL"
    text = f"CAST({value_sql} AS VARCHAR)"
    if column.length is not None:
        return text, f"length({text}) > {column.length}"
    return text, None
