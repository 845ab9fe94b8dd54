"""The request grammar's override phrases: how to read the files (delimiter, null markers,
header row, sheets, except, union by name, which JSON list) and what to do with the tables
(key types, foreign keys, renames, tables left out, columns added elsewhere), plus filters whose
column the data decides (`just the Gentoo penguins`, `only 2000 and later`).

Each is a clause pattern and a handler that fills `ReadOptions`, `SchemaOverrides` or
`ValueFilter`s of the request; `agents.stages.grammar` reads them wherever a clause may stand.
"""

from __future__ import annotations

import re
from typing import Literal

from agents.artifacts import ColumnMove, ColumnType, Reference, Rename, ValueFilter
from agents.stages.grammar_request import _DELIMITER_NAMES, _Found, _Handler
from agents.stages.grammar_text import (
    _CLAUSE_WORD,
    _LIST_SEP,
    _NAME,
    _ONLY,
    _PATH,
    _PATH_SEP,
    _QUOTED,
    _QUOTES,
    _checked_name,
    _clause,
    _is_quoted,
    _not_understood,
    _Text,
    _unquote,
)
from dolt.sql.names import validate_identifier

# Override phrases: lists of values (markers, globs, sheets, tables) stop at a clause word.
_ITEM = rf"(?!{_CLAUSE_WORD}(?:[\s,]|$)){_PATH}"


def _items(name: str, item: str = _ITEM) -> str:
    return rf"(?P<{name}>{item}(?:{_LIST_SEP}{item})*)"


# A file glob or name: quoted, or with one of * ? . / in it ("except *_old.csv")
_GLOB = rf"(?:{_QUOTED}|(?=[^\s,\"'`]*[*?./])[^\s,\"'`]+)"


_EXCEPT_WORDS = r"(?:except(?:\s+for)?|excluding|but\s+not|other\s+than)"
_EXCEPT_IN_SOURCES = re.compile(
    rf"[\s,]+{_EXCEPT_WORDS}\s+(?:the\s+files?\s+)?{_items('globs', _GLOB)}\s*$", re.I
)
_JSON_LIST_OF = re.compile(rf"(?:the\s+)?(?P<list>{_NAME})\s+list\s+(?:of|from|in)\s+", re.I)
_SQL_TYPE = r"[a-z]+(?:\s*\(\s*\d+(?:\s*,\s*\d+)?\s*\))?(?:\s+unsigned)?"
_TYPE_NAMES = frozenset(
    [
        "tinyint",
        "smallint",
        "mediumint",
        "int",
        "integer",
        "bigint",
        "decimal",
        "numeric",
        "float",
        "double",
        "real",
        "bool",
        "boolean",
        "date",
        "datetime",
        "timestamp",
        "time",
        "year",
        "char",
        "varchar",
        "text",
        "tinytext",
        "mediumtext",
        "longtext",
        "json",
        "blob",
        "binary",
        "varbinary",
    ]
)
_NEEDS_LENGTH = frozenset({"char", "varchar", "binary", "varbinary"})
_DELIMITER_NAME = r"(?:tab|comma|semicolon|pipe|space)"
_DEFAULT_NULL_MARKERS = ("NA", "N/A", "NULL", "null", "NaN", "-", ".")
_YEAR_WORDS = {
    "later": ">=",
    "after": ">=",
    "newer": ">=",
    "earlier": "<=",
    "before": "<=",
    "older": "<=",
}
_YEAR_PREPOSITIONS = {"since": ">=", "from": ">=", "after": ">", "before": "<", "until": "<="}
_ROWS = r"(?:(?:the\s+)?(?:rows|records|entries|data|years?)\s+)?"


def _sets_option(options: Literal["read", "overrides"], name: str, value: object) -> _Handler:
    def handler(part: _Text, match: re.Match[str], found: _Found) -> int:
        found.settle_option(getattr(found, options), name, value)
        return match.end()

    return handler


# Override handlers --------------------------------------------------------------------------
def _names(part: _Text, match: re.Match[str], group: str, kind: str) -> list[str]:
    """The names of a list group, unquoted and checked as identifiers of `kind`."""
    text = part.group(match, group)
    assert text is not None
    return [
        _checked_name(validate_identifier, _unquote(item), kind=kind)
        for item in text.split(_PATH_SEP)
    ]


def _values(part: _Text, match: re.Match[str], group: str) -> list[str]:
    """The values of a list group as written, without their quotes."""
    text = part.group(match, group)
    assert text is not None
    return [_unquote_value(item) for item in text.split(_PATH_SEP)]


