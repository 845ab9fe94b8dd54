"""Stage 4 — propose schema (and revise it): tables to create or alter, where each source goes."""

from __future__ import annotations

from collections.abc import Sequence

from agents.artifacts import ImportRequest, Inspection, SchemaProposal
from agents.errors import ProposalInvalid
from agents.stages.context import UNTRUSTED_NOTE, as_json, conversation_lines, inspection_summary
from agents.stages.dry_run import dry_run_ddl
from agents.stages.repair import Parses, ask_and_validate
from dolt.interface import Database
from dolt.names import validate_identifier
from dolt.policy import check_ddl

INSTRUCTIONS = f"""You design the target tables of a data import into a Dolt (MySQL-compatible)
database. You are given the request, profiles of the staged sources, the existing tables, a
baseline proposal made by code, the answers to follow-up questions and the person's feedback.
Edit the baseline so it fits the request and the feedback; keep what needs no change.
- Each table: name, action ("create" a new table, "existing" to import into a table as it is,
  "alter" an existing table with ALTER TABLE ... ADD COLUMN), ddl (MySQL statements; CREATE
  TABLE for create, ALTER TABLE for alter, none for existing), sources (the staged relations
  whose rows feed it; a source may feed a table as extra columns joined on a key).
- Every source must appear in some table's sources. Use only CREATE TABLE, ALTER TABLE ... ADD
  COLUMN and CREATE INDEX; no DROP, DELETE, UPDATE or other statements; one statement per item.
- Keep the inferred types unless asked; keys and foreign keys as in the baseline unless asked.
- If the request cannot be met, answer status "cannot" with the reason. {UNTRUSTED_NOTE}"""


def validate(
    proposal: SchemaProposal, *, inspection: Inspection, database: Database
) -> SchemaProposal:
    """Names, sources, actions and the policy; then the DDL must run on a scratch branch."""
    relations = {p.relation for p in inspection.profiles}
    existing = {name.lower() for name in inspection.target_schema}
    known = set(inspection.target_schema)
    used: set[str] = set()
    if not proposal.tables:
        raise ProposalInvalid("The proposal has no tables.")
    for table in proposal.tables:
        validate_identifier(table.name, kind="table")
        unknown = sorted(set(table.sources) - relations)
        if unknown:
            raise ProposalInvalid(
                f"Table {table.name!r} names unknown source(s) {unknown}; the staged sources are "
                f"{sorted(relations)}."
            )
        used.update(table.sources)
        exists = table.name.lower() in existing
        if table.action == "create" and exists:
            raise ProposalInvalid(
                f"Table {table.name!r} exists already: use action existing or alter."
            )
        if table.action != "create" and not exists:
            raise ProposalInvalid(f"Table {table.name!r} does not exist: use action create.")
        if table.action == "create" and not table.ddl:
            raise ProposalInvalid(f"Table {table.name!r} is to be created but has no CREATE TABLE.")
        if table.action == "existing" and table.ddl:
            raise ProposalInvalid(f"Table {table.name!r} is used as it is, so it takes no DDL.")
        for statement in table.ddl:
            check_ddl(statement, known_tables=known)
        known.add(table.name)
    unused = sorted(relations - used)
    if unused:
        raise ProposalInvalid(
            f"The source(s) {unused} go nowhere: add each to the sources of a table."
        )
    dry_run_ddl(database, proposal.ddl)
    return proposal


def run(
    llm: Parses,
    *,
    request: ImportRequest,
    inspection: Inspection,
    database: Database,
    baseline: SchemaProposal,
    answers: dict[str, str] | None = None,
    conversation: Sequence[str] = (),
) -> SchemaProposal:
    """A validated proposal from the model (`RepairExhausted` if it keeps failing)."""
    messages = [
        {"role": "system", "content": INSTRUCTIONS},
        {
            "role": "user",
            "content": f"Request: {request.model_dump_json(exclude={'status', 'reason'})}\n"
            f"Inspection: {as_json(inspection_summary(inspection))}\n"
            f"Baseline proposal: {baseline.model_dump_json()}\n"
            f"Answers to questions: {as_json(answers or {})}\n"
            f"Conversation and feedback:\n{conversation_lines(conversation)}",
        },
    ]
    return ask_and_validate(
        llm,
        stage="propose_schema",
        messages=messages,
        output=SchemaProposal,
        validate=lambda proposal: validate(proposal, inspection=inspection, database=database),
    )
