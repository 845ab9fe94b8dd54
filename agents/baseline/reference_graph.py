"""Which foreign-key candidates a schema proposal declares.

New tables are created and loaded parents first, so the references between them must form no
cycle (``employees.team_id → teams`` with ``teams.lead_id → employees``): such a pair can be
neither created nor loaded table by table. The candidates are taken strongest first — the
column names the table it refers to (``team_id`` → ``teams``), then the share of values found —
and one that would close a cycle is left out, as is a table's reference to itself (its rows may
come before the rows they refer to). A note says which, so the person can see it.

Before that, a reference is kept only to the referenced table's key — the column a database can
check a reference against (``disasters.year`` → ``global_temp.year``, a table with no key,
would refuse every row) — and only where the person did not say otherwise (``no foreign
keys``, ``without the reference from X to Y``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from agents.artifacts import ForeignKeyCandidate, SchemaOverrides
from agents.inspection.foreign_keys import named_by_column

TableOf = Callable[[str], str | None]  # staged relation -> the new table it feeds, if any
KeyOf = Callable[[str], Sequence[str]]  # table -> its primary key columns ([] if none)


def keyed_references(
    candidates: Sequence[ForeignKeyCandidate], *, table_of: TableOf, key_of: KeyOf
) -> tuple[list[ForeignKeyCandidate], list[str]]:
    """(the candidates that refer to their table's key; notes on the others)."""
    kept: list[ForeignKeyCandidate] = []
    notes: list[str] = []
    for fk in candidates:
        parent = fk.references_table if fk.existing_table else table_of(fk.references_table)
        key = list(key_of(parent)) if parent is not None else []
        if key == list(fk.references_columns):
            kept.append(fk)
            continue
        child = table_of(fk.relation) or fk.relation
        shown = parent or fk.references_table
        why = f"the key of {shown} is {', '.join(key)}" if key else f"{shown} has no key"
        notes.append(
            f"{_reference(child, fk, shown)} is not declared as a foreign key: {why}, and a "
            "reference must name its table's key."
        )
    return kept, notes


def requested_references(
    candidates: Sequence[ForeignKeyCandidate],
    *,
    overrides: SchemaOverrides,
    table_of: TableOf,
) -> tuple[list[ForeignKeyCandidate], list[str]]:
    """(the candidates the person did not leave out; notes on those left out, as asked)."""
    kept: list[ForeignKeyCandidate] = []
    notes: list[str] = []
    for fk in candidates:
        child = table_of(fk.relation) or fk.relation
        parent = (
            fk.references_table
            if fk.existing_table
            else table_of(fk.references_table) or fk.references_table
        )
        if references_wanted(child, parent, overrides):
            kept.append(fk)
        else:
            notes.append(f"{_reference(child, fk, parent)} is not declared, as asked.")
    return kept, notes


def references_wanted(child: str, parent: str, overrides: SchemaOverrides) -> bool:
    """Whether a reference from table `child` to table `parent` may be declared."""
    if not overrides.foreign_keys:
        return False
    return not any(
        left.from_table.lower() == child.lower() and left.to_table.lower() == parent.lower()
        for left in overrides.without_references
    )


def declarable_foreign_keys(
    candidates: Sequence[ForeignKeyCandidate], *, table_of: TableOf
) -> tuple[list[ForeignKeyCandidate], list[str]]:
    """(the candidates to declare, in their given order; notes on those left out)."""
    ranked = sorted(
        range(len(candidates)),
        key=lambda i: (not named_by_column(candidates[i]), -candidates[i].containment, i),
    )
    parents: dict[str, set[str]] = {}
    kept: set[int] = set()
    notes: list[str] = []
    for index in ranked:
        fk = candidates[index]
        child = table_of(fk.relation)
        parent = None if fk.existing_table else table_of(fk.references_table)
        if child is None or parent is None:
            kept.add(index)  # a reference to a table on main: it exists already
            continue
        if parent == child:
            notes.append(
                f"{_reference(child, fk, parent)} is not declared as a foreign key: a table's "
                "rows may come before the rows of the same table they refer to."
            )
            continue
        if _depends_on(parents, parent, child):
            notes.append(
                f"{_reference(child, fk, parent)} is not declared as a foreign key: {parent} "
                f"already refers to {child}, and a cycle of references cannot be created or "
                "loaded table by table."
            )
            continue
        parents.setdefault(child, set()).add(parent)
        kept.add(index)
    return [fk for index, fk in enumerate(candidates) if index in kept], notes


def _depends_on(parents: dict[str, set[str]], table: str, other: str) -> bool:
    """Whether `table` refers to `other`, directly or through other tables."""
    seen: set[str] = set()
    waiting = [table]
    while waiting:
        current = waiting.pop()
        if current == other:
            return True
        if current not in seen:
            seen.add(current)
            waiting.extend(parents.get(current, ()))
    return False


def _reference(child: str, fk: ForeignKeyCandidate, parent: str) -> str:
    return f"{child}.{', '.join(fk.columns)} → {parent}.{', '.join(fk.references_columns)}"
