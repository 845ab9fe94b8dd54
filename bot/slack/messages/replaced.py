"""An artifact message being revised (no buttons, "revising…"), and once a newer version is
posted (one line, no buttons)."""

from __future__ import annotations

from bot.slack.messages import blocks as b
from bot.slack.messages.limits import fit
from bot.slack.messages.message import Message, finish
from bot.slack.messages.mrkdwn import escape, truncate

CHANGE_SHOWN = 200


def render_replaced(words: str, old: int, new: int, change: str = "") -> Message:
    """`This schema proposal (version 1) was replaced by version 2: “use id as the key”`."""
    shown = truncate(" ".join(change.split()), CHANGE_SHOWN)
    said = f" (what changed: “{shown}”)" if shown and change != "answers" else ""
    text = f"This {words} (version {old}) was replaced by version {new}{said}, below."
    return finish(text, [b.context(f":arrows_counterclockwise: {escape(text)}")])


def render_revising(original: Message, change: str = "") -> Message:
    """`original` without its buttons, saying a change was asked and the next version comes."""
    blocks = [block for block in original.blocks if block.get("type") != "actions"]
    blocks = [
        {k: v for k, v in block.items() if k != "accessory"}
        if block.get("accessory", {}).get("type") in ("button", "static_select", "overflow")
        else block
        for block in blocks
    ]
    shown = truncate(" ".join(change.split()), CHANGE_SHOWN)
    said = f" “{escape(shown)}”" if shown else ""
    blocks.append(b.context(f":pencil2: Revising{said}… the new version follows below."))
    return Message(text=truncate(f"Revising: {original.text}", 1000), blocks=fit(blocks))


def render_shown_again(words: str, version: int) -> Message:
    """The message of a version posted again (a change that could not be made): one line."""
    text = f"This {words} (version {version}) is shown again below."
    return finish(text, [b.context(f":arrow_down: {escape(text)}")])
