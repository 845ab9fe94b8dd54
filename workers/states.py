"""The job's statuses, and how people read them. The transitions between them are read off the
stage table (`workers.stage_table`)."""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    RECEIVED = "received"
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    INSPECTING = "inspecting"
    AWAITING_ANSWERS = "awaiting_answers"
    AWAITING_SCHEMA_APPROVAL = "awaiting_schema_approval"
    AWAITING_PLAN_APPROVAL = "awaiting_plan_approval"
    RUNNING = "running"
    AWAITING_REVIEW = "awaiting_review"
    MERGED = "merged"
    DISCARDED = "discarded"
    CANCELLED = "cancelled"
    FAILED = "failed"

    @property
    def words(self) -> str:
        """As a sentence says it: "awaiting schema approval"."""
        return self.value.replace("_", " ")

    @property
    def why_not(self) -> str:
        """Why a job in this status cannot do something else: "it has been merged"."""
        return _WHY_NOT.get(self, f"it is {self.words}")


FINAL = frozenset({Status.MERGED, Status.DISCARDED, Status.CANCELLED, Status.FAILED})
OPEN = frozenset(Status) - FINAL

_WHY_NOT: dict[Status, str] = {
    Status.MERGED: "it has been merged",
    Status.DISCARDED: "it has been discarded",
    Status.CANCELLED: "it was cancelled",
    Status.FAILED: "it failed",
    Status.RUNNING: "it is running",
}
