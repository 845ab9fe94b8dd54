"""How rows go into tables that already exist: asked, never assumed (part of the ask stage).

An import into an existing table appends, upserts or replaces; when the request names none,
the person is asked, and the default is the safest that loses no row (append: rows whose key
is taken are rejected, not overwritten). When main's ledger says the same content was already
imported into the same table, the person is asked whether to import it again, and the
default is to stop (`--yes` takes it): nothing is written twice without someone saying so.
Without a model these are the only questions; with one they come first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from agents.artifacts import (
    ImportRecord,
    ImportRequest,
    Inspection,
    Question,
    SchemaProposal,
    SourceSnapshot,
    TableProposal,
)
from agents.execution.target_columns import target_columns
from dolt.models import WriteMode

ALREADY_IMPORTED = "already_imported"
WRITE_MODE = "write_mode"
STOP = "stop"
SHOWN_TABLES = 2
_ANSWER_WORDS = {
    "append": WriteMode.APPEND,
    "add": WriteMode.APPEND,
    "upsert": WriteMode.UPSERT,
    "update": WriteMode.UPSERT,
    "replace": WriteMode.REPLACE,
}


@dataclass(frozen=True)
class Stopped:
    """The person (or `--yes`) chose not to import content main already holds."""

    reason: str


@dataclass(frozen=True)
class _Repeat:
    table: str
    record: ImportRecord


def questions(
    request: ImportRequest, inspection: Inspection, schema: SchemaProposal
) -> list[Question]:
    """The already-imported question, then the write-mode question, where they apply."""
    repeats = _repeats(request, inspection, schema)
    repeated = {repeat.table for repeat in repeats}
    unsaid = [t for t in _existing(schema) if _said_mode(request, t.name) is None]
    unsaid = [t for t in unsaid if t.name not in repeated]
    asked = []
    if repeats:
        asked.append(_already_imported(repeats, inspection))
    if unsaid:
        asked.append(_write_mode(unsaid, inspection))
    return asked


def apply_answers(
    request: ImportRequest,
    inspection: Inspection,
    schema: SchemaProposal,
    answers: Mapping[str, str],
) -> ImportRequest | Stopped:
    """The request with the answered write modes (`table_modes`), or `Stopped`.

    Raises ValueError, in words, for an answer that names no mode."""
    modes = dict(request.table_modes)
    repeats = _repeats(request, inspection, schema)
    if ALREADY_IMPORTED in answers and repeats:
        answer = _mode_answered(answers[ALREADY_IMPORTED], stop_allowed=True)
        if answer is None:
            return Stopped(_already_imported_words(repeats, inspection.database))
        modes.update({repeat.table: answer for repeat in repeats})
    if WRITE_MODE in answers:
        answer = _mode_answered(answers[WRITE_MODE], stop_allowed=False)
        repeated = {repeat.table for repeat in repeats}
        for table in _existing(schema):
            if table.name not in repeated and _said_mode(request, table.name) is None:
                modes[table.name] = answer or WriteMode.APPEND
    if modes == request.table_modes:
        return request
    return request.model_copy(update={"table_modes": modes})


# -- the questions ---------------------------------------------------------------------------
def _already_imported(repeats: Sequence[_Repeat], inspection: Inspection) -> Question:
    tables = [r.table for r in repeats]
    said = _already_imported_words(repeats, inspection.database)
    them = "it" if len({r.record.sha256 for r in repeats}) == 1 else "them"
    modes = _mode_choices(tables, inspection)
    how = ", ".join(mode.split()[0] for mode in modes[:-1]) + f" or {modes[-1]}"
    return Question(
        id=ALREADY_IMPORTED,
        text=_clipped(f"{said}. Import {them} again as {how}, or stop?"),
        choices=[STOP, *modes],
        default=STOP,
        why="append writes every row again (a table with a key rejects those whose key is "
        "taken); upsert updates the rows with the same key; replace deletes the table's rows "
        "first; stop writes nothing.",
    )


def _write_mode(tables: Sequence[TableProposal], inspection: Inspection) -> Question:
    names = [t.name for t in tables]
    listed = _listed(names)
    verb = "table already exists" if len(names) == 1 else "tables already exist"
    return Question(
        id=WRITE_MODE,
        text=_clipped(
            f"The {verb} on main: {listed}. Add these rows (append), update the rows with "
            "the same key (upsert), or delete the rows there first (replace)?"
        ),
        choices=_mode_choices(names, inspection),
        default="append",
        why="append keeps every row on main (a row whose key is taken is rejected, not "
        "overwritten); upsert overwrites rows with the same key; replace deletes the rows first.",
    )


def _mode_choices(tables: Sequence[str], inspection: Inspection) -> list[str]:
    keys = [_key_of(table, inspection) for table in tables]
    choices = ["append"]
    if all(keys):
        same = {tuple(key) for key in keys}
        choices.append(f"upsert by {', '.join(keys[0])}" if len(same) == 1 else "upsert by key")
    choices.append("replace")
    return choices


def _already_imported_words(repeats: Sequence[_Repeat], database: str) -> str:
    parts = [
        f"{r.record.source} was already imported into {database}.{r.table} on "
        f"{r.record.day} (commit {r.record.commit[:8]})"
        for r in repeats[:SHOWN_TABLES]
    ]
    if len(repeats) > SHOWN_TABLES:
        parts.append(f"and {len(repeats) - SHOWN_TABLES} more")
    return "; ".join(parts)


# -- what the request, the schema and the ledger say -----------------------------------------
def _existing(schema: SchemaProposal) -> list[TableProposal]:
    return [table for table in schema.tables if table.action != "create"]


def _said_mode(request: ImportRequest, table: str) -> WriteMode | None:
    mode = request.table_modes.get(table) or request.mode
    return None if mode == WriteMode.CREATE else mode


def _repeats(
    request: ImportRequest, inspection: Inspection, schema: SchemaProposal
) -> list[_Repeat]:
    """Existing tables that would append content main's ledger says they already got."""
    sources = _sources_by_relation(inspection)
    found = []
    for table in _existing(schema):
        if _said_mode(request, table.name) not in (None, WriteMode.APPEND):
            continue  # upsert or replace of the same content changes nothing twice
        digests = {s.sha256 for relation in table.relations for s in sources.get(relation, ())}
        earlier = [
            record
            for record in inspection.previous_imports
            if record.table == table.name and record.sha256 in digests
        ]
        if earlier:
            found.append(_Repeat(table=table.name, record=earlier[-1]))
    return found


