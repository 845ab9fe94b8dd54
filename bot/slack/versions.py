"""Which Slack message shows which version of a job's artifact, so old versions fold away.

Each artifact message the port posts is recorded (job, stage, version → its ts and what it
showed). When version N of a stage is posted, every older version still showing is edited in
place to one line, "Replaced by version N (what changed)", without its buttons; when a job
ends (merged, discarded — from the thread or the App Home), its review message loses its
buttons and says the decision; while a change is being made, the version it replaces says
"revising…". A failing edit never fails the job: the old message stays.
"""

from __future__ import annotations

import json
import logging

from redis import Redis
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.messages.decided import render_decided
from bot.slack.messages.message import Message
from bot.slack.messages.replaced import render_replaced, render_revising, render_shown_again
from workers.job import Job
from workers.redis_store import text_reply
from workers.stage_table import Stage, stage_row

log = logging.getLogger(__name__)
KEPT_SECONDS = 30 * 24 * 3600


class ArtifactMessages:
    def __init__(self, client: WebClient, redis: Redis) -> None:
        self.client = client
        self.redis = redis

    def posted(
        self,
        job: Job,
        stage: Stage,
        version: int,
        message: Message,
        ts: str,
        *,
        replies: tuple[str, ...] = (),
    ) -> None:
        """`message` (version `version` of `stage`) was posted as `ts`, with `replies` that go
        with it (the review's details): fold the older ones."""
        key = self._key(job, stage)
        records = self._shown(key)
        for older, shown in records.items():
            if older < version and not shown.get("folded"):
                change = _feedback(job, stage, version)
                folded = render_replaced(stage_row(stage).words, older, version, change)
                if self._update(job, shown["ts"], folded):
                    self.redis.hset(key, str(older), json.dumps({**shown, "folded": True}))
                for reply in shown.get("replies", ()):
                    self._update(job, reply, folded)
        again = records.get(version)
        if again and again["ts"] != ts and not again.get("folded"):  # the same version reposted
            self._update(job, again["ts"], render_shown_again(stage_row(stage).words, version))
        record = {"ts": ts, "text": message.text, "blocks": message.blocks, "replies": replies}
        self.redis.hset(key, str(version), json.dumps(record))
        self.redis.expire(key, KEPT_SECONDS)

    def decided(self, job: Job, stage: Stage, *, decision: str, user_id: str | None) -> None:
        """The newest version of `stage` was decided (from anywhere): its buttons go."""
        key = self._key(job, stage)
        found = self._newest_open(key)
        if found is None:
            return
        version, record, original = found
        decided = render_decided(original, decision=decision, user_id=user_id or "someone")
        if self._update(job, record["ts"], decided):
            self.redis.hset(key, str(version), json.dumps({**record, "decided": True}))

    def revising(self, job: Job, stage: Stage, change: str) -> None:
        """A change to the newest version of `stage` was asked: it says "revising…" until the
        next version replaces it."""
        found = self._newest_open(self._key(job, stage))
        if found is not None:
            _, record, original = found
            self._update(job, record["ts"], render_revising(original, change))

    # -- plumbing ------------------------------------------------------------------------------
    def _key(self, job: Job, stage: Stage) -> str:
        return f"importbot:slack:messages:{job.id}:{stage.value}"

    def _newest_open(self, key: str) -> tuple[int, dict, Message] | None:
        """The newest version's record and message, unless it was folded or decided."""
        shown = self._shown(key)
        if not shown:
            return None
        version = max(shown)
        record = shown[version]
        if record.get("folded") or record.get("decided"):
            return None
        return version, record, Message(text=record["text"], blocks=record["blocks"])

    def _shown(self, key: str) -> dict[int, dict]:
        raw = self.redis.hgetall(key)
        return {int(text_reply(k)): json.loads(text_reply(v)) for k, v in raw.items()}

    def _update(self, job: Job, ts: str, message: Message) -> bool:
        try:
            self.client.chat_update(
                channel=job.place.channel or "", ts=ts, text=message.text, blocks=message.blocks
            )
        except SlackApiError as error:
            log.warning(
                "job %s: message %s not updated: %s", job.id, ts, error.response.get("error")
            )
            return False
        return True


def _feedback(job: Job, stage: Stage, version: int) -> str:
    """The words the new version answers (a change asked for), when there are any."""
    for artifact in job.artifacts.get(stage, []):
        if artifact.version == version:  # a revision of what was loaded: the review's change
            return artifact.feedback or str(artifact.artifact.get("change") or "")
    return ""
