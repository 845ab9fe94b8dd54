"""RedisJobStore against the real Redis (database 14, flushed around each test)."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from workers.errors import JobBusy, JobNotFound
from workers.job import Job, Person, Place
from workers.redis_store import RedisJobStore
from workers.states import Status

REDIS_URL = "redis://127.0.0.1:6379/14"
ADA = Person(id="U_ADA", name="Ada Lovelace")
GRACE = Person(id="U_GRACE", name="Grace Hopper")
TERMINAL = Place(kind="terminal")


@pytest.fixture
def client():
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture
def store(client):
    return RedisJobStore(client)


def _job(job_id: str, *, requester: Person = ADA, thread: str | None = None) -> Job:
    place = Place(kind="slack", channel="C1", thread_ts=thread) if thread else TERMINAL
    return Job(id=job_id, requester=requester, place=place, text=f"request {job_id}")


def _race(threads: int, work) -> list:
    """Run `work(i)` in `threads` threads released together; their results in order."""
    start = threading.Barrier(threads)

    def run(i):
        start.wait()
        return work(i)

    with ThreadPoolExecutor(threads) as pool:
        return [f.result() for f in [pool.submit(run, i) for i in range(threads)]]


def test_create_then_get_returns_the_same_job(store):
    job = _job("J1")
    assert store.create(job) == job
    assert store.get("J1") == job


def test_get_of_a_missing_job_raises_job_not_found(store):
    with pytest.raises(JobNotFound, match="'nope'"):
        store.get("nope")


def test_one_job_per_thread(store):
    first = store.create(_job("J1", thread="1.1"))
    second = store.create(_job("J2", thread="1.1"))
    other = store.create(_job("J3", thread="2.2"))

    assert second.id == first.id == "J1"
    assert other.id == "J3"
    assert store.find_by_thread("C1", "1.1").id == "J1"
    assert store.find_by_thread("C1", "9.9") is None
    with pytest.raises(JobNotFound):
        store.get("J2")
    assert {j.id for j in store.jobs()} == {"J1", "J3"}


def test_one_job_per_thread_when_eight_threads_race_to_create(store, client):
    for round_ in range(50):  # the window is small; enough rounds to hit it every time
        client.flushdb()
        ids = _race(8, lambda i, r=round_: store.create(_job(f"J{r}-{i}", thread="1.1")).id)
        assert len(set(ids)) == 1, ids
        assert [j.id for j in store.jobs()] == ids[:1]


def test_update_saves_the_change_and_returns_its_result(store):
    store.create(_job("J1"))

    def change(job: Job) -> int:
        job.conversation.append("person: hello")
        return len(job.conversation)

    job, result = store.update("J1", change)
    assert result == 1
    assert job.conversation == ["person: hello"]
    assert store.get("J1").conversation == ["person: hello"]
    assert store.get("J1").updated_at > store.get("J1").created_at


def test_update_of_a_missing_job_raises_job_not_found(store):
    with pytest.raises(JobNotFound):
        store.update("nope", lambda job: None)


def test_updates_from_eight_threads_are_all_kept(store):
    store.create(_job("J1"))

    def work(i: int) -> None:
        for n in range(25):
            store.update("J1", lambda job, n=n: job.conversation.append(f"{i}:{n}"))

    _race(8, work)
    conversation = store.get("J1").conversation
    assert len(conversation) == 200
    assert sorted(conversation) == sorted(f"{i}:{n}" for i in range(8) for n in range(25))


def test_a_raising_change_saves_nothing(store):
    store.create(_job("J1"))

    def change(job: Job) -> None:
        job.conversation.append("half done")
        job.move(Status.AWAITING_CONFIRMATION, actor="worker", action="understood")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        store.update("J1", change)
    job = store.get("J1")
    assert job.conversation == [] and job.status == Status.RECEIVED and job.audit == []
    assert [j.id for j in store.jobs(status=Status.RECEIVED)] == ["J1"]


def test_the_status_and_requester_indexes_follow_status_changes(store):
    store.create(_job("J1"))
    store.create(_job("J2", requester=GRACE))
    store.update("J1", lambda j: j.move(Status.AWAITING_CONFIRMATION, actor="w", action="x"))

    def ids(**filters) -> list[str]:
        return [job.id for job in store.jobs(**filters)]

    assert ids() == ["J2", "J1"]  # newest first
    assert ids(status=Status.RECEIVED) == ["J2"]
    assert ids(status=Status.AWAITING_CONFIRMATION) == ["J1"]
    assert ids(requester="U_ADA") == ["J1"]
    assert ids(requester="U_GRACE", status=Status.RECEIVED) == ["J2"]
    assert ids(requester="U_GRACE", status=Status.AWAITING_CONFIRMATION) == []

    store.update("J1", lambda j: j.move(Status.CANCELLED, actor="U_ADA", action="cancelled"))
    assert ids(status=Status.AWAITING_CONFIRMATION) == []
    assert ids(status=Status.CANCELLED, requester="U_ADA") == ["J1"]
    assert ids(limit=1) == ["J2"]


def test_claim_is_true_once_then_again_after_its_ttl(store):
    assert store.claim("decision:A1", ttl_seconds=1) is True
    assert store.claim("decision:A1", ttl_seconds=1) is False
    assert store.claim("decision:A2", ttl_seconds=1) is True
    time.sleep(1.2)
    assert store.claim("decision:A1", ttl_seconds=1) is True


def test_a_held_lock_refuses_a_second_holder_until_released(store):
    with store.lock("J1"):
        with pytest.raises(JobBusy, match="J1"), store.lock("J1"):
            pass
        with store.lock("J2"):  # other jobs are not affected
            pass
    with store.lock("J1"):  # free again
        pass


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
