"""The pass over jobs waiting for a person, run in the watchdog's rounds: one reminder in the
job's thread once it waited `remind_after` (recorded in its audit, so never twice for the same
wait), and a review nobody decided for `expire_after` discarded by "system" — the same way a
Discard click goes (`workers.decisions.decide`, then the discard step on the database's queue),
so its branch is really deleted and the conversation hears the end."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from workers.context import StageContext
from workers.decisions import DecisionRequest, decide
from workers.durations import duration_words
from workers.job import Job, Person, now
from workers.permissions import Permissions
from workers.stage_table import Action, Stage
from workers.waiting import (
    EXPIRED,
    REMINDED,
    SYSTEM,
    WAITING_STATUSES,
    Due,
    ReminderSettings,
    due,
    reminder_for,
)

log = logging.getLogger(__name__)
SYSTEM_PERSON = Person(id=SYSTEM, name="importbot")


@dataclass(frozen=True)
class WaitOutcome:
    job_id: str
    did: Due


def remind_once(
    ctx: StageContext, settings: ReminderSettings, *, now_at: datetime | None = None
) -> list[WaitOutcome]:
    """One pass over the jobs waiting for a person (`now_at`: a test's "now")."""
    moment = now_at or now()
    done = []
    for status in WAITING_STATUSES:
        for job in ctx.store.jobs(status=status, limit=10_000):
            owed = due(job, settings, now=moment)
            if owed == Due.EXPIRE and _expire(ctx, job, settings, moment):
                done.append(WaitOutcome(job.id, Due.EXPIRE))
            elif owed == Due.REMIND and _remind(ctx, job, settings, moment):
                done.append(WaitOutcome(job.id, Due.REMIND))
    return done


def _remind(ctx: StageContext, job: Job, settings: ReminderSettings, moment: datetime) -> bool:
    """Record the reminder first (one writer wins), then post it."""
    reminder = reminder_for(job, settings, now=moment)

    def apply(job: Job) -> bool:
        if due(job, settings, now=moment) != Due.REMIND:
            return False
        detail = f"after {duration_words(reminder.waited_seconds)}; asked {', '.join(reminder.who)}"
        job.record(actor=SYSTEM, action=REMINDED, detail=detail)
        return True

    job, changed = ctx.store.update(job.id, apply)
    if changed:
        ctx.port_for(job).reminder(job, reminder)
    return changed


def _expire(ctx: StageContext, job: Job, settings: ReminderSettings, moment: datetime) -> bool:
    """Discard a review nobody decided: the message first, then the discard a click makes."""
    version = job.version(Stage.REVIEW)
    waited = duration_words(settings.expire_after_seconds)

    def apply(job: Job) -> bool:
        if due(job, settings, now=moment) != Due.EXPIRE:
            return False
        job.record(actor=SYSTEM, action=EXPIRED, detail=f"no decision in {waited}")
        return True

    job, changed = ctx.store.update(job.id, apply)
    if not changed:
        return False
    ctx.port_for(job).notice(job, expiry_words(job, waited=waited))
    decide(
        ctx,
        DecisionRequest(job.id, Stage.REVIEW, version, Action.DISCARD, SYSTEM_PERSON),
        permissions=Permissions(anyone=True),
        key=f"expired:{job.id}:{version}",
    )
    return True


def expiry_words(job: Job, *, waited: str) -> str:
    """What the thread reads when a review expires: why, what happens, how to ask again."""
    branch = f"the branch {job.branch}" if job.branch else "its branch"
    return (
        f"Nobody merged or discarded this import in {waited}, so it expired: {branch} is "
        "being discarded and main never saw it. To import it again, ask again with the same "
        "request."
    )
