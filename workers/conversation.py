"""The port through which the stages talk to a person (terminal now, Slack later, tests)."""

from __future__ import annotations

from typing import Protocol

from agents.artifacts import ImportPlan, ImportRequest, SchemaProposal
from agents.review import Review


class Conversation(Protocol):
    def confirm_understanding(self, request: ImportRequest) -> bool: ...

    def approve_schema(self, proposal: SchemaProposal) -> bool: ...

    def approve_plan(self, plan: ImportPlan) -> bool: ...

    def progress(self, table: str, done: int, expected: int) -> None: ...

    def show_review(self, review: Review) -> None: ...
