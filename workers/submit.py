"""A new job: recorded in the store (one per thread, however often the request arrives) and
its first step scheduled.

A job id is the day and 10 random characters of Crockford's base32 (50 bits): at 1,000 jobs a
day, two of one day share an id with a chance of about 1 in 2 billion. Even then nothing is
lost: an id another request holds is noticed at submit, and a new one is drawn."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from agents.stages.grammar_text import redact_credentials
from workers.context import Scheduler
from workers.errors import JobError, JobNotFound
from workers.job import Attachment, Job, Person, Place
from workers.job_store import JobStore
from workers.stage_table import Step

__all__ = ["JobIdsExhausted", "new_job_id", "redact_credentials", "submit_job"]

ID_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # no i, l, o, u: nothing to misread
ID_RANDOM_CHARACTERS = 10
ID_ATTEMPTS = 5


class JobIdsExhausted(JobError):
    """Every id drawn for a request was already taken (a broken random source)."""


def new_job_id() -> str:
    """`20261207-k3f9q2m7xa`: the day (UTC), then 50 random bits."""
    drawn = "".join(secrets.choice(ID_ALPHABET) for _ in range(ID_RANDOM_CHARACTERS))
    return f"{datetime.now(UTC):%Y%m%d}-{drawn}"


def submit_job(
    *,
    store: JobStore,
    scheduler: Scheduler,
    text: str,
    requester: Person,
    place: Place,
    attachments: Sequence[Attachment] = (),
    new_id: Callable[[], str] = new_job_id,
) -> tuple[Job, bool]:
    """The job and whether it is new (False: this thread already had one). A password or token
    written in the request is kept only as ***. An id another job holds is never reused: the
    request gets another (`JobIdsExhausted` when `ID_ATTEMPTS` draws were all taken)."""
    text = redact_credentials(text)
    for _ in range(ID_ATTEMPTS):
        job = Job(
            id=new_id(),
            requester=requester,
            place=place,
            text=text,
            attachments=list(attachments),
            conversation=[f"person: {text}"],
        )
        if _taken(store, job.id):
            continue  # before create: the Redis store would index the id for this requester
        job.record(actor=requester.id, action="requested", detail=text)
        stored = store.create(job)
        if stored is job:
            scheduler.schedule(Step.UNDERSTAND, stored)
            return stored, True
        if _same_thread(stored.place, place):
            return stored, False  # the store hands back the thread's job for a repeated request
    raise JobIdsExhausted(f"No free job id after {ID_ATTEMPTS} tries; the request was not saved.")


def _taken(store: JobStore, job_id: str) -> bool:
    try:
        store.get(job_id)
    except JobNotFound:
        return False
    return True


def _same_thread(stored: Place, asked: Place) -> bool:
    where = (asked.channel, asked.thread_ts)
    return all(where) and (stored.channel, stored.thread_ts) == where
