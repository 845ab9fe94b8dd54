"""A port that records what the stages said, in memory or in Redis (for tests and tooling)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from agents.artifacts import ImportPlan, ImportRequest, Question, Review, SchemaProposal
from workers.job import Job
from workers.stage_table import Stage
from workers.waiting import Reminder, reminder_text
from workers.who_acts import named

if TYPE_CHECKING:
    from redis import Redis


def _event(kind: str, job: Job, **fields: Any) -> dict[str, Any]:
    body = {
        key: value.model_dump(mode="json") if isinstance(value, BaseModel) else value
        for key, value in fields.items()
    }
    return {"kind": kind, "job": job.id, "status": job.status.value, **body}


class _Recorder:
    def _add(self, event: dict[str, Any]) -> None:
        raise NotImplementedError

    def understanding(self, job: Job, request: ImportRequest, *, version: int) -> None:
        self._add(_event(Stage.UNDERSTANDING, job, request=request, version=version))

    def questions(self, job: Job, questions: list[Question], *, version: int) -> None:
        self._add(
            _event(
                Stage.QUESTIONS,
                job,
                questions=[q.model_dump() for q in questions],
                version=version,
            )
        )

    def schema(self, job: Job, proposal: SchemaProposal, *, version: int) -> None:
        self._add(_event(Stage.SCHEMA, job, proposal=proposal, version=version))

    def plan(self, job: Job, plan: ImportPlan, *, version: int) -> None:
        self._add(_event(Stage.PLAN, job, plan=plan, version=version))

    def progress(self, job: Job, table: str, done: int, expected: int) -> None:
        self._add(_event("progress", job, table=table, done=done, expected=expected))

    def review(self, job: Job, review: Review, *, version: int) -> None:
        self._add(_event(Stage.REVIEW, job, review=review, version=version))

    def notice(self, job: Job, text: str) -> None:
        self._add(_event("notice", job, text=text))

    def finished(self, job: Job) -> None:
        self._add(_event("finished", job, error=job.error))

    def reminder(self, job: Job, reminder: Reminder) -> None:
        self._add(
            _event(
                "reminder",
                job,
                stage=reminder.stage.value,
                who=list(reminder.who),
                text=reminder_text(reminder, who=named(reminder.who, joined_by="or")),
            )
        )


class MemoryRecordingPort(_Recorder):
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def _add(self, event: dict[str, Any]) -> None:
        self.events.append(event)

    def kinds(self) -> list[str]:
        return [event["kind"] for event in self.events]


class RedisRecordingPort(_Recorder):
    """Appends each event to the Redis list `importbot:events:<job>`."""

    def __init__(self, client: Redis) -> None:
        self.redis = client

    def _add(self, event: dict[str, Any]) -> None:
        self.redis.rpush(events_key(event["job"]), json.dumps(event))

    def events(self, job_id: str) -> list[dict[str, Any]]:
        return [json.loads(raw) for raw in self.redis.lrange(events_key(job_id), 0, -1)]


def events_key(job_id: str) -> str:
    return f"importbot:events:{job_id}"
