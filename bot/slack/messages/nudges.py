"""Telling the people who must act: a reminder in the job's thread naming them, and the direct
message each merger gets when a review is ready (IMPORTBOT_NOTIFY_MERGERS=dm)."""

from __future__ import annotations

from agents import review_words
from agents.artifacts import Review
from bot.slack.messages import blocks as b
from bot.slack.messages.message import Message, finish
from bot.slack.messages.mrkdwn import escape, inline_code
from workers.waiting import Reminder, reminder_text, reminder_words
from workers.who_acts import named


def render_reminder(reminder: Reminder) -> Message:
    """ ":bell: This review has waited 4 hours for a decision. <@U1> or <!subteam^S1>:
    please merge it or discard it." (the mentions notify them), then when it expires."""
    said, ask, later = reminder_words(reminder)
    who = named(reminder.who)
    asked = f"{who}: {escape(ask)}" if who else escape(ask.capitalize())
    blocks = [b.section(f":bell: {escape(said)} {asked}")]
    if later:
        blocks.append(b.context(escape(later)))
    # the fallback (a notification's preview) names no one: its text is escaped
    return finish(reminder_text(reminder, who=""), blocks)


def render_review_waiting(
    review: Review, *, requester_id: str, link: str | None, channel: str | None
) -> Message:
    """The direct message to a merger: which review waits for them, whether it is ready, and
    a link to its thread, where Merge into main and Discard are."""
    verdict = review_words.verdict(review)
    mark = ":white_check_mark:" if verdict.ready else ":no_entry:"
    where = f" in <#{channel}>" if channel else ""
    opened = f"<{link}|Open the review>" if link else ""
    blocks = [
        b.section(
            f":eyes: *A review is waiting for you*{where}: the import <@{requester_id}> asked "
            f"for, on branch {inline_code(review.branch)} of {inline_code(review.database)}."
        ),
        b.section(
            f"{mark} {escape(verdict.headline)} · {escape(review_words.totals(review))}"
            + (f"\n{opened} to merge it into main or discard it." if opened else "")
        ),
    ]
    text = f"A review is waiting for you: {review.branch} of {review.database}"
    return finish(text, blocks)
