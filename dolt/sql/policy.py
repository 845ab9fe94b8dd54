"""The SQL policy: nothing an LLM wrote reaches a database unless this module accepts it.

SQL is parsed with sqlglot (MySQL dialect) and checked by a tuple of small rules, each a
function ``rule(statement, context) -> None`` that raises `PolicyViolation` with a message
naming the offending construct. Two entry points:

* `check_ddl` — schema changes: ``CREATE TABLE`` (columns, PRIMARY KEY, UNIQUE, KEY/INDEX,
  FOREIGN KEY to a known table or the table being created, CHECK, literal DEFAULTs),
  ``ALTER TABLE t ADD COLUMN | RENAME COLUMN | MODIFY COLUMN | CHANGE COLUMN`` and
  ``CREATE [UNIQUE] INDEX`` on known tables. ``DROP``, ``DELETE``, ``TRUNCATE``, ``UPDATE``
  and ``INSERT`` (and ``ALTER TABLE ... DROP COLUMN``) pass only when the caller names the
  word in ``allow``.
* `check_select` — import plans run on DuckDB over staged sources: one ``SELECT`` (with CTEs,
  joins, set operations, window functions) that reads only the given relations and columns.

Functions are checked against an explicit allow-list of ordinary functions: casts,
conditionals (CASE, IF, COALESCE, NULLIF, GREATEST, LEAST), string, math, date and time,
JSON extraction, aggregate and window functions — only those DuckDB, doltlite and Dolt all
have, as a check runs on the branch what the plan ran in DuckDB. Anything else is refused, so
a function sqlglot does not know (or a new one) fails closed. A deny-list (``getenv``, ``read_*``,
``*_scan``, ``load_file``, ``sleep``, ``dolt_*``, ...) runs first only to give a sharper
message. Non-deterministic functions (``RAND``, ``UUID``) are not allowed: an import must
give the same rows when it runs again. Session and user variables and placeholders are
refused everywhere.

A query's work must be bounded before it runs (`bounded_joins`, `no_growing_strings`): every
join compares a column of the joined source with a column of another by equality (no CROSS
JOIN, comma join, NATURAL JOIN or join without ON), at most `MAX_JOINS` joins, and no
REPLACE inside REPLACE. Running it is bounded too: DuckDB's memory and threads, and a time
limit on counting a plan's rows (``agents.staging.connection``, ``agents.stages.plan``).

Callers should execute ``statement.sql(dialect=...)`` of the returned AST rather than the
original string: the server then runs exactly what was checked, whatever its SQL mode.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass, field

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError, TokenError
from sqlglot.optimizer.qualify import qualify
from sqlglot.tokens import Token

from dolt.errors import InvalidName, PolicyViolation
from dolt.sql.names import validate_identifier

__all__ = [
    "ALLOWED_FUNCTIONS",
    "ALLOW_WORDS",
    "DDL_RULES",
    "SELECT_RULES",
    "PolicyContext",
    "check_ddl",
    "check_select",
    "parse_one_statement",
]

DIALECT = "mysql"

#: Words a caller may pass in ``allow`` to opt in to statements that change or remove data.
ALLOW_WORDS = frozenset({"drop", "delete", "truncate", "update", "insert"})


@dataclass(frozen=True)
class PolicyContext:
    """What the rules check a statement against; every name is lower-case."""

    known_tables: frozenset[str] = frozenset()
    allow: frozenset[str] = frozenset()
    relations: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


Rule = Callable[[exp.Expr, PolicyContext], None]


# --- parsing ---------------------------------------------------------------------------------

_UNPARSABLE_HINTS = (
    (("INTO", "OUTFILE"), "SELECT ... INTO OUTFILE writes a file on the server"),
    (("INTO", "DUMPFILE"), "SELECT ... INTO DUMPFILE writes a file on the server"),
    (("LOAD", "DATA"), "LOAD DATA reads a file into a table"),
    (("LOAD", "XML"), "LOAD XML reads a file into a table"),
    (("HANDLER",), "HANDLER statements"),
)


def parse_one_statement(sql: str) -> exp.Expr:
    """Parse exactly one MySQL statement that sqlglot fully understands, else raise."""
    if not isinstance(sql, str) or not sql.strip():
        raise PolicyViolation("The SQL is empty: give exactly one statement.")
    try:
        tokens = sqlglot.tokenize(sql, read=DIALECT)
    except TokenError as exc:
        raise PolicyViolation(f"The SQL cannot be read: {exc}.") from exc
    for token in tokens:
        if any(comment.lstrip().startswith(("!", "+")) for comment in token.comments):
            raise PolicyViolation(
                "MySQL executable comments and hints (/*! ... */, /*+ ... */) are not allowed."
            )
    try:
        parsed = sqlglot.parse(sql, read=DIALECT)
    except ParseError as exc:
        raise PolicyViolation(_parse_error_message(exc, tokens)) from exc
    statements = [s for s in parsed if s is not None and not isinstance(s, exp.Semicolon)]
    if not statements:
        raise PolicyViolation("The SQL is empty: give exactly one statement.")
    if len(statements) > 1:
        kinds = ", ".join(_statement_name(s) for s in statements)
        raise PolicyViolation(
            f"Only one statement is allowed, got {len(statements)} ({kinds}): "
            "remove everything after the first statement."
        )
    statement = statements[0]
    if isinstance(statement, exp.Command):
        raise PolicyViolation(f"{_statement_name(statement)} statements are not allowed.")
    return statement


def _parse_error_message(error: ParseError, tokens: list[Token]) -> str:
    words = [token.text.upper() for token in tokens]
    for sequence, what in _UNPARSABLE_HINTS:
        for start in range(len(words) - len(sequence) + 1):
            if tuple(words[start : start + len(sequence)]) == sequence:
                return f"{what}; it is not allowed."
    detail = error.errors[0] if error.errors else {}
    where = f" at line {detail.get('line')}, column {detail.get('col')}" if detail else ""
    near = (detail.get("start_context", "") + detail.get("highlight", ""))[-60:]
    description = detail.get("description") or str(error)
    return f"The SQL does not parse as MySQL: {description}{where}, near {near!r}."


def _statement_name(statement: exp.Expr) -> str:
    if isinstance(statement, exp.Command):
        return str(statement.this).upper()
    if isinstance(statement, exp.Create | exp.Drop | exp.Alter):
        kind = statement.args.get("kind")
        return f"{statement.key.upper()} {kind}" if kind else statement.key.upper()
    if isinstance(statement, exp.TruncateTable):
        return "TRUNCATE TABLE"
    return statement.key.upper()


def _snippet(node: exp.Expr) -> str:
    text = node.sql(dialect=DIALECT)
    return text if len(text) <= 80 else text[:77] + "..."


# --- rules shared by DDL and SELECT -----------------------------------------------------------


def valid_identifiers(statement: exp.Expr, context: PolicyContext) -> None:
    """Every table, column, alias, index and constraint name passes `validate_identifier`."""
    for identifier in statement.find_all(exp.Identifier):
        parent = identifier.parent
        if isinstance(parent, exp.Table):
            kind = "table"
        elif isinstance(parent, exp.Column | exp.ColumnDef):
            kind = "column"
        else:
            kind = "identifier"
        try:
            validate_identifier(identifier.name, kind=kind)
        except InvalidName as exc:
            raise PolicyViolation(str(exc)) from exc


def no_variables(statement: exp.Expr, context: PolicyContext) -> None:
    """No session variables (@@x), user variables (@x) or placeholders (?)."""
    for node in statement.find_all(exp.SessionParameter, exp.Parameter, exp.Placeholder):
        raise PolicyViolation(
            f"Variables and placeholders such as {_snippet(node)} are not allowed: "
            "write literal values."
        )


ALLOWED_FUNCTIONS: frozenset[type[exp.Expr]] = frozenset(
    {
        # operators that sqlglot models as functions
        exp.And, exp.Or, exp.Exists,
        # casts and conditionals
        exp.Cast, exp.Case, exp.If, exp.Coalesce, exp.Nullif, exp.Greatest, exp.Least,
        # strings
        exp.Upper, exp.Lower, exp.Trim, exp.Concat, exp.ConcatWs, exp.Substring, exp.Left,
        exp.Right, exp.Length, exp.Replace, exp.StrPosition, exp.Chr, exp.Hex, exp.Unhex,
        # math
        exp.Abs, exp.Round, exp.Floor, exp.Ceil, exp.Mod, exp.Pow, exp.Sqrt, exp.Ln, exp.Log,
        exp.Exp, exp.Sign, exp.Pi, exp.Radians, exp.Degrees, exp.Sin, exp.Cos, exp.Tan,
        exp.Asin, exp.Acos, exp.Atan, exp.Atan2,
        # dates and times
        exp.CurrentTimestamp, exp.CurrentDate, exp.CurrentTime, exp.TsOrDsToDate, exp.Year,
        exp.Quarter, exp.Month, exp.Day, exp.DayOfMonth, exp.DayOfYear, exp.Hour, exp.Minute,
        exp.Second, exp.TimeToStr, exp.TsOrDsToTimestamp, exp.DateDiff, exp.DateAdd,
        # JSON
        exp.JSONExtract, exp.JSONExtractScalar,
        # aggregates
        exp.Count, exp.Sum, exp.Avg, exp.Min, exp.Max, exp.GroupConcat,
        # window functions
        exp.RowNumber, exp.Rank, exp.DenseRank, exp.PercentRank, exp.CumeDist, exp.Ntile,
        exp.Lag, exp.Lead, exp.FirstValue, exp.LastValue, exp.NthValue,
    }
)  # fmt: skip
"""Every function a query may call. Each one runs on DuckDB (plans), doltlite and Dolt
sql-server (checks and a person's ``where``), through `dolt.sql.dialect` where the spelling
differs; ``tests/dolt/test_allowed_functions.py`` calls each on all three. Functions one engine
lacks (MD5, SHA2, REGEXP, REVERSE, REPEAT, LPAD, STARTS_WITH, STR_TO_DATE, TIMESTAMPDIFF,
NOW, STDDEV, MEDIAN, ...) are not here, so a check never fails on the branch for want of one."""

_DANGEROUS_NAMES = frozenset(
    {
        "getenv", "current_setting", "read_text", "read_blob", "load_extension", "sleep",
        "benchmark", "pg_sleep", "sys_exec", "sys_eval", "load_file", "glob", "query",
        "query_table", "system", "shell", "sqlite_version",
    }
)  # fmt: skip


def _function_name(function: exp.Func) -> str:
    if isinstance(function, exp.Anonymous):
        return function.name.upper()
    return function.sql_name()


def _is_dangerous(name: str) -> bool:
    lowered = name.lower()
    return (
        lowered in _DANGEROUS_NAMES
        or lowered.startswith(("read_", "dolt_", "sqlite_", "pg_", "sys_"))
        or lowered.endswith("_scan")
    )


def allowed_functions(statement: exp.Expr, context: PolicyContext) -> None:
    """Every function call is an ordinary one (see the module docstring)."""
    for function in statement.find_all(exp.Func):
        name = _function_name(function)
        if _is_dangerous(name):
            raise PolicyViolation(
                f"Function {name}() is not allowed: it can read files or the environment, "
                "reach server state or stall the server."
            )
        if type(function) not in ALLOWED_FUNCTIONS and not _is_default_now(function):
            raise PolicyViolation(
                f"Function {name}() is not in the list of allowed functions: casts, "
                "conditionals and the string, date, math, aggregate and window functions that "
                "DuckDB, doltlite and Dolt all have."
            )


def _is_default_now(function: exp.Func) -> bool:
    """NOW() or CURRENT_TIMESTAMP as a column's DEFAULT or ON UPDATE (`literal_defaults`)."""
    owner = function.find_ancestor(exp.DefaultColumnConstraint, exp.OnUpdateColumnConstraint)
    return owner is not None and _is_now(function)


def no_growing_strings(statement: exp.Expr, context: PolicyContext) -> None:
    """No REPLACE inside another REPLACE: each may multiply a text's length by its
    replacement's, and DuckDB's memory limit does not bound a value's size (eight nested
    tenfold REPLACEs of 50 names took 5.5 GiB under a 256 MB limit)."""
    for replace in statement.find_all(exp.Replace):
        outer = replace.find_ancestor(exp.Replace)
        if outer is not None:
            raise PolicyViolation(
                f"{_snippet(outer)} nests REPLACE in REPLACE, which can make a value too "
                "large to hold: use one REPLACE per value."
            )


_SELECT_ARGS = frozenset(
    {"with_", "expressions", "distinct", "from_", "joins", "where", "group", "having",
     "windows", "order", "limit", "offset"}
)  # fmt: skip
_SET_OPERATION_ARGS = frozenset(
    {"with_", "this", "expression", "distinct", "order", "limit", "offset"}
)
_CLAUSE_MESSAGES = {
    "into": "SELECT ... INTO is not allowed: a query only returns rows.",
    "locks": "Locking clauses (FOR UPDATE, FOR SHARE, LOCK IN SHARE MODE) are not allowed.",
    "hint": "Optimizer hints (/*+ ... */) are not allowed.",
    "operation_modifiers": "SELECT modifiers such as SQL_CALC_FOUND_ROWS are not allowed.",
}
_JOIN_ARGS = frozenset({"this", "on", "using", "side", "kind", "method"})


def select_clauses(statement: exp.Expr, context: PolicyContext) -> None:
    """Queries use only plain clauses: no INTO, locking, hints, modifiers or recursion."""
    for query in statement.find_all(exp.Select, exp.SetOperation):
        allowed = _SELECT_ARGS if isinstance(query, exp.Select) else _SET_OPERATION_ARGS
        for name, value in query.args.items():
            if value and name not in allowed:
                default = f"The {name.rstrip('_').upper()} clause is not allowed in a query."
                raise PolicyViolation(_CLAUSE_MESSAGES.get(name, default))
    for with_ in statement.find_all(exp.With):
        if with_.args.get("recursive"):
            raise PolicyViolation("WITH RECURSIVE is not allowed: use plain CTEs.")


def plain_sources(statement: exp.Expr, context: PolicyContext) -> None:
    """FROM and JOIN read only plain named tables or subqueries (no table functions)."""
    for clause in statement.find_all(exp.From, exp.Join):
        source = clause.this
        if isinstance(source, exp.Subquery):
            continue
        if not isinstance(source, exp.Table):
            raise PolicyViolation(
                f"{_snippet(source)} is not allowed in FROM/JOIN: read only the given "
                "relations, or subqueries over them."
            )
        if not isinstance(source.this, exp.Identifier):
            raise PolicyViolation(
                f"Table function {_snippet(source.this)} is not allowed: read only the given "
                "relations."
            )
        if isinstance(clause, exp.Join):
            extra = [k for k, v in clause.args.items() if v and k not in _JOIN_ARGS]
            if extra:
                raise PolicyViolation(
                    f"Join option {extra[0]!r} in {_snippet(clause)} is not allowed."
                )
    for table in statement.find_all(exp.Table):
        extra = [k for k, v in table.args.items() if v and k not in ("this", "alias")]
        if extra:
            what = "a database-qualified name" if extra[0] in ("db", "catalog") else extra[0]
            raise PolicyViolation(
                f"Table reference {_snippet(table)} uses {what}; refer to tables by their "
                "plain name."
            )


# --- DDL rules --------------------------------------------------------------------------------

_OPT_IN_STATEMENTS: dict[type[exp.Expr], str] = {
    exp.Drop: "drop",
    exp.Delete: "delete",
    exp.TruncateTable: "truncate",
    exp.Update: "update",
    exp.Insert: "insert",
}
_DDL_SUMMARY = (
    "allowed are CREATE TABLE, CREATE [UNIQUE] INDEX and ALTER TABLE ... ADD COLUMN, "
    "RENAME COLUMN, MODIFY COLUMN or CHANGE COLUMN"
)


def ddl_statement_kind(statement: exp.Expr, context: PolicyContext) -> None:
    """Only the schema changes an import needs, plus what the caller opted in to."""
    name = _statement_name(statement)
    if isinstance(statement, exp.Create) and statement.kind in ("TABLE", "INDEX"):
        return
    if isinstance(statement, exp.Alter) and statement.kind == "TABLE":
        return
    word = _OPT_IN_STATEMENTS.get(type(statement))
    if word is None:
        raise PolicyViolation(f"{name} is not allowed in a schema change: {_DDL_SUMMARY}.")
    if word not in context.allow:
        raise PolicyViolation(
            f"{name} is not allowed here: this change may not remove or rewrite data "
            f"({_DDL_SUMMARY})."
        )
    if isinstance(statement, exp.Drop) and (
        statement.kind not in ("TABLE", "INDEX") or statement.args.get("temporary")
    ):
        raise PolicyViolation(f"{name} is not allowed: only DROP TABLE and DROP INDEX are.")


_TABLE_ITEMS = (
    exp.ColumnDef,
    exp.PrimaryKey,
    exp.UniqueColumnConstraint,
    exp.IndexColumnConstraint,
    exp.ForeignKey,
    exp.CheckColumnConstraint,
)
_COLUMN_OPTIONS = (
    exp.NotNullColumnConstraint,
    exp.DefaultColumnConstraint,
    exp.PrimaryKeyColumnConstraint,
    exp.UniqueColumnConstraint,
    exp.AutoIncrementColumnConstraint,
    exp.CommentColumnConstraint,
    exp.CharacterSetColumnConstraint,
    exp.CollateColumnConstraint,
    exp.CheckColumnConstraint,
    exp.OnUpdateColumnConstraint,
    exp.ZeroFillColumnConstraint,
    exp.Reference,
)
_TABLE_OPTIONS = (
    exp.EngineProperty,
    exp.CharacterSetProperty,
    exp.CollateProperty,
    exp.SchemaCommentProperty,
    exp.AutoIncrementProperty,
)


def create_table_shape(statement: exp.Expr, context: PolicyContext) -> None:
    """CREATE TABLE declares columns and constraints; no AS SELECT, LIKE, TEMPORARY."""
    if not (isinstance(statement, exp.Create) and statement.kind == "TABLE"):
        return
    if statement.args.get("expression") is not None:
        raise PolicyViolation(
            "CREATE TABLE ... AS SELECT is not allowed: declare the columns; rows are "
            "loaded by the import plan."
        )
    if statement.args.get("replace"):
        raise PolicyViolation("CREATE OR REPLACE TABLE is not allowed.")
    for option in statement.find_all(exp.Property):
        if isinstance(option, exp.TemporaryProperty):
            raise PolicyViolation("CREATE TEMPORARY TABLE is not allowed.")
        if isinstance(option, exp.LikeProperty):
            raise PolicyViolation("CREATE TABLE ... LIKE is not allowed: declare the columns.")
        if not isinstance(option, _TABLE_OPTIONS):
            raise PolicyViolation(f"Table option {_snippet(option)} is not allowed.")
        if isinstance(option, exp.EngineProperty) and option.name.upper() != "INNODB":
            raise PolicyViolation(f"{_snippet(option)} is not allowed: only ENGINE=InnoDB.")
    schema = statement.this
    if not isinstance(schema, exp.Schema) or not any(
        isinstance(item, exp.ColumnDef) for item in schema.expressions
    ):
        raise PolicyViolation("CREATE TABLE must declare its columns.")
    for item in schema.expressions:
        parts = item.expressions if isinstance(item, exp.Constraint) else [item]
        for part in parts:
            if not isinstance(part, _TABLE_ITEMS) or (
                isinstance(part, exp.IndexColumnConstraint) and part.args.get("kind")
            ):
                raise PolicyViolation(f"{_snippet(part)} is not allowed in CREATE TABLE.")
        if isinstance(item, exp.ColumnDef):
            _check_column_options(item)


def _check_column_options(column: exp.ColumnDef) -> None:
    for constraint in column.args.get("constraints") or []:
        if not isinstance(constraint.args.get("kind"), _COLUMN_OPTIONS):
            raise PolicyViolation(
                f"Column option {_snippet(constraint)} on column {column.name!r} is not allowed."
            )


def alter_table_actions(statement: exp.Expr, context: PolicyContext) -> None:
    """ALTER TABLE only adds, renames or changes columns (drops them with allow={'drop'})."""
    if not isinstance(statement, exp.Alter):
        return
    if statement.args.get("options"):
        raise PolicyViolation("ALTER TABLE options such as ENGINE=... are not allowed.")
    actions = statement.args.get("actions") or []
    if not actions:
        raise PolicyViolation("ALTER TABLE needs an action such as ADD COLUMN.")
    for action in actions:
        if isinstance(action, exp.ColumnDef):
            _check_column_options(action)
        elif isinstance(action, exp.RenameColumn | exp.ModifyColumn):
            continue
        elif isinstance(action, exp.Drop) and action.kind == "COLUMN":
            if "drop" not in context.allow:
                raise PolicyViolation(
                    f"ALTER TABLE ... {_snippet(action)} is not allowed here: this change "
                    "may not remove data."
                )
        elif isinstance(action, exp.AlterRename):
            raise PolicyViolation("Renaming tables is not allowed.")
        elif isinstance(action, exp.AddConstraint):
            raise PolicyViolation(
                f"ALTER TABLE ... ADD {_snippet(action)} is not allowed: use CREATE INDEX "
                "for indexes; declare keys and constraints when the table is created."
            )
        else:
            raise PolicyViolation(
                f"ALTER TABLE action {_snippet(action)} is not allowed: use ADD COLUMN, "
                "RENAME COLUMN, MODIFY COLUMN or CHANGE COLUMN."
            )


def index_shape(statement: exp.Expr, context: PolicyContext) -> None:
    """CREATE INDEX lists plain columns: no expressions, prefixes, USING or WHERE."""
    if not (isinstance(statement, exp.Create) and statement.kind == "INDEX"):
        return
    index = statement.this
    params = index.args.get("params")
    columns = params.args.get("columns") if params else None
    if not columns:
        raise PolicyViolation("CREATE INDEX must list the indexed columns.")
    for column in columns:
        key_part = column.this if isinstance(column, exp.Ordered) else column
        if not isinstance(key_part, exp.Column):
            raise PolicyViolation(
                f"Index key part {_snippet(key_part)} is not allowed: list plain column names."
            )
    extra = [k for k, v in params.args.items() if v and k not in ("columns", "with_storage")]
    if extra:
        raise PolicyViolation(f"Index option {extra[0]!r} is not allowed in CREATE INDEX.")


def _created_table(statement: exp.Expr) -> exp.Table | None:
    if isinstance(statement, exp.Create) and statement.kind == "TABLE":
        target = statement.this
        return target.this if isinstance(target, exp.Schema) else target
    return None


def _referenced_tables(statement: exp.Expr) -> Iterator[exp.Table]:
    """Table nodes that name tables (not index names in DROP INDEX, not the created table)."""
    created = _created_table(statement)
    skip: set[int] = set()
    if created is not None:
        skip.add(id(created))
    if isinstance(statement, exp.Drop) and statement.kind == "INDEX":
        skip.update(id(table) for table in statement.args.get("tables") or [])
    for table in statement.find_all(exp.Table):
        if id(table) not in skip:
            yield table


def known_tables(statement: exp.Expr, context: PolicyContext) -> None:
    """Every table named exists (case-insensitive); FOREIGN KEYs may name the new table."""
    created = _created_table(statement)
    known = set(context.known_tables)
    known.update(cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE))
    if created is not None:
        if created.name.lower() in context.known_tables and not statement.args.get("exists"):
            raise PolicyViolation(
                f"Table {created.name!r} already exists: use ALTER TABLE to change it."
            )
        known.add(created.name.lower())
    if isinstance(statement, exp.Drop) and statement.kind == "INDEX":
        target = statement.args.get("cluster")
        if not isinstance(target, exp.OnProperty):
            raise PolicyViolation("DROP INDEX must name its table: DROP INDEX i ON t.")
    for table in _referenced_tables(statement):
        if table.name.lower() not in known:
            listed = ", ".join(sorted(context.known_tables)) or "none"
            referrer = table.find_ancestor(exp.Reference)
            what = "FOREIGN KEY references" if referrer else f"{_statement_name(statement)} uses"
            raise PolicyViolation(
                f"{what} unknown table {table.name!r}: known tables are {listed}"
                + (", or the table being created." if referrer else ".")
            )


