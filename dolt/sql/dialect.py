"""MySQL DDL <-> doltlite (SQLite 3.54) translation, and the canonical MySQL form of a table.

Both directions go through one small model of a table (`_Table`): a reader builds it from a
MySQL or a doltlite CREATE TABLE, a writer renders it as SQLite statements or as canonical
MySQL. Rules:

* MySQL type names are kept as declared (SQLite accepts any type name), so they come back
  unchanged. Exceptions: ``ENUM(...)`` becomes ``TEXT CHECK (c IN (...))`` (a CHECK passes
  NULL, so a nullable ENUM stays nullable), ``UNSIGNED`` becomes ``CHECK (c >= 0)``, and a
  single-column ``AUTO_INCREMENT`` integer primary key becomes ``INTEGER PRIMARY KEY``.
  ``SET(...)`` cannot be translated.
* ENGINE, CHARSET, COLLATE, COMMENT, ZEROFILL, AUTO_INCREMENT and ON UPDATE are dropped.
* Inline ``KEY``/``INDEX`` and named ``UNIQUE KEY`` become ``CREATE [UNIQUE] INDEX``;
  unnamed UNIQUE stays a table constraint. SQLite index names are database-wide, so an
  unnamed KEY is named ``<table>_<column>``.
* Non-INTEGER primary-key columns get an explicit NOT NULL; ASC/DESC in index keys is dropped.
* Reading doltlite back: column-level ``TEXT CHECK (c IN ('a', ...))`` becomes ENUM and
  an integer/decimal column-level ``CHECK (c >= 0)`` becomes UNSIGNED; SQLite's own type
  names map as INTEGER -> BIGINT (SQLite integers are 64-bit), REAL and NUMERIC -> DOUBLE,
  TEXT, BLOB, no type -> TEXT, and other names by SQLite's affinity rules.
* A ``DECIMAL(p,s)`` whose values SQLite's NUMERIC affinity would turn into a REAL that loses
  digits (integers beyond 18 digits, fractions beyond 15 significant digits) is declared
  ``DECIMAL_TEXT(p,s)``: TEXT affinity keeps the exact digits, and it reads back as
  ``DECIMAL(p,s)``.

The canonical MySQL form is what Dolt's SHOW CREATE TABLE shows without ENGINE, CHARSET and
COLLATE: backtick-quoted names, upper-case types, one line per column, then PRIMARY KEY,
UNIQUE KEYs and KEYs (each sorted by name), FOREIGN KEYs and CHECKs in declaration order.
Columns carry only type, NOT NULL, DEFAULT, ON UPDATE, AUTO_INCREMENT and COMMENT.

Queries (a plan's checks, a person's ``where``) are rendered for each engine by `query_sql`:
for doltlite the allowed MySQL functions SQLite lacks are written with SQLite's own
(`DoltliteQueries`: LEFT -> SUBSTR, YEAR -> STRFTIME, ...), for Dolt ``->>`` becomes
JSON_UNQUOTE(JSON_EXTRACT(...)) (`DoltQueries`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import ClassVar

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.dialects.mysql import MySQL
from sqlglot.dialects.sqlite import SQLite
from sqlglot.errors import SqlglotError
from sqlglot.expressions.datatypes import DType  # the class behind exp.DataType.Type
from sqlglot.generators.mysql import MySQLGenerator
from sqlglot.generators.sqlite import SQLiteGenerator
from sqlglot.helper import seq_get
from sqlglot.parsers.sqlite import SQLiteParser  # SQLite.Parser
from sqlglot.tokens import TokenType

from dolt.errors import UntranslatableSql
from dolt.sql.names import quote_identifier
from dolt.sql.policy import parse_one_statement

__all__ = [
    "DoltQueries",
    "DoltliteQueries",
    "canonical_mysql",
    "mysql_to_sqlite",
    "query_sql",
    "rebuilds_table",
    "sqlite_to_mysql",
]

TableSchema = tuple[str, Sequence[str]]
"""A table as doltlite stores it: its CREATE TABLE, and its CREATE INDEX statements."""
SchemaOf = Callable[[str], TableSchema | None]

_UNSIGNED = {
    DType.UTINYINT: DType.TINYINT,
    DType.USMALLINT: DType.SMALLINT,
    DType.UMEDIUMINT: DType.MEDIUMINT,
    DType.UINT: DType.INT,
    DType.UBIGINT: DType.BIGINT,
    DType.UDECIMAL: DType.DECIMAL,
    DType.UDOUBLE: DType.DOUBLE,
}
_SIGNED = {signed: unsigned for unsigned, signed in _UNSIGNED.items()}
_INTEGERS = frozenset({DType.TINYINT, DType.SMALLINT, DType.MEDIUMINT, DType.INT, DType.BIGINT})
_DECIMAL_TEXT = "DECIMAL_TEXT"
"""The doltlite type name of a DECIMAL stored as its exact text (see the module docstring)."""
_REAL_DIGITS = 15  # significant digits a REAL keeps exactly
_INTEGER_DIGITS = 18  # digits SQLite's 64-bit INTEGER always holds
#: SQLite's own type names, and what they mean in MySQL.
_SQLITE_TYPES = {
    "": "TEXT",
    "INTEGER": "BIGINT",
    "INT8": "BIGINT",
    "REAL": "DOUBLE",
    "NUMERIC": "DOUBLE",
    "TEXT": "TEXT",
    "CLOB": "TEXT",
    "BLOB": "BLOB",
}
_NOISE = (
    exp.CharacterSetColumnConstraint,
    exp.CollateColumnConstraint,
    exp.ZeroFillColumnConstraint,
)
_TABLE_NOISE = (
    exp.EngineProperty,
    exp.CharacterSetProperty,
    exp.CollateProperty,
    exp.SchemaCommentProperty,
    exp.AutoIncrementProperty,
)


# --- the model --------------------------------------------------------------------------------


@dataclass
class _Column:
    name: str
    type: exp.DataType
    not_null: bool = False
    default: exp.Expr | None = None
    auto_increment: bool = False
    on_update: bool = False
    comment: str | None = None


@dataclass(frozen=True)
class _Key:
    name: str | None
    columns: tuple[str, ...]
    unique: bool
    kind: str | None = None  # FULLTEXT, SPATIAL


@dataclass(frozen=True)
class _ForeignKey:
    name: str | None
    columns: tuple[str, ...]
    table: str
    ref_columns: tuple[str, ...]
    options: tuple[str, ...]


@dataclass(frozen=True)
class _Check:
    name: str | None
    condition: exp.Expr


@dataclass
class _Table:
    name: str
    columns: list[_Column] = field(default_factory=list)
    primary_key: tuple[str, ...] = ()
    keys: list[_Key] = field(default_factory=list)
    foreign_keys: list[_ForeignKey] = field(default_factory=list)
    checks: list[_Check] = field(default_factory=list)
    if_not_exists: bool = False

    def column(self, name: str) -> _Column | None:
        return next((c for c in self.columns if c.name.lower() == name.lower()), None)


# --- reading ----------------------------------------------------------------------------------


def _names(nodes: Iterable[exp.Expr]) -> tuple[str, ...]:
    names = []
    for node in nodes:
        if isinstance(node, exp.Ordered):
            node = node.this
        if not isinstance(node, exp.Identifier | exp.Column):
            raise UntranslatableSql(
                f"Key part {node.sql()} is not a plain column name; list plain columns."
            )
        names.append(node.name)
    return tuple(names)


def _unparen(node: exp.Expr) -> exp.Expr:
    while isinstance(node, exp.Paren):
        node = node.this
    return node


def _read_default(value: exp.Expr) -> exp.Expr | None:
    value = _unparen(value)
    if isinstance(value, exp.Null):
        return None
    if isinstance(value, exp.Localtimestamp) or (
        isinstance(value, exp.Anonymous) and value.name.upper() == "NOW"
    ):
        return exp.CurrentTimestamp(this=seq_get(value.expressions, 0))
    return value


def _read_reference(reference: exp.Reference) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    target = reference.this
    if isinstance(target, exp.Schema):
        table, columns = target.this.name, _names(target.expressions)
    else:
        table, columns = target.name, ()
    options = tuple(" ".join(str(o).upper().split()) for o in reference.args.get("options") or [])
    return table, columns, options


def _read_table(create: exp.Expr, *, sqlite: bool) -> _Table:
    if not (isinstance(create, exp.Create) and create.kind == "TABLE"):
        raise UntranslatableSql(f"Expected one CREATE TABLE statement, got {create.key.upper()}.")
    schema = create.this
    if not isinstance(schema, exp.Schema) or create.args.get("expression") is not None:
        raise UntranslatableSql("CREATE TABLE must declare its columns.")
    for option in (create.args.get("properties") or exp.Properties()).expressions:
        if not isinstance(option, _TABLE_NOISE):
            raise UntranslatableSql(f"Table option {option.sql('mysql')} cannot be translated.")
    table = _Table(name=schema.this.name, if_not_exists=bool(create.args.get("exists")))
    for item in schema.expressions:
        if sqlite and isinstance(item, exp.Identifier | exp.Column):  # a column without a type
            item = exp.ColumnDef(this=exp.to_identifier(item.name))
        if isinstance(item, exp.ColumnDef):
            table.columns.append(_read_column(item, table, sqlite=sqlite))
        else:
            _read_table_constraint(item, table, name=None)
    return table


def _read_table_constraint(item: exp.Expr, table: _Table, *, name: str | None) -> None:
    if isinstance(item, exp.Constraint):
        for part in item.expressions:
            _read_table_constraint(part, table, name=item.name or None)
    elif isinstance(item, exp.PrimaryKey):
        table.primary_key = _names(item.expressions)
    elif isinstance(item, exp.UniqueColumnConstraint):
        target = item.this
        key_name = name or (target.this.name if target and target.this else None)
        table.keys.append(_Key(key_name, _names(target.expressions), unique=True))
    elif isinstance(item, exp.IndexColumnConstraint):
        kind = item.args.get("kind")
        table.keys.append(
            _Key(item.name or None, _names(item.expressions), unique=False, kind=kind)
        )
    elif isinstance(item, exp.ForeignKey):
        ref_table, ref_columns, options = _read_reference(item.args["reference"])
        table.foreign_keys.append(
            _ForeignKey(name, _names(item.expressions), ref_table, ref_columns, options)
        )
    elif isinstance(item, exp.CheckColumnConstraint):
        table.checks.append(_Check(name, _unparen(item.this)))
    else:
        raise UntranslatableSql(f"{item.sql('mysql')} in CREATE TABLE cannot be translated.")


def _read_column(definition: exp.ColumnDef, table: _Table, *, sqlite: bool) -> _Column:
    kind = definition.args.get("kind")
    if sqlite:
        data_type = _type_from_sqlite(kind.text("kind") if kind else "")
    elif kind is None:
        raise UntranslatableSql(f"Column {definition.name!r} has no type.")
    else:
        data_type = kind
    column = _Column(name=definition.name, type=data_type)
    for constraint in definition.args.get("constraints") or []:
        option, name = constraint.args.get("kind"), constraint.name or None
        if isinstance(option, exp.NotNullColumnConstraint):
            column.not_null = not option.args.get("allow_null")
        elif isinstance(option, exp.DefaultColumnConstraint):
            column.default = _read_default(option.this)
        elif isinstance(option, exp.PrimaryKeyColumnConstraint):
            table.primary_key = (column.name,)
        elif isinstance(option, exp.UniqueColumnConstraint):
            table.keys.append(_Key(name, (column.name,), unique=True))
        elif isinstance(option, exp.AutoIncrementColumnConstraint):
            column.auto_increment = True
        elif isinstance(option, exp.CommentColumnConstraint):
            column.comment = option.this.name
        elif isinstance(option, exp.OnUpdateColumnConstraint):
            column.on_update = True
        elif isinstance(option, exp.Reference):
            ref_table, ref_columns, options = _read_reference(option)
            table.foreign_keys.append(
                _ForeignKey(name, (column.name,), ref_table, ref_columns, options)
            )
        elif isinstance(option, exp.CheckColumnConstraint):
            condition = _unparen(option.this)
            if not (sqlite and name is None and _absorb_check(column, condition)):
                table.checks.append(_Check(name, condition))
        elif not isinstance(option, _NOISE):
            raise UntranslatableSql(
                f"Column option {constraint.sql('mysql')} on {column.name!r} cannot be translated."
            )
    return column


def _type_from_sqlite(declared: str) -> exp.DataType:
    """The MySQL type for a type name as doltlite stores it (see the module docstring)."""
    name = " ".join(declared.upper().split())
    if name.startswith(_DECIMAL_TEXT + "("):
        return exp.DataType.build("DECIMAL" + name[len(_DECIMAL_TEXT) :], dialect="mysql")
    if name in _SQLITE_TYPES:
        return exp.DataType.build(_SQLITE_TYPES[name], dialect="mysql")
    try:
        data_type = exp.DataType.build(declared, dialect="mysql")
    except SqlglotError:
        data_type = None
    if data_type is not None and data_type.this in (DType.VARCHAR, DType.NVARCHAR):
        return data_type if data_type.expressions else exp.DataType.build("TEXT")
    if data_type is not None and data_type.this != DType.USERDEFINED:
        return data_type
    for needles, mysql in (
        (("INT",), "BIGINT"),
        (("CHAR", "CLOB", "TEXT"), "TEXT"),
        (("BLOB",), "BLOB"),
    ):
        if any(needle in name for needle in needles):
            return exp.DataType.build(mysql, dialect="mysql")
    return exp.DataType.build("DOUBLE", dialect="mysql")


def _absorb_check(column: _Column, condition: exp.Expr) -> bool:
    """Turn a CHECK that `mysql_to_sqlite` made for an ENUM or UNSIGNED back into the type."""

    def is_this_column(node: exp.Expr) -> bool:
        return isinstance(node, exp.Column) and node.name.lower() == column.name.lower()

    data_type = column.type
    if (
        data_type.this == DType.TEXT
        and isinstance(condition, exp.In)
        and is_this_column(condition.this)
        and condition.expressions
        and all(isinstance(v, exp.Literal) and v.is_string for v in condition.expressions)
    ):
        column.type = exp.DataType(
            this=DType.ENUM, expressions=[v.copy() for v in condition.expressions]
        )
        return True
    if (
        data_type.this in _SIGNED
        and isinstance(condition, exp.GTE)
        and is_this_column(condition.this)
        and condition.expression == exp.Literal.number(0)
    ):
        column.type = exp.DataType(
            this=_SIGNED[data_type.this], expressions=[e.copy() for e in data_type.expressions]
        )
        return True
    return False


def _read_index(create: exp.Expr, table: str) -> _Key:
    if not (isinstance(create, exp.Create) and create.kind == "INDEX"):
        raise UntranslatableSql(f"Expected CREATE INDEX, got {create.key.upper()}.")
    index = create.this
    params = index.args.get("params")
    if index.args["table"].name.lower() != table.lower():
        raise UntranslatableSql(f"Index {index.name!r} belongs to another table.")
    if params.args.get("where") is not None:
        raise UntranslatableSql(f"Partial index {index.name!r} has no MySQL equivalent.")
    return _Key(index.name, _names(params.args.get("columns") or []), bool(create.args["unique"]))


# --- writing SQLite ---------------------------------------------------------------------------


def _dq(name: str) -> str:
    return quote_identifier(name)


def _dq_list(names: Iterable[str]) -> str:
    return ", ".join(_dq(name) for name in names)


def _sqlite_default(value: exp.Expr) -> str:
    if isinstance(value, exp.CurrentTimestamp):
        return "CURRENT_TIMESTAMP"
    if isinstance(value, exp.Literal | exp.Neg | exp.Boolean):
        return value.sql(dialect="sqlite")
    return f"({value.sql(dialect='sqlite', identify=True)})"


def _sqlite_type_and_checks(column: _Column) -> tuple[str, list[str]]:
    data_type = column.type
    if data_type.this == DType.SET:
        raise UntranslatableSql(
            f"SET(...) on column {column.name!r} has no doltlite equivalent: use TEXT "
            "(values separated by commas) or a child table with one row per value."
        )
    if data_type.this == DType.SERIAL:
        raise UntranslatableSql(
            f"SERIAL on column {column.name!r}: write BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY."
        )
    if data_type.this == DType.ENUM:
        values = ", ".join(v.sql(dialect="sqlite") for v in data_type.expressions)
        return "TEXT", [f"CHECK ({_dq(column.name)} IN ({values}))"]
    if data_type.this in _UNSIGNED:
        signed = exp.DataType(
            this=_UNSIGNED[data_type.this], expressions=[e.copy() for e in data_type.expressions]
        )
        return _exact_decimal(signed), [f"CHECK ({_dq(column.name)} >= 0)"]
    return _exact_decimal(data_type), []


def _exact_decimal(data_type: exp.DataType) -> str:
    """The SQLite type name: ``DECIMAL_TEXT(p,s)`` for a DECIMAL a REAL would round."""
    if data_type.this != DType.DECIMAL:
        return data_type.sql(dialect="mysql")
    args = [int(e.name) for e in data_type.expressions if e.name.isdigit()]
    precision, scale = [*args, 0][:2] if args else [10, 0]
    exact = precision <= (_INTEGER_DIGITS if scale == 0 else _REAL_DIGITS)
    return data_type.sql(dialect="mysql") if exact else f"{_DECIMAL_TEXT}({precision},{scale})"


def _rowid_column(table: _Table) -> str | None:
    """The column that becomes ``INTEGER PRIMARY KEY``, if any."""
    if len(table.primary_key) != 1:
        return None
    column = table.column(table.primary_key[0])
    if column and column.auto_increment and _signed(column.type) in _INTEGERS:
        return column.name
    return None


def _signed(data_type: exp.DataType) -> DType:
    return _UNSIGNED.get(data_type.this, data_type.this)


def _sqlite_column(column: _Column, *, rowid: bool, in_key: bool, inline: Sequence[str]) -> str:
    type_sql, checks = _sqlite_type_and_checks(column)
    parts = [_dq(column.name), "INTEGER PRIMARY KEY" if rowid else type_sql]
    if not rowid and (column.not_null or in_key):
        parts.append("NOT NULL")
    if column.default is not None:
        parts.append(f"DEFAULT {_sqlite_default(column.default)}")
    return " ".join([*parts, *checks, *inline])


def _sqlite_foreign_key(key: _ForeignKey) -> str:
    named = f"CONSTRAINT {_dq(key.name)} " if key.name else ""
    columns = f" ({_dq_list(key.ref_columns)})" if key.ref_columns else ""
    options = "".join(f" {option}" for option in key.options)
    return (
        f"{named}FOREIGN KEY ({_dq_list(key.columns)}) REFERENCES {_dq(key.table)}"
        f"{columns}{options}"
    )


def _sqlite_check(check: _Check) -> str:
    named = f"CONSTRAINT {_dq(check.name)} " if check.name else ""
    return f"{named}CHECK ({check.condition.sql(dialect='sqlite', identify=True)})"


def _index_names(table: _Table) -> list[str]:
    """MySQL's names for the keys: declared, else the first column (then _2, _3, ...)."""
    taken = {key.name.lower() for key in table.keys if key.name}
    names = []
    for key in table.keys:
        if key.name:
            names.append(key.name)
            continue
        name, suffix = key.columns[0], 2
        while name.lower() in taken:
            name, suffix = f"{key.columns[0]}_{suffix}", suffix + 1
        taken.add(name.lower())
        names.append(name)
    return names


