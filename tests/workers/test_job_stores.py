"""The job-store protocol, held by both stores: FileJobStore (a jobs folder under tmp_path) and
RedisJobStore (the real Redis, database 14, flushed around each test). What only one store
does is in test_file_store.py and test_redis_store.py."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from tests.fakes.redis_dbs import STORES_REDIS_URL as REDIS_URL
from workers.errors import JobBusy, JobNotFound
from workers.file_store import FileJobStore
from workers.job import Job, Person, Place
from workers.redis_store import RedisJobStore
from workers.states import Status

ADA = Person(id="U_ADA", name="Ada Lovelace")
GRACE = Person(id="U_GRACE", name="Grace Hopper")
TERMINAL = Place(kind="terminal")


@pytest.fixture
def client():
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield client
    client.flushdb()


@pytest.fixture(params=["file", "redis"])
def store(request, tmp_path):
    if request.param == "file":
        return FileJobStore(tmp_path / "jobs")
    return RedisJobStore(request.getfixturevalue("client"))


def job(job_id: str, *, requester: Person = ADA, thread: str | None = None) -> Job:
    place = Place(kind="slack", channel="C1", thread_ts=thread) if thread else TERMINAL
    return Job(id=job_id, requester=requester, place=place, text=f"request {job_id}")


def race(threads: int, work) -> list:
    """Run `work(i)` in `threads` threads released together; their results in order."""
    start = threading.Barrier(threads)

    def run(i):
        start.wait()
        return work(i)

    with ThreadPoolExecutor(threads) as pool:
        return [f.result() for f in [pool.submit(run, i) for i in range(threads)]]


def test_create_then_get_returns_the_same_job(store):
    created = job("J1")
    assert store.create(created) == created
    assert store.get("J1") == created


def test_get_of_a_missing_job_raises_job_not_found(store):
    with pytest.raises(JobNotFound, match="'nope'"):
        store.get("nope")


def test_creating_an_existing_id_again_keeps_the_first(store):
    store.create(job("J1"))
    again = job("J1").model_copy(update={"text": "something else"})
    assert store.create(again).text == "request J1"
    assert store.get("J1").text == "request J1"


def test_one_job_per_thread(store):
    first = store.create(job("J1", thread="1.1"))
    second = store.create(job("J2", thread="1.1"))
    other = store.create(job("J3", thread="2.2"))

    assert second.id == first.id == "J1"
    assert other.id == "J3"
    assert store.find_by_thread("C1", "1.1").id == "J1"
    assert store.find_by_thread("C1", "9.9") is None
    with pytest.raises(JobNotFound):
        store.get("J2")
    assert {j.id for j in store.jobs()} == {"J1", "J3"}


def test_update_saves_the_change_and_returns_its_result(store):
    store.create(job("J1"))

    def change(job: Job) -> int:
        job.conversation.append("person: hello")
        return len(job.conversation)

    changed, result = store.update("J1", change)
    assert result == 1
    assert changed.conversation == ["person: hello"]
    assert store.get("J1").conversation == ["person: hello"]
    assert store.get("J1").updated_at > store.get("J1").created_at


def test_update_moves_the_status_and_writes_the_audit_log(store):
    store.create(job("J1"))

    def change(job: Job) -> str:
        job.move(Status.AWAITING_CONFIRMATION, actor="worker", action="understanding v1")
        return "done"

    changed, result = store.update("J1", change)
    assert result == "done"
    assert store.get("J1").status == Status.AWAITING_CONFIRMATION == changed.status
    assert store.get("J1").audit[0].actor == "worker"


def test_update_of_a_missing_job_raises_job_not_found(store):
    with pytest.raises(JobNotFound):
        store.update("nope", lambda job: None)


def test_updates_from_eight_threads_are_all_kept(store):
    store.create(job("J1"))

    def work(i: int) -> None:
        for n in range(25):
            store.update("J1", lambda job, n=n: job.conversation.append(f"{i}:{n}"))

    race(8, work)
    conversation = store.get("J1").conversation
    assert len(conversation) == 200
    assert sorted(conversation) == sorted(f"{i}:{n}" for i in range(8) for n in range(25))


def test_a_raising_change_saves_nothing(store):
    store.create(job("J1"))

    def change(job: Job) -> None:
        job.conversation.append("half done")
        job.move(Status.AWAITING_CONFIRMATION, actor="worker", action="understood")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        store.update("J1", change)
    saved = store.get("J1")
    assert saved.conversation == [] and saved.status == Status.RECEIVED and saved.audit == []
    assert [j.id for j in store.jobs(status=Status.RECEIVED)] == ["J1"]


def test_jobs_filter_by_status_and_requester_newest_first(store):
    store.create(job("J1"))
    store.create(job("J2", requester=GRACE))
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
    assert store.claim("decision:A1", ttl_seconds=1) is False


def test_a_held_lock_refuses_a_second_holder_until_released(store):
    with store.lock("J1"):
        with pytest.raises(JobBusy, match="J1"), store.lock("J1"):
            pass
        with store.lock("J2"):  # other jobs are not affected
            pass
    with store.lock("J1"):  # free again
        pass


def test_the_lock_does_not_block_updates(store):
    """A step holds the run lock while saving its results through update."""
    store.create(job("J1"))
    with store.lock("J1"):
        store.update("J1", lambda job: job.conversation.append("saved"))
    assert store.get("J1").conversation == ["saved"]