_NOW_NAMES = frozenset({"NOW", "CURRENT_TIMESTAMP", "LOCALTIMESTAMP"})


def _is_literal(value: exp.Expr) -> bool:
    if isinstance(value, exp.Paren):
        return _is_literal(value.this)
    if isinstance(value, exp.Neg):
        return isinstance(value.this, exp.Literal) and value.this.is_number
    return isinstance(value, exp.Literal | exp.Null | exp.Boolean)


def _is_now(value: exp.Expr) -> bool:
    if isinstance(value, exp.Paren):
        return _is_now(value.this)
    if isinstance(value, exp.CurrentTimestamp | exp.Localtimestamp):
        return True
    return isinstance(value, exp.Anonymous) and value.name.upper() in _NOW_NAMES


def literal_defaults(statement: exp.Expr, context: PolicyContext) -> None:
    """DEFAULT is a literal, CURRENT_TIMESTAMP or NOW(); ON UPDATE is CURRENT_TIMESTAMP."""
    for default in statement.find_all(exp.DefaultColumnConstraint):
        if not (_is_literal(default.this) or _is_now(default.this)):
            column = default.find_ancestor(exp.ColumnDef)
            raise PolicyViolation(
                f"DEFAULT {_snippet(default.this)} on column "
                f"{column.name if column else '?'!r} is not allowed: use a literal value, "
                "CURRENT_TIMESTAMP or NOW()."
            )
    for on_update in statement.find_all(exp.OnUpdateColumnConstraint):
        if not _is_now(on_update.this):
            raise PolicyViolation(
                f"ON UPDATE {_snippet(on_update.this)} is not allowed: only CURRENT_TIMESTAMP."
            )