def _unquote_value(text: _Text) -> str:
    """A marker or glob: without quotes; a bare `.` or `-` stays what it is."""
    if _is_quoted(text):
        return text.raw[1:-1]
    stripped = text.raw.rstrip("!,")
    return stripped or text.raw


def _column_name(text: str) -> str:
    """`age` or `people.age`, each part checked."""
    table, dot, column = text.rpartition(".")
    if dot:
        _checked_name(validate_identifier, table, kind="table")
    _checked_name(validate_identifier, column, kind="column")
    return text


def _on_type(part: _Text, match: re.Match[str], found: _Found) -> int:
    column = _column_name(_unquote(part.group(match, "column")))
    written = re.sub(r"\s+", " ", re.sub(r"\s*([(),])\s*", r"\1", match["type"].upper()))
    name = re.match(r"[A-Z]+", written)
    assert name is not None
    base = name.group().lower()
    if base not in _TYPE_NAMES:
        raise _not_understood(
            f'"{match["type"]}" is not a MySQL type I know: use INT, BIGINT, DECIMAL(p,s), DOUBLE, '
            "BOOLEAN, DATE, DATETIME, VARCHAR(n) or TEXT, for example."
        )
    if base in _NEEDS_LENGTH and "(" not in written:
        raise _not_understood(f"{written} needs a length, for example {written}(255).")
    said = found.overrides.get("types")
    if isinstance(said, list) and any(t.column == column and t.type != written for t in said):
        raise _not_understood(f"The request gives the column {column} two different types.")
    found.settle_option(found.overrides, "types", [ColumnType(column=column, type=written)])
    return match.end()


def _on_reference(part: _Text, match: re.Match[str], found: _Found) -> int:
    source = _checked_name(validate_identifier, _unquote(part.group(match, "from")), kind="table")
    target = _checked_name(validate_identifier, _unquote(part.group(match, "to")), kind="table")
    reference = Reference(from_table=source, to_table=target)
    found.settle_option(found.overrides, "without_references", [reference])
    return match.end()


def _on_null_markers(part: _Text, match: re.Match[str], found: _Found) -> int:
    group = "markers" if match["markers"] is not None else "markers_as"
    found.settle_option(found.read, "null_markers", _values(part, match, group))
    return match.end()


def _on_text_markers(part: _Text, match: re.Match[str], found: _Found) -> int:
    markers = []
    for value in _values(part, match, "markers"):
        known = [m for m in _DEFAULT_NULL_MARKERS if m == value] or [
            m for m in _DEFAULT_NULL_MARKERS if m.lower() == value.lower()
        ]
        if not known:
            raise _not_understood(
                f'"{value}" is not one of the values read as missing '
                f"({', '.join(_DEFAULT_NULL_MARKERS)}): only these can be kept as text."
            )
        markers.append(known[0])
    found.settle_option(found.read, "text_markers", markers)
    return match.end()


def _on_delimiter(part: _Text, match: re.Match[str], found: _Found) -> int:
    written = part.group(match, "delimiter")
    text = (written.raw if written is not None else match["delimiter_by"] or match["named"]).strip()
    if len(text) >= 3 and text[0] in _QUOTES and text[-1] == text[0]:
        text = text[1:-1]
    delimiter = _DELIMITER_NAMES.get(text.lower().rstrip("s"), text)
    if delimiter == "\\t":
        delimiter = "\t"
    if len(delimiter) != 1 or delimiter in "\"'\r\n" or delimiter.isalnum():
        raise _not_understood(
            f'"{text}" cannot be a delimiter: say tab, comma, semicolon, pipe or one character '
            "such as ;"
        )
    found.settle_option(found.read, "delimiter", delimiter)
    return match.end()


def _on_header(part: _Text, match: re.Match[str], found: _Found) -> int:
    if match["skip"] is not None:
        row = int(match["skip"]) + 1
    else:
        row = int(match["row"] or match["row_after"])
        if row < 1:
            raise _not_understood("Rows count from 1: the header is on row 1 or below.")
    found.settle_option(found.read, "header_row", row)
    return match.end()


def _on_sheets(part: _Text, match: re.Match[str], found: _Found) -> int:
    found.settle_option(found.read, "sheets", _values(part, match, "sheets"))
    return match.end()


def _on_except(part: _Text, match: re.Match[str], found: _Found) -> int:
    found.settle_option(found.read, "exclude", _values(part, match, "globs"))
    return match.end()


def _on_json_list(part: _Text, match: re.Match[str], found: _Found) -> int:
    found.settle_option(found.read, "json_list", _unquote(part.group(match, "list")))
    return match.end()


