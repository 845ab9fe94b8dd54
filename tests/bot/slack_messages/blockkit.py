"""Checks shared by the renderer tests: real Block Kit parsing plus our limits."""

from __future__ import annotations

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.slack.messages.limits import MAX_BLOCKS, MAX_SURFACE_BLOCKS, text_length, violations
from bot.slack.messages.message import Message


def assert_valid_blocks(blocks: list[dict], *, max_blocks: int = MAX_BLOCKS) -> None:
    """slack_sdk parses and validates every block, loses nothing, and our limits hold."""
    parsed = Block.parse_all(blocks)
    assert None not in parsed, "a block slack_sdk does not know"
    for block, original in zip(parsed, blocks, strict=True):
        block.validate_json()
        assert block.to_dict() == original  # to_dict validates every nested element too
    assert violations(blocks, max_blocks=max_blocks) == []


def assert_valid_message(message: Message) -> None:
    assert isinstance(message, Message)
    assert message.text and len(message.text) <= 1000
    assert_valid_blocks(message.blocks)
    assert len(message.blocks) <= MAX_BLOCKS
    assert text_length(message.blocks) <= 11_000
    for block in message.blocks:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000


def assert_valid_view(view: dict) -> None:
    parsed = View(**view)
    parsed.validate_json()
    assert parsed.to_dict() == view
    assert_valid_blocks(view["blocks"], max_blocks=MAX_SURFACE_BLOCKS)


def all_text(blocks: list[dict]) -> str:
    """Every string in the blocks, joined (to search for what a person would see)."""
    out: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str):
            out.append(value)

    walk(blocks)
    return "\n".join(out)


def mrkdwn_text(message_or_blocks: Message | list[dict] | dict) -> str:
    """What Slack parses as mrkdwn: every mrkdwn text object, plus a message's fallback text."""
    out: list[str] = []
    if isinstance(message_or_blocks, Message):
        out.append(message_or_blocks.text)
        message_or_blocks = message_or_blocks.blocks

    def walk(value: object) -> None:
        if isinstance(value, dict):
            if value.get("type") == "mrkdwn":
                out.append(value["text"])
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(message_or_blocks)
    return "\n".join(out)


def assert_no_markup_from(data_marker: str, message: Message) -> None:
    """No mention, link or code fence from hostile data survives into parsed text."""
    text = mrkdwn_text(message)
    for markup in ("<!channel>", "<@U999>", "<https://evil"):
        assert markup not in text
    if data_marker in text:
        assert "&lt;!channel&gt;" in text


def elements(blocks: list[dict], type_: str) -> list[dict]:
    """Every interactive element of `type_` (in actions blocks and section accessories)."""
    found = []
    for block in blocks:
        for element in [*block.get("elements", []), block.get("accessory") or {}]:
            if element.get("type") == type_:
                found.append(element)
    return found
