"""The watchdog: finds steps whose worker stopped beating and runs them again, or fails the job.

Every worker process runs `watch_forever` in a thread. Each round takes the Redis lock
`importbot:watchdog:lock` (SET NX, expiring after one interval), so one worker's round runs per
interval however many workers there are; the winner looks at every heartbeat older than
`stale_after` (`workers.heartbeats`) and:

- a step the job still owes is scheduled again (steps are idempotent: execute resets its
  branch), at most `max_restarts` times; after that the job fails with the reason;
- a step of a job cancelled meanwhile is scheduled once more, so that it removes the branch
  the stopped worker left (on the database's own queue);
- a job that owes the *next* step (its worker died between saving a result and scheduling
  what follows) gets that step scheduled, counted the same way;
- anything else (the job moved on, or ended) only loses its heartbeat.

Then open jobs that have owed a step for `not_begun_after` with no heartbeat at all (the task
was lost before any worker began it: the process that asked for it died in between) get it
scheduled again, counted the same way.

Then jobs waiting for a person past `reminders.remind_after` get one reminder in their thread,
and reviews nobody decided for `reminders.expire_after` are discarded (`workers.reminders`).

After each round the watchdog's own beat, the Unix time, goes to `WATCHDOG_HEARTBEAT_KEY`
(`importbot:watchdog:heartbeat`), which `importbot doctor` reads.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import redis

from workers import giving_up
from workers.context import StageContext
from workers.errors import JobNotFound
from workers.health import beat_watchdog
from workers.heartbeats import Heartbeat, RedisHeartbeats, this_worker
from workers.job import Job
from workers.redis_store import RedisJobStore
from workers.reminders import remind_once
from workers.stage_table import RETRIED_IN, Step
from workers.states import Status
from workers.steps import fail
from workers.waiting import ReminderSettings

log = logging.getLogger(__name__)

WATCHDOG_LOCK_KEY = "importbot:watchdog:lock"
RESTARTED = "restarted"
"""The audit action of a step the watchdog scheduled again."""


@dataclass(frozen=True)
class WatchdogSettings:
    every_seconds: float = 15.0
    """How often a round runs (across all workers)."""
    stale_after_seconds: float = 30.0
    """A heartbeat older than this is a worker that stopped."""
    max_restarts: int = 2
    """How often a stopped step is run again before its job fails."""
    not_begun_after_seconds: float = 120.0
    """A step owed this long with no heartbeat at all lost its task before it began."""
    reminders: ReminderSettings | None = None
    """Jobs waiting for a person: reminded once, reviews expired (`workers.reminders`);
    None: not looked at."""


@dataclass(frozen=True)
class Outcome:
    job_id: str
    step: Step
    did: str
    """restarted | gave up (the job failed) | cleaned up | forgotten"""


def watch_once(
    ctx: StageContext,
    heartbeats: RedisHeartbeats,
    settings: WatchdogSettings,
    *,
    now: float | None = None,
) -> list[Outcome]:
    """One round over the stale heartbeats, then the steps owed but never begun."""
    found = heartbeats.stale(older_than_seconds=settings.stale_after_seconds, now=now)
    done = [_look_after(ctx, heartbeats, settings, beat) for beat in found]
    looked_at = {beat.job_id for beat in found}
    return done + _not_begun(ctx, heartbeats, settings, looked_at, now=now)


def _look_after(
    ctx: StageContext, heartbeats: RedisHeartbeats, settings: WatchdogSettings, beat: Heartbeat
) -> Outcome:
    try:
        job = ctx.store.get(beat.job_id)
    except JobNotFound:
        heartbeats.end(beat.job_id, step=beat.step)
        return Outcome(beat.job_id, beat.step, "forgotten")
    if job.status == Status.CANCELLED:
        heartbeats.end(beat.job_id, step=beat.step)
        ctx.scheduler.schedule(beat.step, job)  # it finds the job cancelled and cleans up
        return Outcome(job.id, beat.step, "cleaned up")
    owed = job.pending if job.pending is not None and job.owes(job.pending) else None
    if owed is None:  # the job moved on, or waits for a person
        heartbeats.end(beat.job_id, step=beat.step)
        return Outcome(job.id, beat.step, "forgotten")
    # the step that stopped, or the next one it had asked for but not scheduled yet
    arguments = dict(beat.arguments) if owed == beat.step else {}
    return _again(ctx, heartbeats, settings, job, owed, arguments, beat=beat)


def _not_begun(
    ctx: StageContext,
    heartbeats: RedisHeartbeats,
    settings: WatchdogSettings,
    looked_at: set[str],
    *,
    now: float | None,
) -> list[Outcome]:
    """Steps owed for `not_begun_after` with no heartbeat: their task was lost before it began
    (the process that asked for it died in between)."""
    moment = time.time() if now is None else now
    done = []
    for status in RETRIED_IN:
        for job in ctx.store.jobs(status=status, limit=10_000):
            step = job.pending
            if step is None or not job.owes(step) or job.id in looked_at:
                continue
            if moment - job.updated_at.timestamp() < settings.not_begun_after_seconds:
                continue
            if heartbeats.get(job.id) is not None:  # begun (beating, or stale: seen above)
                continue
            done.append(_again(ctx, heartbeats, settings, job, step, {}, beat=None))
    return done


def _again(
    ctx: StageContext,
    heartbeats: RedisHeartbeats,
    settings: WatchdogSettings,
    job: Job,
    step: Step,
    arguments: dict[str, str],
    *,
    beat: Heartbeat | None,
) -> Outcome:
    """Schedule the owed step again, or fail the job when a begun step stopped too often (a
    step never begun is only asked for again, uncounted: it may be waiting in a long queue)."""
    if beat is None:
        detail = f"{step} was asked for but no worker began it; asking again"
    else:
        if beat.restarts >= settings.max_restarts:
            heartbeats.end(job.id)
            reason = giving_up.worker_stopped(job.id, step, restarts=beat.restarts)
            fail(ctx, job.id, reason, step=step, arguments=arguments)
            return Outcome(job.id, step, "gave up")
        restarts = heartbeats.restarted(job.id)
        if isinstance(ctx.store, RedisJobStore):
            ctx.store.break_lock(job.id)  # held by the worker that stopped beating
        detail = (
            f"the worker {beat.worker} stopped beating {beat.age():.0f} s ago while "
            f"{beat.step} ran; running {step} again ({restarts} of {settings.max_restarts})"
        )
    job, _ = ctx.store.update(
        job.id, lambda job: job.record(actor="watchdog", action=RESTARTED, detail=detail)
    )
    ctx.scheduler.schedule(step, job, **arguments)
    return Outcome(job.id, step, RESTARTED)


def watch_forever(
    context: Callable[[], StageContext],
    heartbeats: RedisHeartbeats,
    settings: WatchdogSettings,
    *,
    stop: threading.Event,
) -> None:
    """Rounds until `stop` is set: each interval, the worker that takes the lock runs one."""
    client = heartbeats.redis
    me = this_worker()
    # the first round soon after start (a worker replaced often still watches), then about
    # once an interval; the lock keeps it to one round per interval across the workers
    pause = settings.every_seconds * random.uniform(0.1, 0.5)
    while not stop.wait(pause):
        pause = settings.every_seconds * random.uniform(0.8, 1.0)
        try:
            if not client.set(WATCHDOG_LOCK_KEY, me, nx=True, px=_ms(settings.every_seconds)):
                continue
            for outcome in watch_once(context(), heartbeats, settings):
                log.warning("watchdog: job %s %s: %s", outcome.job_id, outcome.step, outcome.did)
            if settings.reminders is not None:
                for waited in remind_once(context(), settings.reminders):
                    log.info("watchdog: job %s waited for a person: %s", waited.job_id, waited.did)
            beat_watchdog(client, at=time.time())
        except (redis.RedisError, OSError) as error:
            log.warning("watchdog round skipped: %s", error)
        except Exception:  # a round that fails must not end the watchdog
            log.exception("watchdog round failed")


def _ms(seconds: float) -> int:
    return max(1, int(seconds * 1000 * 0.9))


def start_watchdog(
    context: Callable[[], StageContext], heartbeats: RedisHeartbeats, settings: WatchdogSettings
) -> threading.Event:
    """The watchdog in a daemon thread of this process; set the event to stop it."""
    stop = threading.Event()
    threading.Thread(
        target=watch_forever,
        args=(context, heartbeats, settings),
        kwargs={"stop": stop},
        name="watchdog",
        daemon=True,
    ).start()
    return stop
