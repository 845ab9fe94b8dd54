"""Stage 5 — plan (and revise it): one SELECT per approved table over the staged sources."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from agents.artifacts import ImportPlan, ImportRequest, Inspection, PlanStep, SchemaProposal
from agents.errors import AgentError, PlanTooCostly, ProposalInvalid
from agents.execution.plan_sql import to_duckdb
from agents.execution.target_columns import target_columns
from agents.execution.unreadable import unreadable_owners
from agents.stages.context import UNTRUSTED_NOTE, as_json, conversation_lines, inspection_summary
from agents.stages.repair import Parses, ask_and_validate
from dolt.errors import PolicyViolation
from dolt.models import WriteMode
from dolt.sql.policy import check_select

if TYPE_CHECKING:
    from duckdb import DuckDBPyConnection  # types only: importing plan does not load DuckDB

COUNT_SECONDS = 30.0
"""How long measuring one plan SELECT (LIMIT 0, then its rows) may take: an untrusted plan
may join rows without a key (a 6-way self-join of 50 rows makes 15.6 billion)."""
_process_count_seconds = COUNT_SECONDS


def use_count_seconds(seconds: float) -> None:
    """Make `seconds` this process's counting limit (the entry points, from the environment)."""
    global _process_count_seconds
    _process_count_seconds = seconds


INSTRUCTIONS = f"""You write the plan of a data import: for every approved target table exactly
one step with a single SELECT (MySQL dialect) over the staged source relations. The SELECT's
output column names must be columns of the target table (alias them with AS). Use joins to
bring columns from other relations, WHERE for the request's filter, and only the relations and
columns listed. mode is create (new table), append, upsert (needs a primary key) or replace.
relation is the staged relation whose rows the step accounts for (its driving table). Put the
request's filter into checks as a condition every loaded row must satisfy. Keep the baseline
plan where nothing needs to change. Answer status "cannot" with the reason if impossible.
{UNTRUSTED_NOTE}"""


def validate(
    plan: ImportPlan,
    *,
    schema: SchemaProposal,
    target_schemas: Mapping[str, str],
    relations: Mapping[str, Sequence[str]],
    duckdb: DuckDBPyConnection,
    unreadable: Mapping[str, int] | None = None,
    modes: Mapping[str, WriteMode] | None = None,
    count_seconds: float | None = None,
) -> ImportPlan:
    """Every approved table planned once, policy-checked SELECTs that run (LIMIT 0) and
    produce only target columns, sensible modes; then the row counts are measured, each
    within ``count_seconds`` (`PlanTooCostly` beyond them, or beyond DuckDB's memory limit).

    ``modes`` (table -> the baseline's mode: the person's, or the safe default) are the only
    modes a revised plan may use: a model never turns an append into a replace.

    ``unreadable`` (relation -> records the reader could not parse, see
    :func:`unreadable_records`) are counted in the source rows of the step that owns them
    (:func:`~agents.execution.unreadable.unreadable_owners`), which the notes explain."""
    approved = {t.name: t for t in schema.tables}
    planned = [step.table for step in plan.steps]
    missing = sorted(set(approved) - set(planned))
    extra = sorted(set(planned) - set(approved))
    repeated = sorted({t for t in planned if planned.count(t) > 1})
    if missing or extra or repeated:
        raise ProposalInvalid(
            "The plan needs exactly one step per approved table "
            f"({', '.join(approved)}); missing: {missing or 'none'}, not approved: "
            f"{extra or 'none'}, repeated: {repeated or 'none'}."
        )
    owners, unreadable_notes = unreadable_owners(
        plan.steps, relations=relations, unreadable=unreadable or {}
    )
    steps = []
    for step in plan.steps:
        try:
            checked = check_select(step.select, relations=relations)
        except PolicyViolation as error:
            raise PolicyViolation(f"The SELECT for {step.table!r} is refused: {error}") from error
        columns = {c.name: c for c in target_columns(target_schemas[step.table])}
        outputs = [p.alias_or_name for p in checked.selects]
        unknown = [name for name in outputs if name not in columns]
        if unknown or len(set(outputs)) != len(outputs):
            raise ProposalInvalid(
                f"The SELECT for {step.table!r} must produce distinct columns of the table "
                f"({', '.join(columns)}); it produces {', '.join(outputs)}."
            )
        said = (modes or {}).get(step.table)
        if said is not None and WriteMode(step.mode) != said:
            raise ProposalInvalid(
                f"The plan writes {step.table!r} in {WriteMode(step.mode).value} mode; the mode "
                f"is {said.value}, as the person said (or the safe default). Keep it."
            )
        if step.mode == WriteMode.CREATE and approved[step.table].action != "create":
            raise ProposalInvalid(f"{step.table!r} already exists: mode create is for new tables.")
        if step.mode == WriteMode.UPSERT and not any(c.primary_key for c in columns.values()):
            raise ProposalInvalid(f"Upsert into {step.table!r} needs a primary key; it has none.")
        if step.relation is not None and step.relation not in relations:
            raise ProposalInvalid(
                f"The relation {step.relation!r} of {step.table!r} is not staged."
            )
        duck_sql = to_duckdb(checked).sql(dialect="duckdb")
        expected = _count_rows(
            step.table, duck_sql, duckdb=duckdb, seconds=count_seconds or _process_count_seconds
        )
        source_rows = _source_rows(step, relations=relations, duckdb=duckdb, expected=expected)
        unreadable_rows = sum((unreadable or {})[name] for name in owners[step.table])
        steps.append(
            step.model_copy(
                update={
                    "expected_rows": int(expected),
                    "source_rows": source_rows + unreadable_rows,
                    "unreadable_rows": unreadable_rows,
                }
            )
        )
    for check in plan.checks:
        check_select(
            f"SELECT 1 FROM t WHERE {check}", relations={"t": _all_columns(target_schemas)}
        )
    notes = [*plan.notes, *(note for note in unreadable_notes if note not in plan.notes)]
    return plan.model_copy(update={"steps": steps, "notes": notes})


