"""The message a `/import` starts its thread with: who asked, and the request as typed —
escaped (it may hold `<!channel>` or a link) and without link previews."""

from __future__ import annotations

from bot.slack.messages import blocks as b
from bot.slack.messages.decided import mention
from bot.slack.messages.message import Message, finish
from bot.slack.messages.mrkdwn import escape


def render_asked(*, user_id: str, command: str, text: str) -> Message:
    said = f"{command} {text}".strip()  # no command: the New import modal
    return finish(
        f"Asked: {said}",
        [b.section(f"{mention(user_id)} asked: {escape(said)}")],
        link_previews=False,
    )
