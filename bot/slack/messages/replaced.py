"""An artifact message once a newer version is posted: one line, no buttons."""

from __future__ import annotations

from bot.slack.messages import blocks as b
from bot.slack.messages.message import Message, finish
from bot.slack.messages.mrkdwn import escape, truncate

CHANGE_SHOWN = 200


def render_replaced(words: str, old: int, new: int, change: str = "") -> Message:
    """`This schema proposal (version 1) was replaced by version 2: “use id as the key”`."""
    shown = truncate(" ".join(change.split()), CHANGE_SHOWN)
    said = f" (what changed: “{shown}”)" if shown and change != "answers" else ""
    text = f"This {words} (version {old}) was replaced by version {new}{said}, below."
    return finish(text, [b.context(f":arrows_counterclockwise: {escape(text)}")])
