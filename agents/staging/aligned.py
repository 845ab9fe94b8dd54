"""Staged relations that go into one table, given the same columns in the same order.

A plan appends such relations with ``UNION ALL``, which pairs columns by position: two files
with the same columns in another order would have their values swapped, and files with other
columns cannot be appended at all. :func:`align_columns` puts each relation's columns in one
order — by name, over ``__aligned_<relation>``, a view of its raw relation — and, for ``union
by name``, gives each relation the columns only the others have, as NULL.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import duckdb

from agents.staging.names import quote_ident
from agents.staging.relations import StagedRelation, create_relation_view, relation_types


def align_columns(
    con: duckdb.DuckDBPyConnection, relations: Sequence[StagedRelation], *, by_name: bool
) -> list[StagedRelation]:
    """`relations` (top-level ones) with their columns aligned, in the same order.

    ``by_name``: all of them get every column any of them has, in order of first appearance,
    a missing one NULL (of the type another relation reads it as). Otherwise only relations
    with the same set of columns are aligned, to the first one's order.
    """
    groups: dict[frozenset[str], list[StagedRelation]] = {}
    for staged in relations:
        shape = frozenset() if by_name else frozenset(name for name, _ in staged.columns)
        groups.setdefault(shape, []).append(staged)
    aligned: dict[str, StagedRelation] = {}
    for group in groups.values():
        columns = dict(column for staged in reversed(group) for column in staged.columns)
        order = list(dict.fromkeys(name for staged in group for name, _ in staged.columns))
        types = _column_types(con, group)
        for staged in group:
            own = dict(staged.columns)
            wanted = [(name, own.get(name, columns[name])) for name in order]
            aligned[staged.relation] = _aligned(con, staged, wanted, types)
    return [aligned[staged.relation] for staged in relations]


def _column_types(
    con: duckdb.DuckDBPyConnection, group: Sequence[StagedRelation]
) -> dict[str, str]:
    """Each column's type in the first relation that has it."""
    types: dict[str, str] = {}
    for staged in group:
        for name, kind in relation_types(con, staged.raw_relation).items():
            types.setdefault(name, kind)
    return types


def _aligned(
    con: duckdb.DuckDBPyConnection,
    staged: StagedRelation,
    columns: list[tuple[str, str]],
    types: dict[str, str],
) -> StagedRelation:
    if columns == staged.columns:
        return staged
    held = {name for name, _ in staged.columns}
    select = [quote_ident("__record")]
    for name, _ in columns:
        value = quote_ident(name) if name in held else f"CAST(NULL AS {types[name]})"
        select.append(f"{value} AS {quote_ident(name)}")
    raw = f"__aligned_{staged.relation}"
    con.execute(
        f"CREATE OR REPLACE VIEW {quote_ident(raw)} AS "
        f"SELECT {', '.join(select)} FROM {quote_ident(staged.raw_relation)}"
    )
    missing = [name for name, _ in columns if name not in held]
    notes = staged.notes
    if missing:
        notes = (*notes, f"no column {', '.join(missing)} in this file: NULL (union by name)")
    result = dataclasses.replace(staged, raw_relation=raw, columns=columns, notes=notes)
    create_relation_view(con, result)
    return result