def _table_to_sqlite(table: _Table) -> list[str]:
    rowid = _rowid_column(table)
    exists = "IF NOT EXISTS " if table.if_not_exists else ""
    pk = {name.lower() for name in table.primary_key}
    items = [
        _sqlite_column(c, rowid=c.name == rowid, in_key=c.name.lower() in pk, inline=())
        for c in table.columns
    ]
    if table.primary_key and rowid is None:
        items.append(f"PRIMARY KEY ({_dq_list(table.primary_key)})")
    indexes = []
    for key, name in zip(table.keys, _index_names(table), strict=True):
        if key.kind:
            raise UntranslatableSql(f"{key.kind} KEY {name!r} has no doltlite equivalent.")
        if key.unique and key.name is None:
            items.append(f"UNIQUE ({_dq_list(key.columns)})")
            continue
        index_name = name if key.name else f"{table.name}_{name}"[:64]
        unique = "UNIQUE " if key.unique else ""
        columns = _dq_list(key.columns)
        indexes.append(
            f"CREATE {unique}INDEX {exists}{_dq(index_name)} ON {_dq(table.name)} ({columns})"
        )
    items += [_sqlite_foreign_key(key) for key in table.foreign_keys]
    items += [_sqlite_check(check) for check in table.checks]
    return [f"CREATE TABLE {exists}{_dq(table.name)} ({', '.join(items)})", *indexes]


