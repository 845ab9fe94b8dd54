"""The port through which the stages talk to a person (terminal now, Slack later, tests)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from agents.artifacts import ImportPlan, ImportRequest, SchemaProposal
from agents.review import Review
from agents.stages.ask import Question


@dataclass(frozen=True)
class Decision:
    """What the person said about an artifact: approve it, cancel, or change it (in words)."""

    action: Literal["approve", "cancel", "revise"]
    feedback: str = ""


APPROVE = Decision("approve")
CANCEL = Decision("cancel")


class Conversation(Protocol):
    def confirm_understanding(self, request: ImportRequest) -> Decision: ...

    def answer_questions(self, questions: list[Question]) -> dict[str, str]: ...

    def approve_schema(self, proposal: SchemaProposal) -> Decision: ...

    def approve_plan(self, plan: ImportPlan) -> Decision: ...

    def notice(self, text: str) -> None: ...

    def progress(self, table: str, done: int, expected: int) -> None: ...

    def show_review(self, review: Review) -> None: ...