def _on_rename(part: _Text, match: re.Match[str], found: _Found) -> int:
    kind = "table" if match["kind"].lower() == "table" else "column"
    old = _unquote(part.group(match, "old"))
    old = _column_name(old) if kind == "column" else _checked_name(validate_identifier, old)
    new = _checked_name(validate_identifier, _unquote(part.group(match, "new")), kind=kind)
    found.settle_option(found.overrides, "renames", [Rename(kind=kind, old=old, new=new)])
    return match.end()


def _on_skip_tables(part: _Text, match: re.Match[str], found: _Found) -> int:
    group = next(name for name in ("tables", "tables_", "tables__") if match[name] is not None)
    found.settle_option(found.overrides, "skip_tables", _names(part, match, group, "table"))
    return match.end()


def _on_add_columns(part: _Text, match: re.Match[str], found: _Found) -> int:
    instead = "_instead" if match["columns"] is None else ""
    move = ColumnMove(
        columns=_names(part, match, f"columns{instead}", "column"),
        from_table=_checked_name(
            validate_identifier, _unquote(part.group(match, f"from{instead}")), kind="table"
        ),
        to_table=_checked_name(
            validate_identifier, _unquote(part.group(match, f"to{instead}")), kind="table"
        ),
    )
    found.settle_option(found.overrides, "add_columns", [move])
    return match.end()


def _on_value(part: _Text, match: re.Match[str], found: _Found) -> int:
    value = _unquote_value(part.group(match, "value"))  # type: ignore[arg-type]
    found.value_filters.append(ValueFilter(kind="text", value=value))
    return match.end()


def _on_year(part: _Text, match: re.Match[str], found: _Found) -> int:
    if match["after"] is not None:
        operator = _YEAR_WORDS[match["after"].lower()]
    else:
        operator = _YEAR_PREPOSITIONS[match["preposition"].lower()]
    year = match["year"] or match["year_"]
    found.value_filters.append(ValueFilter(kind="year", operator=operator, value=year))
    return match.end()


