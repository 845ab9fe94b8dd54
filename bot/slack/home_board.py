"""A person's App Home built from the job store, and published: by the bot when they open it
(or act from it), by the workers' Slack port when a job they asked for or may decide on moves.

`home_jobs` is pure (jobs and permissions in, what the Home lists out); `HomeBoard` reads the
store and calls views.publish. A Home that cannot be published is logged, never raised: the job
goes on whatever the tab shows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from redis.exceptions import RedisError
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from agents import review_words
from bot.slack.messages.home import HomeJob, home_view
from workers.error_words import in_plain_words
from workers.errors import JobError
from workers.job import Job, Person
from workers.job_store import JobStore
from workers.permissions import Permissions
from workers.stage_table import Action, Stage
from workers.states import FINAL, Status

log = logging.getLogger(__name__)
SCANNED = 300
"""How many of the newest jobs a Home is built from."""
MAX_AUDIENCE = 50
"""At most this many Homes are published again when one job moves."""
_WAITS_FOR: dict[Status, tuple[Action, str]] = {
    Status.AWAITING_CONFIRMATION: (Action.APPROVE, "confirm what I understood"),
    Status.AWAITING_ANSWERS: (Action.ANSWER, "answer the questions"),
    Status.AWAITING_SCHEMA_APPROVAL: (Action.APPROVE, "approve the proposed schema"),
    Status.AWAITING_PLAN_APPROVAL: (Action.APPROVE, "approve the import plan"),
    Status.AWAITING_REVIEW: (Action.MERGE, "merge or discard it"),
}


def home_jobs(user: str, jobs: list[Job], permissions: Permissions) -> list[HomeJob]:
    """What `user`'s Home lists of `jobs` (newest first): the jobs they asked for, those
    awaiting a decision they may take, and those they decided on."""
    person = Person(id=user, name=user)
    listed = []
    for job in jobs:
        awaits = _awaits(job, person, permissions)
        acted = any(entry.actor == user for entry in job.audit)
        if job.requester.id == user or awaits or acted:
            listed.append(_home_job(job, awaits))
    return listed


def _awaits(job: Job, person: Person, permissions: Permissions) -> str | None:
    """What `person` is to do about `job` now ("approve the import plan"), None: nothing."""
    if job.status in FINAL or job.status not in _WAITS_FOR:
        return None
    action, words = _WAITS_FOR[job.status]
    try:
        permissions.check(action, person, job)
    except JobError:
        return None
    return words


def _home_job(job: Job, awaits: str | None) -> HomeJob:
    summary = (job.request().summary if job.has(Stage.UNDERSTANDING) else "") or job.text
    return HomeJob(
        job_id=job.id,
        status=job.status,
        summary=summary,
        database=job.database,
        branch=job.branch,
        channel=job.place.channel,
        thread_ts=job.place.thread_ts,
        review_version=job.version(Stage.REVIEW) or None,
        review=_review_line(job),
        awaits_viewer=awaits,
        error=in_plain_words(job.error) if job.status == Status.FAILED else None,
    )


def _review_line(job: Job) -> str | None:
    """`Ready to merge · 165 rows added, 3 modified, …` for a job awaiting its review."""
    if job.status != Status.AWAITING_REVIEW or not job.has(Stage.REVIEW):
        return None
    review = job.review()
    return f"{review_words.verdict(review).sentence} · {review_words.totals(review)}"


def home_audience(job: Job, permissions: Permissions) -> set[str]:
    """User ids whose Home lists `job`: the requester, who acted on it, and who may decide
    in its status or in the one it just left (their "Waiting for you" changes)."""
    users = {job.requester.id} | {entry.actor for entry in job.audit}
    left = job.audit[-1].status_from if job.audit else None
    for status in {job.status, left} - {None}:
        users |= _deciders(status, permissions)
    return {user for user in users if user.startswith(("U", "W"))}


def _deciders(status: Status | None, permissions: Permissions) -> set[str]:
    """Who may decide on a job in `status`, groups expanded (besides its requester)."""
    if status == Status.AWAITING_REVIEW and permissions.mergers is not None:
        named = permissions.mergers
    elif status in _WAITS_FOR:
        named = permissions.importers
    else:
        return set()
    users: set[str] = set()
    for one in named:
        users |= permissions.members_of(one) if one.startswith("S") else {one}
    return users


@dataclass(frozen=True)
class HomeBoard:
    client: WebClient
    store: JobStore
    permissions: Permissions

    def view_for(self, user: str, jobs: list[Job] | None = None) -> dict:
        """`user`'s Home, from `jobs` or the newest jobs in the store."""
        jobs = self.store.jobs(limit=SCANNED) if jobs is None else jobs
        may_merge = self.permissions.may_merge(Person(id=user, name=user))
        return home_view(home_jobs(user, jobs, self.permissions), viewer_can_merge=may_merge)

    def publish(self, user: str) -> None:
        """The Home of `user`, published (they opened it, or acted from it)."""
        self.client.views_publish(user_id=user, view=self.view_for(user))

    def refresh(self, job: Job) -> None:
        """Publish again the Homes `job` shows on: its requester's, and those of the people who
        may decide on it (the mergers, the importers); failures are logged."""
        try:
            jobs = self.store.jobs(limit=SCANNED)
            for user in sorted(home_audience(job, self.permissions))[:MAX_AUDIENCE]:
                self.client.views_publish(user_id=user, view=self.view_for(user, jobs))
        except (SlackApiError, RedisError, JobError) as error:
            log.warning("the App Home after job %s moved was not published: %s", job.id, error)
