"""What only RedisJobStore does, against the real Redis (database 14, flushed around each
test); the protocol both stores hold is in test_job_stores.py."""

from __future__ import annotations

import time

import pytest

from tests.workers.test_job_stores import client, job, race
from workers.errors import JobBusy
from workers.redis_store import RedisJobStore

__all__ = ["client"]  # the fixture, shared with the protocol tests


@pytest.fixture
def store(client):
    return RedisJobStore(client)


def test_one_job_per_thread_when_eight_threads_race_to_create(store, client):
    for round_ in range(50):  # the window is small; enough rounds to hit it every time
        client.flushdb()
        ids = race(8, lambda i, r=round_: store.create(job(f"J{r}-{i}", thread="1.1")).id)
        assert len(set(ids)) == 1, ids
        assert [j.id for j in store.jobs()] == ids[:1]


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_a_held_lock_is_kept_alive_beyond_its_ttl(client):
    store = RedisJobStore(client, lock_ttl_seconds=1)
    with store.lock("J1"):
        for _ in range(6):
            time.sleep(0.5)
            with pytest.raises(JobBusy), store.lock("J1"):
                pass
    with store.lock("J1"):
        pass


def test_a_lock_whose_holder_vanished_is_free_after_its_ttl(client):
    store = RedisJobStore(client, lock_ttl_seconds=1)
    orphan = client.lock("importbot:lock:J1", timeout=1)
    assert orphan.acquire(blocking=False)  # and never released
    with pytest.raises(JobBusy), store.lock("J1"):
        pass
    time.sleep(1.2)
    with store.lock("J1"):
        pass
