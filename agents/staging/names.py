"""Names in DuckDB SQL: quoted identifiers and literals, and the snake_case names of columns.

Every relation and column a file is staged as is named here: :func:`sanitize_name` turns a
header into ASCII snake_case, :func:`usable_name` prefixes names that start with a digit or
with a prefix Dolt and SQLite keep for themselves (:func:`is_reserved`), :func:`unique_name`
numbers duplicates, :func:`column_names` does all three for a row of headers; :func:`quote_ident`
and :func:`sql_literal` put names and text into SQL for the few statements that take no
parameters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection


def quote_ident(name: str) -> str:
    """A DuckDB identifier, quoted."""
    return '"' + name.replace('"', '""') + '"'


def sql_literal(text: str) -> str:
    """A DuckDB string literal, for the few places that take no parameters (views, SET)."""
    return "'" + text.replace("'", "''") + "'"


def sanitize_name(text: str, *, max_length: int = 64) -> str:
    """``First Name`` -> ``first_name``: ASCII snake_case, runs of anything else become one ``_``.

    camelCase is split (``PersonID`` -> ``person_id``), accents are dropped (``é`` -> ``e``,
    ``ß`` -> ``ss``). The result never starts or ends with ``_`` (names beginning with ``_`` are
    ours), may start with a digit (callers prefix), and may be empty.
    """
    text = unicodedata.normalize("NFKD", text.replace("ß", "ss").replace("ẞ", "SS"))
    text = text.encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", text)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", text)
    text = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return text[:max_length].rstrip("_")


RESERVED_PREFIXES = ("dolt_", "sqlite_", "importbot_")
"""Table and column names with these prefixes (any case) are Dolt's, SQLite's and this
product's own (its ledger, `importbot_imports`)."""


def is_reserved(name: str) -> bool:
    """Whether ``name`` starts with a prefix Dolt, SQLite or this product keeps for itself
    (any case)."""
    return name.lower().startswith(RESERVED_PREFIXES)


def usable_name(name: str, *, prefix: str, max_length: int = 64) -> str:
    """``name``, or ``<prefix>_name`` when it starts with a digit or a reserved prefix."""
    if name and (name[0].isdigit() or is_reserved(name)):
        return f"{prefix}_{name}"[:max_length].rstrip("_")
    return name


def renamed_because_reserved(name: str, original: str, *, prefix: str) -> bool:
    """Whether staged ``name`` is ``original`` (a header or file name) prefixed for a reserved
    prefix by :func:`usable_name`."""
    return name.startswith(f"{prefix}_") and is_reserved(sanitize_name(original))


def unique_name(name: str, taken: Collection[str], *, max_length: int = 64) -> str:
    """``name``, or ``name_2``, ``name_3``... the first not in ``taken``."""
    if name not in taken:
        return name
    number = 2
    while True:
        suffix = f"_{number}"
        candidate = name[: max_length - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        number += 1


def column_names(headers: list[str | None], *, reserved: Collection[str] = ()) -> list[str]:
    """Staged names for file headers: sanitised, ``column_<n>`` for blanks, duplicates numbered."""
    names: list[str] = []
    taken = set(reserved)
    for position, header in enumerate(headers, start=1):
        name = sanitize_name(header or "")
        name = usable_name(name, prefix="c") if name else f"column_{position}"
        name = unique_name(name, taken)
        taken.add(name)
        names.append(name)
    return names
