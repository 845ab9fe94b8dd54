"""Which foreign-key candidates a schema proposal declares.

New tables are created and loaded parents first, so the references between them must form no
cycle (``employees.team_id → teams`` with ``teams.lead_id → employees``): such a pair can be
neither created nor loaded table by table. The candidates are taken strongest first — the
column names the table it refers to (``team_id`` → ``teams``), then the share of values found —
and one that would close a cycle is left out, as is a table's reference to itself (its rows may
come before the rows they refer to). A note says which, so the person can see it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from agents.artifacts import ForeignKeyCandidate
from agents.inspection.foreign_keys import named_by_column

TableOf = Callable[[str], str | None]  # staged relation -> the new table it feeds, if any


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
