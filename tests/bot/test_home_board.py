"""Whose App Home lists a job, and as what (issue 15, point 2)."""

from __future__ import annotations

from bot.slack.home_board import home_audience, home_jobs
from workers.job import AuditEntry, Job, Person, Place
from workers.permissions import Permissions
from workers.states import Status

PERMISSIONS = Permissions(
    importers=frozenset({"U_IMP"}),
    mergers=frozenset({"S_MERGERS"}),
    members_of=lambda group: frozenset({"U_GRACE"}) if group == "S_MERGERS" else frozenset(),
)


def job(name: str, status: Status, *, by: str = "U_ADA", audit=()) -> Job:
    made = Job(
        id=name,
        requester=Person(id=by, name=by),
        place=Place(kind="slack", channel="C0123", thread_ts="1700000000.000100"),
        text=f"import {name}.csv",
    )
    made.status = status
    made.audit = list(audit)
    return made


def listed(user: str, jobs: list[Job]) -> dict[str, str | None]:
    return {j.job_id: j.awaits_viewer for j in home_jobs(user, jobs, PERMISSIONS)}


def test_a_merger_is_waited_for_on_reviews_and_an_importer_on_stages_to_approve():
    jobs = [
        job("review", Status.AWAITING_REVIEW),
        job("plan", Status.AWAITING_PLAN_APPROVAL),
        job("running", Status.RUNNING),
        job("other", Status.MERGED, by="U_EVE"),
    ]
    assert listed("U_GRACE", jobs) == {"review": "merge or discard it"}
    assert listed("U_IMP", jobs) == {"plan": "approve the import plan"}
    assert listed("U_ADA", jobs) == {
        "review": None,  # the requester may not merge: mergers are named
        "plan": "approve the import plan",
        "running": None,
    }
    assert listed("U_EVE", jobs) == {"other": None}


def test_who_decided_a_job_still_sees_it_in_recent():
    merged = job(
        "m",
        Status.MERGED,
        audit=[AuditEntry(actor="U_GRACE", action="merge", status_from=Status.AWAITING_REVIEW)],
    )
    assert listed("U_GRACE", [merged]) == {"m": None}


def test_the_homes_published_again_are_of_those_whose_waiting_for_you_changes():
    at_review = job("r", Status.AWAITING_REVIEW)
    assert home_audience(at_review, PERMISSIONS) == {"U_ADA", "U_GRACE"}
    at_plan = job("p", Status.AWAITING_PLAN_APPROVAL)
    assert home_audience(at_plan, PERMISSIONS) == {"U_ADA", "U_IMP"}
    left_review = job(
        "d",
        Status.DISCARDED,
        audit=[AuditEntry(actor="worker", action="discard", status_from=Status.AWAITING_REVIEW)],
    )
    assert home_audience(left_review, PERMISSIONS) == {"U_ADA", "U_GRACE"}
    assert home_audience(job("x", Status.RUNNING), PERMISSIONS) == {"U_ADA"}