# --- SELECT rules -----------------------------------------------------------------------------


def select_statement_kind(statement: exp.Expr, context: PolicyContext) -> None:
    """The statement is one query: SELECT, WITH ... SELECT, or set operations of them."""
    if not isinstance(statement, exp.Select | exp.SetOperation):
        raise PolicyViolation(
            f"{_statement_name(statement)} is not allowed here: give one SELECT query."
        )


def known_relations(statement: exp.Expr, context: PolicyContext) -> None:
    """Every table read is one of the given relations (case-insensitive) or a CTE."""
    ctes = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
    for table in statement.find_all(exp.Table):
        name = table.name.lower()
        if name not in context.relations and name not in ctes:
            listed = ", ".join(sorted(context.relations)) or "none"
            raise PolicyViolation(
                f"Unknown relation {table.name!r}: the query may read only {listed}."
            )


_UNRESOLVED = re.compile(r"Column '([^']+)' could not be resolved\b")


def resolvable_columns(statement: exp.Expr, context: PolicyContext) -> None:
    """Every column exists in a relation in scope; unqualified ones in exactly one."""
    _qualified(statement, context)


def _qualified(statement: exp.Expr, context: PolicyContext) -> exp.Expr:
    """A copy of the query with lower-case names and every column qualified by its source
    (`PolicyViolation` naming the column that cannot be resolved)."""
    schema: dict[str, object] = {
        name: {column: "TEXT" for column in columns} for name, columns in context.relations.items()
    }
    tree = statement.copy()
    for identifier in tree.find_all(exp.Identifier):
        identifier.set("this", identifier.name.lower())
    try:
        return qualify(
            tree,
            dialect=DIALECT,
            schema=schema,
            validate_qualify_columns=True,
            quote_identifiers=False,
            identify=False,
        )
    except SqlglotError as exc:
        message = str(exc).split("\n")[0]
        raise PolicyViolation(_column_message(message, statement, context)) from exc


