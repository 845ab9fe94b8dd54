"""Jobs in Redis: one JSON document per job, WATCH/MULTI updates, index sets, claims, locks.

Keys (prefix `importbot:`): `job:<id>` the document; `thread:<channel>:<ts>` the job of a
thread; `status:<status>` and `requester:<id>` sets of job ids; `jobs` a sorted set by creation
time; `claim:<key>` idempotency keys; `lock:<id>` the per-job lock. Running steps' heartbeats
(`heartbeat:<id>`, `heartbeats`) and the watchdog's keys are described in `workers.heartbeats`
and `workers.watchdog`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import redis
from redis.lock import Lock

from workers.errors import ConcurrentUpdate, JobBusy, JobNotFound
from workers.job import Job, now
from workers.states import Status

T = TypeVar("T")
PREFIX = "importbot:"
MAX_UPDATE_ATTEMPTS = 50


class RedisJobStore:
    def __init__(self, client: redis.Redis, *, lock_ttl_seconds: float = 60.0) -> None:
        self.redis = client
        self.lock_ttl_seconds = lock_ttl_seconds

    @classmethod
    def from_url(cls, url: str, *, lock_ttl_seconds: float = 60.0) -> RedisJobStore:
        return cls(redis.Redis.from_url(url), lock_ttl_seconds=lock_ttl_seconds)

    # -- documents ---------------------------------------------------------------------------
    def create(self, job: Job) -> Job:
        """The document is written before the thread claims it, so a thread key always names
        a stored job; the loser of a race for a thread removes its own document."""
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(_job_key(job.id), job.model_dump_json(), nx=True)
        pipe.sadd(_status_key(job.status), job.id)
        pipe.sadd(_requester_key(job.requester.id), job.id)
        pipe.zadd(PREFIX + "jobs", {job.id: job.created_at.timestamp()})
        created, *_ = pipe.execute()
        if not created:
            return self.get(job.id)
        if job.place.channel and job.place.thread_ts and job.reverts is None:
            # a revert job talks in the thread of the job it reverts, which keeps the thread
            thread_key = _thread_key(job.place.channel, job.place.thread_ts)
            if not self.redis.set(thread_key, job.id, nx=True):
                self._remove(job)
                return self.get(text_reply(self.redis.get(thread_key)))
        return job

    def _remove(self, job: Job) -> None:
        pipe = self.redis.pipeline(transaction=True)
        pipe.delete(_job_key(job.id))
        pipe.srem(_status_key(job.status), job.id)
        pipe.srem(_requester_key(job.requester.id), job.id)
        pipe.zrem(PREFIX + "jobs", job.id)
        pipe.execute()

    def get(self, job_id: str) -> Job:
        raw = self.redis.get(_job_key(job_id))
        if raw is None:
            raise JobNotFound(f"There is no job {job_id!r}; `importbot jobs` lists them.")
        return Job.model_validate_json(raw)

    def update(self, job_id: str, change: Callable[[Job], T]) -> tuple[Job, T]:
        key = _job_key(job_id)
        with self.redis.pipeline(transaction=True) as pipe:
            for _ in range(MAX_UPDATE_ATTEMPTS):
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    if raw is None:
                        raise JobNotFound(f"There is no job {job_id!r}.")
                    job = Job.model_validate_json(raw)
                    before = job.status
                    result = change(job)
                    job.updated_at = now()
                    pipe.multi()
                    pipe.set(key, job.model_dump_json())
                    if job.status != before:
                        pipe.srem(_status_key(before), job_id)
                        pipe.sadd(_status_key(job.status), job_id)
                    pipe.execute()
                    return job, result
                except redis.WatchError:
                    continue
                finally:
                    pipe.reset()
        raise ConcurrentUpdate(f"Job {job_id} kept changing; try again.")

    # -- lookups -----------------------------------------------------------------------------
    def find_by_thread(self, channel: str, thread_ts: str) -> Job | None:
        job_id = self.redis.get(_thread_key(channel, thread_ts))
        return self.get(text_reply(job_id)) if job_id else None

    def jobs(
        self, *, status: Status | None = None, requester: str | None = None, limit: int = 100
    ) -> list[Job]:
        ids = [text_reply(raw) for raw in self.redis.zrevrange(PREFIX + "jobs", 0, -1)]
        sets = []
        if status is not None:
            sets.append(_status_key(status))
        if requester is not None:
            sets.append(_requester_key(requester))
        if sets:
            members = {text_reply(raw) for raw in self.redis.sinter(sets)}
            ids = [job_id for job_id in ids if job_id in members]
        found = []
        for raw in self.redis.mget([_job_key(i) for i in ids[:limit]]) if ids else []:
            if raw is not None:
                found.append(Job.model_validate_json(raw))
        return found

    def cancelled(self, job_id: str) -> bool:
        return bool(self.redis.sismember(_status_key(Status.CANCELLED), job_id))

    # -- idempotency and locks ---------------------------------------------------------------
    def claim(self, key: str, *, ttl_seconds: int) -> bool:
        return bool(self.redis.set(PREFIX + "claim:" + key, "1", nx=True, ex=ttl_seconds))

    def unclaim(self, key: str) -> None:
        self.redis.delete(PREFIX + "claim:" + key)

    @contextmanager
    def lock(self, job_id: str) -> Iterator[None]:
        """The job's lock, kept alive while held; it expires on its own if the holder dies."""
        lock = self.redis.lock(
            PREFIX + "lock:" + job_id,
            timeout=self.lock_ttl_seconds,
            blocking=False,
            thread_local=False,  # the keeper thread renews it with the holder's token
        )
        if not lock.acquire():
            raise JobBusy(f"Job {job_id} is being worked on by another worker.")
        stop = threading.Event()
        keeper = threading.Thread(
            target=_keep_alive, args=(lock, stop, self.lock_ttl_seconds / 3), daemon=True
        )
        keeper.start()
        try:
            yield
        finally:
            stop.set()
            keeper.join()
            # It may have expired meanwhile; nobody else can have taken it while we renewed.
            with contextlib.suppress(redis.exceptions.LockError):
                lock.release()

    def break_lock(self, job_id: str) -> None:
        """Take the lock from a holder known to be dead (its step stopped beating), so the
        step can run again at once instead of after the lock's time to live."""
        self.redis.delete(PREFIX + "lock:" + job_id)


def _keep_alive(lock: Lock, stop: threading.Event, every: float) -> None:
    while not stop.wait(every):
        try:
            lock.reacquire()
        except redis.exceptions.LockError:
            return


def text_reply(reply: object) -> str:
    """A Redis reply as text. redis-py types replies ``bytes | str`` (whichever
    ``decode_responses`` gives); this store's client does not decode, so they are bytes."""
    if not isinstance(reply, bytes):
        raise TypeError(f"expected a bytes reply from Redis, got {type(reply).__name__}")
    return reply.decode()


def _job_key(job_id: str) -> str:
    return f"{PREFIX}job:{job_id}"


def _thread_key(channel: str, thread_ts: str) -> str:
    return f"{PREFIX}thread:{channel}:{thread_ts}"


def _status_key(status: Status) -> str:
    return f"{PREFIX}status:{Status(status).value}"


def _requester_key(person: str) -> str:
    return f"{PREFIX}requester:{person}"