def _add_column_to_sqlite(table_name: str, definition: exp.ColumnDef) -> str:
    scratch = _Table(name=table_name)
    column = _read_column(definition, scratch, sqlite=False)
    what = f"ADD COLUMN {column.name!r}"
    if scratch.primary_key or scratch.keys:
        raise UntranslatableSql(
            f"{what} with PRIMARY KEY or UNIQUE: doltlite cannot add a key column; add the "
            "column, then CREATE UNIQUE INDEX on it."
        )
    if definition.args.get("position"):
        raise UntranslatableSql(
            f"{what} with FIRST/AFTER: doltlite adds columns at the end; drop the position."
        )
    if column.not_null and column.default is None:
        raise UntranslatableSql(f"{what} is NOT NULL without a DEFAULT: give it a DEFAULT.")
    if isinstance(column.default, exp.CurrentTimestamp):
        raise UntranslatableSql(
            f"{what} with DEFAULT CURRENT_TIMESTAMP: doltlite needs a constant default here."
        )
    inline = [_sqlite_check(check) for check in scratch.checks]
    for key in scratch.foreign_keys:
        columns = f" ({_dq_list(key.ref_columns)})" if key.ref_columns else ""
        inline.append(
            f"REFERENCES {_dq(key.table)}{columns}{''.join(' ' + o for o in key.options)}"
        )
    sql = _sqlite_column(column, rowid=False, in_key=False, inline=inline)
    return f"ALTER TABLE {_dq(table_name)} ADD COLUMN {sql}"


