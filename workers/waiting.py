"""Jobs waiting for a person: how long they have waited, and what is due — one reminder after
`remind_after`, and for a review nobody decided, expiry after `expire_after` (pure; the pass
that acts on it is `workers.reminders`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from workers.durations import duration_words
from workers.job import Job
from workers.stage_table import STAGES, Stage, awaited_stage, stage_row
from workers.states import Status
from workers.who_acts import deciders

REMINDED = "reminded"
"""The audit action of the reminder posted for a wait (never twice for the same wait)."""
EXPIRED = "expired"
"""The audit action of a review nobody decided, discarded when it expired."""
SYSTEM = "system"
DEFAULT_REMIND_AFTER_SECONDS = 4 * 3600.0
DEFAULT_EXPIRE_AFTER_SECONDS = 7 * 86400.0
WAITING_STATUSES: tuple[Status, ...] = tuple(
    row.waits_in for row in STAGES if row.waits_in is not None
)
"""Where a job waits for a person's decision (the stage table's `waits_in`)."""


@dataclass(frozen=True)
class ReminderSettings:
    remind_after_seconds: float = DEFAULT_REMIND_AFTER_SECONDS
    """A job waiting this long for a decision gets one reminder in its thread."""
    expire_after_seconds: float = DEFAULT_EXPIRE_AFTER_SECONDS
    """A review nobody decided for this long is discarded (its branch deleted)."""
    mergers: frozenset[str] | None = None
    """Who a review's reminder names (None: the requester and the importers)."""
    importers: frozenset[str] = frozenset()


class Due(StrEnum):
    REMIND = "remind"
    EXPIRE = "expire"


@dataclass(frozen=True)
class Reminder:
    """What a reminder says: the stage awaiting a decision, who must act, how long it waited
    (and, for a review, when it expires)."""

    job_id: str
    stage: Stage
    who: tuple[str, ...]
    """User and user-group ids who must act."""
    waited_seconds: float
    expires_after_seconds: float | None = None


def waiting_since(job: Job) -> datetime:
    """When the job's last transition happened (the wait began): a reminder or a note that
    changes no status does not restart it."""
    moves = [entry.at for entry in job.audit if entry.status_to is not None]
    return moves[-1] if moves else job.created_at


def reminded(job: Job) -> bool:
    """Whether this wait (since the last transition) was reminded already."""
    since = waiting_since(job)
    return any(
        entry.action == REMINDED and entry.status_to is None and entry.at >= since
        for entry in job.audit
    )


def expired(job: Job) -> bool:
    """Whether the job's review expired (nobody decided; "system" discarded it)."""
    return any(entry.action == EXPIRED and entry.actor == SYSTEM for entry in job.audit)


def awaits_a_person(job: Job) -> bool:
    """Waiting for a decision, no step owed (a revision being made is not waiting)."""
    return awaited_stage(job.status) is not None and job.pending is None


def due(job: Job, settings: ReminderSettings, *, now: datetime) -> Due | None:
    """What the job waiting for a person is owed now: expiry (a review only), one reminder,
    or nothing."""
    if not awaits_a_person(job):
        return None
    waited = (now - waiting_since(job)).total_seconds()
    if job.status == Status.AWAITING_REVIEW and waited >= settings.expire_after_seconds:
        return Due.EXPIRE
    if waited >= settings.remind_after_seconds and not reminded(job):
        return Due.REMIND
    return None


def reminder_for(job: Job, settings: ReminderSettings, *, now: datetime) -> Reminder:
    """The reminder a job waiting for a person gets: who must act, how long it waited."""
    row = awaited_stage(job.status)
    assert row is not None, f"job {job.id} is {job.status.words}: it awaits no decision"
    waited = (now - waiting_since(job)).total_seconds()
    expires = (
        max(0.0, settings.expire_after_seconds - waited)
        if job.status == Status.AWAITING_REVIEW
        else None
    )
    who = deciders(job, mergers=settings.mergers, importers=settings.importers)
    return Reminder(job.id, row.stage, tuple(who), waited, expires)


ASKS: dict[Stage, str] = {
    Stage.UNDERSTANDING: "confirm it or say what to change",
    Stage.QUESTIONS: "answer the questions or skip them",
    Stage.SCHEMA: "approve it or ask for a change",
    Stage.PLAN: "run it or ask for a change",
    Stage.REVIEW: "merge it or discard it",
}
"""What a reminder asks the people who must act to do, per stage awaiting a decision."""


def reminder_words(reminder: Reminder) -> tuple[str, str, str]:
    """The reminder in three parts, to go around the people named (as the surface names
    them): "This review has waited 4 hours for a decision.", "please merge it or discard
    it.", and for a review "Unless someone decides within 6 days, it expires: …"."""
    words = stage_row(reminder.stage).words
    said = f"This {words} has waited {duration_words(reminder.waited_seconds)} for a decision."
    ask = f"please {ASKS[reminder.stage]}."
    later = ""
    if reminder.expires_after_seconds is not None:
        later = (
            f"Unless someone decides within {duration_words(reminder.expires_after_seconds)}, "
            "it expires and its branch is discarded."
        )
    return said, ask, later


def reminder_text(reminder: Reminder, *, who: str) -> str:
    """The reminder as one plain sentence (the terminal, a notification's fallback)."""
    said, ask, later = reminder_words(reminder)
    asked = f"{who}: {ask}" if who else ask.capitalize()
    return " ".join(part for part in (said, asked, later) if part)
