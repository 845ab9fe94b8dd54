"""What the bot does with what Slack sends: requests, thread replies, clicks, modals, /import,
App Home. Each handler verifies who may do it, deduplicates, records, and enqueues — the work
happens on the workers. Refusals are ephemeral and say why. What a person writes is kept, shown
back and enqueued with any password or token in it replaced by ***.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient

from bot.slack.directory import SlackDirectory
from bot.slack.files import distinct_names
from bot.slack.messages import (
    ButtonRef,
    HomeJob,
    Message,
    QuestionRef,
    changes_modal,
    home_view,
    render_decided,
)
from bot.slack.messages import actions as ids
from workers.celery_scheduler import CeleryScheduler
from workers.errors import JobError, JobNotFound, NotAllowed, OutdatedVersion
from workers.job import Attachment, Job, Person, Place
from workers.job_store import JobStore
from workers.permissions import REPLY, Permissions
from workers.stage_table import AFTER_FAILURE, Action, Stage, awaited_stage, stage_row
from workers.states import OPEN, Status
from workers.submit import redact_credentials, submit_job

log = logging.getLogger(__name__)
DAY = 24 * 3600
CANCEL_WORDS = frozenset({"cancel", "stop", "abort"})
# A sentence that starts with a verb of the request grammar (after "please", say): the text is
# a whole request, even when another sentence comes first ("There is a server on …. Import …")
_SAYS_THE_VERB = re.compile(
    r"(?:^|[.!?]\s+|\n)\s*(?:(?:please|pls|kindly|can\s+you|could\s+you)\s+)*"
    r"(?:import|load|append|upsert|replace)\b",
    re.I,
)
# Button → (stage, decision). Buttons not here open a modal or only read state.
_BUTTONS: dict[str, tuple[Stage, Action]] = {
    ids.CONFIRM_UNDERSTANDING: (Stage.UNDERSTANDING, Action.APPROVE),
    ids.SKIP_QUESTIONS: (Stage.QUESTIONS, Action.SKIP),
    ids.SUBMIT_ANSWERS: (Stage.QUESTIONS, Action.ANSWER),
    ids.APPROVE_SCHEMA: (Stage.SCHEMA, Action.APPROVE),
    ids.RUN_PLAN: (Stage.PLAN, Action.APPROVE),
    ids.MERGE: (Stage.REVIEW, Action.MERGE),
    ids.DISCARD: (Stage.REVIEW, Action.DISCARD),
}
_CHANGES = {ids.EDIT_UNDERSTANDING, ids.CHANGE_SCHEMA, ids.CHANGE_PLAN}


@dataclass
class SlackIntake:
    store: JobStore
    scheduler: CeleryScheduler
    client: WebClient
    directory: SlackDirectory
    permissions: Permissions
    bot_user_id: str
    bot_id: str | None = None
    team_id: str | None = None
    app_id: str | None = None

    # -- requests ----------------------------------------------------------------------------
    def on_event(self, body: dict[str, Any]) -> None:
        """app_mention and message events (DMs, thread replies)."""
        event = body.get("event", {})
        if event.get("bot_id") or event.get("subtype") not in (None, "file_share"):
            return
        user, channel, ts = event.get("user"), event.get("channel"), event.get("ts")
        if not (user and channel and ts) or user == self.bot_user_id:
            return
        if not self.store.claim(f"slack:message:{channel}:{ts}", ttl_seconds=DAY):
            return  # the same message as a mention and a message event, or a redelivery
        text = redact_credentials(self._without_mention(event.get("text") or ""))
        thread = event.get("thread_ts")
        job = self.store.find_by_thread(channel, thread) if thread else None
        if job is not None:
            self._reply(job, user=user, channel=channel, text=text)
            return
        mentioned = event.get("type") == "app_mention"
        if not (mentioned or event.get("channel_type") == "im") or thread:
            return
        self._request(text, user=user, channel=channel, thread_ts=ts, files=event.get("files"))

    def on_command(self, command: dict[str, Any]) -> None:
        """`/import <request>`: a message in the channel starts the job's thread."""
        user, channel = command["user_id"], command["channel_id"]
        text = redact_credentials((command.get("text") or "").strip())
        if not text:
            self._ephemeral(
                channel, user, "Say what to import, e.g. `/import data/*.csv into sales`."
            )
            return
        started = self.client.chat_postMessage(
            channel=channel, text=f"<@{user}> asked: /import {text}"
        )
        self._request(text, user=user, channel=channel, thread_ts=started["ts"], files=None)

    def _request(
        self,
        text: str,
        *,
        user: str,
        channel: str,
        thread_ts: str,
        files: list[dict[str, Any]] | None,
    ) -> None:
        if text and not _SAYS_THE_VERB.search(text):
            text = f"import {text}"  # `/import people.csv into x`, or a mention without the verb
        attachments = _attachments(files or [])
        submit_job(
            store=self.store,
            scheduler=self.scheduler,
            text=text,
            requester=self.directory.person(user),
            place=Place(kind="slack", channel=channel, thread_ts=thread_ts),
            attachments=attachments,
        )

    def _reply(self, job: Job, *, user: str, channel: str, text: str) -> None:
        """A reply in a job's thread: cancel, an answer, or a change to what is shown."""
        if not text:
            return
        person = self.directory.person(user)
        try:
            self.permissions.check(REPLY, person, job)
        except NotAllowed as refused:
            self._ephemeral(channel, user, str(refused))
            return
        if text.strip().lower().rstrip(".!") in CANCEL_WORDS:
            stage = Stage.UNDERSTANDING
            self._decide(job, stage, job.version(stage), Action.CANCEL, person)
            return
        awaited = awaited_stage(job.status)
        if awaited is None or awaited.stage == Stage.REVIEW or job.pending:
            self._ephemeral(
                channel,
                user,
                f"Job {job.id} is {job.status.words}; there is nothing to answer right now.",
            )
            return
        stage = awaited.stage
        if stage == Stage.QUESTIONS:
            questions = job.questions().questions
            target = next((q for q in questions if not q.choices), questions[0])
            answers = {target.id: text}
            self._decide(job, stage, job.version(stage), Action.ANSWER, person, answers=answers)
            return
        self._decide(job, stage, job.version(stage), Action.REVISE, person, feedback=text)

    # -- clicks and modals -------------------------------------------------------------------
    def on_action(self, body: dict[str, Any]) -> None:
        action = body["actions"][0]
        action_id = action["action_id"]
        user = body["user"]["id"]
        channel = (body.get("channel") or {}).get("id")
        if action_id == ids.ANSWER_QUESTION:
            return  # a choice in a select: read when the answers are submitted
        try:
            ref = ButtonRef.decode(action.get("value") or "")
        except ValueError:
            self._ephemeral(channel, user, "That button is not from this bot.")
            return
        try:
            job = self.store.get(ref.job_id)
        except JobNotFound as missing:
            self._ephemeral(channel, user, str(missing))
            return
        person = self.directory.person(user)
        if action_id in _CHANGES:
            if self._allowed(job, person, Action.REVISE, ref, channel):
                self.client.views_open(
                    trigger_id=body["trigger_id"],
                    view=changes_modal(ref=ref, title=f"Change the {stage_row(ref.stage).words}"),
                )
            return
        if action_id == ids.EDIT_FAILED_REQUEST:
            if self._allowed(job, person, Action.EDIT_REQUEST, ref, channel):
                self.client.views_open(
                    trigger_id=body["trigger_id"],
                    view=changes_modal(
                        ref=ref,
                        title="Edit the request",
                        callback_id=ids.EDIT_REQUEST_MODAL_CALLBACK,
                    ),
                )
            return
        if action_id == ids.CANCEL:
            stage, decision = ref.stage, Action.CANCEL
        elif action_id == ids.RETRY:
            stage, decision = ref.stage, Action.RETRY
        elif action_id in _BUTTONS:
            stage, decision = _BUTTONS[action_id]
        else:
            return
        answers = self._answers(body, job) if action_id == ids.SUBMIT_ANSWERS else {}
        if not self._allowed(job, person, decision, ref, channel):
            return
        self._decide(
            job,
            stage,
            ref.version,
            decision,
            person,
            answers=answers,
            key=f"{user}:{action.get('action_ts')}",
        )
        message = body.get("message")
        if message and channel:
            decided = render_decided(
                Message(text=message.get("text", ""), blocks=message.get("blocks", [])),
                decision=decision.words,
                user_id=user,
            )
            self.client.chat_update(
                channel=channel,
                ts=message["ts"],
                text=decided.text or f"Decided: {decision.words}",
                blocks=decided.blocks,
            )
        if body.get("view", {}).get("type") == "home":
            self.on_home(user)

    def on_view_submission(self, body: dict[str, Any]) -> None:
        view = body["view"]
        ref = ButtonRef.decode(view["private_metadata"])
        feedback = redact_credentials(
            view["state"]["values"]["feedback"]["feedback"].get("value") or ""
        )
        job = self.store.get(ref.job_id)
        person = self.directory.person(body["user"]["id"])
        edits_request = view.get("callback_id") == ids.EDIT_REQUEST_MODAL_CALLBACK
        action = Action.EDIT_REQUEST if edits_request else Action.REVISE
        if self._allowed(job, person, action, ref, job.place.channel):
            self._decide(
                job,
                ref.stage,
                ref.version,
                action,
                person,
                feedback=feedback,
            )

    def _answers(self, body: dict[str, Any], job: Job) -> dict[str, str]:
        questions = job.questions().questions if job.has(Stage.QUESTIONS) else []
        answers = {}
        for block_id, fields in (body.get("state") or {}).get("values", {}).items():
            try:
                where = QuestionRef.decode(block_id)
            except ValueError:
                continue
            chosen = (fields.get(ids.ANSWER_QUESTION) or {}).get("selected_option")
            if chosen and where.index < len(questions):
                question = questions[where.index]
                index = int(chosen["value"])
                if 0 <= index < len(question.choices):
                    answers[question.id] = question.choices[index]
        return answers

    # -- App Home ----------------------------------------------------------------------------
    def on_home(self, user: str) -> None:
        may_merge = self.permissions.may_merge(Person(id=user, name=user))
        jobs = [j for j in self.store.jobs(limit=200) if j.status in OPEN]
        shown = [
            j
            for j in jobs
            if j.requester.id == user or (may_merge and j.status == Status.AWAITING_REVIEW)
        ]
        view = home_view([_home_job(j) for j in shown], viewer_can_merge=may_merge)
        self.client.views_publish(user_id=user, view=view)

    # -- shared ------------------------------------------------------------------------------
    def _allowed(
        self, job: Job, person: Person, decision: Action, ref: ButtonRef, channel: str | None
    ) -> bool:
        try:
            self.permissions.check(decision, person, job)
            if decision != Action.CANCEL and decision not in AFTER_FAILURE:
                job.check_version(ref.stage, ref.version)
        except JobError as refused:
            self._ephemeral(channel or job.place.channel, person.id, _refusal(refused, ref))
            return False
        return True

    def _decide(
        self,
        job: Job,
        stage: Stage,
        version: int,
        action: Action,
        person: Person,
        *,
        key: str | None = None,
        **more: Any,
    ) -> None:
        """Enqueue a decision already checked here (the worker checks it again)."""
        decision = {
            "job_id": job.id,
            "stage": stage.value,
            "version": version,
            "action": action.value,
            "actor": person.model_dump(),
            **more,
        }
        self.scheduler.decide(decision, key=key)

    def _ephemeral(self, channel: str | None, user: str, text: str) -> None:
        if channel:
            self.client.chat_postEphemeral(channel=channel, user=user, text=text)
        else:
            log.info("refused %s without a channel: %s", user, text)

    def _without_mention(self, text: str) -> str:
        return re.sub(rf"<@{re.escape(self.bot_user_id)}(\|[^>]*)?>", "", text).strip()


def _refusal(refused: JobError, ref: ButtonRef) -> str:
    if isinstance(refused, OutdatedVersion):
        return (
            f"This {stage_row(ref.stage).words} was replaced (version {refused.current} is "
            "current); use the newest message in the thread."
        )
    return str(refused)


def _attachments(files: list[dict[str, Any]]) -> list[Attachment]:
    """The files of a message, by URL; two with one name are told apart (people.csv,
    people-2.csv), so each is downloaded to a file of its own."""
    names = distinct_names([f.get("name") or f.get("title") or "attachment" for f in files])
    return [
        Attachment(name=name, url=f.get("url_private_download") or f.get("url_private"))
        for name, f in zip(names, files, strict=True)
    ]


def _home_job(job: Job) -> HomeJob:
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
    )
