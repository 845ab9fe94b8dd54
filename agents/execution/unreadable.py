"""Records the reader could not parse, counted with the table their relation feeds.

A ragged CSV row, bad quoting or a broken JSONL line is rejected while the file is staged
(:class:`~agents.staging.relations.ReaderReject`), yet it is a record of the file all the same.
Each relation's unreadable records belong to the first plan step that reads the relation: they
are part of its source rows and of its rejected rows, listed with file, line and reason like any
other reject. A relation with unreadable records that several steps read, or none, is named in a
note, so no record goes uncounted without a word.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlglot import exp

from agents.artifacts import PlanStep, Reject
from agents.staging.relations import StagedRelation
from dolt.sql.policy import check_select


def relations_read(select: str, *, relations: Mapping[str, Collection[str]]) -> list[str]:
    """The staged relations a plan SELECT reads, in the order of ``relations``."""
    checked = check_select(select, relations=relations)
    read = {table.name.lower() for table in checked.find_all(exp.Table)}
    return [name for name in relations if name.lower() in read]


def unreadable_owners(
    steps: Sequence[PlanStep],
    *,
    relations: Mapping[str, Collection[str]],
    unreadable: Mapping[str, int],
) -> tuple[dict[str, list[str]], list[str]]:
    """Per table, the relations whose unreadable records it counts; and the notes saying where
    the records of a relation read by several steps, or by none, went."""
    reads = {step.table: relations_read(step.select, relations=relations) for step in steps}
    owned: dict[str, list[str]] = {step.table: [] for step in steps}
    notes: list[str] = []
    for relation, count in unreadable.items():
        if not count:
            continue
        readers = [table for table, read in reads.items() if relation in read]
        records = f"{count:,} unreadable record(s) of {relation}"
        if not readers:
            notes.append(f"{records} are not counted in any table: no table reads {relation}.")
            continue
        owned[readers[0]].append(relation)
        if len(readers) > 1:
            notes.append(
                f"{records} are counted as rejected in {readers[0]}; "
                f"{', '.join(readers[1:])} also read {relation}."
            )
    return owned, notes


def unreadable_rejects(
    table: str, relations: Sequence[str], staged: Mapping[str, StagedRelation]
) -> list[Reject]:
    """The reader's rejects of ``relations`` as rejects of ``table``, with file, line and text."""
    return [
        Reject(
            table=table,
            file=staged[name].source,
            line=reject.line,
            column=None,
            value=short_value(reject.raw),
            reason=f"unreadable record: {reject.reason}",
        )
        for name in relations
        for reject in staged[name].rejects
    ]


def short_value(value: Any, limit: int = 200) -> str | None:
    """A value as text for a reject, cut to ``limit`` characters."""
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"
