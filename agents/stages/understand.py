"""Stage 1 — understand: the person's words → an `ImportRequest`, or why it is not one."""

from __future__ import annotations

from collections.abc import Sequence

from agents.artifacts import ImportRequest
from agents.errors import RequestNotUnderstood
from agents.grammar import GRAMMAR, check_predicate
from agents.stages.context import conversation_lines
from agents.stages.repair import Parses, ask_and_validate
from dolt.names import validate_database_name, validate_identifier

INSTRUCTIONS = f"""You turn a data-import request into a structured ImportRequest.
- sources: the paths, globs, directories or URLs exactly as written ("all CSV files in DIR" →
  "DIR/*.csv"; "all files in DIR" → "DIR").
- database: the target database; table: only if one target table is named.
- where: a SQL condition (MySQL dialect) for rows to keep, e.g. "only people 21 or older" →
  "age >= 21"; null when there is no filter. key: primary-key columns if named.
- mode: create | append | upsert | replace only if the person asks; create_tables false only if
  they forbid new tables; recursive when subdirectories are wanted.
- summary: one plain paragraph starting "Import ..." saying what will happen.
- If the text is not a request to import data, answer status "cannot" with the reason.
The same request can also be written in this grammar:
{GRAMMAR}"""


def _validated(request: ImportRequest) -> ImportRequest:
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
    """The request as the model understood it; `RequestNotUnderstood` when it is not one."""
    messages = [
        {"role": "system", "content": INSTRUCTIONS},
        {
            "role": "user",
            "content": f"Conversation so far:\n{conversation_lines(conversation)}\n\n"
            f"Request:\n{text}",
        },
    ]
    request = ask_and_validate(
        llm, stage="understand", messages=messages, output=ImportRequest, validate=_validated
    )
    if request.status == "cannot":
        raise RequestNotUnderstood(
            f"This does not look like an import request: {request.reason or 'no reason given'}"
        )
    return request
