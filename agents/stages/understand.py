"""Stage 1 — understand: the person's words → an `ImportRequest`, or why it is not one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from agents.artifacts import ImportRequest, RequestCore
from agents.errors import RequestNotUnderstood
from agents.stages.context import conversation_lines
from agents.stages.grammar import check_predicate, parse_request
from agents.stages.grammar_checks import checks_in
from agents.stages.repair import Parses, ask_and_validate
from dolt.sql.names import validate_database_name, validate_identifier

R = TypeVar("R", bound=RequestCore)

INSTRUCTIONS = """You turn a request to import data into a JSON ImportRequest.
- sources: the files, directories, globs or URLs named ("all CSV files in DIR" becomes "DIR/*.csv").
- database: the target database. table: only when one target table is named, else null.
- where: a SQL condition for the rows to keep, e.g. "age >= 21"; null when there is no filter.
- key: primary-key columns if named; mode: null unless append, upsert or replace is asked for.
- summary: one short sentence starting "Import".
- status "cannot" only when the text does not ask to import data at all; reason: one sentence.
Example: "load sales/2026/*.csv into the warehouse db, just rows where amount > 0" ->
{"sources": ["sales/2026/*.csv"], "database": "warehouse", "table": null,
 "where": "amount > 0", "summary": "Import sales/2026/*.csv into warehouse, amount > 0."}"""


def _validated(request: R) -> R:
    if not request.sources:
        raise ValueError("sources is empty: name at least one file, directory, glob or URL.")
    if not request.database:
        raise ValueError("database is missing: every import needs a target database.")
    validate_database_name(request.database)
    for name in [*([request.table] if request.table else []), *request.key]:
        validate_identifier(name)
    if request.where:
        check_predicate(request.where)
    return request


def run(llm: Parses, *, text: str, conversation: Sequence[str] = ()) -> ImportRequest:
    """The request as understood; `RequestNotUnderstood` when it is not one.

    A request the documented grammar reads needs no model: the grammar is exact, instant and
    free. The model reads whatever else people write.
    """
    if len(conversation) <= 1:
        try:
            return _validated(parse_request(text))
        except RequestNotUnderstood:
            pass
    messages = [
        {"role": "system", "content": INSTRUCTIONS},
        {
            "role": "user",
            "content": f"Conversation so far:\n{conversation_lines(conversation)}\n\n"
            f"Request:\n{text}",
        },
    ]
    core = ask_and_validate(
        llm, stage="understand", messages=messages, output=RequestCore, validate=_validated
    )
    # The checks in words are read by the grammar's own phrases, wherever the text says them.
    said = {"understood_by": "model", "checks": checks_in(text)}
    request = ImportRequest(**{**core.model_dump(), **said})
    if request.status == "cannot":
        raise RequestNotUnderstood(
            f"This does not look like an import request: {request.reason or 'no reason given'}"
        )
    return request
