"""A job's load as one checklist message in its thread, edited in place.

Every batch the executor reports updates the checklist's state in Redis (a load after one
that ended, a new revision of the branch, gets a checklist of its own); the message is edited
at most every `every` seconds (a table finishing does not force an edit), and once more when
the load ends: done, with what each table got and rejected (from the review), or stopped.
Progress never slows the load: its edits go through a client that does not wait out a 429,
and a 429 holds further edits back until its Retry-After passed; any Slack error on progress
is logged and dropped.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, replace

from redis import Redis
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from agents.artifacts import Review
from bot.slack.messages.checklist import TableProgress, render_checklist
from workers.job import Job
from workers.redis_store import text_reply
from workers.stage_table import Stage

log = logging.getLogger(__name__)
KEPT_SECONDS = 7 * 24 * 3600


@dataclass
class _Board:
    """What the checklist message shows and when it was last edited."""

    ts: str
    at: float
    blocked_until: float
    tables: list[TableProgress]


class ProgressBoard:
    def __init__(self, client: WebClient, redis: Redis, *, every: float) -> None:
        self.client = client
        """Retries 429s after Retry-After: used once the load ended, when waiting is fine."""
        self.quick = WebClient(token=client.token, base_url=client.base_url, retry_handlers=[])
        """Does not wait out a 429: used while the load runs."""
        self.redis = redis
        self.every = every

    def report(self, job: Job, table: str, done: int, expected: int) -> None:
        now = time.time()
        state = self._state(job)
        if state.tables and all(row.finished or row.stopped for row in state.tables):
            state = _Board(ts="", at=0, blocked_until=0, tables=_planned(job))  # a new load
        tables = state.tables
        for index, row in enumerate(tables):
            if row.table == table:
                tables[index] = row.reported(done, expected, now=now)
                break
        else:
            tables.append(TableProgress(table=table, expected=expected).reported(done, 0, now=now))
        due = not state.ts or now - state.at >= self.every
        if due and now >= state.blocked_until:
            self._send(job, state, now=now, client=self.quick)
        else:
            self._save(job, state)

    def finish(self, job: Job, review: Review) -> None:
        """The load ended: every table done, with what the review measured it got."""
        state = self._state(job)
        if not state.ts:
            return
        changed = {t.name: t for t in review.tables}
        finished = []
        for row in state.tables:
            table = changed.get(row.table)
            outcome = "no rows changed"
            if table is not None:
                outcome = f"+{table.rows_added:,} added"
                if table.rows_modified or table.rows_deleted:
                    outcome += f", {table.rows_modified:,} modified, {table.rows_deleted:,} deleted"
                if table.rows_rejected:
                    outcome += f" · {table.rows_rejected:,} rejected"
                if table.rows_filtered:
                    outcome += f" · {table.rows_filtered:,} filtered out"
            finished.append(replace(row, finished=True, outcome=outcome))
        state.tables = finished
        self._send(job, state, now=time.time(), client=self.client)

    def stop(self, job: Job) -> None:
        """The job ended before its load did: the tables not done are stopped."""
        state = self._state(job)
        if not state.ts or all(row.finished for row in state.tables):
            return
        state.tables = [row if row.finished else replace(row, stopped=True) for row in state.tables]
        self._send(job, state, now=time.time(), client=self.client)

    # -- state ---------------------------------------------------------------------------------
    def _key(self, job: Job) -> str:
        return f"importbot:slack:progress:{job.id}"

    def _state(self, job: Job) -> _Board:
        raw = {text_reply(k): text_reply(v) for k, v in self.redis.hgetall(self._key(job)).items()}
        tables = [TableProgress(**row) for row in json.loads(raw.get("tables") or "[]")]
        return _Board(
            ts=raw.get("ts") or "",
            at=float(raw.get("at") or 0),
            blocked_until=float(raw.get("blocked_until") or 0),
            tables=tables or _planned(job),
        )

    def _save(self, job: Job, state: _Board) -> None:
        self.redis.hset(
            self._key(job),
            mapping={
                "ts": state.ts,
                "at": str(state.at),
                "blocked_until": str(state.blocked_until),
                "tables": json.dumps([row.as_dict() for row in state.tables]),
            },
        )
        self.redis.expire(self._key(job), KEPT_SECONDS)

    def _send(self, job: Job, state: _Board, *, now: float, client: WebClient) -> None:
        message = render_checklist(job.id, state.tables)
        channel, thread = job.place.channel, job.place.thread_ts
        assert channel is not None, f"job {job.id} has no Slack channel"
        try:
            if state.ts:
                client.chat_update(
                    channel=channel, ts=state.ts, text=message.text, blocks=message.blocks
                )
            else:
                state.ts = client.chat_postMessage(
                    channel=channel, thread_ts=thread, text=message.text, blocks=message.blocks
                )["ts"]
            state.at = now
        except SlackApiError as error:
            if error.response.status_code == 429:
                wait = float(error.response.headers.get("Retry-After", self.every) or self.every)
                state.blocked_until = now + wait
            log.warning("progress of job %s not shown: %s", job.id, error.response.get("error"))
        self._save(job, state)


def _planned(job: Job) -> list[TableProgress]:
    """Every table of the approved plan, waiting, with the rows it expects."""
    if not job.has(Stage.PLAN):
        return []
    return [
        TableProgress(table=step.table, expected=step.expected_rows)
        for step in job.import_plan().steps
    ]