def _column_message(message: str, statement: exp.Expr, context: PolicyContext) -> str:
    used = sorted({t.name.lower() for t in statement.find_all(exp.Table)} & set(context.relations))
    match = _UNRESOLVED.search(message)
    if match:
        column = match.group(1).lower()
        owners = [name for name in used if column in context.relations[name]]
        if len(owners) > 1:
            return (
                f"Column {column!r} is ambiguous: it is in {', '.join(owners)}; qualify it, "
                f"e.g. {owners[0]}.{column}."
            )
    available = "; ".join(f"{name}({', '.join(context.relations[name])})" for name in used)
    return f"{message.rstrip('.')}. Available columns: {available or 'none'}."


MAX_JOINS = 6
"""Joins one query may make (CTEs and subqueries included): a plan folds a few tables into one."""

_KEY_WRAPPERS = (exp.Cast, exp.Trim, exp.Lower, exp.Upper, exp.Paren)


def bounded_joins(statement: exp.Expr, context: PolicyContext) -> None:
    """Every join matches rows by equal columns of the joined source and another source;
    at most `MAX_JOINS` of them. A join without that condition can multiply rows without
    bound (a 6-way self-join of 50 rows makes 15.6 billion)."""
    joins = list(statement.find_all(exp.Join))
    if len(joins) > MAX_JOINS:
        raise PolicyViolation(
            f"The query makes {len(joins)} joins; at most {MAX_JOINS} are allowed: load "
            "the other columns in a table of their own."
        )
    for join in joins:
        _check_join_shape(join)
    if joins:
        _check_join_keys(_qualified(statement, context))


