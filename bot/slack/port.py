"""The Slack side of the conversation port: what the stages say, posted into the job's thread.

Artifacts go out as Block Kit (pure renderers in `bot.slack.messages`); what does not fit goes
into the thread as files (files_upload_v2). Progress is one checklist message edited in place
(`progress_board`); the Web API client retries on 429 after Retry-After.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from redis import Redis
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from agents.artifacts import ImportPlan, ImportRequest, Question, Review, SchemaProposal
from bot.slack.home_board import HomeBoard
from bot.slack.merger_dms import message_mergers
from bot.slack.messages import (
    ButtonRef,
    Message,
    render_final,
    render_notice,
    render_plan,
    render_questions,
    render_review,
    render_review_details,
    render_schema,
    render_understanding,
)
from bot.slack.messages.nudges import render_reminder
from bot.slack.progress_board import ProgressBoard
from bot.slack.versions import ArtifactMessages
from workers.error_words import in_plain_words
from workers.job import Job
from workers.redis_store import text_reply
from workers.stage_table import Stage
from workers.states import Status
from workers.waiting import Reminder, expired

PROGRESS_EVERY_SECONDS = 3.0
OUTCOME_REACTIONS = {  # on the request message when the job ends so
    Status.MERGED: "white_check_mark",
    Status.DISCARDED: "wastebasket",
    Status.FAILED: "x",
}
DECIDED_REVIEWS = {Status.MERGED: "Merge into main", Status.DISCARDED: "Discard"}
log = logging.getLogger(__name__)


class SlackPort:
    def __init__(
        self,
        client: WebClient,
        redis: Redis,
        *,
        progress_every: float = PROGRESS_EVERY_SECONDS,
        mergers: frozenset[str] | None = None,
        broadcast_outcome: bool = True,
        notify_mergers: str = "mention",
        members_of: Callable[[str], frozenset[str]] | None = None,
        homes: HomeBoard | None = None,
    ) -> None:
        self.client = client
        self.redis = redis
        self.progress_every = progress_every
        self.board = ProgressBoard(client, redis, every=progress_every)
        self.versions = ArtifactMessages(client, redis)
        self.mergers = mergers
        """Who may merge (user and user-group ids); None: the requester or an importer."""
        self.broadcast_outcome = broadcast_outcome
        """Merged, discarded or failed: the final line is also sent to the channel."""
        self.homes = homes
        """The App Homes the job shows on, published again when it moves (None: not)."""
        self.notify_mergers = notify_mergers
        """"mention": the review names the mergers; "dm": each merger also gets a DM."""
        self.members_of = members_of or (lambda group: frozenset())
        """A user group's members (the directory's), for the DMs."""

    # -- the port ----------------------------------------------------------------------------
    def understanding(self, job: Job, request: ImportRequest, *, version: int) -> None:
        message = render_understanding(request, ref=_ref(job, Stage.UNDERSTANDING, version))
        self._post_version(job, Stage.UNDERSTANDING, version, message)

    def questions(self, job: Job, questions: list[Question], *, version: int) -> None:
        message = render_questions(questions, ref=_ref(job, Stage.QUESTIONS, version))
        self._post_version(job, Stage.QUESTIONS, version, message)

    def schema(self, job: Job, proposal: SchemaProposal, *, version: int) -> None:
        inspection = job.inspection()
        ref = _ref(job, Stage.SCHEMA, version)
        message = render_schema(
            proposal, ref=ref, snapshots=inspection.snapshots, skipped=inspection.skipped
        )
        self._post_version(job, Stage.SCHEMA, version, message)

    def plan(self, job: Job, plan: ImportPlan, *, version: int) -> None:
        self._post_version(
            job, Stage.PLAN, version, render_plan(plan, ref=_ref(job, Stage.PLAN, version))
        )

    def progress(self, job: Job, table: str, done: int, expected: int) -> None:
        self.board.report(job, table, done, expected)

    def review(self, job: Job, review: Review, *, version: int) -> None:
        """The review on one screen, then the reply with its details and files."""
        self.board.finish(job, review)
        ref = _ref(job, Stage.REVIEW, version)
        mergers = sorted(self.mergers) if self.mergers else [job.requester.id]
        review_message = render_review(
            review,
            ref=ref,
            mergers=mergers,
            or_importers=not self.mergers,
            can_change=not job.reverts,
        )
        review_ts = self._post_version(
            job, Stage.REVIEW, version, review_message, render_review_details(review, ref=ref)
        )
        if self.notify_mergers == "dm" and self.mergers:
            message_mergers(
                self.client,
                job,
                review,
                review_ts=review_ts,
                mergers=self.mergers,
                members_of=self.members_of,
            )

    def notice(self, job: Job, text: str) -> None:
        self.post(job, render_notice(text))

    def reminder(self, job: Job, reminder: Reminder) -> None:
        self.post(job, render_reminder(reminder))

    def finished(self, job: Job) -> None:
        if job.status in (Status.FAILED, Status.CANCELLED):
            self.board.stop(job)
        last = job.audit[-1] if job.audit else None
        actor = last.actor if last and last.actor.startswith(("U", "W")) else None
        if job.status in DECIDED_REVIEWS:  # from the thread or the App Home: the review says so
            decision, by = DECIDED_REVIEWS[job.status], actor
            if expired(job):  # nobody decided: the watchdog discarded it
                decision, by = f"{decision} (nobody decided in time)", "importbot"
            self.versions.decided(job, Stage.REVIEW, decision=decision, user_id=by)
        merged = f"merge commit {job.merge_commit[:12]}" if job.merge_commit else ""
        detail = in_plain_words(job.error) or merged
        if job.reverts and job.status == Status.MERGED:
            detail += f"\nThis undid the merge of import {job.reverts}."
        if job.status == Status.CANCELLED and last is not None and last.detail:
            detail = (  # an answer stopped it
                f"Stopped because {last.detail}. To import it again, ask again and say how: "
                "append, upsert or replace."
            )
        outcome = OUTCOME_REACTIONS.get(job.status)
        self.post(
            job,
            render_final(
                job_id=job.id,
                status=job.status,
                database=job.database,
                branch=job.branch,
                user_id=actor,
                detail=detail,
                retry=_retry_ref(job),
                revert=_ref(job, Stage.REVIEW, job.version(Stage.REVIEW)),
            ),
            broadcast=self.broadcast_outcome and outcome is not None,
        )
        if outcome is not None and not job.reverts:  # a revert's outcome is the thread's
            self._react(job, outcome)
        self._refresh_homes(job)

    # -- posting -----------------------------------------------------------------------------
    def _post_version(
        self, job: Job, stage: Stage, version: int, message: Message, reply: Message | None = None
    ) -> str:
        """An artifact's message (its ts), and the `reply` that goes with it; the versions it
        replaces fold to one line, their replies too."""
        ts = self.post(job, message)
        replies = (self.post(job, reply),) if reply is not None else ()
        self.versions.posted(job, stage, version, message, ts, replies=replies)
        self._refresh_homes(job)
        return ts

    def _refresh_homes(self, job: Job) -> None:
        """The job moved (a stage awaits someone, or it ended): the Homes it shows on follow."""
        if self.homes is not None:
            self.homes.refresh(job)

    def post(self, job: Job, message: Message, *, broadcast: bool = False) -> str:
        """`message` in the job's thread; `broadcast`: also shown in the channel."""
        channel, thread = _thread(job)
        extra: dict[str, Any] = {}
        if not message.link_previews:
            extra |= {"unfurl_links": False, "unfurl_media": False}
        if broadcast and thread:
            extra["reply_broadcast"] = True
        ts = self.client.chat_postMessage(
            channel=channel, thread_ts=thread, text=message.text, blocks=message.blocks, **extra
        )["ts"]
        for file in message.files:
            self.client.files_upload_v2(
                channel=channel,
                thread_ts=thread,
                content=file.content,
                filename=file.filename,
                title=file.title,
            )
        return ts

    def _react(self, job: Job, name: str) -> None:
        """`:name:` on the message that started the job, in place of the outcome shown
        before (❌, then ✅ after a Retry); a reaction that cannot be changed (the scope
        missing, the message deleted) is logged, never raised."""
        channel, thread = _thread(job)
        if not thread:
            return
        key = f"importbot:slack:outcome:{channel}:{thread}"
        shown = self.redis.getset(key, name)
        self.redis.expire(key, 30 * 24 * 3600)
        before = text_reply(shown) if shown is not None else None
        changes = [(self.client.reactions_add, name)]
        if before and before != name:
            changes.insert(0, (self.client.reactions_remove, before))
        for change, emoji in changes:
            try:
                change(channel=channel, timestamp=thread, name=emoji)
            except SlackApiError as error:
                said = error.response.get("error")
                log.warning("reaction :%s: on the request of job %s: %s", emoji, job.id, said)


def _thread(job: Job) -> tuple[str, str | None]:
    """The job's channel and thread: a Slack job is always asked in a channel."""
    channel = job.place.channel
    assert channel is not None, f"job {job.id} has no Slack channel"
    return channel, job.place.thread_ts


def _retry_ref(job: Job) -> ButtonRef | None:
    """What a failed job's Retry acts on; a failed revert is started again from the merged
    import's Revert instead (its request is no text to edit)."""
    if job.reverts:
        return None
    return _ref(job, Stage.UNDERSTANDING, job.version(Stage.UNDERSTANDING))


def _ref(job: Job, stage: Stage, version: int) -> ButtonRef:
    return ButtonRef(job_id=job.id, stage=stage, version=version)
