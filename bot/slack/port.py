"""The Slack side of the conversation port: what the stages say, posted into the job's thread.

Artifacts go out as Block Kit (pure renderers in `bot.slack.messages`); what does not fit goes
into the thread as files (files_upload_v2). Progress is one message edited in place, at most
every few seconds (and always at the end); the Web API client retries on 429 after Retry-After.
"""

from __future__ import annotations

import time

from redis import Redis
from slack_sdk import WebClient

from agents.artifacts import ImportPlan, ImportRequest, Question, Review, SchemaProposal
from bot.slack.messages import (
    ButtonRef,
    Message,
    render_final,
    render_notice,
    render_plan,
    render_progress,
    render_questions,
    render_review,
    render_schema,
    render_understanding,
)
from workers.job import Job
from workers.redis_store import text_reply
from workers.stage_table import Stage
from workers.states import Status

PROGRESS_EVERY_SECONDS = 3.0


class SlackPort:
    def __init__(
        self,
        client: WebClient,
        redis: Redis,
        *,
        progress_every: float = PROGRESS_EVERY_SECONDS,
    ) -> None:
        self.client = client
        self.redis = redis
        self.progress_every = progress_every

    # -- the port ----------------------------------------------------------------------------
    def understanding(self, job: Job, request: ImportRequest, *, version: int) -> None:
        self.post(job, render_understanding(request, ref=_ref(job, Stage.UNDERSTANDING, version)))

    def questions(self, job: Job, questions: list[Question], *, version: int) -> None:
        self.post(job, render_questions(questions, ref=_ref(job, Stage.QUESTIONS, version)))

    def schema(self, job: Job, proposal: SchemaProposal, *, version: int) -> None:
        inspection = job.inspection()
        ref = _ref(job, Stage.SCHEMA, version)
        self.post(
            job,
            render_schema(
                proposal, ref=ref, snapshots=inspection.snapshots, skipped=inspection.skipped
            ),
        )

    def plan(self, job: Job, plan: ImportPlan, *, version: int) -> None:
        self.post(job, render_plan(plan, ref=_ref(job, Stage.PLAN, version)))

    def progress(self, job: Job, table: str, done: int, expected: int) -> None:
        key = f"importbot:slack:progress:{job.id}"
        state = {text_reply(k): text_reply(v) for k, v in self.redis.hgetall(key).items()}
        now = time.time()
        finished = done >= expected
        if state and not finished and now - float(state["at"]) < self.progress_every:
            return
        message = render_progress(
            job_id=job.id, table=table, done=done, expected=expected, finished=finished
        )
        channel, thread = _thread(job)
        if state:
            self.client.chat_update(
                channel=channel, ts=state["ts"], text=message.text, blocks=message.blocks
            )
            ts = state["ts"]
        else:
            ts = self.client.chat_postMessage(
                channel=channel, thread_ts=thread, text=message.text, blocks=message.blocks
            )["ts"]
        self.redis.hset(key, mapping={"ts": ts, "at": str(now)})
        self.redis.expire(key, 7 * 24 * 3600)

    def review(self, job: Job, review: Review, *, version: int) -> None:
        self.post(job, render_review(review, ref=_ref(job, Stage.REVIEW, version)))

    def notice(self, job: Job, text: str) -> None:
        self.post(job, render_notice(text))

    def finished(self, job: Job) -> None:
        last = job.audit[-1] if job.audit else None
        actor = last.actor if last and last.actor.startswith(("U", "W")) else None
        detail = job.error or (f"merge commit {job.merge_commit[:12]}" if job.merge_commit else "")
        if job.status == Status.CANCELLED and last is not None and last.detail:
            detail = (  # an answer stopped it
                f"Stopped because {last.detail}. To import it again, ask again and say how: "
                "append, upsert or replace."
            )
        self.post(
            job,
            render_final(
                job_id=job.id,
                status=job.status,
                database=job.database,
                branch=job.branch,
                user_id=actor,
                detail=detail,
                retry=_ref(job, Stage.UNDERSTANDING, job.version(Stage.UNDERSTANDING)),
            ),
        )

    # -- posting -----------------------------------------------------------------------------
    def post(self, job: Job, message: Message) -> str:
        channel, thread = _thread(job)
        ts = self.client.chat_postMessage(
            channel=channel, thread_ts=thread, text=message.text, blocks=message.blocks
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


def _thread(job: Job) -> tuple[str, str | None]:
    """The job's channel and thread: a Slack job is always asked in a channel."""
    channel = job.place.channel
    assert channel is not None, f"job {job.id} has no Slack channel"
    return channel, job.place.thread_ts


def _ref(job: Job, stage: Stage, version: int) -> ButtonRef:
    return ButtonRef(job_id=job.id, stage=stage, version=version)
