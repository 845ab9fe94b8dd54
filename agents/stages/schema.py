"""Stage 4 — propose schema (and revise it): tables to create or alter, what feeds each."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agents.artifacts import ImportRequest, Inspection, SchemaEdit, SchemaProposal
from agents.baseline.proposal import propose_schema
from agents.errors import ProposalInvalid
from agents.stages.context import UNTRUSTED_NOTE, as_json, conversation_lines, inspection_summary
from agents.stages.dry_run import dry_run_ddl
from agents.stages.repair import Parses, ask_and_validate
from dolt.interface import Database
from dolt.sql.names import validate_identifier
from dolt.sql.policy import check_ddl


class SchemaRevision(BaseModel):
    """The model's answer: edits to the proposal in front of it, or why it cannot."""

    model_config = ConfigDict(frozen=True)

    edits: list[SchemaEdit] = Field(default_factory=list, max_length=8)
    status: Literal["ok", "cannot"] = "ok"
    reason: str | None = Field(None, max_length=300)


INSTRUCTIONS = f"""You review the tables proposed for a data import into a Dolt (MySQL) database
and answer with edits to that proposal; code applies them and writes the DDL.
Edits (action, table, target, columns):
- fold_into: `table` is the table that goes away; its columns become extra columns of
  `target`, the table that stays, joined on their key. Example: "add date_of_birth to
  people instead of a birthdays table" ->
  {{"action": "fold_into", "table": "birthdays", "target": "people"}}
- rename: target is the new table name.   - skip: do not import the table.
- set_key: columns become the primary key.   - set_type: columns get the MySQL type in target.
Answer with no edits when the proposal already fits the request, the answers and the feedback.
Use status "cannot" only if no edits can meet the request. {UNTRUSTED_NOTE}"""


def validate(
    proposal: SchemaProposal, *, inspection: Inspection, database: Database
) -> SchemaProposal:
    """Names, relations, actions and the policy; then the DDL must run on a scratch branch."""
    relations = {p.relation for p in inspection.profiles}
    existing = {name.lower() for name in inspection.target_schema}
    known = set(inspection.target_schema)
    used: set[str] = set()
    if not proposal.tables:
        raise ProposalInvalid("The proposal has no tables.")
    for table in proposal.tables:
        validate_identifier(table.name, kind="table")
        unknown = sorted(set(table.relations) - relations)
        if unknown:
            raise ProposalInvalid(
                f"Table {table.name!r} names unknown relation(s) {unknown}; the staged "
                f"relations are {sorted(relations)}."
            )
        used.update(table.relations)
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
    skipped = {edit.table for edit in proposal.edits if edit.action == "skip"}
    unused = sorted(relations - used - skipped)
    if unused:
        raise ProposalInvalid(
            f"The relation(s) {unused} go nowhere: add each to the relations of a table."
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
    feedback: str | None = None,
) -> SchemaProposal:
    """The proposal with the model's edits applied and validated (`RepairExhausted` if its
    edits keep failing). `baseline` is the proposal being revised, with its earlier edits;
    `feedback` is what the person just asked to change."""
    tables = {
        t.name: {"action": t.action, "ddl": t.ddl, "relations": t.relations}
        for t in baseline.tables
    }
    messages = [
        {"role": "system", "content": INSTRUCTIONS},
        {
            "role": "user",
            "content": f"Request: {request.model_dump_json(exclude={'status', 'reason'})}\n"
            f"Inspection: {as_json(inspection_summary(inspection))}\n"
            f"Proposed tables: {as_json(tables)}\n"
            f"Answers to questions: {as_json(answers or {})}\n"
            f"Conversation so far:\n{conversation_lines(conversation)}\n\n"
            + (
                f'The person asks for this change: "{feedback}"\n'
                "Answer with the edits that make exactly this change."
                if feedback
                else "Answer with the edits the request and the answers call for, if any."
            ),
        },
    ]

    result: dict[str, SchemaProposal] = {}

    def applied(revision: SchemaRevision) -> SchemaRevision:
        edits = [*baseline.edits, *revision.edits]
        proposal = propose_schema(request, inspection, edits)
        if proposal.status == "cannot":
            raise ProposalInvalid(proposal.reason or "These edits leave no valid proposal.")
        validate(proposal, inspection=inspection, database=database)
        result["proposal"] = proposal
        return revision

    revision = ask_and_validate(
        llm, stage="propose_schema", messages=messages, output=SchemaRevision, validate=applied
    )
    if revision.status == "cannot" and not revision.edits:
        return baseline.model_copy(update={"status": "cannot", "reason": revision.reason})
    return result["proposal"]
