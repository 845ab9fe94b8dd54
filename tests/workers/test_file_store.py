"""FileJobStore: the same protocol as the Redis store, in a jobs folder under tmp_path."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from workers.errors import JobBusy, JobNotFound
from workers.file_store import FileJobStore
from workers.job import Job, Person, Place
from workers.states import Status

ADA = Person(id="U_ADA", name="Ada Lovelace")
GRACE = Person(id="U_GRACE", name="Grace Hopper")
TERMINAL = Place(kind="terminal")


@pytest.fixture
def store(tmp_path):
    return FileJobStore(tmp_path / "jobs")


def _job(job_id: str, *, requester: Person = ADA, thread: str | None = None) -> Job:
    place = Place(kind="slack", channel="C1", thread_ts=thread) if thread else TERMINAL
    return Job(id=job_id, requester=requester, place=place, text=f"request {job_id}")


def test_create_then_get_returns_the_same_job(store, tmp_path):
    job = _job("J1")
    assert store.create(job) == job
    assert store.get("J1") == job
    assert (tmp_path / "jobs" / "J1" / "job.json").is_file()


def test_get_of_a_missing_job_raises_job_not_found(store):
    with pytest.raises(JobNotFound, match="'nope'"):
        store.get("nope")


def test_creating_an_existing_id_again_keeps_the_first(store):
    store.create(_job("J1"))
    again = _job("J1").model_copy(update={"text": "something else"})
    assert store.create(again).text == "request J1"
    assert store.get("J1").text == "request J1"


def test_one_job_per_thread(store):
    first = store.create(_job("J1", thread="1.1"))
    second = store.create(_job("J2", thread="1.1"))
    assert second.id == first.id == "J1"
    assert store.find_by_thread("C1", "1.1").id == "J1"
    assert store.find_by_thread("C1", "9.9") is None
    with pytest.raises(JobNotFound):
        store.get("J2")


def test_update_saves_the_change_and_returns_its_result(store):
    store.create(_job("J1"))

    def change(job: Job) -> str:
        job.move(Status.AWAITING_CONFIRMATION, actor="worker", action="understanding v1")
        return "done"

    job, result = store.update("J1", change)
    assert result == "done"
    assert store.get("J1").status == Status.AWAITING_CONFIRMATION == job.status
    assert store.get("J1").audit[0].actor == "worker"


def test_updates_from_eight_threads_are_all_kept(store):
    store.create(_job("J1"))
    start = threading.Barrier(8)

    def work(i: int) -> None:
        start.wait()
        for n in range(25):
            store.update("J1", lambda job, n=n: job.conversation.append(f"{i}:{n}"))

    with ThreadPoolExecutor(8) as pool:
        for future in [pool.submit(work, i) for i in range(8)]:
            future.result()
    conversation = store.get("J1").conversation
    assert len(conversation) == 200
    assert sorted(conversation) == sorted(f"{i}:{n}" for i in range(8) for n in range(25))


def test_a_raising_change_saves_nothing(store):
    store.create(_job("J1"))

    def change(job: Job) -> None:
        job.conversation.append("half done")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        store.update("J1", change)
    assert store.get("J1").conversation == []


def test_jobs_filter_by_status_and_requester_newest_first(store):
    store.create(_job("J1"))
    store.create(_job("J2", requester=GRACE))
    store.update("J1", lambda j: j.move(Status.AWAITING_CONFIRMATION, actor="w", action="x"))

    def ids(**filters) -> list[str]:
        return [job.id for job in store.jobs(**filters)]

    assert ids() == ["J2", "J1"]
    assert ids(status=Status.RECEIVED) == ["J2"]
    assert ids(status=Status.AWAITING_CONFIRMATION) == ["J1"]
    assert ids(requester="U_ADA") == ["J1"]
    assert ids(requester="U_GRACE", status=Status.AWAITING_CONFIRMATION) == []
    assert ids(limit=1) == ["J2"]


def test_claim_is_true_once_then_again_after_its_ttl(store):
    assert store.claim("decision:A1", ttl_seconds=1) is True
    assert store.claim("decision:A1", ttl_seconds=1) is False
    assert store.claim("decision:A2", ttl_seconds=1) is True
    time.sleep(1.1)
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
    store.create(_job("J1"))
    with store.lock("J1"):
        store.update("J1", lambda job: job.conversation.append("saved"))
    assert store.get("J1").conversation == ["saved"]
