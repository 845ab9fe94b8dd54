"""Validation of database, branch and identifier names.

Branch names follow git's ref rules (``git check-ref-format``); database names are
stricter because they become file names (doltlite) and database names (Dolt sql-server).
"""

from __future__ import annotations

import re

from dolt.errors import InvalidName

_DATABASE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}\Z")
_BRANCH_FORBIDDEN_CHARS = re.compile(r"[\x00-\x20\x7f~^:?*\[\\]")
_IDENTIFIER_MAX = 64


def validate_database_name(name: str) -> str:
    """Return `name` if it is a usable database name, else raise `InvalidName`."""
    if not isinstance(name, str) or not _DATABASE_NAME.match(name):
        raise InvalidName(
            f"Database name {name!r} is not allowed: use a letter followed by up to 63 "
            "letters, digits, '_' or '-'."
        )
    return name


def validate_branch_name(name: str) -> str:
    """Return `name` if it is a valid git ref name for a branch, else raise `InvalidName`."""
    problem = _branch_name_problem(name)
    if problem:
        raise InvalidName(f"Branch name {name!r} is not allowed: {problem}.")
    return name


def _branch_name_problem(name: object) -> str | None:
    if not isinstance(name, str) or not name:
        return "it is empty"
    if len(name) > 200:
        return "it is longer than 200 characters"
    if _BRANCH_FORBIDDEN_CHARS.search(name):
        return "it contains a space, a control character or one of ~ ^ : ? * [ \\"
    if name.startswith(("-", "/")) or name.endswith(("/", ".")):
        return "it starts with '-' or '/', or ends with '/' or '.'"
    if ".." in name or "//" in name or "@{" in name or name == "@":
        return "it contains '..', '//' or '@{', or is '@'"
    if any(part.startswith(".") or part.endswith(".lock") for part in name.split("/")):
        return "a component starts with '.' or ends with '.lock'"
    if name == "HEAD":
        return "HEAD is reserved"
    return None


def validate_identifier(name: str, *, kind: str = "identifier") -> str:
    """Return `name` if it can be used (quoted) as a table or column name."""
    if not isinstance(name, str) or not name or len(name) > _IDENTIFIER_MAX:
        raise InvalidName(f"The {kind} name {name!r} must have 1 to {_IDENTIFIER_MAX} characters.")
    if any(ord(ch) < 0x20 or ch == "\x7f" for ch in name) or name != name.strip():
        raise InvalidName(
            f"The {kind} name {name!r} has control characters or leading/trailing spaces."
        )
    if name.lower().startswith(("dolt_", "sqlite_")):
        raise InvalidName(f"The {kind} name {name!r} uses a reserved prefix (dolt_, sqlite_).")
    return name


def quote_identifier(name: str, *, quote: str = '"', check: bool = True) -> str:
    """Quote an identifier for SQL; the quote character inside is doubled.

    `check=False` is for the layer's own system names (`dolt_diff_<table>`), whose table part
    was validated already.
    """
    if check:
        validate_identifier(name)
    elif "\x00" in name:
        raise InvalidName("An identifier cannot contain NUL.")
    return quote + name.replace(quote, quote * 2) + quote
