"""The heartbeat of every running step, in Redis: proof that a worker is still at it.

While a step runs on a worker, a thread (`beating`) writes every few seconds:

- `importbot:heartbeat:<job>`: a hash with `step`, `worker` (host:pid), `at` (Unix time of the
  last beat), `started` (when this run began), `restarts` (how often the watchdog has run the
  step again) and `arguments` (the step's keyword arguments, JSON);
- `importbot:heartbeats`: a sorted set of job ids scored by `at`, so the watchdog finds the
  steps whose beat stopped with one range query.

Both are removed when the step ends, however it ends. A hash left behind with an old `at` is a
step whose worker stopped (killed, out of memory, past the hard time limit): the watchdog
(`workers.watchdog`) runs it again or fails the job. The terminal runs steps in its own
process and keeps no heartbeat.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import redis

from workers.redis_store import text_reply
from workers.stage_table import Step

log = logging.getLogger(__name__)

PREFIX = "importbot:"
HEARTBEATS_KEY = PREFIX + "heartbeats"
DEFAULT_EVERY_SECONDS = 5.0
BEAT_FIELDS = ("step", "worker", "at", "started", "arguments")
FORGOTTEN_AFTER_SECONDS = 24 * 3600
"""A restart count no step took up (the job ended otherwise) expires after a day."""


def heartbeat_key(job_id: str) -> str:
    return f"{PREFIX}heartbeat:{job_id}"


def this_worker() -> str:
    """How a heartbeat names the process beating it: `host:pid`."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Heartbeat:
    job_id: str
    step: Step
    worker: str
    at: float
    """Unix time of the last beat."""
    started: float
    restarts: int = 0
    arguments: Mapping[str, str] = field(default_factory=dict)

    def age(self, now: float | None = None) -> float:
        return (time.time() if now is None else now) - self.at


class RedisHeartbeats:
    """Heartbeats of running steps, next to the jobs in the job store's Redis."""

    def __init__(self, client: redis.Redis, *, every_seconds: float = DEFAULT_EVERY_SECONDS):
        self.redis = client
        self.every_seconds = every_seconds

    def beat(
        self,
        job_id: str,
        *,
        step: Step,
        worker: str,
        started: float,
        arguments: Mapping[str, str],
        ahead_seconds: float = 0.0,
    ) -> None:
        """Say the step is alive (the restart count is kept: it is the watchdog's). A step
        that pauses before its next try beats `ahead_seconds` ahead: alive until then."""
        at = time.time() + ahead_seconds
        pipe = self.redis.pipeline(transaction=True)
        pipe.hset(
            heartbeat_key(job_id),
            mapping={
                "step": Step(step).value,
                "worker": worker,
                "at": f"{at:.3f}",
                "started": f"{started:.3f}",
                "arguments": json.dumps(dict(arguments)),
            },
        )
        pipe.persist(heartbeat_key(job_id))
        pipe.zadd(HEARTBEATS_KEY, {job_id: at})
        pipe.execute()

    def end(self, job_id: str, *, step: Step | None = None) -> None:
        """The step ended (or the watchdog gave it up): its heartbeat goes. With `step`, only
        a heartbeat of that step (the job's next step may be beating already)."""
        if step is not None:
            found = self.get(job_id)
            if found is None or found.step != step:
                return
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(heartbeat_key(job_id))
        pipe.zrem(HEARTBEATS_KEY, job_id)
        pipe.execute()

    def restarted(self, job_id: str) -> int:
        """The watchdog scheduled the step again: counted, and not stale until it beats."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.hdel(heartbeat_key(job_id), *BEAT_FIELDS)  # not begun again until it beats
        pipe.hincrby(heartbeat_key(job_id), "restarts", 1)
        pipe.expire(heartbeat_key(job_id), FORGOTTEN_AFTER_SECONDS)  # until a step beats
        pipe.zrem(HEARTBEATS_KEY, job_id)
        _, restarts, *_ = pipe.execute()
        return int(restarts)

    def restarts(self, job_id: str) -> int:
        """How often the watchdog scheduled the job's owed step again (0 once a step ended)."""
        return int(self.redis.hget(heartbeat_key(job_id), "restarts") or 0)

    def get(self, job_id: str) -> Heartbeat | None:
        raw = self.redis.hgetall(heartbeat_key(job_id))
        return _heartbeat(job_id, raw) if raw else None

    def stale(self, *, older_than_seconds: float, now: float | None = None) -> list[Heartbeat]:
        """Steps whose last beat is older than that: their worker stopped."""
        limit = (time.time() if now is None else now) - older_than_seconds
        ids = [text_reply(raw) for raw in self.redis.zrangebyscore(HEARTBEATS_KEY, "-inf", limit)]
        found = [self.get(job_id) for job_id in ids]
        return [heartbeat for heartbeat in found if heartbeat is not None]

    def all(self) -> dict[str, Heartbeat]:
        """Every heartbeat, by job id (for `importbot jobs`)."""
        ids = [text_reply(raw) for raw in self.redis.zrange(HEARTBEATS_KEY, 0, -1)]
        found = {job_id: self.get(job_id) for job_id in ids}
        return {job_id: beat for job_id, beat in found.items() if beat is not None}


def _heartbeat(job_id: str, raw: Mapping[Any, Any]) -> Heartbeat | None:
    fields = {text_reply(key): text_reply(value) for key, value in raw.items()}
    if "step" not in fields:  # only a restart count: rescheduled, not begun yet
        return None
    return Heartbeat(
        job_id=job_id,
        step=Step(fields["step"]),
        worker=fields.get("worker", ""),
        at=float(fields.get("at", 0)),
        started=float(fields.get("started", 0)),
        restarts=int(fields.get("restarts", 0)),
        arguments=json.loads(fields.get("arguments") or "{}"),
    )


@contextmanager
def beating(
    heartbeats: RedisHeartbeats | None, job_id: str, step: Step, arguments: Mapping[str, str]
) -> Iterator[None]:
    """Beat for the step while the block runs (nothing without heartbeats: the terminal)."""
    if heartbeats is None:
        yield
        return
    worker, started = this_worker(), time.time()

    def beat() -> None:
        try:
            heartbeats.beat(job_id, step=step, worker=worker, started=started, arguments=arguments)
        except redis.RedisError as error:  # a missed beat; the next one may get through
            log.warning("heartbeat of job %s not written: %s", job_id, error)

    beat()
    stop = threading.Event()

    def keep_beating() -> None:
        while not stop.wait(heartbeats.every_seconds):
            beat()

    thread = threading.Thread(target=keep_beating, name=f"heartbeat-{job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        try:
            heartbeats.end(job_id, step=step)
        except redis.RedisError as error:
            log.warning("heartbeat of job %s not removed: %s", job_id, error)