def _check_join_shape(join: exp.Join) -> None:
    source = join.this.alias_or_name
    implicit = join.args.get("method") or ("CROSS" if join.args.get("kind") == "CROSS" else None)
    if implicit:
        raise PolicyViolation(
            f"{implicit} JOIN {source} is not allowed: join on equal key columns, e.g. "
            f"JOIN {source} ON {source}.id = other.{source}_id."
        )
    if join.args.get("on") is None and not join.args.get("using"):
        raise PolicyViolation(
            f"The join of {source} has no ON condition (a comma join or a JOIN without ON "
            f"pairs every row with every row): write JOIN {source} ON {source}.<key> = "
            "<other>.<column>."
        )


def _check_join_keys(statement: exp.Expr) -> None:
    for join in statement.find_all(exp.Join):
        on = join.args.get("on")
        if on is None:
            continue  # USING: equal columns of the same name
        source = join.this.alias_or_name.lower()
        if not any(_links(condition, source) for condition in _conjuncts(on)):
            raise PolicyViolation(
                f"The join of {join.this.alias_or_name} ON {_snippet(on)} does not compare a "
                f"column of {join.this.alias_or_name} with a column of another source by "
                "equality (=), so it can pair every row with every row: join on equal key "
                "columns (other conditions may follow with AND)."
            )


