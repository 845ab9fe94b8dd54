"""What the bot does with what Slack sends: requests, thread replies, clicks, modals, /import,
App Home. Each handler verifies who may do it, deduplicates, records, and enqueues — the work
happens on the workers. Refusals are ephemeral, in the thread where the person acted, and say
why; a changes modal that cannot be taken is answered in the modal. In a job's thread only what
is meant for the bot is acted on (`bot.slack.thread_replies`): chatter is left alone. What a
person writes is kept, shown back and enqueued with any password or token in it replaced by ***.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from bot.slack.directory import SlackDirectory
from bot.slack.files import distinct_names
from bot.slack.help_words import asks_for_help
from bot.slack.home_board import HomeBoard
from bot.slack.messages import (
    ButtonRef,
    Message,
    QuestionRef,
    changes_modal,
    render_decided,
)
from bot.slack.messages import actions as ids
from bot.slack.messages.asked import render_asked
from bot.slack.messages.change_context import change_context, request_context
from bot.slack.messages.help import render_help
from bot.slack.messages.modal import FEEDBACK_ACTION, FEEDBACK_BLOCK, field_errors
from bot.slack.messages.new_import import (
    new_import_errors,
    new_import_modal,
    new_import_request,
)
from bot.slack.thread_replies import Reply, read_reply
from bot.slack.versions import ArtifactMessages
from workers.celery_scheduler import CeleryScheduler
from workers.errors import JobError, JobNotFound, NotAllowed, OutdatedVersion
from workers.job import Attachment, Job, Person, Place
from workers.job_store import JobStore
from workers.permissions import Permissions
from workers.redis_store import RedisJobStore
from workers.revision_in_words import revised_in_words
from workers.stage_table import AFTER_FAILURE, Action, Stage, awaited_stage, stage_row
from workers.submit import redact_credentials, submit_job

log = logging.getLogger(__name__)
DAY = 24 * 3600
NOT_A_MEMBER = frozenset({"not_in_channel", "channel_not_found"})
"""What chat.postMessage answers where the bot was not invited (public / private channel)."""
INVITE_ME = (
    "I am not in this channel, so I cannot start the import's thread here. Invite me with "
    "`/invite @importbot` and run the command again, or send me the request in a direct message."
)
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
_CHANGES = {ids.EDIT_UNDERSTANDING, ids.CHANGE_SCHEMA, ids.CHANGE_PLAN, ids.CHANGE_IMPORT}


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
    reads_changes_with_model: bool = False
    """The workers have a language model: a change the request grammar cannot read goes to it
    (without one, the changes modal refuses it at once)."""
    grammar: str = ""
    """The request grammar as the CLI shows it, for the help card."""

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
            raw = event.get("text") or ""
            mentions_bot = event.get("type") == "app_mention" or f"<@{self.bot_user_id}" in raw
            self._reply(
                job,
                user=user,
                channel=channel,
                text=redact_credentials(raw),
                thread_ts=thread,
                mentions_bot=mentions_bot,
            )
            return
        mentioned = event.get("type") == "app_mention"
        if not (mentioned or event.get("channel_type") == "im") or thread:
            return
        if asks_for_help(text) and not event.get("files"):  # "hi", "help": no job
            card = self.help_card()
            in_thread = None if event.get("channel_type") == "im" else ts
            self.client.chat_postMessage(
                channel=channel, thread_ts=in_thread, text=card.text, blocks=card.blocks
            )
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
        asked = render_asked(user_id=user, command=command.get("command") or "/import", text=text)
        try:
            started = self.client.chat_postMessage(
                channel=channel,
                text=asked.text,
                blocks=asked.blocks,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as error:
            if error.response.get("error") not in NOT_A_MEMBER or not command.get("response_url"):
                raise
            WebhookClient(command["response_url"]).send(text=INVITE_ME, response_type="ephemeral")
            return
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

    def _reply(
        self,
        job: Job,
        *,
        user: str,
        channel: str,
        text: str,
        thread_ts: str | None,
        mentions_bot: bool,
    ) -> None:
        """A message in a job's thread: acted on only when it is meant for the bot — an
        answer, a change, cancel (`bot.slack.thread_replies`); chatter is left alone."""
        person = self.directory.person(user)
        refusal = ""
        try:
            self.permissions.check("change", person, job)
        except NotAllowed as refused:
            refusal = f"{refused} Tell them in the thread; they can ask me."
        reading = read_reply(
            job,
            text=text,
            may_change=not refusal,
            mentions_bot=mentions_bot,
            bot_user_id=self.bot_user_id,
        )
        said = self._without_mention(text)
        if reading.reply == Reply.IGNORE:
            return
        if reading.reply == Reply.REFUSE_ONCE:
            if self.store.claim(f"slack:refused:{job.id}:{user}", ttl_seconds=DAY):
                self._ephemeral(channel, user, refusal, thread_ts=thread_ts)
            return
        if reading.reply == Reply.ASK_ONCE:
            asked = f"slack:asked:{job.id}:{job.version(Stage.QUESTIONS)}:{user}"
            if self.store.claim(asked, ttl_seconds=DAY):
                self._ephemeral(channel, user, reading.note, thread_ts=thread_ts)
            return
        if reading.reply == Reply.NOT_NOW:
            self._ephemeral(channel, user, reading.note, thread_ts=thread_ts)
            return
        if reading.reply == Reply.CANCEL:
            stage = Stage.UNDERSTANDING
            self._decide(job, stage, job.version(stage), Action.CANCEL, person)
            return
        awaited = awaited_stage(job.status)
        if awaited is None:  # read_reply said NOT_NOW for these
            return
        stage = awaited.stage
        if reading.reply == Reply.ANSWER:
            self._decide(
                job, stage, job.version(stage), Action.ANSWER, person, answers=reading.answers
            )
            return
        self._decide(job, stage, job.version(stage), Action.REVISE, person, feedback=said)

    # -- clicks and modals -------------------------------------------------------------------
    def on_action(self, body: dict[str, Any]) -> None:
        action = body["actions"][0]
        action_id = action["action_id"]
        user = body["user"]["id"]
        channel = (body.get("channel") or {}).get("id")
        if action_id == ids.ANSWER_QUESTION:
            return  # a choice in a select: read when the answers are submitted
        if action_id == ids.NEW_IMPORT:  # the App Home's button: the request is asked in a modal
            self.client.views_open(trigger_id=body["trigger_id"], view=new_import_modal())
            return
        clicked_in = (body.get("message") or {}).get("thread_ts")  # refusals go where it was
        try:
            ref = ButtonRef.decode(action.get("value") or "")
        except ValueError:
            self._ephemeral(channel, user, "That button is not from this bot.", clicked_in)
            return
        try:
            job = self.store.get(ref.job_id)
        except JobNotFound as missing:
            self._ephemeral(channel, user, str(missing), clicked_in)
            return
        if clicked_in is None and channel == job.place.channel:
            clicked_in = job.place.thread_ts
        person = self.directory.person(user)
        if action_id in _CHANGES:
            if self._allowed(job, person, Action.REVISE, ref, channel, clicked_in):
                self.client.views_open(
                    trigger_id=body["trigger_id"],
                    view=changes_modal(
                        ref=ref,
                        title=_changes_title(ref.stage),
                        context=change_context(_shown(job, ref.stage), version=ref.version),
                    ),
                )
            return
        if action_id == ids.EDIT_FAILED_REQUEST:
            if self._allowed(job, person, Action.EDIT_REQUEST, ref, channel, clicked_in):
                self.client.views_open(
                    trigger_id=body["trigger_id"],
                    view=changes_modal(
                        ref=ref,
                        title="Edit the request",
                        callback_id=ids.EDIT_REQUEST_MODAL_CALLBACK,
                        context=request_context(job.text),
                    ),
                )
            return
        if action_id == ids.CANCEL:
            stage, decision = ref.stage, Action.CANCEL
        elif action_id == ids.RETRY:
            stage, decision = ref.stage, Action.RETRY
        elif action_id == ids.REVERT:  # a new job reverts the merge; its review follows
            stage, decision = ref.stage, Action.REVERT
        elif action_id in _BUTTONS:
            stage, decision = _BUTTONS[action_id]
        else:
            return
        answers = self._answers(body, job) if action_id == ids.SUBMIT_ANSWERS else {}
        if not self._allowed(job, person, decision, ref, channel, clicked_in):
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
                chosen=_chosen(body) if action_id == ids.SUBMIT_ANSWERS else {},
            )
            self.client.chat_update(
                channel=channel,
                ts=message["ts"],
                text=decided.text or f"Decided: {decision.words}",
                blocks=decided.blocks,
            )
        if body.get("view", {}).get("type") == "home":
            self.on_home(user)

    def view_errors(self, body: dict[str, Any]) -> dict[str, str]:
        """Why a submitted changes modal cannot be taken, as `response_action: "errors"` wants
        them (block id → message, shown in the modal); {} when it can. Read before the modal
        is acknowledged: only the store, the directory and the request grammar are asked."""
        view = body["view"]
        try:
            ref = ButtonRef.decode(view["private_metadata"])
            job = self.store.get(ref.job_id)
        except (ValueError, JobNotFound) as unknown:
            return field_errors(str(unknown))
        change = _feedback(view)
        if not change.strip():
            return field_errors("Say what should change.")
        action = _modal_action(view)
        try:
            self.permissions.check(action, self.directory.person(body["user"]["id"]), job)
            if action not in AFTER_FAILURE:
                job.check_version(ref.stage, ref.version)
        except JobError as refused:
            return field_errors(_refusal(refused, ref))
        if action == Action.REVISE and job.reverts is not None:
            return field_errors(
                f"This job reverts the merge of import {job.reverts} as a whole; it takes no "
                "changes: merge it or discard it."
            )
        row = stage_row(ref.stage)
        in_words_only = action == Action.REVISE and not self.reads_changes_with_model
        if in_words_only and row.stage != Stage.UNDERSTANDING:  # understand reads it anew
            in_words = revised_in_words(job, change, row)
            if isinstance(in_words, str):
                return field_errors(in_words)
        return {}

    def on_view_submission(self, body: dict[str, Any]) -> None:
        view = body["view"]
        ref = ButtonRef.decode(view["private_metadata"])
        feedback = _feedback(view)
        job = self.store.get(ref.job_id)
        person = self.directory.person(body["user"]["id"])
        action = _modal_action(view)
        where = job.place.channel, job.place.thread_ts
        if self._allowed(job, person, action, ref, *where):
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
    def on_new_import(self, body: dict[str, Any]) -> None:
        """The New import modal submitted (`new_import_errors` found nothing wrong): the request
        starts its thread in the chosen channel (or the person's DM with the bot) and becomes a
        job as a mention does."""
        user = body["user"]["id"]
        asked = new_import_request(body["view"])
        text = redact_credentials(asked.text)
        text = text if _SAYS_THE_VERB.search(text) else f"import {text}"
        said = render_asked(user_id=user, command="", text=text)
        try:
            started = self.client.chat_postMessage(
                channel=asked.channel or user,  # a user id: the DM with the bot
                text=said.text,
                blocks=said.blocks,
                unfurl_links=False,
                unfurl_media=False,
            )
        except SlackApiError as error:
            if error.response.get("error") not in NOT_A_MEMBER:
                raise
            self.client.chat_postMessage(channel=user, text=INVITE_ME)
            return
        channel = started.get("channel") or asked.channel or user
        self._request(text, user=user, channel=channel, thread_ts=started["ts"], files=asked.files)

    @staticmethod
    def new_import_errors(body: dict[str, Any]) -> dict[str, str]:
        """Why the New import modal cannot be taken (block id → message), {} when it can."""
        return new_import_errors(body["view"])

    def on_home(self, user: str) -> None:
        """The dashboard (`bot.slack.home_board`); the workers publish it again as jobs move."""
        HomeBoard(self.client, self.store, self.permissions).publish(user)

    # -- shared ------------------------------------------------------------------------------
    def help_card(self) -> Message:
        """What the bot imports, examples, the grammar and who may merge."""
        mergers = self.permissions.mergers
        return render_help(grammar=self.grammar, mergers=sorted(mergers) if mergers else None)

    def _allowed(
        self,
        job: Job,
        person: Person,
        decision: Action,
        ref: ButtonRef,
        channel: str | None,
        thread_ts: str | None,
    ) -> bool:
        try:
            self.permissions.check(decision, person, job)
            if decision != Action.CANCEL and decision not in AFTER_FAILURE:
                job.check_version(ref.stage, ref.version)
        except JobError as refused:
            if channel is None:
                channel, thread_ts = job.place.channel, job.place.thread_ts
            self._ephemeral(channel, person.id, _refusal(refused, ref), thread_ts)
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
        if action == Action.REVISE and isinstance(self.store, RedisJobStore):
            messages = ArtifactMessages(self.client, self.store.redis)
            messages.revising(job, stage, str(more.get("feedback") or ""))

    def _ephemeral(
        self, channel: str | None, user: str, text: str, thread_ts: str | None = None
    ) -> None:
        """Seen by `user` only, in the thread where they acted (`thread_ts`) when there is one."""
        if channel and thread_ts:
            self.client.chat_postEphemeral(
                channel=channel, user=user, text=text, thread_ts=thread_ts
            )
        elif channel:
            self.client.chat_postEphemeral(channel=channel, user=user, text=text)
        else:
            log.info("refused %s without a channel: %s", user, text)

    def _without_mention(self, text: str) -> str:
        return re.sub(rf"<@{re.escape(self.bot_user_id)}(\|[^>]*)?>", "", text).strip()


def _chosen(body: dict[str, Any]) -> dict[str, str]:
    """What each select of the clicked message shows chosen: block id → the option's text."""
    chosen = {}
    for block_id, fields in (body.get("state") or {}).get("values", {}).items():
        for field in fields.values():
            option = (field or {}).get("selected_option") or {}
            text = (option.get("text") or {}).get("text")
            if text:
                chosen[block_id] = str(text)
    return chosen


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


def _changes_title(stage: Stage) -> str:
    """The changes modal's title (Slack allows 24 characters: `changes_modal` cuts it at a
    word, "Change the schema…")."""
    if stage == Stage.REVIEW:
        return "Change what was loaded"
    return f"Change the {stage_row(stage).words}"


def _shown(job: Job, stage: Stage) -> BaseModel | None:
    """The newest artifact of `stage` (what a changes modal is about), None when there is none."""
    if not job.has(stage):
        return None
    return job.artifact(stage, stage_row(stage).artifact)


def _feedback(view: dict[str, Any]) -> str:
    """What the changes modal says should change, credentials replaced by ***."""
    field = view["state"]["values"][FEEDBACK_BLOCK][FEEDBACK_ACTION]
    return redact_credentials(field.get("value") or "")


def _modal_action(view: dict[str, Any]) -> Action:
    edits_request = view.get("callback_id") == ids.EDIT_REQUEST_MODAL_CALLBACK
    return Action.EDIT_REQUEST if edits_request else Action.REVISE
