"""A new job: recorded in the store (one per thread, however often the request arrives) and
its first step scheduled."""

from __future__ import annotations

from collections.abc import Sequence

from agents import pipeline
from workers.context import StageContext
from workers.job import Attachment, Job, Person, Place


def submit_job(
    ctx: StageContext,
    *,
    text: str,
    requester: Person,
    place: Place,
    attachments: Sequence[Attachment] = (),
    job_id: str | None = None,
) -> tuple[Job, bool]:
    """The job and whether it is new (False: this thread already had one)."""
    job = Job(
        id=job_id or pipeline.new_job_id(),
        requester=requester,
        place=place,
        text=text,
        attachments=list(attachments),
        conversation=[f"person: {text}"],
    )
    stored = ctx.store.create(job)
    created = stored.id == job.id and not stored.audit
    if created:
        ctx.store.update(
            job.id, lambda j: j.record(actor=requester.id, action="requested", detail=text)
        )
        ctx.scheduler.schedule("understand", stored)
    return stored, created