def _sources_by_relation(inspection: Inspection) -> dict[str, list[SourceSnapshot]]:
    by_source = {snapshot.source: snapshot for snapshot in inspection.snapshots}
    found: dict[str, list[SourceSnapshot]] = {}
    for profile in inspection.profiles:
        snapshot = by_source.get(profile.source) or next(
            (s for s in inspection.snapshots if profile.source.startswith(s.source)), None
        )
        if snapshot is not None:
            found[profile.relation] = [snapshot]
    return found


def _key_of(table: str, inspection: Inspection) -> list[str]:
    create = inspection.target_schema.get(table)
    if create is None:
        return []
    return [column.name for column in target_columns(create) if column.primary_key]


def _mode_answered(answer: str, *, stop_allowed: bool) -> WriteMode | None:
    words = answer.strip().lower().split()
    first = words[0] if words else ""
    if stop_allowed and first in (STOP, "no", "skip", "cancel"):
        return None
    if first in _ANSWER_WORDS:
        return _ANSWER_WORDS[first]
    allowed = "append, upsert, replace" + (" or stop" if stop_allowed else "")
    raise ValueError(f"Answer {allowed} (not {answer.strip()!r}).")


def _listed(names: Sequence[str]) -> str:
    if len(names) <= SHOWN_TABLES + 1:
        return ", ".join(names[:-1]) + (" and " if len(names) > 1 else "") + names[-1]
    return f"{', '.join(names[:SHOWN_TABLES])} and {len(names) - SHOWN_TABLES} more tables"


def _clipped(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