def _alter_to_sqlite(alter: exp.Alter, schema_of: SchemaOf | None) -> list[str]:
    table = alter.this.name
    if _modifies_columns(alter):
        return _rebuild_to_sqlite(alter, schema_of(table) if schema_of else None)
    statements = []
    for action in alter.args.get("actions") or []:
        if isinstance(action, exp.ColumnDef):
            statements.append(_add_column_to_sqlite(table, action))
        elif isinstance(action, exp.RenameColumn):
            old, new = action.this.name, action.args["to"].name
            statements.append(f"ALTER TABLE {_dq(table)} RENAME COLUMN {_dq(old)} TO {_dq(new)}")
        elif isinstance(action, exp.Drop) and action.kind == "COLUMN":
            for column in action.args.get("tables") or []:
                statements.append(f"ALTER TABLE {_dq(table)} DROP COLUMN {_dq(column.name)}")
        elif isinstance(action, exp.ModifyColumn):
            raise UntranslatableSql(
                "ALTER TABLE ... CHANGE COLUMN cannot run on doltlite (SQLite cannot change a "
                "column's definition): to rename only, use RENAME COLUMN; to change a type, "
                "use MODIFY COLUMN in a statement of its own."
            )
        else:
            raise UntranslatableSql(
                f"ALTER TABLE ... {action.sql('mysql')} cannot be translated for doltlite."
            )
    return statements


