"""Who may decide what: the requester and importers approve, mergers merge, and `decide` asks
before it changes anything."""

from __future__ import annotations

import pytest
import redis
from pydantic import BaseModel

from agents.sources.resolve import SourcePolicy
from tests.fakes.redis_dbs import STORES_REDIS_URL as REDIS_URL
from workers.context import StageContext
from workers.decisions import DecisionRequest, decide
from workers.errors import NotAllowed
from workers.inline_scheduler import InlineScheduler
from workers.job import Job, Person, Place
from workers.permissions import Permissions
from workers.recording_port import MemoryRecordingPort
from workers.redis_store import RedisJobStore
from workers.states import Status

ADA = Person(id="U_ADA", name="Ada Lovelace")  # the requester
BOB = Person(id="U_BOB", name="Bob")  # an importer
GRACE = Person(id="U_GRACE", name="Grace Hopper")  # a merger
EVE = Person(id="U_EVE", name="Eve")  # nobody in particular
GROUPS = {"S_IMPORTERS": frozenset({"U_BOB"}), "S_MERGERS": frozenset({"U_GRACE"})}
APPROVALS = ("approve", "revise", "cancel", "answer", "skip")


class Understanding(BaseModel):
    summary: str


def _job(status: Status = Status.AWAITING_REVIEW) -> Job:
    return Job(
        id="J1",
        requester=ADA,
        place=Place(kind="recording", channel="C1", thread_ts="1.1"),
        text="Import families/people.csv into families",
        status=status,
        pending=None,
    )


def _groups(group: str) -> frozenset[str]:
    return GROUPS.get(group, frozenset())


@pytest.mark.parametrize("action", APPROVALS)
def test_the_requester_may_approve(action):
    Permissions().check(action, ADA, _job())


@pytest.mark.parametrize("action", APPROVALS)
def test_someone_else_may_not(action):
    with pytest.raises(NotAllowed, match=f"Only the requester \\(<@U_ADA>\\) .* can {action}"):
        Permissions().check(action, EVE, _job())


def test_an_importer_may_approve():
    Permissions(importers=frozenset({"U_BOB"})).check("approve", BOB, _job())
    with pytest.raises(NotAllowed):
        Permissions(importers=frozenset({"U_BOB"})).check("approve", EVE, _job())


def test_a_member_of_an_importers_group_may_approve():
    permissions = Permissions(importers=frozenset({"S_IMPORTERS"}), members_of=_groups)
    permissions.check("approve", BOB, _job())
    with pytest.raises(NotAllowed):
        permissions.check("approve", EVE, _job())
    with pytest.raises(NotAllowed):  # without resolving the group, Bob is not an importer
        Permissions(importers=frozenset({"S_IMPORTERS"})).check("approve", BOB, _job())


@pytest.mark.parametrize("action", ["merge", "discard"])
def test_with_mergers_set_only_they_merge_and_discard(action):
    permissions = Permissions(importers=frozenset({"U_BOB"}), mergers=frozenset({"U_GRACE"}))
    permissions.check(action, GRACE, _job())
    for person in (ADA, BOB, EVE):
        with pytest.raises(NotAllowed, match=f"not allowed to {action} imports"):
            permissions.check(action, person, _job())
    permissions.check("approve", BOB, _job())  # mergers do not change who approves


def test_mergers_may_be_a_group():
    permissions = Permissions(mergers=frozenset({"S_MERGERS"}), members_of=_groups)
    permissions.check("merge", GRACE, _job())
    with pytest.raises(NotAllowed):
        permissions.check("merge", ADA, _job())


def test_without_mergers_whoever_may_approve_may_merge():
    permissions = Permissions(importers=frozenset({"U_BOB"}))
    for person in (ADA, BOB):
        permissions.check("merge", person, _job())
        permissions.check("discard", person, _job())
    with pytest.raises(NotAllowed):
        permissions.check("merge", EVE, _job())


def test_a_second_approver_must_merge_the_requesters_import():
    permissions = Permissions(mergers=frozenset({"U_ADA", "U_GRACE"}), require_second_approver=True)
    with pytest.raises(NotAllowed, match="A second person must merge this import"):
        permissions.check("merge", ADA, _job())
    permissions.check("merge", GRACE, _job())
    permissions.check("discard", ADA, _job())  # throwing one's own import away is fine
    Permissions(mergers=frozenset({"U_ADA"})).check("merge", ADA, _job())


@pytest.fixture
def ctx(tmp_path):
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    port = MemoryRecordingPort()
    yield StageContext(
        store=RedisJobStore(client),
        server=None,  # these decisions never reach the database
        policy=SourcePolicy(roots=(tmp_path,)),
        jobs_dir=tmp_path / "jobs",
        scheduler=InlineScheduler(),
        port_for=lambda job: port,
    )
    client.flushdb()


def test_decide_refuses_before_changing_anything(ctx):
    job = _job(Status.AWAITING_CONFIRMATION)
    job.add_artifact("understanding", Understanding(summary="people aged 21 or more"))
    ctx.store.create(job)
    permissions = Permissions(importers=frozenset({"S_IMPORTERS"}), members_of=_groups)

    for action in ("approve", "cancel"):
        request = DecisionRequest("J1", "understanding", 1, action, EVE)
        with pytest.raises(NotAllowed):
            decide(ctx, request, permissions=permissions, key="click-1")
    assert ctx.store.get("J1") == job
    assert list(ctx.scheduler.pending) == []
    assert ctx.port_for(job).events == []

    # The refused clicks did not use up the key: the importer's click with it takes effect.
    request = DecisionRequest("J1", "understanding", 1, "approve", BOB)
    result = decide(ctx, request, permissions=permissions, key="click-1")
    assert result.took_effect
    assert ctx.store.get("J1").status == Status.INSPECTING
    assert ctx.store.get("J1").audit[-1].actor == "U_BOB"
    assert [step for step, _, _ in ctx.scheduler.pending] == ["inspect"]