def _conjuncts(condition: exp.Expr) -> list[exp.Expr]:
    """The conditions `condition` ANDs together (itself when it is not an AND)."""
    condition = condition.unnest()
    if isinstance(condition, exp.And):
        return [part.unnest() for part in condition.flatten()]
    return [condition]


def _links(condition: exp.Expr, source: str) -> bool:
    """Whether `condition` is `<column of source> = <column of another source>`."""
    if not isinstance(condition, exp.EQ | exp.NullSafeEQ):
        return False
    sides = [_key_column(condition.this), _key_column(condition.expression)]
    if any(side is None for side in sides):
        return False
    tables = {side.table.lower() for side in sides if side is not None}
    return source in tables and len(tables) == 2


def _key_column(node: exp.Expr) -> exp.Column | None:
    while isinstance(node, _KEY_WRAPPERS):
        node = node.this
    return node if isinstance(node, exp.Column) else None


# --- entry points -----------------------------------------------------------------------------

DDL_RULES: tuple[Rule, ...] = (
    ddl_statement_kind,
    create_table_shape,
    alter_table_actions,
    index_shape,
    select_clauses,
    plain_sources,
    valid_identifiers,
    known_tables,
    literal_defaults,
    no_variables,
    allowed_functions,
)

SELECT_RULES: tuple[Rule, ...] = (
    select_statement_kind,
    select_clauses,
    plain_sources,
    valid_identifiers,
    known_relations,
    no_variables,
    allowed_functions,
    no_growing_strings,
    resolvable_columns,
    bounded_joins,
)