def _modifies_columns(alter: exp.Alter) -> bool:
    """Whether the ALTER changes column definitions in place (MODIFY COLUMN)."""
    return any(
        isinstance(action, exp.ModifyColumn) and not action.args.get("rename_from")
        for action in alter.args.get("actions") or []
    )


def rebuilds_table(sql: str) -> bool:
    """Whether doltlite runs the statement by rebuilding its table (see `mysql_to_sqlite`):
    the caller runs it with foreign-key checks off and checks the references after."""
    statement = parse_one_statement(sql)
    return isinstance(statement, exp.Alter) and _modifies_columns(statement)


def _rebuild_to_sqlite(alter: exp.Alter, current: TableSchema | None) -> list[str]:
    """MODIFY COLUMN as SQLite's table rebuild: a new table with the changed columns, the rows
    copied, the old table dropped, the new one renamed, its indexes made again."""
    name = alter.this.name
    if current is None:
        raise UntranslatableSql(
            f"ALTER TABLE {name} ... MODIFY COLUMN needs the table's current definition on "
            "doltlite (SQLite cannot change a column in place; the table is rebuilt)."
        )
    create_sql, index_sqls = current
    create = _parse_doltlite(create_sql)
    table = _read_table(create, sqlite=True)
    table.keys += [_read_index(_parse_doltlite(sql), table.name) for sql in index_sqls]
    rowid = _rowid_columns(create)
    for column in table.columns:  # an INTEGER PRIMARY KEY stays the rowid
        column.auto_increment = column.name in rowid
    for action in alter.args.get("actions") or []:
        if not isinstance(action, exp.ModifyColumn):
            raise UntranslatableSql(
                f"ALTER TABLE ... {action.sql('mysql')} cannot share a statement with MODIFY "
                "COLUMN on doltlite: give each its own ALTER TABLE."
            )
        _modify_column(table, action.this)
    scratch = f"_rebuild_{table.name}"
    create_scratch, *_ = _table_to_sqlite(replace(table, name=scratch))
    _, *indexes = _table_to_sqlite(table)
    columns = _dq_list(c.name for c in table.columns)
    return [
        create_scratch,
        f"INSERT INTO {_dq(scratch)} ({columns}) SELECT {columns} FROM {_dq(table.name)}",
        f"DROP TABLE {_dq(table.name)}",
        f"ALTER TABLE {_dq(scratch)} RENAME TO {_dq(table.name)}",
        *indexes,
    ]


