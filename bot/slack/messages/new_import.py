"""The New import modal the App Home opens: the request in words (multiline), files, the channel
to answer in (the person's DM with the bot when none is chosen), an optional database. What it
submits is read by `new_import_request`; what cannot be taken is answered in the modal
(`response_action: errors`, block id → message)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bot.slack.messages import blocks as b
from bot.slack.messages.actions import NEW_IMPORT_MODAL_CALLBACK

TEXT_BLOCK, TEXT_ACTION = "new_import_text", "text"
FILES_BLOCK, FILES_ACTION = "new_import_files", "files"
CHANNEL_BLOCK, CHANNEL_ACTION = "new_import_channel", "channel"
DATABASE_BLOCK, DATABASE_ACTION = "new_import_database", "database"
_DATABASE = re.compile(r"[A-Za-z_][A-Za-z0-9_-]{0,63}")
_NAMES_A_DATABASE = re.compile(r"\binto\s+(?:the\s+)?database\b", re.I)


def new_import_modal() -> dict:
    """The modal (callback_id NEW_IMPORT_MODAL_CALLBACK)."""
    return {
        "type": "modal",
        "callback_id": NEW_IMPORT_MODAL_CALLBACK,
        "title": b.plain("New import", 24),
        "submit": b.plain("Start", 24),
        "close": b.plain("Cancel", 24),
        "blocks": [
            {
                "type": "input",
                "block_id": TEXT_BLOCK,
                "label": b.plain("What should I import?", 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": TEXT_ACTION,
                    "multiline": True,
                    "max_length": 3000,
                    "placeholder": b.plain(
                        "e.g. import families/people.csv into database families, key id", 150
                    ),
                },
            },
            {
                "type": "input",
                "block_id": FILES_BLOCK,
                "optional": True,
                "label": b.plain("Files", 2000),
                "element": {"type": "file_input", "action_id": FILES_ACTION, "max_files": 10},
            },
            {
                "type": "input",
                "block_id": DATABASE_BLOCK,
                "optional": True,
                "label": b.plain("Database", 2000),
                "hint": b.plain(
                    "Leave empty to say it in the request (or let me propose one).", 150
                ),
                "element": {
                    "type": "plain_text_input",
                    "action_id": DATABASE_ACTION,
                    "max_length": 64,
                    "placeholder": b.plain("e.g. families", 150),
                },
            },
            {
                "type": "input",
                "block_id": CHANNEL_BLOCK,
                "optional": True,
                "label": b.plain("Answer in", 2000),
                "hint": b.plain("Empty: in your direct messages with me.", 150),
                "element": {
                    "type": "conversations_select",
                    "action_id": CHANNEL_ACTION,
                    "filter": {"exclude_bot_users": True, "exclude_external_shared_channels": True},
                    "placeholder": b.plain("A channel I am in", 150),
                },
            },
        ],
    }


@dataclass(frozen=True)
class NewImport:
    """What a submitted New import modal asks for."""

    text: str
    channel: str | None
    """Where to answer; None: the person's DM with the bot."""
    files: list[dict[str, Any]] = field(default_factory=list)
    """Slack file objects (with `url_private_download`), as a message's `files`."""


def new_import_request(view: dict[str, Any]) -> NewImport:
    """The request of a submitted modal; the database, when given and not said in the text,
    is added to it ("… into database families")."""
    values = (view.get("state") or {}).get("values") or {}
    text = (_field(values, TEXT_BLOCK, TEXT_ACTION).get("value") or "").strip()
    database = (_field(values, DATABASE_BLOCK, DATABASE_ACTION).get("value") or "").strip()
    if text and database and not _NAMES_A_DATABASE.search(text):
        text = f"{text} into database {database}"
    channel = _field(values, CHANNEL_BLOCK, CHANNEL_ACTION).get("selected_conversation")
    files = _field(values, FILES_BLOCK, FILES_ACTION).get("files") or []
    return NewImport(text=text, channel=channel or None, files=list(files))


def new_import_errors(view: dict[str, Any]) -> dict[str, str]:
    """Why the modal cannot be taken (block id → message), {} when it can."""
    values = (view.get("state") or {}).get("values") or {}
    errors = {}
    if not (_field(values, TEXT_BLOCK, TEXT_ACTION).get("value") or "").strip():
        errors[TEXT_BLOCK] = "Say what to import, e.g. families/people.csv into database families."
    database = (_field(values, DATABASE_BLOCK, DATABASE_ACTION).get("value") or "").strip()
    if database and not _DATABASE.fullmatch(database):
        errors[DATABASE_BLOCK] = (
            "A database name is letters, digits, _ and -, starting with a letter or _."
        )
    return errors


def _field(values: dict[str, Any], block: str, action: str) -> dict[str, Any]:
    return (values.get(block) or {}).get(action) or {}
