"""Issue 15, point 1 (pure parts): durations people configure, which waiting jobs are due a
reminder or expiry, and what the reminder says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from workers.durations import InvalidDuration, duration_words, parse_duration
from workers.job import AuditEntry, Job, Person, Place
from workers.stage_table import Stage, Step
from workers.states import Status
from workers.waiting import (
    REMINDED,
    Due,
    ReminderSettings,
    due,
    reminder_for,
    reminder_text,
    waiting_since,
)

T0 = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
SETTINGS = ReminderSettings(
    remind_after_seconds=4 * 3600, expire_after_seconds=7 * 86400, mergers=frozenset({"S_LEADS"})
)


def _job(status: Status, *, pending: Step | None = None, reminded_at: datetime | None = None):
    audit = [AuditEntry(at=T0, actor="worker", action="v1", status_to=status)]
    if reminded_at is not None:
        audit.append(AuditEntry(at=reminded_at, actor="system", action=REMINDED))
    return Job(
        id="J1",
        requester=Person(id="U_ADA", name="Ada"),
        place=Place(kind="slack", channel="C1", thread_ts="1.1"),
        text="import a.csv into db",
        status=status,
        pending=pending,
        audit=audit,
        created_at=T0 - HOUR,
    )


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("4h", 14400), ("30m", 1800), ("7d", 604800), ("90s", 90), ("2w", 1209600), ("45", 45)],
)
def test_durations_read_like_people_write_them(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "four hours", "4 hours", "-1h", "4x"])
def test_a_duration_that_is_none_is_refused_in_words(text):
    with pytest.raises(InvalidDuration, match="write it like 30m, 4h or 7d"):
        parse_duration(text)


def test_durations_are_said_in_whole_units():
    assert duration_words(4 * 3600) == "4 hours"
    assert duration_words(7 * 86400) == "7 days"
    assert duration_words(5400) == "90 minutes"
    assert duration_words(3601) == "1 hour"
    assert duration_words(60) == "1 minute"
    assert duration_words(36 * 3600) == "36 hours"
    assert duration_words(164 * 3600) == "6 days"


def test_a_job_waits_since_its_last_transition_not_its_last_note():
    job = _job(Status.AWAITING_REVIEW, reminded_at=T0 + 5 * HOUR)
    assert waiting_since(job) == T0


def test_a_waiting_job_is_reminded_once_after_remind_after():
    job = _job(Status.AWAITING_SCHEMA_APPROVAL)
    assert due(job, SETTINGS, now=T0 + 3 * HOUR) is None
    assert due(job, SETTINGS, now=T0 + 4 * HOUR) == Due.REMIND
    reminded = _job(Status.AWAITING_SCHEMA_APPROVAL, reminded_at=T0 + 4 * HOUR)
    assert due(reminded, SETTINGS, now=T0 + 40 * HOUR) is None  # never twice for one wait


def test_a_reminder_of_an_earlier_wait_does_not_count():
    job = _job(Status.AWAITING_PLAN_APPROVAL, reminded_at=T0 - HOUR)  # before the last move
    assert due(job, SETTINGS, now=T0 + 5 * HOUR) == Due.REMIND


def test_only_a_review_expires_and_only_a_job_waiting_for_a_person_is_due():
    week = T0 + timedelta(days=7)
    assert due(_job(Status.AWAITING_REVIEW), SETTINGS, now=week) == Due.EXPIRE
    assert due(_job(Status.AWAITING_REVIEW, reminded_at=T0 + 4 * HOUR), SETTINGS, now=week) == (
        Due.EXPIRE
    )
    assert due(_job(Status.AWAITING_CONFIRMATION), SETTINGS, now=week) == Due.REMIND
    revising = _job(Status.AWAITING_REVIEW, pending=Step.PLAN)  # a change being made
    assert due(revising, SETTINGS, now=week) is None
    for status in (Status.RUNNING, Status.INSPECTING, Status.MERGED, Status.FAILED):
        assert due(_job(status), SETTINGS, now=week) is None


def test_a_review_reminder_names_the_mergers_and_when_it_expires():
    reminder = reminder_for(_job(Status.AWAITING_REVIEW), SETTINGS, now=T0 + 4 * HOUR)
    assert (reminder.stage, reminder.who) == (Stage.REVIEW, ("S_LEADS",))
    assert reminder_text(reminder, who="@data-leads") == (
        "This review has waited 4 hours for a decision. @data-leads: please merge it or discard "
        "it. Unless someone decides within 6 days, it expires and its branch is discarded."
    )


def test_an_approval_reminder_names_the_requester():
    job = _job(Status.AWAITING_SCHEMA_APPROVAL)
    reminder = reminder_for(job, SETTINGS, now=T0 + 5 * HOUR)
    assert reminder.who == ("U_ADA",) and reminder.expires_after_seconds is None
    assert reminder_text(reminder, who="<@U_ADA>") == (
        "This schema proposal has waited 5 hours for a decision. <@U_ADA>: please approve it "
        "or ask for a change."
    )
