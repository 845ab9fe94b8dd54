"""A new job: recorded in the store (one per thread, however often the request arrives) and
its first step scheduled."""

from __future__ import annotations

from collections.abc import Sequence

from agents import pipeline
from agents.stages.grammar_text import redact_credentials
from workers.context import Scheduler
from workers.job import Attachment, Job, Person, Place
from workers.job_store import JobStore
from workers.stage_table import Step


def submit_job(
    *,
    store: JobStore,
    scheduler: Scheduler,
    text: str,
    requester: Person,
    place: Place,
    attachments: Sequence[Attachment] = (),
    job_id: str | None = None,
) -> tuple[Job, bool]:
    """The job and whether it is new (False: this thread already had one). A password or token
    written in the request is kept only as ***."""
    text = redact_credentials(text)
    job = Job(
        id=job_id or pipeline.new_job_id(),
        requester=requester,
        place=place,
        text=text,
        attachments=list(attachments),
        conversation=[f"person: {text}"],
    )
    job.record(actor=requester.id, action="requested", detail=text)
    stored = store.create(job)
    created = stored is job  # the store hands back the existing job for a repeated request
    if created:
        scheduler.schedule(Step.UNDERSTAND, stored)
    return stored, created
