"""Stuck candidates: open jobs that owe a step nobody is visibly doing (`importbot jobs`).

A job owes a step (`job.pending`) from the moment it is scheduled until the step saves its
result. While a worker runs it, the step's heartbeat is fresh (`workers.heartbeats`); a
heartbeat older than `stale_after`, or a step no worker began within that time, is a
candidate: the watchdog will run it again or fail the job, or no worker serves its queue.
A job waiting for a person owes nothing and is never a candidate.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from workers.heartbeats import Heartbeat
from workers.job import Job, now
from workers.stage_table import Step, step_row
from workers.states import OPEN


@dataclass(frozen=True)
class Stuck:
    job_id: str
    step: Step
    age_seconds: float
    """Since the step's last heartbeat, or since it was asked for when it never began."""
    began: bool

    @property
    def words(self) -> str:
        doing = step_row(self.step).words
        if self.began:
            return f"{doing}: no heartbeat for {duration(self.age_seconds)}"
        return f"{doing}: not begun for {duration(self.age_seconds)}"


def stuck_candidates(
    jobs: Iterable[Job],
    heartbeats: Mapping[str, Heartbeat],
    *,
    stale_after: float,
    at: datetime | None = None,
) -> dict[str, Stuck]:
    moment = at or now()
    found = {}
    for job in jobs:
        if job.status not in OPEN or job.pending is None:
            continue
        beat = heartbeats.get(job.id)
        if beat is not None and beat.step == job.pending:
            age, began = moment.timestamp() - beat.at, True
        else:
            age, began = (moment - job.updated_at).total_seconds(), False
        if age > stale_after:
            found[job.id] = Stuck(job.id, job.pending, age, began)
    return found


def duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 2 * 3600:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"