def _rowid_columns(create: exp.Expr) -> set[str]:
    """The column declared ``INTEGER PRIMARY KEY`` in a doltlite CREATE TABLE (SQLite's rowid)."""
    return {
        item.name
        for item in create.this.expressions
        if isinstance(item, exp.ColumnDef)
        and isinstance(kind := item.args.get("kind"), exp.DataType)
        and kind.text("kind").upper() == "INTEGER"
        and any(isinstance(c.kind, exp.PrimaryKeyColumnConstraint) for c in item.constraints)
    }


def _modify_column(table: _Table, definition: exp.ColumnDef) -> None:
    """Replace a column's definition (type, NOT NULL, DEFAULT) in the table model."""
    old = table.column(definition.name)
    if old is None:
        raise UntranslatableSql(f"MODIFY COLUMN: table {table.name!r} has no {definition.name!r}.")
    scratch = _Table(name=table.name)
    new = _read_column(definition, scratch, sqlite=False)
    if scratch.keys or scratch.foreign_keys or scratch.primary_key:
        raise UntranslatableSql(
            f"MODIFY COLUMN {definition.name!r} with a key or a reference: doltlite cannot "
            "change keys; change only the type, NOT NULL or DEFAULT."
        )
    table.checks += scratch.checks
    table.columns[table.columns.index(old)] = _Column(
        name=old.name, type=new.type, not_null=new.not_null, default=new.default
    )


def _create_index_to_sqlite(create: exp.Create) -> str:
    index = create.this
    params = index.args.get("params")
    columns = _names(params.args.get("columns") or []) if params else ()
    unique = "UNIQUE " if create.args.get("unique") else ""
    exists = "IF NOT EXISTS " if create.args.get("exists") else ""
    return (
        f"CREATE {unique}INDEX {exists}{_dq(index.name)} ON {_dq(index.args['table'].name)} "
        f"({_dq_list(columns)})"
    )


def _drop_to_sqlite(drop: exp.Drop) -> list[str]:
    if drop.kind not in ("TABLE", "INDEX"):
        raise UntranslatableSql(f"DROP {drop.kind} cannot be translated for doltlite.")
    exists = "IF EXISTS " if drop.args.get("exists") else ""
    return [f"DROP {drop.kind} {exists}{_dq(t.name)}" for t in drop.args.get("tables") or []]


def mysql_to_sqlite(sql: str, *, schema_of: SchemaOf | None = None) -> list[str]:
    """Translate one policy-accepted MySQL statement into the statements to run on doltlite.

    ``schema_of(table)`` gives a table's doltlite CREATE TABLE and CREATE INDEX statements; a
    MODIFY COLUMN needs it, as it becomes a rebuild of the table (see `rebuilds_table`).
    """
    statement = parse_one_statement(sql)
    if isinstance(statement, exp.Create) and statement.kind == "TABLE":
        return _table_to_sqlite(_read_table(statement, sqlite=False))
    if isinstance(statement, exp.Create) and statement.kind == "INDEX":
        return [_create_index_to_sqlite(statement)]
    if isinstance(statement, exp.Alter) and statement.kind == "TABLE":
        return _alter_to_sqlite(statement, schema_of)
    if isinstance(statement, exp.Drop):
        return _drop_to_sqlite(statement)
    if isinstance(statement, exp.TruncateTable):
        return [f"DELETE FROM {_dq(t.name)}" for t in statement.expressions]
    if isinstance(statement, exp.Insert | exp.Update | exp.Delete):
        return [statement.sql(dialect="sqlite", identify=True, comments=False)]
    kind = statement.args.get("kind")
    what = f"{statement.key.upper()} {kind}" if isinstance(kind, str) else statement.key.upper()
    raise UntranslatableSql(f"{what} statements cannot be translated for doltlite.")


