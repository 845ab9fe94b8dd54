"""Changes the request asks of a table that already exists on main: its columns renamed or
given another type, as ALTER TABLE statements (MySQL dialect).

A table's primary key keeps its name (Dolt's diff and merge follow a table by its key
columns: on doltlite a renamed key hides the branch's rows from the review). A type is
changed only where every value the column can already hold fits the new type — a
wider integer, a longer string, a decimal with room for as many digits, any type to text — as
the rows on main are not read here. Any other change (``TEXT`` to ``INT``, ``BIGINT`` to
``TINYINT``) is left out with a note, and the column keeps its type.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlglot import exp, parse_one
from sqlglot.errors import SqlglotError
from sqlglot.expressions.datatypes import DType as T  # the class behind exp.DataType.Type

from agents.baseline.ddl import bq
from agents.errors import ProposalInvalid

_INTEGERS = (T.TINYINT, T.SMALLINT, T.MEDIUMINT, T.INT, T.BIGINT)
_INTEGER_DIGITS = {T.TINYINT: 3, T.SMALLINT: 5, T.MEDIUMINT: 8, T.INT: 10, T.BIGINT: 19}
_STRINGS = (T.CHAR, T.VARCHAR, T.NCHAR, T.NVARCHAR)
_TEXTS = (T.TEXT, T.MEDIUMTEXT, T.LONGTEXT)
_FLOATS = (T.FLOAT, T.DOUBLE)
_DATES = (T.DATE, T.DATETIME, T.TIMESTAMP)
_BINARY = (T.BINARY, T.VARBINARY, T.BLOB, T.MEDIUMBLOB, T.LONGBLOB, T.TINYBLOB)


def main_columns(create_statement: str) -> dict[str, exp.ColumnDef]:
    """{column name in lower case: its definition} of a CREATE TABLE on main."""
    schema = parse_one(create_statement, read="mysql").this
    return {
        item.name.lower(): item for item in schema.expressions if isinstance(item, exp.ColumnDef)
    }


def type_of(mysql_type: str) -> exp.DataType:
    """The parsed MySQL type (`ProposalInvalid` for words that are not one)."""
    try:
        return exp.DataType.build(mysql_type, dialect="mysql")
    except SqlglotError as error:
        raise ProposalInvalid(f"{mysql_type!r} is not a MySQL type: {error}") from error


def holds_every_value_of(old: exp.DataType, new: exp.DataType) -> bool:
    """Whether every value a column of type `old` can hold fits type `new` unchanged."""
    if old == new:
        return True
    if new.this in _TEXTS:
        older = _TEXTS.index(old.this) if old.this in _TEXTS else 0
        return old.this not in _BINARY and _TEXTS.index(new.this) >= older
    if old.this in _INTEGERS and new.this in _INTEGERS:
        return _INTEGERS.index(new.this) >= _INTEGERS.index(old.this)
    if old.this in _INTEGERS and new.this == T.DECIMAL:
        precision, scale = _precision_and_scale(new)
        return precision - scale >= _INTEGER_DIGITS[old.this]
    if old.this == T.DECIMAL and new.this == T.DECIMAL:
        (old_precision, old_scale), (precision, scale) = map(_precision_and_scale, (old, new))
        return scale >= old_scale and precision - scale >= old_precision - old_scale
    if old.this in _STRINGS and new.this in _STRINGS:
        return _length(new) >= _length(old)
    if old.this in _FLOATS and new.this in _FLOATS:
        return _FLOATS.index(new.this) >= _FLOATS.index(old.this)
    return old.this == T.DATE and new.this in _DATES


def _precision_and_scale(data_type: exp.DataType) -> tuple[int, int]:
    numbers = [int(e.name) for e in data_type.expressions if e.name.isdigit()]
    precision, scale = [*numbers, 10, 0][:2] if numbers else (10, 0)
    return precision, scale if len(numbers) > 1 else 0


def _length(data_type: exp.DataType) -> int:
    numbers = [int(e.name) for e in data_type.expressions if e.name.isdigit()]
    return numbers[0] if numbers else 1


def kept_type_note(table: str, column: str, old: exp.DataType, asked: str) -> str:
    """Why a column of a table on main keeps its type."""
    return (
        f"{table}.{column} stays {old.sql('mysql')}, not {asked} as asked: {table} already "
        f"exists on main, and a value {old.sql('mysql')} holds may not fit {asked}. Change "
        "the column on main first, or import into a new table."
    )


def kept_key_note(table: str, column: str, asked: str) -> str:
    """Why the key of a table on main keeps its name."""
    return (
        f"{table}.{column} keeps its name, not {asked} as asked: it is the primary key of "
        f"{table} on main, and Dolt's diff of a table whose key is renamed leaves out its "
        "rows, so the review would not show what this import adds. Rename it on main first."
    )


def rename_column(*, table: str, old: str, new: str) -> str:
    return f"ALTER TABLE {bq(table)} RENAME COLUMN {bq(old)} TO {bq(new)}"


def modify_column(*, table: str, column: str, definition: exp.ColumnDef, mysql_type: str) -> str:
    """MODIFY COLUMN `column` (the name it has by then) with the new type and the other
    options of its definition on main kept (NOT NULL, DEFAULT)."""
    changed = definition.copy()
    changed.set("this", exp.to_identifier(column))
    changed.set("kind", type_of(mysql_type))
    return f"ALTER TABLE {bq(table)} MODIFY COLUMN {changed.sql(dialect='mysql', identify=True)}"


@dataclass(frozen=True)
class ExistingTableChanges:
    """What the request changes in a table on main."""

    statements: list[str]  # RENAME COLUMN, then MODIFY COLUMN
    notes: list[str]
    columns: set[str]  # the table's column names afterwards, in lower case


def existing_table_changes(
    table: str,
    create_statement: str,
    *,
    renames: Mapping[str, str],
    types: Mapping[str, str],
) -> ExistingTableChanges:
    """The ALTER statements that rename columns of a table on main (`renames`: {column: new
    name}) and give columns another type (`types`: {column, by its new name: MySQL type});
    a type change that existing values may not fit is left out with a note."""
    on_main = main_columns(create_statement)
    renamed = {old: new for old, new in renames.items() if old.lower() in on_main}
    statements = [
        rename_column(table=table, old=on_main[old.lower()].name, new=new)
        for old, new in renamed.items()
    ]
    by_new_name = {new.lower(): on_main[old.lower()] for old, new in renamed.items()}
    gone = {old.lower() for old in renamed}
    by_new_name |= {name: d for name, d in on_main.items() if name not in gone}
    notes = []
    for column, asked in types.items():
        definition = by_new_name.get(column.lower())
        old = definition.args.get("kind") if definition is not None else None
        if definition is None or not isinstance(old, exp.DataType):
            continue  # a column the sources add: ADD COLUMN gives it the type
        if old == type_of(asked):
            notes.append(f"{table}.{column} is {asked} already.")
        elif holds_every_value_of(old, type_of(asked)):
            statements.append(
                modify_column(table=table, column=column, definition=definition, mysql_type=asked)
            )
            notes.append(f"{table}.{column} becomes {asked}: every value it holds fits.")
        else:
            notes.append(kept_type_note(table, column, old, asked))
    return ExistingTableChanges(statements=statements, notes=notes, columns=set(by_new_name))
