"""The watchdog's rounds over heartbeats in the real Redis (db 14 by default), with jobs in a
real store and a scheduler that records what it was asked to run; and stuck candidates."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import redis

from agents.sources.resolve import SourcePolicy
from dolt import open_server
from tests.fakes.redis_dbs import STORES_REDIS_URL as REDIS_URL
from workers.context import StageContext
from workers.heartbeats import RedisHeartbeats, heartbeat_key
from workers.inline_scheduler import InlineScheduler
from workers.job import Job, Person, Place, now
from workers.recording_port import MemoryRecordingPort
from workers.redis_store import RedisJobStore
from workers.stage_table import Step
from workers.states import Status
from workers.stuck import stuck_candidates
from workers.watchdog import RESTARTED, WatchdogSettings, watch_once

SETTINGS = WatchdogSettings(
    every_seconds=1, stale_after_seconds=10, max_restarts=2, not_begun_after_seconds=60
)


@pytest.fixture
def ctx(tmp_path):
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    port = MemoryRecordingPort()
    with open_server(f"doltlite:{tmp_path / 'dbs'}") as server:
        yield StageContext(
            store=RedisJobStore(client),
            server=server,
            policy=SourcePolicy(roots=(tmp_path,)),
            jobs_dir=tmp_path / "jobs",
            scheduler=InlineScheduler(),
            port_for=lambda job: port,
            heartbeats=RedisHeartbeats(client),
        )
    client.flushdb()


def _job(ctx, status=Status.RUNNING, pending=Step.EXECUTE, job_id="J1") -> Job:
    job = Job(
        id=job_id,
        requester=Person(id="U_ADA", name="Ada"),
        place=Place(kind="recording"),
        text="import a.csv into db",
        status=status,
        pending=pending,
        database="db",
    )
    return ctx.store.create(job)


def _beat(ctx, job_id="J1", step=Step.EXECUTE, *, ago=60.0, **arguments):
    ctx.heartbeats.beat(
        job_id, step=step, worker="host:1", started=time.time(), arguments=arguments
    )
    ctx.heartbeats.redis.zadd("importbot:heartbeats", {job_id: time.time() - ago})
    ctx.heartbeats.redis.hset(heartbeat_key(job_id), "at", f"{time.time() - ago:.3f}")


def _scheduled(ctx):
    return [(step, job_id, arguments) for step, job_id, arguments in ctx.scheduler.pending]


def test_a_step_whose_worker_stopped_is_scheduled_again_and_counted(ctx):
    _job(ctx, status=Status.AWAITING_SCHEMA_APPROVAL, pending=Step.PROPOSE_SCHEMA)
    _beat(ctx, step=Step.PROPOSE_SCHEMA, feedback="call it persons")
    _beat(ctx, "J2", ago=1)  # a fresh heartbeat (no job needed): left alone
    (outcome,) = watch_once(ctx, ctx.heartbeats, SETTINGS)
    assert outcome.did == RESTARTED
    assert _scheduled(ctx) == [(Step.PROPOSE_SCHEMA, "J1", {"feedback": "call it persons"})]
    job = ctx.store.get("J1")
    assert job.audit[-1].action == RESTARTED and "(1 of 2)" in job.audit[-1].detail
    assert ctx.heartbeats.restarts("J1") == 1
    assert watch_once(ctx, ctx.heartbeats, SETTINGS) == []  # not stale until it beats again


def test_a_step_that_keeps_stopping_fails_the_job_saying_why(ctx):
    _job(ctx)
    _beat(ctx)
    ctx.heartbeats.redis.hset(heartbeat_key("J1"), "restarts", 2)
    (outcome,) = watch_once(ctx, ctx.heartbeats, SETTINGS)
    job = ctx.store.get("J1")
    assert (outcome.did, job.status, job.failed_step) == ("gave up", Status.FAILED, "execute")
    assert "stopped 3 times without finishing" in job.error
    assert "importbot retry J1" in job.error
    assert ctx.port_for(job).kinds() == ["finished"]
    assert ctx.heartbeats.get("J1") is None and _scheduled(ctx) == []


def test_the_next_step_a_dead_worker_had_not_scheduled_yet_is_scheduled(ctx):
    _job(ctx, status=Status.INSPECTING, pending=Step.PROPOSE_SCHEMA)  # inspect saved, then died
    _beat(ctx, step=Step.INSPECT)
    (outcome,) = watch_once(ctx, ctx.heartbeats, SETTINGS)
    assert (outcome.step, outcome.did) == (Step.PROPOSE_SCHEMA, RESTARTED)
    assert _scheduled(ctx) == [(Step.PROPOSE_SCHEMA, "J1", {})]


def test_a_job_that_moved_on_only_loses_the_heartbeat(ctx):
    _job(ctx, status=Status.AWAITING_REVIEW, pending=None)
    _beat(ctx)
    (outcome,) = watch_once(ctx, ctx.heartbeats, SETTINGS)
    assert outcome.did == "forgotten" and _scheduled(ctx) == []
    assert ctx.heartbeats.get("J1") is None


def test_a_cancelled_job_gets_its_step_once_more_to_remove_the_branch(ctx):
    _job(ctx, status=Status.CANCELLED, pending=None)
    _beat(ctx)
    (outcome,) = watch_once(ctx, ctx.heartbeats, SETTINGS)
    assert outcome.did == "cleaned up"
    assert _scheduled(ctx) == [(Step.EXECUTE, "J1", {})]


def test_a_step_owed_long_with_no_heartbeat_at_all_is_scheduled_again(ctx):
    ctx.store.update(_job(ctx).id, lambda job: None)
    assert watch_once(ctx, ctx.heartbeats, SETTINGS) == []  # just asked for
    later = time.time() + 61
    (outcome,) = watch_once(ctx, ctx.heartbeats, SETTINGS, now=later)
    assert outcome.did == RESTARTED and _scheduled(ctx) == [(Step.EXECUTE, "J1", {})]
    assert "no worker began it" in ctx.store.get("J1").audit[-1].detail


def test_a_step_pausing_before_its_next_try_is_not_stale(ctx):
    _job(ctx, status=Status.RECEIVED, pending=Step.UNDERSTAND)
    ctx.heartbeats.beat(
        "J1",
        step=Step.UNDERSTAND,
        worker="host:1",
        started=time.time(),
        arguments={},
        ahead_seconds=100,
    )
    assert watch_once(ctx, ctx.heartbeats, SETTINGS, now=time.time() + 90) == []
    assert len(watch_once(ctx, ctx.heartbeats, SETTINGS, now=time.time() + 120)) == 1


def test_stuck_candidates_are_open_jobs_owing_a_step_nobody_visibly_does(ctx):
    running = _job(ctx)
    waiting = _job(ctx, status=Status.AWAITING_PLAN_APPROVAL, pending=None, job_id="J2")
    queued = _job(ctx, status=Status.RECEIVED, pending=Step.UNDERSTAND, job_id="J3")
    _beat(ctx, ago=125)
    at = now() + timedelta(seconds=5)
    found = stuck_candidates(
        [running, waiting, queued], ctx.heartbeats.all(), stale_after=30, at=at
    )
    assert set(found) == {"J1"}
    assert found["J1"].words.startswith("loading the branch: no heartbeat for 2 min")
    later = stuck_candidates([queued], {}, stale_after=30, at=now() + timedelta(minutes=3))
    assert later["J3"].words == "reading the request: not begun for 3 min"
