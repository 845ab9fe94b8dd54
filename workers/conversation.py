"""The port through which stages talk to people: the terminal, Slack, or a test's recording.

Stages only *send* through it (artifacts, questions, progress, results). What people decide comes
back as a `DecisionRequest` to `workers.decisions.decide`, from whichever surface they used.
"""

from __future__ import annotations

from typing import Protocol

from agents.artifacts import ImportPlan, ImportRequest, Question, Review, SchemaProposal
from workers.job import Job
from workers.waiting import Reminder


class ConversationPort(Protocol):
    def understanding(self, job: Job, request: ImportRequest, *, version: int) -> None: ...

    def questions(self, job: Job, questions: list[Question], *, version: int) -> None: ...

    def schema(self, job: Job, proposal: SchemaProposal, *, version: int) -> None: ...

    def plan(self, job: Job, plan: ImportPlan, *, version: int) -> None: ...

    def progress(self, job: Job, table: str, done: int, expected: int) -> None: ...

    def review(self, job: Job, review: Review, *, version: int) -> None: ...

    def notice(self, job: Job, text: str) -> None: ...

    def finished(self, job: Job) -> None:
        """The job reached a final state (merged, discarded, cancelled, failed)."""
        ...

    def reminder(self, job: Job, reminder: Reminder) -> None:
        """The job waited for a decision past the configured time: one nudge in its thread,
        naming who must act."""
        ...
