"""Stage 3 — ask: only the questions whose answers change the result."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from agents.artifacts import ImportRequest, Inspection, SchemaProposal
from agents.stages.context import UNTRUSTED_NOTE, as_json, inspection_summary
from agents.stages.repair import Parses, ask_and_validate

MAX_QUESTIONS = 4


class Question(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(description="Short identifier, e.g. 'people_key'.")
    text: str = Field(max_length=300, description="The question, one sentence.")
    choices: list[str] = Field(
        default_factory=list, description="Answers to pick from; empty for free text."
    )
    default: str = Field(description="The answer taken when the person skips.")
    why: str = Field(
        max_length=300, description="What changes in the result depending on the answer."
    )


class FollowUpQuestions(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: Literal["ok", "cannot"] = "ok"
    reason: str | None = Field(None, max_length=300)
    questions: list[Question] = Field(default_factory=list, max_length=MAX_QUESTIONS)


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
