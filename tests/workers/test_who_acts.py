"""Issue 15, point 1: a refusal names who can act, as mentions Slack notifies ("ask <@U_GRACE>
or <!subteam^S_MERGERS>"), and the reminder names who must decide."""

from __future__ import annotations

import pytest

from workers.errors import NotAllowed
from workers.job import Job, Person, Place
from workers.permissions import Permissions
from workers.states import Status
from workers.who_acts import deciders, named

ADA = Person(id="U_ADA", name="Ada")  # the requester
EVE = Person(id="U_EVE", name="Eve")  # nobody in particular


def _job(status: Status = Status.AWAITING_REVIEW) -> Job:
    return Job(
        id="J1",
        requester=ADA,
        place=Place(kind="slack", channel="C1", thread_ts="1.1"),
        text="import a.csv into db",
        status=status,
        pending=None,
    )


def _refusal(permissions: Permissions, action: str, who: Person = EVE) -> str:
    with pytest.raises(NotAllowed) as refused:
        permissions.check(action, who, _job())
    return str(refused.value)


def test_names_people_first_then_groups_each_once():
    assert named(["S_LEADS", "U_GRACE", "U_GRACE"]) == "<@U_GRACE> or <!subteam^S_LEADS>"
    assert named(["U_B", "U_A", "S_X"]) == "<@U_A>, <@U_B> or <!subteam^S_X>"
    assert named([]) == ""


@pytest.mark.parametrize("action", ["merge", "discard", "revert"])
def test_a_refused_merge_discard_or_revert_names_the_mergers(action):
    permissions = Permissions(mergers=frozenset({"U_GRACE", "S_LEADS"}))
    assert _refusal(permissions, action).endswith(
        "ask one of the mergers: <@U_GRACE> or <!subteam^S_LEADS>."
    )


def test_without_mergers_a_refused_merge_names_the_requester_and_importers():
    permissions = Permissions(importers=frozenset({"U_BOB"}))
    assert _refusal(permissions, "merge").endswith("ask <@U_ADA> or <@U_BOB>.")


@pytest.mark.parametrize("action", ["approve", "revise", "answer", "cancel"])
def test_a_refused_approval_names_the_requester_and_importers(action):
    permissions = Permissions(importers=frozenset({"S_IMPORTERS"}))
    assert _refusal(permissions, action).endswith("ask <@U_ADA> or <!subteam^S_IMPORTERS>.")


def test_a_second_approver_refusal_names_the_other_mergers():
    permissions = Permissions(mergers=frozenset({"U_ADA", "U_GRACE"}), require_second_approver=True)
    assert _refusal(permissions, "merge", ADA).endswith("second approver; ask <@U_GRACE>.")


def test_the_mergers_decide_a_review_and_the_requester_the_stages_before():
    mergers = frozenset({"S_LEADS"})
    assert deciders(_job(), mergers=mergers) == ["S_LEADS"]
    assert deciders(_job(), mergers=None, importers={"U_BOB"}) == ["U_ADA", "U_BOB"]
    for status in (Status.AWAITING_CONFIRMATION, Status.AWAITING_SCHEMA_APPROVAL):
        assert deciders(_job(status), mergers=mergers) == ["U_ADA"]
