"""The job's state machine: the transitions it has, the ones it refuses, and how it says so."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from workers.errors import IllegalTransition, OutdatedVersion
from workers.job import Job, Person, Place
from workers.stage_table import allowed, check_transition
from workers.states import FINAL, OPEN, Status

S = Status

# Every successor the stage table gives, besides cancelled / failed (written out, not imported, so a
# change to the table shows up here).
LISTED = {
    (S.RECEIVED, S.AWAITING_CONFIRMATION),
    (S.AWAITING_CONFIRMATION, S.AWAITING_CONFIRMATION),
    (S.AWAITING_CONFIRMATION, S.INSPECTING),
    (S.INSPECTING, S.AWAITING_ANSWERS),
    (S.INSPECTING, S.AWAITING_SCHEMA_APPROVAL),
    (S.AWAITING_ANSWERS, S.INSPECTING),
    (S.AWAITING_SCHEMA_APPROVAL, S.AWAITING_SCHEMA_APPROVAL),
    (S.AWAITING_SCHEMA_APPROVAL, S.AWAITING_PLAN_APPROVAL),
    (S.AWAITING_SCHEMA_APPROVAL, S.INSPECTING),  # a change to how the files are read
    (S.AWAITING_PLAN_APPROVAL, S.AWAITING_PLAN_APPROVAL),
    (S.AWAITING_PLAN_APPROVAL, S.RUNNING),
    (S.AWAITING_PLAN_APPROVAL, S.INSPECTING),
    (S.RUNNING, S.AWAITING_REVIEW),
    (S.AWAITING_REVIEW, S.MERGED),
    (S.AWAITING_REVIEW, S.DISCARDED),
    # a change to what was loaded: back to the step that owns it (plan, schema, inspection)
    (S.AWAITING_REVIEW, S.AWAITING_SCHEMA_APPROVAL),
    (S.AWAITING_REVIEW, S.INSPECTING),
    # a failed job retried: back where the step that failed runs
    (S.FAILED, S.RECEIVED),
    (S.FAILED, S.AWAITING_CONFIRMATION),
    (S.FAILED, S.INSPECTING),
    (S.FAILED, S.AWAITING_SCHEMA_APPROVAL),
    (S.FAILED, S.AWAITING_PLAN_APPROVAL),
    (S.FAILED, S.RUNNING),
    (S.FAILED, S.AWAITING_REVIEW),
}
ENDINGS = {(state, end) for state in OPEN for end in (S.CANCELLED, S.FAILED)}


class Note(BaseModel):
    text: str


def _job(status: Status = S.RECEIVED) -> Job:
    return Job(
        id="J1",
        requester=Person(id="U_ADA", name="Ada"),
        place=Place(kind="terminal"),
        text="Import families/people.csv",
        status=status,
    )


def test_the_open_and_final_states_split_all_states():
    assert {S.MERGED, S.DISCARDED, S.CANCELLED, S.FAILED} == FINAL
    assert set(Status) == OPEN | FINAL
    assert not OPEN & FINAL


@pytest.mark.parametrize(("current", "to"), sorted(LISTED), ids=lambda s: s.value)
def test_every_listed_transition_is_allowed(current, to):
    assert allowed(current, to)
    check_transition("J1", current, to)  # does not raise


@pytest.mark.parametrize("current", sorted(OPEN), ids=lambda s: s.value)
def test_cancelled_and_failed_are_reachable_from_every_open_state(current):
    assert allowed(current, S.CANCELLED)
    assert allowed(current, S.FAILED)


def test_nothing_else_is_allowed():
    others = [
        (current, to)
        for current in Status
        for to in Status
        if (current, to) not in LISTED | ENDINGS
    ]
    assert len(others) == len(Status) ** 2 - len(LISTED) - len(ENDINGS)
    for current, to in others:
        assert not allowed(current, to), (current, to)
        with pytest.raises(IllegalTransition):
            check_transition("J1", current, to)


@pytest.mark.parametrize(
    ("current", "to", "message"),
    [
        # merge before review
        (S.AWAITING_PLAN_APPROVAL, S.MERGED, "Job J1 cannot become merged: it is awaiting plan"),
        # run twice
        (S.RUNNING, S.RUNNING, "Job J1 cannot become running: it is running."),
        # skip the plan
        (S.AWAITING_SCHEMA_APPROVAL, S.RUNNING, "it is awaiting schema approval."),
        # skip everything
        (S.RECEIVED, S.AWAITING_REVIEW, "cannot become awaiting review: it is received."),
        # revise a review that is being merged
        (S.AWAITING_REVIEW, S.AWAITING_REVIEW, "it is awaiting review."),
        (S.INSPECTING, S.RUNNING, "cannot become running: it is inspecting."),
    ],
)
def test_refusals_name_the_job_and_say_what_it_is_doing(current, to, message):
    with pytest.raises(IllegalTransition, match=message):
        check_transition("J1", current, to)


@pytest.mark.parametrize(
    ("final", "why"),
    [
        (S.MERGED, "it has been merged"),
        (S.DISCARDED, "it has been discarded"),
        (S.CANCELLED, "it was cancelled"),
        (S.FAILED, "it failed"),
    ],
)
def test_nothing_leaves_a_final_state(final, why):
    """Only a retry leaves `failed` (to a status a step runs in: listed above)."""
    for to in Status:
        if (final, to) in LISTED:
            continue
        with pytest.raises(IllegalTransition, match=f"^Job J1 cannot become .*: {why}\\.$"):
            check_transition("J1", final, to)


def test_move_changes_status_and_audits_from_to_and_actor():
    job = _job()
    job.move(S.AWAITING_CONFIRMATION, actor="worker", action="understanding v1")
    job.move(S.CANCELLED, actor="U_ADA", action="cancelled", detail="changed my mind")

    assert job.status == S.CANCELLED
    assert [(e.status_from, e.status_to, e.actor, e.action) for e in job.audit] == [
        (S.RECEIVED, S.AWAITING_CONFIRMATION, "worker", "understanding v1"),
        (S.AWAITING_CONFIRMATION, S.CANCELLED, "U_ADA", "cancelled"),
    ]
    assert job.audit[-1].detail == "changed my mind"


def test_a_refused_move_changes_nothing():
    job = _job(S.AWAITING_PLAN_APPROVAL)
    with pytest.raises(IllegalTransition, match="Job J1 cannot become merged"):
        job.move(S.MERGED, actor="U_ADA", action="merged")
    assert job.status == S.AWAITING_PLAN_APPROVAL
    assert job.audit == []


def test_record_audits_without_a_status():
    job = _job()
    job.record(actor="U_ADA", action="approved schema v1")
    assert job.status == S.RECEIVED
    assert [(e.actor, e.action, e.status_from, e.status_to) for e in job.audit] == [
        ("U_ADA", "approved schema v1", None, None)
    ]


def test_add_artifact_numbers_versions():
    job = _job()
    assert job.version("schema") == 0
    assert job.add_artifact("schema", Note(text="first")) == 1
    assert job.add_artifact("schema", Note(text="second"), feedback="more") == 2
    assert job.latest("schema").artifact == {"text": "second"}
    assert job.latest("schema").feedback == "more"
    assert job.version("plan") == 0


def test_check_version_returns_the_latest():
    job = _job()
    job.add_artifact("schema", Note(text="first"))
    job.add_artifact("schema", Note(text="second"))
    assert job.check_version("schema", 2).artifact == {"text": "second"}


def test_check_version_refuses_an_outdated_version_naming_the_current_one():
    job = _job()
    job.add_artifact("plan", Note(text="first"))
    job.add_artifact("plan", Note(text="second"))
    with pytest.raises(OutdatedVersion, match=r"plan \(version 1\) was replaced by version 2") as e:
        job.check_version("plan", 1)
    assert e.value.current == 2


def test_check_version_refuses_a_stage_without_an_artifact():
    with pytest.raises(OutdatedVersion, match="Job J1 has no schema proposal yet") as e:
        _job().check_version("schema", 1)
    assert e.value.current == 0
