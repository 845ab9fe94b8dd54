"""Block Kit building blocks, each cut to Slack's limits. Callers pass mrkdwn already escaped."""

from __future__ import annotations

from bot.slack.messages.actions import CANCEL, ButtonRef
from bot.slack.messages.limits import (
    MAX_ACCESSIBILITY_LABEL,
    MAX_BUTTON_TEXT,
    MAX_CONTEXT_ELEMENTS,
    MAX_FIELD_TEXT,
    MAX_FIELDS,
    MAX_HEADER,
    MAX_SECTION_TEXT,
)
from bot.slack.messages.mrkdwn import truncate


def plain(text: str, limit: int = MAX_SECTION_TEXT) -> dict:
    """A plain_text object (Slack shows it literally: no escaping needed)."""
    return {"type": "plain_text", "text": truncate(text, limit) or " ", "emoji": True}


def mrkdwn(text: str, limit: int = MAX_SECTION_TEXT) -> dict:
    """A mrkdwn object; `verbatim` stops Slack from auto-linking URLs and names in data."""
    return {"type": "mrkdwn", "text": truncate(text, limit) or " ", "verbatim": True}


def header(text: str) -> dict:
    return {"type": "header", "text": plain(text, MAX_HEADER)}


def section(text: str, *, block_id: str | None = None, accessory: dict | None = None) -> dict:
    block: dict = {"type": "section", "text": mrkdwn(text)}
    if block_id:
        block["block_id"] = block_id
    if accessory:
        block["accessory"] = accessory
    return block


def fields(pairs: list[tuple[str, str]]) -> dict:
    """A section of up to ten `*label*\\nvalue` fields (labels are ours, values escaped)."""
    items = [mrkdwn(f"*{label}*\n{value}", MAX_FIELD_TEXT) for label, value in pairs]
    return {"type": "section", "fields": items[:MAX_FIELDS]}


def context(*texts: str) -> dict:
    elements = [mrkdwn(text, MAX_FIELD_TEXT) for text in texts if text]
    return {"type": "context", "elements": elements[:MAX_CONTEXT_ELEMENTS] or [mrkdwn(" ")]}


def confirm(title: str, text: str, *, yes: str, no: str = "Not yet") -> dict:
    """A confirm dialog (title ≤ 100, text ≤ 300, buttons ≤ 30 characters)."""
    return {
        "title": plain(title, 100),
        "text": mrkdwn(text, 300),
        "confirm": plain(yes, 30),
        "deny": plain(no, 30),
    }


def button(
    text: str,
    action_id: str,
    ref: ButtonRef,
    *,
    style: str | None = None,
    confirm_dialog: dict | None = None,
    accessibility_label: str | None = None,
) -> dict:
    """A button whose value is the encoded reference to the artifact it acts on;
    `accessibility_label` is what screen readers say instead of its text (plain words naming
    what it acts on, cut to Slack's 75 characters)."""
    element: dict = {
        "type": "button",
        "text": plain(text, MAX_BUTTON_TEXT),
        "action_id": action_id,
        "value": ref.encode(),
    }
    if style:
        element["style"] = style
    if confirm_dialog:
        element["confirm"] = confirm_dialog
    if accessibility_label:
        element["accessibility_label"] = truncate(accessibility_label, MAX_ACCESSIBILITY_LABEL)
    return element


def actions(block_id: str, *elements: dict) -> dict:
    return {"type": "actions", "block_id": block_id[:255], "elements": list(elements)[:25]}


def cancel_button(ref: ButtonRef) -> dict:
    """Cancel the whole job (asks first): nothing has been written to main."""
    dialog = confirm(
        "Cancel this import?", "The job stops and its branch, if any, is deleted.", yes="Cancel it"
    )
    return button(
        "Cancel",
        CANCEL,
        ref,
        style="danger",
        confirm_dialog=dialog,
        accessibility_label=f"Cancel import {ref.job_id}: stop it and delete its branch",
    )


def merge_label(job_id: str, database: str | None) -> str:
    """What a screen reader says for Merge (the database named when known)."""
    into = f"main of {database}" if database else "main"
    return f"Merge import {job_id} into {into}"


def discard_label(job_id: str) -> str:
    """What a screen reader says for Discard."""
    return f"Discard import {job_id} and delete its branch"


def stage_actions(ref: ButtonRef, approve: tuple[str, str], change: tuple[str, str]) -> dict:
    """The usual row: approve (primary), request changes, cancel — all carrying `ref`."""
    return actions(
        f"{ref.stage}_actions",
        button(approve[0], approve[1], ref, style="primary"),
        button(change[0], change[1], ref),
        cancel_button(ref),
    )