# --- writing MySQL ----------------------------------------------------------------------------


def _bq(name: str) -> str:
    return quote_identifier(name, quote="`")


def _bq_list(names: Iterable[str]) -> str:
    return ", ".join(_bq(name) for name in names)


def _mysql_default(value: exp.Expr) -> str:
    if isinstance(value, exp.CurrentTimestamp):
        precision = value.this
        return f"CURRENT_TIMESTAMP({precision.sql()})" if precision else "CURRENT_TIMESTAMP"
    if isinstance(value, exp.Literal | exp.Neg | exp.Boolean):
        return value.sql(dialect="mysql")
    return f"({value.sql(dialect='mysql', identify=True)})"


def _mysql_column(column: _Column, *, in_key: bool) -> str:
    parts = [_bq(column.name), column.type.sql(dialect="mysql")]
    if column.not_null or in_key:
        parts.append("NOT NULL")
    if column.default is not None:
        parts.append(f"DEFAULT {_mysql_default(column.default)}")
    if column.on_update:
        parts.append("ON UPDATE CURRENT_TIMESTAMP")
    if column.auto_increment:
        parts.append("AUTO_INCREMENT")
    if column.comment:
        parts.append(f"COMMENT {exp.Literal.string(column.comment).sql(dialect='mysql')}")
    return " ".join(parts)


def _table_to_mysql(table: _Table) -> str:
    pk = {name.lower() for name in table.primary_key}
    lines = [_mysql_column(c, in_key=c.name.lower() in pk) for c in table.columns]
    if table.primary_key:
        lines.append(f"PRIMARY KEY ({_bq_list(table.primary_key)})")
    keys = sorted(
        zip(_index_names(table), table.keys, strict=True),
        key=lambda pair: (not pair[1].unique, pair[0].lower(), pair[0]),
    )
    for name, key in keys:
        prefix = "UNIQUE " if key.unique else f"{key.kind} " if key.kind else ""
        lines.append(f"{prefix}KEY {_bq(name)} ({_bq_list(key.columns)})")
    for fk in table.foreign_keys:
        named = f"CONSTRAINT {_bq(fk.name)} " if fk.name else ""
        columns = f" ({_bq_list(fk.ref_columns)})" if fk.ref_columns else ""
        options = "".join(f" {option}" for option in fk.options)
        lines.append(
            f"{named}FOREIGN KEY ({_bq_list(fk.columns)}) REFERENCES {_bq(fk.table)}"
            f"{columns}{options}"
        )
    for check in table.checks:
        named = f"CONSTRAINT {_bq(check.name)} " if check.name else ""
        lines.append(f"{named}CHECK ({check.condition.sql(dialect='mysql', identify=True)})")
    body = ",\n".join(f"  {line}" for line in lines)
    return f"CREATE TABLE {_bq(table.name)} (\n{body}\n)"


def canonical_mysql(sql: str) -> str:
    """Normalise a MySQL CREATE TABLE to the canonical form (see the module docstring)."""
    return _table_to_mysql(_read_table(parse_one_statement(sql), sqlite=False))


# --- reading doltlite -------------------------------------------------------------------------

_CONSTRAINT_WORDS = frozenset(
    {"CONSTRAINT", "PRIMARY", "NOT", "NULL", "UNIQUE", "CHECK", "DEFAULT", "COLLATE",
     "REFERENCES", "GENERATED", "AS"}
)  # fmt: skip


class _DoltliteParser(SQLiteParser):
    """SQLite's parser, except that a column's declared type is kept verbatim.

    SQLite accepts any words as a type name (``unsigned big int``, ``VARCHAR(40)``) and
    sqlglot's SQLite parser normalises or rejects many of them; the raw text is kept in
    ``DataType(USERDEFINED, kind=...)`` and mapped by `_type_from_sqlite`.
    """

    def _parse_types(
        self,
        check_func: bool = False,
        schema: bool = False,
        allow_identifiers: bool = True,
        with_collation: bool = False,
    ) -> exp.Expr | None:
        if not schema:
            return super()._parse_types(
                check_func=check_func,
                schema=schema,
                allow_identifiers=allow_identifiers,
                with_collation=with_collation,
            )
        first = last = None
        depth = 0
        while self._curr:
            token = self._curr
            if depth == 0 and (
                token.token_type in (TokenType.COMMA, TokenType.R_PAREN)
                or token.text.split()[0].upper() in _CONSTRAINT_WORDS
            ):
                break
            depth += {TokenType.L_PAREN: 1, TokenType.R_PAREN: -1}.get(token.token_type, 0)
            first, last = first or token, token
            self._advance()
        if first is None or last is None:
            return None
        declared = " ".join(self.sql[first.start : last.end + 1].split())
        return exp.DataType(this=DType.USERDEFINED, kind=declared)


