"""The job's states and the only transitions between them."""

from __future__ import annotations

from enum import StrEnum

from workers.errors import IllegalTransition


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


FINAL = frozenset({Status.MERGED, Status.DISCARDED, Status.CANCELLED, Status.FAILED})
OPEN = frozenset(Status) - FINAL

# Where each state may go next (besides cancelled / failed, open to every open state). A state
# listed as its own successor takes a new version of its artifact (a revision).
_NEXT: dict[Status, frozenset[Status]] = {
    Status.RECEIVED: frozenset({Status.AWAITING_CONFIRMATION}),
    Status.AWAITING_CONFIRMATION: frozenset({Status.AWAITING_CONFIRMATION, Status.INSPECTING}),
    Status.INSPECTING: frozenset({Status.AWAITING_ANSWERS, Status.AWAITING_SCHEMA_APPROVAL}),
    Status.AWAITING_ANSWERS: frozenset({Status.INSPECTING}),
    Status.AWAITING_SCHEMA_APPROVAL: frozenset(
        {Status.AWAITING_SCHEMA_APPROVAL, Status.AWAITING_PLAN_APPROVAL}
    ),
    Status.AWAITING_PLAN_APPROVAL: frozenset({Status.AWAITING_PLAN_APPROVAL, Status.RUNNING}),
    Status.RUNNING: frozenset({Status.AWAITING_REVIEW}),
    Status.AWAITING_REVIEW: frozenset({Status.MERGED, Status.DISCARDED}),
}

_WHY_NOT: dict[Status, str] = {
    Status.MERGED: "it has been merged",
    Status.DISCARDED: "it has been discarded",
    Status.CANCELLED: "it was cancelled",
    Status.FAILED: "it failed",
    Status.RUNNING: "it is running",
}


def allowed(current: Status, to: Status) -> bool:
    if current in FINAL:
        return False
    if to in (Status.CANCELLED, Status.FAILED):
        return True
    return to in _NEXT.get(current, frozenset())


def check_transition(job_id: str, current: Status, to: Status) -> None:
    """Refuse a transition the state machine does not have, saying what the job is doing."""
    if allowed(current, to):
        return
    doing = _WHY_NOT.get(current, f"it is {current.value.replace('_', ' ')}")
    raise IllegalTransition(f"Job {job_id} cannot become {to.value.replace('_', ' ')}: {doing}.")
