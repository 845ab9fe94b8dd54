"""Issue 15, point 1: the reminder names who must act as mentions Slack notifies (its fallback
names no one), and a merger's DM says which review waits and links to its thread."""

from __future__ import annotations

from bot.slack.messages.nudges import render_reminder, render_review_waiting
from tests.bot.slack_messages.blockkit import all_text, assert_valid_message
from workers.stage_table import Stage
from workers.waiting import Reminder

LINK = "https://example.slack.com/archives/C1/p1700000000000100"


def test_a_review_reminder_mentions_the_mergers_and_says_when_it_expires():
    reminder = Reminder("J1", Stage.REVIEW, ("U_GRACE", "S_LEADS"), 4 * 3600, 6 * 86400)
    message = render_reminder(reminder)
    assert_valid_message(message)
    text = all_text(message.blocks)
    assert "This review has waited 4 hours for a decision." in text
    assert "<@U_GRACE> or <!subteam^S_LEADS>: please merge it or discard it." in text
    assert "Unless someone decides within 6 days, it expires" in text
    assert "<@" not in message.text and "subteam" not in message.text


def test_an_approval_reminder_mentions_the_requester():
    message = render_reminder(Reminder("J1", Stage.PLAN, ("U_ADA",), 5 * 3600))
    assert_valid_message(message)
    assert "<@U_ADA>: please run it or ask for a change." in all_text(message.blocks)
    assert "expires" not in all_text(message.blocks)


def test_a_mergers_dm_links_to_the_review(review):
    message = render_review_waiting(review, requester_id="U_ADA", link=LINK, channel="C1")
    assert_valid_message(message)
    text = all_text(message.blocks)
    assert f"<{LINK}|Open the review>" in text and "<#C1>" in text and "<@U_ADA>" in text
    assert review.branch in text and review.branch in message.text
