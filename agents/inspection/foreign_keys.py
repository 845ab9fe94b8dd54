"""Foreign-key candidates across staged relations and the tables already on main.

Names propose, values decide. A column is a possible reference when its name ends in ``_id``,
``_key``, ``_code`` or ``_uuid`` (``person_id``, ``person1_id``, ``mother_id``), or equals another
table's primary key column (its first candidate key, e.g. ``isbn``) without being its own
table's key. Its stem (``person`` —
trailing digits dropped) proposes the tables
named like it, singular or plural (``person``, ``persons``, ``people``); a stem that names no
table (``mother``) proposes every table whose key is its own id (``id``, ``<table>_id``), not a
key that is itself a reference (``birthdays.person_id``). Each proposal is then measured in DuckDB
over the whole column: the share of its non-NULL values found in the referenced key. Those with at
least ``min_containment`` are returned, best first.

A name like ``mother_id`` must still be plausible for the table it lands on: when the values are
found in several such tables (``people.id`` and ``shops.id``), only the tables its neighbours
name are kept (``parents.person_id`` names ``people``); with no neighbour to decide, none is.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from agents.artifacts import ForeignKeyCandidate, SourceProfile
from agents.inspection.type_inference import parse_type
from agents.staging.names import quote_ident

_REFERENCE = re.compile(r"(.+?)_(id|key|code|uuid)")
_IRREGULAR = {
    "person": "people",
    "child": "children",
    "man": "men",
    "woman": "women",
    "mouse": "mice",
    "goose": "geese",
    "foot": "feet",
    "tooth": "teeth",
}
_INTEGERS = {"TINYINT", "SMALLINT", "MEDIUMINT", "INT", "INTEGER", "BIGINT"}
_BATCH = 100_000


@dataclass(frozen=True)
class _Key:
    """A single-column key a reference may point at."""

    table: str
    column: str
    existing: bool
    kind: str  # "integer", "text" or "other"; "unknown" for tables on main
    primary: bool  # the table's first key (its primary key on main)

    @property
    def own_id(self) -> bool:
        """Whether the key is the table's own id rather than a reference to another table."""
        if self.column == "id":
            return True
        stem = _reference_stem(self.column)
        return stem is not None and _names_match(stem, self.table)


def find_foreign_keys(
    con: duckdb.DuckDBPyConnection,
    *,
    profiles: Sequence[SourceProfile],
    existing_tables: Mapping[str, Sequence[str]] = {},  # read only
    fetch_existing_values: Callable[[str, str], Iterable[Any]] | None = None,
    min_containment: float = 1.0,
) -> list[ForeignKeyCandidate]:
    """Candidates from every profiled relation's reference-like columns to the known keys."""
    keys = _staged_keys(profiles)
    if fetch_existing_values is not None:
        keys += [
            _Key(table, columns[0], True, "unknown", True)
            for table, columns in existing_tables.items()
            if len(columns) == 1
        ]
    existing = _ExistingValues(con, fetch_existing_values)
    key_columns = {key.column for key in keys if key.primary}
    candidates: list[ForeignKeyCandidate] = []
    for profile in profiles:
        named_here = _tables_named_by(profile, keys)
        for column in profile.columns:
            stem = _reference_stem(column.name)
            if stem is None and column.name not in key_columns:
                continue
            if stem is None and profile.candidate_keys[:1] == [[column.name]]:
                continue  # a table's own key named like another's (`id`, `id`) is no reference
            if column.null_count >= profile.row_count:
                continue
            kind = _kind(column.inferred_type)
            found = []
            for key in _proposals(profile.relation, column.name, stem, kind, keys):
                containment = _containment(con, profile.relation, column.name, kind, key, existing)
                if containment is not None and containment >= min_containment:
                    found.append((containment, key))
            found.sort(key=lambda item: (-item[0], item[1].existing, item[1].table))
            if stem is not None and not any(_names_match(stem, k.table) for _, k in found):
                found = _plausible_by_neighbours(found, named_here)
            candidates += [
                ForeignKeyCandidate(
                    relation=profile.relation,
                    columns=[column.name],
                    references_table=key.table,
                    references_columns=[key.column],
                    existing_table=key.existing,
                    containment=containment,
                )
                for containment, key in found
            ]
    existing.drop()
    return candidates


def named_by_column(candidate: ForeignKeyCandidate) -> bool:
    """Whether the referencing column's name names the referenced table (``team_id`` → teams),
    the strongest sign of a reference; ``lead_id`` → employees is only found by its values."""
    if len(candidate.columns) != 1:
        return False
    stem = _reference_stem(candidate.columns[0])
    return stem is not None and _names_match(stem, candidate.references_table)


def _tables_named_by(profile: SourceProfile, keys: Sequence[_Key]) -> set[str]:
    """The tables that the relation's reference-like columns name (``person_id`` → people)."""
    stems = {s for c in profile.columns if (s := _reference_stem(c.name)) is not None}
    return {key.table for key in keys if any(_names_match(stem, key.table) for stem in stems)}


def _plausible_by_neighbours(
    found: list[tuple[float, _Key]], named_here: set[str]
) -> list[tuple[float, _Key]]:
    """For a name that names no table: the one table holding its values, or among several
    the ones its relation's other columns name; none when nothing tells them apart."""
    if len({key.table for _, key in found}) <= 1:
        return found
    return [(share, key) for share, key in found if key.table in named_here]


