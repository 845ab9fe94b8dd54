"""Names in DuckDB SQL: quoted identifiers and literals, and the snake_case names of columns.

Every relation and column a file is staged as is named here: :func:`sanitize_name` turns a
header into ASCII snake_case, :func:`unique_name` numbers duplicates, :func:`column_names` does
both for a row of headers; :func:`quote_ident` and :func:`sql_literal` put names and text into
SQL for the few statements that take no parameters.
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
        if not name:
            name = f"column_{position}"
        elif name[0].isdigit():
            name = sanitize_name(f"c_{name}")
        name = unique_name(name, taken)
        taken.add(name)
        names.append(name)
    return names
