"""A job's error as people read it: no server paths, no raw engine errors, no traceback.

The full text stays in the worker's log for operators; what a person sees (the thread's failure
message, the terminal's `error:` line, the job's stored error) goes through `in_plain_words`.
It is pure and idempotent: words already plain pass through unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePath, PurePosixPath

_TRACEBACK = "Traceback (most recent call last):"
# An absolute POSIX path of two or more parts, not inside a URL or a word ("rows/s", "/import")
_ABSOLUTE_PATH = re.compile(r"(?<![\w:/.~-])(/(?:[\w.@+-]+/)+[\w.@+-]*[\w@+-])")
# A Python exception's qualified name before its message: "sqlite3.OperationalError: "
_PYTHON_EXCEPTION = re.compile(r"^((?:[a-z_]\w*\.)*)([A-Z]\w*(?:Error|Exception|Warning)): ?")
_DB_API = frozenset(
    {"OperationalError", "ProgrammingError", "IntegrityError", "DataError", "DatabaseError"}
    | {"InternalError", "NotSupportedError", "InterfaceError"}
)
_DB_MODULES = ("sqlite3.", "pymysql.", "mysql.", "MySQLdb.")
_ERRNO = re.compile(r"^\[Errno \d+\] ")
# MySQL (and Dolt's SQL server) as drivers say it: `(1054, "Unknown column …")`, `Error 1105
# (HY000): …`, `ERROR 1146 (42S02): …`
_MYSQL_TUPLE = re.compile(r"""^\((\d{4}), ?(['"])(.*)\2\)$""", re.S)
_MYSQL_CODE = re.compile(r"^(?:ERROR|Error) \d{4}(?: \([0-9A-Z]{5}\))?: ?")
# DuckDB's kinds of error and what each means for the import
_ENGINE_KINDS: dict[str, str] = {
    "Binder Error": "A name in the import does not match the data",
    "Catalog Error": "A table, column or function it names does not exist",
    "Parser Error": "An expression in the import could not be read",
    "Conversion Error": "A value could not be converted to its column's type",
    "Invalid Input Error": "A file could not be read as its format says",
    "Constraint Error": "A row breaks a rule of the table (a key or a required value)",
    "IO Error": "A file could not be opened or read",
    "Out of Memory Error": "The import needed more memory than the worker has",
    "Mismatch Type Error": "A value has another type than its column",
    "Not implemented Error": "The import asks for something the reader cannot do",
    "Invalid Error": "The import asks for something that cannot be done",
    "Serialization Error": "Two changes to the same rows collided",
}
_ENGINE_KIND = re.compile(r"^((?:[A-Z][a-z]*|IO)(?: [A-Za-z]+)*? Error): ?")
# "Reading people.csv failed: Binder Error: …": what comes before the engine's part is kept
_LEAD = re.compile(
    r"^(.*?: )(?=(?:[a-z_]\w*\.)*[A-Z]\w*(?:Error|Exception): "
    r"|[A-Z][A-Za-z ]*? Error: |\(\d{4}, |(?:ERROR|Error) \d{4})"
)
_MISSING_COLUMN = re.compile(
    r'Referenced column "?([^"]+?)"? not found(?: in FROM clause)?!?'
    r"(?:\s*Candidate bindings: (.*))?"
)
_CONVERSION = re.compile(r"Could not convert string '(.*)' to '?([A-Z][A-Z0-9_]*)'?", re.S)
_TYPE_WORDS = {
    **dict.fromkeys(
        ("INT8", "INT16", "INT32", "INT64", "INT128", "TINYINT", "SMALLINT", "INTEGER"),
        "a whole number",
    ),
    **dict.fromkeys(("BIGINT", "HUGEINT", "UINT8", "UINT16", "UINT32", "UINT64"), "a whole number"),
    **dict.fromkeys(("FLOAT", "DOUBLE", "DECIMAL", "REAL", "NUMERIC"), "a number"),
    "DATE": "a date",
    "TIMESTAMP": "a date and time",
    "TIME": "a time of day",
    "BOOLEAN": "true or false",
    "UUID": "a UUID",
}
_DATABASE_REFUSED = "The database refused it"
_CUT = 600


def in_plain_words(text: str | None, *, roots: Sequence[str | PurePath] = ()) -> str:
    """`text` for people: a traceback reduced to its last line, absolute paths shortened (to
    the path under one of `roots`, else to the file's name), a raw engine error (DuckDB's
    "Binder Error:", sqlite3's "OperationalError", MySQL's error codes) said as what it means
    with the engine's own detail after it, and cut to 600 characters."""
    if not text:
        return ""
    said = _without_traceback(text.strip())
    said = _ABSOLUTE_PATH.sub(lambda found: _short_path(found.group(1), roots), said)
    said = "\n".join(_engine_line(line) for line in said.split("\n"))
    return said if len(said) <= _CUT else said[: _CUT - 1].rstrip() + "…"


def _without_traceback(text: str) -> str:
    """A traceback's last line (the exception and its message); other text as it is, less any
    `LINE 1: …` / caret lines an engine appends after its message."""
    if _TRACEBACK in text:
        before, _, trace = text.partition(_TRACEBACK)
        lines = [line for line in trace.strip().split("\n") if line and not line[0].isspace()]
        last = lines[-1] if lines else ""
        text = f"{before.strip()} {last}".strip() if before.strip() else last
    kept = [
        line
        for line in text.split("\n")
        if not re.match(r"^\s*(LINE \d+:|\^)", line) and not line.startswith("  File ")
    ]
    # DuckDB's hints follow on lines of their own: kept with the sentence they belong to
    return re.sub(r"\n+(?=Candidate bindings:|Did you mean)", " ", "\n".join(kept).strip())


def _short_path(path: str, roots: Sequence[str | PurePath]) -> str:
    absolute = PurePosixPath(path)
    for root in roots:
        try:
            inside = absolute.relative_to(PurePosixPath(str(root)))
        except ValueError:
            continue
        if inside.parts:
            return str(inside)
    return absolute.name or path


def _engine_line(line: str) -> str:
    """One line with an engine's raw prefix replaced by what it means."""
    prefix, rest = "", line
    # "Reading people.csv failed: Binder Error: …": the prefix kept, the engine part said
    lead = _LEAD.match(line)
    if lead and not _ENGINE_KIND.match(line) and not _PYTHON_EXCEPTION.match(line):
        prefix, rest = lead.group(1), line[lead.end() :]
    python = _PYTHON_EXCEPTION.match(rest)
    if python:
        module, name = python.groups()
        rest = _ERRNO.sub("", rest[python.end() :])
        said = _engine_line(rest)
        from_database = name in _DB_API or module.startswith(_DB_MODULES)
        if said == rest and from_database:
            said = f"{_DATABASE_REFUSED}: {_detail(rest)}"
        return prefix + said
    mysql = _MYSQL_TUPLE.match(rest)
    if mysql:
        return f"{prefix}{_DATABASE_REFUSED}: {_detail(mysql.group(3))}"
    code = _MYSQL_CODE.match(rest)
    if code:
        return f"{prefix}{_DATABASE_REFUSED}: {_detail(rest[code.end() :])}"
    kind = _ENGINE_KIND.match(rest)
    if kind and kind.group(1) in _ENGINE_KINDS:
        detail = rest[kind.end() :]
        # DuckDB wraps errors: "… threw an exception. Error: JSON exceeds …" — the last one
        detail = detail.rsplit("Error: ", 1)[-1] if "Error: " in detail else detail
        return f"{prefix}{_ENGINE_KINDS[kind.group(1)]}: {_detail(detail)}"
    return line


def _detail(detail: str) -> str:
    """An engine's own sentence, made a little plainer."""
    detail = detail.strip()
    column = _MISSING_COLUMN.match(detail)
    if column:
        said = f'there is no column "{column.group(1)}"'
        if column.group(2):
            said += f" (the closest: {column.group(2).strip().rstrip('.')})"
        return said
    conversion = _CONVERSION.match(detail)
    if conversion and conversion.group(2) in _TYPE_WORDS:
        return f"'{conversion.group(1)}' is not {_TYPE_WORDS[conversion.group(2)]}"
    detail = _ERRNO.sub("", detail)
    return re.sub(r"! (?=Did you mean)", ". ", detail).rstrip("!") or "(no detail)"