_THE = r"(?:(?:the|a|an)\s+)?"
# "don't import rows where ..." is a filter, not a table called rows
_NOT_ROWS = (
    r"(?!(?:rows?|records?|entries|entry|people|persons|data|lines?|any|anything|new|tables?)\b)"
)
_OVERRIDE_CLAUSES: tuple[tuple[re.Pattern[str], _Handler], ...] = (
    (
        _clause(
            rf"(?:(?:set|use)\s+)?(?:the\s+)?type\s+(?:of\s+)?(?P<column>{_NAME})\s+"
            rf"(?:(?:to|as|is)\s+)?(?P<type>{_SQL_TYPE})"
        ),
        _on_type,
    ),
    (
        _clause(
            r"(?:no|without(?:\s+any)?|(?:don't|do\s+not|never)\s+(?:add|create|propose|make)"
            r"(?:\s+any)?)\s+foreign\s+keys?(?:\s+constraints?)?"
        ),
        _sets_option("overrides", "foreign_keys", False),
    ),
    (
        _clause(
            rf"(?:without|no|drop|remove|(?:don't|do\s+not)\s+(?:add|create|propose))\s+{_THE}"
            rf"(?:reference|foreign\s+key|link)\s+from\s+(?:the\s+)?(?P<from>{_NAME})\s+to\s+"
            rf"(?:the\s+)?(?P<to>{_NAME})"
        ),
        _on_reference,
    ),
    (
        _clause(
            rf"(?:(?:with|use|using)\s+)?(?:the\s+)?(?:null|missing)(?:[\s-]+values?)?\s+"
            rf"markers?(?:\s*:\s*|\s+(?:are\s+|is\s+)?){_items('markers')}"
            rf"|(?:treat|read)\s+{_items('markers_as')}\s+as\s+(?:missing|null|empty)(?:\s+values?)?"
        ),
        _on_null_markers,
    ),
    (
        _clause(rf"keep\s+{_items('markers')}\s+as\s+(?:text|strings?|a\s+string)"),
        _on_text_markers,
    ),
    (
        _clause(
            rf"(?:the\s+)?(?:field\s+)?(?:delimiter|separator)(?:\s*:\s*|\s+(?:is\s+)?)"
            rf"(?P<delimiter>{_DELIMITER_NAME}|\\t|\"[^\"]+\"|'[^']+'|`[^`]+`|[^\w\s\"'`])"
            rf"|(?:delimited|separated)\s+by\s+{_THE}(?P<delimiter_by>{_DELIMITER_NAME}s?)"
            rf"|(?P<named>{_DELIMITER_NAME})[\s-]separated(?:\s+values)?"
        ),
        _on_delimiter,
    ),
    (
        _clause(
            r"(?:(?:with|using)\s+)?(?:a\s+)?decimal\s+commas?"
            r"|(?:a\s+)?commas?\s+as\s+(?:the\s+)?decimal\s+(?:separator|point|mark)"
        ),
        _sets_option("read", "decimal_comma", True),
    ),
    (
        _clause(
            r"(?:the\s+)?header\s+(?:is\s+)?(?:on|in|at)\s+(?:row|line)\s+(?P<row>\d+)"
            r"|(?:the\s+)?header\s+row\s+(?:is\s+)?(?P<row_after>\d+)"
            r"|skip\s+(?:the\s+)?(?:first\s+|top\s+)?(?P<skip>\d+)\s+(?:rows?|lines?)"
            r"(?:\s+at\s+the\s+top)?"
        ),
        _on_header,
    ),
    (
        _clause(
            r"(?:(?:import|load|use|read)\s+)?(?:all|every|each)\s+(?:the\s+)?(?:of\s+the\s+)?sheets?"
            r"|one\s+table\s+(?:per|for\s+each)\s+sheet"
        ),
        _sets_option("read", "all_sheets", True),
    ),
    (
        _clause(
            rf"(?:(?:only|just)\s+)?(?:(?:import|load|use|read|from)\s+)?(?:the\s+)?sheets?"
            rf"(?:\s*:\s*|\s+(?:(?:named|called)\s+)?){_items('sheets')}"
        ),
        _on_sheets,
    ),
    (_clause(rf"{_EXCEPT_WORDS}\s+(?:the\s+files?\s+)?{_items('globs', _GLOB)}"), _on_except),
    (
        _clause(
            rf"(?:(?:only|just)\s+)?(?:(?:import|load|take|use)\s+)?the\s+(?P<list>{_NAME})\s+"
            r"list(?:\s+(?:of|from|in)\s+(?:the\s+)?(?:file|json))?"
        ),
        _on_json_list,
    ),
    (
        _clause(
            r"(?:union|combine|merge)(?:\s+(?:them|the\s+files))?\s+by\s+(?:column\s+)?names?"
            r"|(?:match|align)\s+(?:the\s+)?columns\s+by\s+name"
        ),
        _sets_option("read", "union_by_name", True),
    ),
    (
        _clause(
            rf"rename\s+(?:the\s+)?(?P<kind>table|column)\s+(?P<old>{_NAME})\s+(?:to|as|into)\s+"
            rf"(?P<new>{_NAME})"
        ),
        _on_rename,
    ),
    (
        _clause(
            rf"(?:don't|do\s+not|never)\s+(?:import|load|create)\s+(?:the\s+)?(?:tables?\s+)?"
            rf"{_NOT_ROWS}{_items('tables')}(?:\s+tables?)?"
            rf"|skip\s+(?:the\s+)?tables?\s+{_items('tables_')}"
            rf"|skip\s+the\s+{_NOT_ROWS}{_items('tables__')}\s+tables?"
        ),
        _on_skip_tables,
    ),
    (
        _clause(
            rf"add\s+{_THE}{_items('columns')}(?:\s+columns?)?\s+from\s+(?:the\s+)?"
            rf"(?P<from>{_NAME})(?:\s+table)?\s+to\s+(?:the\s+)?(?P<to>{_NAME})(?:\s+table)?"
            rf"|instead\s+of\s+(?:creating|making)\s+{_THE}(?P<from_instead>{_NAME})"
            rf"(?:\s+table)?\s*,?\s+(?:just\s+)?add\s+{_THE}{_items('columns_instead')}"
            rf"(?:\s+columns?)?\s+to\s+(?:the\s+)?(?P<to_instead>{_NAME})(?:\s+table)?"
        ),
        _on_add_columns,
    ),
    (
        _clause(
            rf"{_ONLY}{_ROWS}(?:from\s+)?(?P<year>\d{{4}})\s+(?:and|or)\s+"
            r"(?P<after>later|after|newer|earlier|before|older)"
            rf"|{_ONLY}{_ROWS}(?P<preposition>since|from|after|before|until)\s+(?P<year_>\d{{4}})"
            r"(?:\s+on(?:wards?)?)?"
        ),
        _on_year,
    ),
    (
        _clause(
            rf"(?:only|just)\s+(?:(?:import|load|keep|include)\s+)?(?:the\s+)?"
            rf"(?P<value>{_QUOTED}|(?-i:[A-Z])[\w-]*)\s+(?-i:[a-z])\w*"
        ),
        _on_value,
    ),
)