class _Doltlite(SQLite):
    Parser = _DoltliteParser


def _parse_doltlite(sql: str) -> exp.Expr:
    try:
        statements = [s for s in _Doltlite().parse(sql) if s is not None]
    except SqlglotError as exc:
        raise UntranslatableSql(f"Cannot read the doltlite schema {sql[:80]!r}: {exc}") from exc
    if len(statements) != 1 or isinstance(statements[0], exp.Command):
        raise UntranslatableSql(f"Cannot read the doltlite schema {sql[:80]!r}.")
    return statements[0]


def sqlite_to_mysql(create_sql: str, *, indexes: Sequence[str] = ()) -> str:
    """Canonical MySQL for a CREATE TABLE as doltlite stores it in ``sqlite_master``.

    ``indexes`` are the table's ``CREATE [UNIQUE] INDEX`` statements from ``sqlite_master``
    (rows whose ``sql`` is not NULL); they become KEY / UNIQUE KEY lines.
    """
    table = _read_table(_parse_doltlite(create_sql), sqlite=True)
    table.keys += [_read_index(_parse_doltlite(sql), table.name) for sql in indexes]
    return _table_to_mysql(table)


# --- queries ----------------------------------------------------------------------------------


def _strftime_integer(part: str) -> Callable[[SQLiteGenerator, exp.Func], str]:
    """A MySQL date-part function (YEAR, HOUR, ...) as SQLite's strftime, as an integer."""

    def render(generator: SQLiteGenerator, function: exp.Func) -> str:
        return f"CAST(STRFTIME('{part}', {generator.sql(function, 'this')}) AS INTEGER)"

    return render


def _left(generator: SQLiteGenerator, function: exp.Func) -> str:
    return generator.func("SUBSTR", function.this, exp.Literal.number(1), function.expression)


def _right(generator: SQLiteGenerator, function: exp.Func) -> str:
    """RIGHT(s, n) as SUBSTR from the n-th last character ('' for n <= 0, s for n > len)."""
    text, count = generator.sql(function, "this"), generator.sql(function, "expression")
    return f"SUBSTR({text}, MAX(LENGTH({text}) - ({count}) + 1, 1), MAX({count}, 0))"


def _quarter(generator: SQLiteGenerator, function: exp.Func) -> str:
    return f"((CAST(STRFTIME('%m', {generator.sql(function, 'this')}) AS INTEGER) + 2) / 3)"


class DoltliteQueries(SQLite):
    """SQLite as doltlite runs queries: the allowed MySQL functions SQLite lacks (LEFT,
    RIGHT, YEAR, MONTH, DAY, HOUR, ...) written with the ones it has (see
    ``dolt.sql.policy.ALLOWED_FUNCTIONS``)."""

    class Generator(SQLiteGenerator):
        TRANSFORMS: ClassVar[dict[type[exp.Expr], Callable[..., str]]] = {
            **SQLiteGenerator.TRANSFORMS,
            exp.Left: _left,
            exp.Right: _right,
            exp.Year: _strftime_integer("%Y"),
            exp.Quarter: _quarter,
            exp.Month: _strftime_integer("%m"),
            exp.Day: _strftime_integer("%d"),
            exp.DayOfMonth: _strftime_integer("%d"),
            exp.DayOfYear: _strftime_integer("%j"),
            exp.Hour: _strftime_integer("%H"),
            exp.Minute: _strftime_integer("%M"),
            exp.Second: _strftime_integer("%S"),
        }


def _json_unquote(generator: MySQLGenerator, function: exp.Func) -> str:
    extract = generator.func("JSON_EXTRACT", function.this, function.expression)
    return f"JSON_UNQUOTE({extract})"


class DoltQueries(MySQL):
    """MySQL as Dolt sql-server (and MariaDB) runs queries: ``->>`` as
    JSON_UNQUOTE(JSON_EXTRACT(...)), which MariaDB also has."""

    class Generator(MySQLGenerator):
        TRANSFORMS: ClassVar[dict[type[exp.Expr], Callable[..., str]]] = {
            **MySQLGenerator.TRANSFORMS,
            exp.JSONExtractScalar: _json_unquote,
        }


_QUERY_DIALECTS: dict[str, str | type[Dialect]] = {
    "sqlite": DoltliteQueries,
    "mysql": DoltQueries,
    "duckdb": "duckdb",
}


def query_sql(query: exp.Expr, *, dialect: str) -> str:
    """A policy-checked query as ``dialect`` runs it: ``sqlite`` (doltlite), ``mysql`` (Dolt
    sql-server) or ``duckdb``; names quoted, comments dropped."""
    return query.sql(dialect=_QUERY_DIALECTS[dialect], comments=False, identify=True)
