"""Stage 3 — ask: only the questions whose answers change the result."""

from __future__ import annotations

from agents.artifacts import (
    MAX_QUESTIONS,
    FollowUpQuestions,
    ImportRequest,
    Inspection,
    Question,
    SchemaProposal,
)
from agents.stages.context import UNTRUSTED_NOTE, as_json, inspection_summary
from agents.stages.repair import Parses, ask_and_validate

INSTRUCTIONS = f"""You review a planned data import before anything is written.
Ask at most {MAX_QUESTIONS} questions, and only questions whose answers change the tables or rows
that will be written (keys, how duplicates are handled, which file goes where, ambiguous
filters). Do not ask what the request or the data already answer. Prefer choices. Ask nothing
when the import is clear: return an empty list. {UNTRUSTED_NOTE}"""


def _validated(questions: FollowUpQuestions) -> FollowUpQuestions:
    if len(questions.questions) > MAX_QUESTIONS:
        raise ValueError(f"Ask at most {MAX_QUESTIONS} questions.")
    for question in questions.questions:
        if question.choices and question.default not in question.choices:
            raise ValueError(f"Question {question.id!r}: the default must be one of its choices.")
    return questions


def run(
    llm: Parses, *, request: ImportRequest, inspection: Inspection, baseline: SchemaProposal
) -> list[Question]:
    messages = [
        {"role": "system", "content": INSTRUCTIONS},
        {
            "role": "user",
            "content": f"Request: {request.model_dump_json(exclude={'status', 'reason'})}\n"
            f"Inspection: {as_json(inspection_summary(inspection))}\n"
            f"Proposed schema: {as_json([t.model_dump() for t in baseline.tables])}",
        },
    ]
    answer = ask_and_validate(
        llm, stage="ask", messages=messages, output=FollowUpQuestions, validate=_validated
    )
    return [] if answer.status == "cannot" else list(answer.questions)
