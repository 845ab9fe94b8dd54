"""Issue 15, point 1: the pass over jobs waiting for a person, on a real Redis store and a real
doltlite database — one reminder per wait however often it runs, and a review nobody decided
discarded by "system" the way a Discard click goes (its branch really deleted)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis

from agents.sources.resolve import SourcePolicy
from dolt import open_server
from tests.conftest import REQUESTER
from tests.fakes.redis_dbs import STORES_REDIS_URL as REDIS_URL
from workers.context import StageContext
from workers.inline_scheduler import InlineScheduler
from workers.job import ArtifactVersion, AuditEntry, Job, Person, Place, now
from workers.recording_port import MemoryRecordingPort
from workers.redis_store import RedisJobStore
from workers.reminders import remind_once
from workers.stage_table import Stage
from workers.states import Status
from workers.waiting import EXPIRED, REMINDED, Due, ReminderSettings

SETTINGS = ReminderSettings(
    remind_after_seconds=4 * 3600, expire_after_seconds=7 * 86400, mergers=frozenset({"S_LEADS"})
)
BRANCH = "import/J1"


@pytest.fixture
def ctx(tmp_path):
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    port = MemoryRecordingPort()
    with open_server(f"doltlite:{tmp_path / 'dbs'}") as server:
        database = server.create_database(name="families")
        with database.write_session(branch="main") as session:
            session.execute_ddl(sql="CREATE TABLE people (id INT PRIMARY KEY, name TEXT)")
            session.insert_rows(table="people", columns=["id", "name"], rows=[(1, "Ada")])
            session.commit(message="people", author=REQUESTER)
        database.create_branch(name=BRANCH)
        database.close()
        yield StageContext(
            store=RedisJobStore(client),
            server=server,
            policy=SourcePolicy(roots=(tmp_path,)),
            jobs_dir=tmp_path / "jobs",
            scheduler=InlineScheduler(),
            port_for=lambda job: port,
        )
    client.flushdb()


def _waiting(ctx, status: Status, job_id: str = "J1") -> Job:
    stage = Stage.REVIEW if status == Status.AWAITING_REVIEW else Stage.SCHEMA
    return ctx.store.create(
        Job(
            id=job_id,
            requester=Person(id="U_ADA", name="Ada"),
            place=Place(kind="recording"),
            text="import people.csv into families",
            status=status,
            pending=None,
            database="families",
            branch=BRANCH if status == Status.AWAITING_REVIEW else None,
            artifacts={stage: [ArtifactVersion(version=1, artifact={})]},
            audit=[AuditEntry(actor="worker", action="v1", status_to=status)],
        )
    )


def _events(ctx, kind: str) -> list[dict]:
    port = ctx.port_for(None)
    return [event for event in port.events if event["kind"] == kind]


def _branches(ctx) -> list[str]:
    database = ctx.server.database(name="families")
    try:
        return [branch.name for branch in database.list_branches()]
    finally:
        database.close()


def test_a_job_waiting_past_remind_after_is_reminded_exactly_once(ctx):
    _waiting(ctx, Status.AWAITING_SCHEMA_APPROVAL)
    assert remind_once(ctx, SETTINGS, now_at=now() + timedelta(hours=3)) == []
    later = now() + timedelta(hours=5)
    (outcome,) = remind_once(ctx, SETTINGS, now_at=later)
    assert outcome.did == Due.REMIND
    assert remind_once(ctx, SETTINGS, now_at=later) == []  # the pass runs again: nothing new
    assert remind_once(ctx, SETTINGS, now_at=later + timedelta(days=3)) == []
    (reminder,) = _events(ctx, "reminder")
    assert reminder["who"] == ["U_ADA"] and "schema proposal has waited 5 hours" in reminder["text"]
    job = ctx.store.get("J1")
    assert [e.action for e in job.audit].count(REMINDED) == 1
    assert job.status == Status.AWAITING_SCHEMA_APPROVAL  # a reminder moves nothing


def test_a_review_reminder_names_the_mergers(ctx):
    _waiting(ctx, Status.AWAITING_REVIEW)
    remind_once(ctx, SETTINGS, now_at=now() + timedelta(hours=4))
    (reminder,) = _events(ctx, "reminder")
    assert reminder["who"] == ["S_LEADS"]
    assert "<!subteam^S_LEADS>: please merge it or discard it" in reminder["text"]


def test_a_review_nobody_decided_expires_its_branch_discarded_by_system(ctx):
    _waiting(ctx, Status.AWAITING_REVIEW)
    _waiting(ctx, Status.AWAITING_SCHEMA_APPROVAL, job_id="J2")  # only reviews expire
    week = now() + timedelta(days=7, minutes=1)
    outcomes = remind_once(ctx, SETTINGS, now_at=week)
    assert {(o.job_id, o.did) for o in outcomes} == {("J1", Due.EXPIRE), ("J2", Due.REMIND)}
    assert remind_once(ctx, SETTINGS, now_at=week) == []  # the discard is owed once
    ctx.scheduler.run_pending(ctx)  # the discard step, as a worker runs it
    job = ctx.store.get("J1")
    assert job.status == Status.DISCARDED
    assert job.audit[-1].actor == "system" and EXPIRED in [e.action for e in job.audit]
    assert BRANCH not in _branches(ctx)
    (notice,) = _events(ctx, "notice")
    assert "expired" in notice["text"] and "ask again" in notice["text"]
    assert "import/J1" in notice["text"]
    assert [e["job"] for e in _events(ctx, "finished")] == ["J1"]
    assert ctx.store.get("J2").status == Status.AWAITING_SCHEMA_APPROVAL