def _staged_keys(profiles: Sequence[SourceProfile]) -> list[_Key]:
    keys = []
    for profile in profiles:
        types = {column.name: column.inferred_type for column in profile.columns}
        for position, key in enumerate(profile.candidate_keys):
            if len(key) == 1:
                kind = _kind(types[key[0]])
                keys.append(_Key(profile.relation, key[0], False, kind, position == 0))
    return keys


def _proposals(
    relation: str, column: str, stem: str | None, kind: str, keys: list[_Key]
) -> list[_Key]:
    """Keys the column's name proposes; by name if any table matches it, else own-id keys."""
    others = [key for key in keys if (key.table, key.column) != (relation, column)]
    if stem is not None:
        named = [key for key in others if _names_match(stem, key.table)]
        if named:
            own = [key for key in named if key.own_id]
            return own or named
        return [key for key in others if key.own_id and _comparable(kind, key.kind)]
    return [
        key
        for key in others
        if key.primary and key.column == column and _comparable(kind, key.kind)
    ]


def _reference_stem(name: str) -> str | None:
    """``person1_id`` -> ``person``; None for a name that does not look like a reference."""
    match = _REFERENCE.fullmatch(name)
    if not match:
        return None
    stem = match.group(1).rstrip("0123456789_")
    return stem or None


def _forms(word: str) -> set[str]:
    """A word and its plausible singular and plural forms."""
    forms = {word, f"{word}s", f"{word}es"}
    if word.endswith("y"):
        forms.add(f"{word[:-1]}ies")
    if word.endswith("ies"):
        forms.add(f"{word[:-3]}y")
    if word.endswith("es"):
        forms.add(word[:-2])
    if word.endswith("s"):
        forms.add(word[:-1])
    for singular, plural in _IRREGULAR.items():
        if word in (singular, plural):
            forms |= {singular, plural}
    return forms


def _names_match(stem: str, table: str) -> bool:
    return table in _forms(stem) or stem in _forms(table)


def _kind(mysql_type: str) -> str:
    base = parse_type(mysql_type)[0]
    if base in _INTEGERS:
        return "integer"
    if base in ("VARCHAR", "CHAR", "TEXT"):
        return "text"
    return "other"


def _comparable(kind: str, key_kind: str) -> bool:
    return key_kind == "unknown" or kind == key_kind


class _ExistingValues:
    """Key values of tables on main, loaded once each into DuckDB temp tables."""

    def __init__(
        self,
        con: duckdb.DuckDBPyConnection,
        fetch: Callable[[str, str], Iterable[Any]] | None,
    ) -> None:
        self._con = con
        self._fetch = fetch
        self._tables: dict[tuple[str, str], tuple[str, str]] = {}

    def table(self, key: _Key) -> tuple[str, str]:
        """The temp table holding ``key``'s values and their DuckDB type."""
        if (key.table, key.column) not in self._tables:
            assert self._fetch is not None
            name = f"__fk_values_{len(self._tables)}"
            values = list(self._fetch(key.table, key.column))
            integers = all(
                isinstance(value, int) and not isinstance(value, bool) for value in values
            )
            type_ = "HUGEINT" if integers else "VARCHAR"
            self._con.execute(f"CREATE OR REPLACE TEMP TABLE {quote_ident(name)} (v {type_})")
            for start in range(0, len(values), _BATCH):
                batch = values[start : start + _BATCH]
                if not integers:
                    batch = [None if value is None else str(value) for value in batch]
                self._con.execute(
                    f"INSERT INTO {quote_ident(name)} SELECT unnest($values::{type_}[])",
                    {"values": batch},
                )
            self._tables[(key.table, key.column)] = (name, type_)
        return self._tables[(key.table, key.column)]

    def drop(self) -> None:
        for name, _ in self._tables.values():
            self._con.execute(f"DROP TABLE IF EXISTS {quote_ident(name)}")


def _containment(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    column: str,
    kind: str,
    key: _Key,
    existing: _ExistingValues,
) -> float | None:
    """Share of the column's non-NULL values found among the key's values (row-weighted)."""
    value = quote_ident(column)
    cast: str | None
    if key.existing:
        table, type_ = existing.table(key)
        reference = f"SELECT DISTINCT v FROM {quote_ident(table)}"
        cast = type_ if not (type_ == "HUGEINT" and kind != "integer") else "VARCHAR"
        if cast == "VARCHAR":
            reference = f"SELECT DISTINCT CAST(v AS VARCHAR) AS v FROM {quote_ident(table)}"
    else:
        same = kind == key.kind
        cast = None if same else "VARCHAR"
        target = quote_ident(key.column) if same else f"CAST({quote_ident(key.column)} AS VARCHAR)"
        reference = f"SELECT DISTINCT {target} AS v FROM {quote_ident(key.table)}"
    source = f"CAST({value} AS {cast})" if cast else value
    row = con.execute(
        f"SELECT count(*), count(r.v) FROM (SELECT {source} AS v FROM {quote_ident(relation)} "
        f"WHERE {value} IS NOT NULL) AS s LEFT JOIN ({reference}) AS r ON s.v = r.v"
    ).fetchone()
    if row is None or row[0] == 0:
        return None
    return row[1] / row[0]
