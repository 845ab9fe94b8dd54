"""The "Request changes" modal: what is being changed (one short section), one multiline input;
the artifact's ButtonRef rides along. A submission the bot cannot take is answered in the modal
(`field_errors`)."""

from __future__ import annotations

from bot.slack.messages import blocks as b
from bot.slack.messages.actions import CHANGES_MODAL_CALLBACK, ButtonRef
from bot.slack.messages.mrkdwn import escape
from workers.stage_table import stage_row

FEEDBACK_BLOCK = "feedback"
FEEDBACK_ACTION = "feedback"
MAX_MODAL_TITLE = 24
MAX_FIELD_ERROR = 300
_DANGLING = frozenset({"a", "an", "the", "to", "of", "in", "into", "and", "or", "for", "with"})
"""Slack shows an error under the field; longer ones are cut (at a word)."""


def changes_modal(
    *,
    ref: ButtonRef,
    title: str,
    callback_id: str = CHANGES_MODAL_CALLBACK,
    context: str | None = None,
) -> dict:
    """A modal (callback_id CHANGES_MODAL_CALLBACK, or the one given; private_metadata =
    ref.encode()) asking what to change; the answer is at
    `state.values["feedback"]["feedback"]["value"]`. `title` is cut at a word to Slack's 24
    characters (`modal_title`); `context` (mrkdwn, see `change_context`) says what is being
    changed."""
    what = stage_row(ref.stage).shown_as
    shown = [b.section(context)] if context else []
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": ref.encode(),
        "title": b.plain(modal_title(title), MAX_MODAL_TITLE),
        "submit": b.plain("Send", MAX_MODAL_TITLE),
        "close": b.plain("Cancel", MAX_MODAL_TITLE),
        "blocks": [
            b.section(f"Say in your own words what should change in {escape(what)}."),
            *shown,
            {
                "type": "input",
                "block_id": FEEDBACK_BLOCK,
                "label": b.plain("What should change?", 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": FEEDBACK_ACTION,
                    "multiline": True,
                    "max_length": 3000,
                    "placeholder": b.plain(
                        "e.g. instead of a birthdays table, add date_of_birth to people", 150
                    ),
                },
            },
        ],
    }


def modal_title(text: str, limit: int = MAX_MODAL_TITLE) -> str:
    """`text` cut at a word to `limit` characters, never mid-word: "Change the schema
    proposal" is titled "Change the schema" (a label; the modal says what is changed)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    words = cut_at_word(text, limit).removesuffix("…").split()
    while len(words) > 1 and words[-1].lower() in _DANGLING:
        words.pop()  # "Request changes to the" reads as a label without them
    return " ".join(words)


def field_errors(message: str) -> dict[str, str]:
    """The `errors` of a `response_action: "errors"` answer: `message` under the change field."""
    return {FEEDBACK_BLOCK: cut_at_word(message, MAX_FIELD_ERROR)}


def cut_at_word(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    if " " in head and not text[limit - 1].isspace():
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(" ,;:-—(") + "…"