def _count_rows(table: str, duck_sql: str, *, duckdb: DuckDBPyConnection, seconds: float) -> int:
    """The rows the SELECT gives, after it ran with LIMIT 0; both within ``seconds``."""
    with _time_limit(duckdb, seconds=seconds) as limit:
        try:
            duckdb.execute(f"SELECT * FROM ({duck_sql}) LIMIT 0").fetchall()
            counted = duckdb.execute(f"SELECT count(*) FROM ({duck_sql})").fetchone()
        except Exception as error:  # DuckDB's message is what the model needs to repair it
            raise _count_failed(table, error, timed_out=limit.expired, seconds=seconds) from error
    assert counted is not None  # narrowing: count(*) always returns its one row
    return int(counted[0])


@dataclass
class _TimeLimit:
    expired: bool = False


@contextmanager
def _time_limit(duckdb: DuckDBPyConnection, *, seconds: float) -> Iterator[_TimeLimit]:
    """Interrupt whatever the connection runs once ``seconds`` have passed (from a timer
    thread: DuckDB's ``interrupt()`` stops the query between vectors)."""
    limit = _TimeLimit()

    def interrupt() -> None:
        limit.expired = True
        duckdb.interrupt()

    timer = threading.Timer(seconds, interrupt)
    timer.daemon = True
    timer.start()
    try:
        yield limit
    finally:
        timer.cancel()


def _count_failed(table: str, error: Exception, *, timed_out: bool, seconds: float) -> AgentError:
    from duckdb import OutOfMemoryException  # DuckDB is loaded: the connection ran the query

    if timed_out:
        return PlanTooCostly(
            f"The SELECT for {table!r} did not finish counting within {seconds:g} s; it may "
            "join rows without a key (each row of one source with many rows of another): join "
            "on key columns, or filter the rows first."
        )
    if isinstance(error, OutOfMemoryException):
        return PlanTooCostly(
            f"The SELECT for {table!r} needs more memory than the job's DuckDB may use; it "
            f"may join rows without a key or hold very large values: {error}"
        )
    return ProposalInvalid(f"The SELECT for {table!r} fails: {error}")


def unreadable_records(inspection: Inspection) -> dict[str, int]:
    """Relation -> records of its file the reader could not parse (counted at inspection)."""
    return {profile.relation: profile.rejected_rows for profile in inspection.profiles}


def _source_rows(
    step: PlanStep,
    *,
    relations: Mapping[str, Sequence[str]],
    duckdb: DuckDBPyConnection,
    expected: int,
) -> int:
    if step.relation is None:
        return int(expected)
    counted = duckdb.execute(f'SELECT count(*) FROM "{step.relation}"').fetchone()
    assert counted is not None  # narrowing: count(*) always returns its one row
    (rows,) = counted
    return int(rows)


def _all_columns(target_schemas: Mapping[str, str]) -> list[str]:
    return sorted({c.name for sql in target_schemas.values() for c in target_columns(sql)})


def run(
    llm: Parses,
    *,
    request: ImportRequest,
    inspection: Inspection,
    schema: SchemaProposal,
    target_schemas: Mapping[str, str],
    baseline: ImportPlan,
    relations: Mapping[str, Sequence[str]],
    duckdb: DuckDBPyConnection,
    modes: Mapping[str, WriteMode],
    conversation: Sequence[str] = (),
) -> ImportPlan:
    """The model's revision of `baseline`; `modes` are the write modes it must keep (the
    current baseline's: what the person said, or the safe default)."""
    approved = {t.name: target_schemas[t.name] for t in schema.tables}
    messages = [
        {"role": "system", "content": INSTRUCTIONS},
        {
            "role": "user",
            "content": f"Request: {request.model_dump_json(exclude={'status', 'reason'})}\n"
            f"Inspection: {as_json(inspection_summary(inspection))}\n"
            f"Approved tables: {as_json(approved)}\n"
            f"Baseline plan: {baseline.model_dump_json()}\n"
            f"Conversation and feedback:\n{conversation_lines(conversation)}",
        },
    ]
    return ask_and_validate(
        llm,
        stage="plan",
        messages=messages,
        output=ImportPlan,
        validate=lambda plan: validate(
            plan,
            schema=schema,
            target_schemas=target_schemas,
            relations=relations,
            duckdb=duckdb,
            unreadable=unreadable_records(inspection),
            modes=modes,
        ),
    )