def check_ddl(
    sql: str, *, known_tables: Collection[str] = (), allow: Collection[str] = ()
) -> exp.Expr:
    """Check one schema-change statement; return its AST or raise `PolicyViolation`.

    ``known_tables`` are the tables that exist on the target branch; ``allow`` opts in to
    statements that remove or rewrite data (words from `ALLOW_WORDS`).
    """
    words = frozenset(word.lower() for word in allow)
    unknown = words - ALLOW_WORDS
    if unknown:
        raise ValueError(f"Unknown allow words {sorted(unknown)}; use {sorted(ALLOW_WORDS)}.")
    context = PolicyContext(
        known_tables=frozenset(name.lower() for name in known_tables), allow=words
    )
    return _apply(DDL_RULES, sql, context)


def check_select(
    sql: str, *, relations: Mapping[str, Collection[str]]
) -> exp.Select | exp.SetOperation:
    """Check one query over ``relations`` (name -> column names); return its AST or raise."""
    context = PolicyContext(
        relations={
            name.lower(): tuple(column.lower() for column in columns)
            for name, columns in relations.items()
        }
    )
    statement = _apply(SELECT_RULES, sql, context)
    # Narrowing only: select_statement_kind, one of SELECT_RULES, refused everything else.
    assert isinstance(statement, exp.Select | exp.SetOperation)
    return statement


def _apply(rules: tuple[Rule, ...], sql: str, context: PolicyContext) -> exp.Expr:
    statement = parse_one_statement(sql)
    for rule in rules:
        rule(statement, context)
    return statement
