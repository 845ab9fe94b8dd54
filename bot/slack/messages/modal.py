"""The "Request changes" modal: one multiline input; the artifact's ButtonRef rides along."""

from __future__ import annotations

from bot.slack.messages import blocks as b
from bot.slack.messages.actions import CHANGES_MODAL_CALLBACK, ButtonRef
from workers.stage_table import stage_row

FEEDBACK_BLOCK = "feedback"
FEEDBACK_ACTION = "feedback"
MAX_MODAL_TITLE = 24


def changes_modal(*, ref: ButtonRef, title: str, callback_id: str = CHANGES_MODAL_CALLBACK) -> dict:
    """A modal (callback_id CHANGES_MODAL_CALLBACK, or the one given; private_metadata =
    ref.encode()) asking what to change; the answer is at
    `state.values["feedback"]["feedback"]["value"]`."""
    what = stage_row(ref.stage).shown_as
    return {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": ref.encode(),
        "title": b.plain(title, MAX_MODAL_TITLE),
        "submit": b.plain("Send", MAX_MODAL_TITLE),
        "close": b.plain("Cancel", MAX_MODAL_TITLE),
        "blocks": [
            b.section(f"Say in your own words what should change in {what}."),
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
