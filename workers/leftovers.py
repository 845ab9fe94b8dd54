"""What a job that ends without a merge must not leave behind: a database it created for itself
while that database still holds nothing."""

from __future__ import annotations

import contextlib

from dolt.errors import DoltError
from workers.context import StageContext
from workers.job import Job


def drop_created_database(ctx: StageContext, job: Job) -> None:
    """A database this job created is deleted when the job ends without a merge while the
    database holds nothing (no table on main, no branch but main): a request that failed or was
    cancelled at any stage, or stopped with Ctrl-C, leaves no empty database behind."""
    if job.created_database and job.database:
        with contextlib.suppress(DoltError):
            ctx.server.drop_if_untouched(name=job.database)
