"""A revision of a loaded branch in Slack: what it changed since the previous revision, and the
review's "Change…" button (it opens the changes modal; the change makes a new revision)."""

from __future__ import annotations

from agents.artifacts import Review
from bot.slack.messages import blocks as b
from bot.slack.messages.actions import CHANGE_IMPORT, ButtonRef
from bot.slack.messages.mrkdwn import code_block, escape, truncate
from bot.slack.messages.review_file import sample_lines, table_line

CHANGE_TEXT_LIMIT = 300
SHOWN_SAMPLE_TABLES = 4


def since_previous_text(review: Review) -> str:
    """mrkdwn: "*Revision 2* — only rows where age >= 21", then per table what changed since
    revision 1 (a fixed-width line each, and a few sample rows); empty for a first load."""
    if review.revision <= 1:
        return ""
    change = f" — {truncate(escape(review.change), CHANGE_TEXT_LIMIT)}" if review.change else ""
    title = f"*Revision {review.revision}*{change}"
    previous = review.revision - 1
    if not review.since_previous:
        return f"{title}\nSince revision {previous}: no table changed."
    lines = [table_line(table) for table in review.since_previous]
    for table in [t for t in review.since_previous if t.samples][:SHOWN_SAMPLE_TABLES]:
        lines += [f"  {table.name}: {line}" for line in sample_lines(table)]
    return f"{title}\nSince revision {previous}:\n{code_block(chr(10).join(lines))}"


def change_button(ref: ButtonRef) -> dict:
    """The review's "Change…" button: opens the changes modal for a change to what was loaded
    (the review's `ref`); the branch then gets a new revision."""
    return b.button("Change…", CHANGE_IMPORT, ref)
