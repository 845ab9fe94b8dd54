"""Slack's size limits, and the last check every renderer's blocks pass through."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

MAX_BLOCKS = 50  # per message
MAX_SURFACE_BLOCKS = 100  # per modal or App Home
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_CONTEXT_ELEMENTS = 10
MAX_TOTAL_TEXT = 11_000  # msg_blocks_too_long is seen from about 12k characters
MAX_SURFACE_TEXT = 30_000
MAX_HEADER = 150
MAX_BUTTON_TEXT = 75
MAX_ACCESSIBILITY_LABEL = 75  # a button's accessibility_label
MAX_BUTTON_VALUE = 2000
MAX_OPTION_TEXT = 75
MAX_OPTIONS = 100
MAX_FALLBACK_TEXT = 1000
INLINE_BUDGET = 7000  # what a stage may spend on DDL, SELECTs or diffs before using a file


def text_length(value: Any) -> int:
    """Characters of every `text` string in a block structure (what Slack's size check counts)."""
    return sum(len(text) for text in _texts(value))


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "text" and isinstance(item, str):
                yield item
            else:
                yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def fit(
    blocks: list[dict], *, max_blocks: int = MAX_BLOCKS, max_chars: int = MAX_TOTAL_TEXT
) -> list[dict]:
    """Drop body blocks from the end (keeping the trailing actions) until both limits hold."""
    if len(blocks) <= max_blocks and text_length(blocks) <= max_chars:
        return blocks
    end = len(blocks)
    while end > 0 and blocks[end - 1]["type"] == "actions":
        end -= 1
    body, actions = blocks[:end], blocks[end:]
    dropped = 0
    while body:
        note = {"type": "context", "elements": [_mrkdwn(f"… {dropped} more block(s) left out")]}
        candidate = [*body, note, *actions] if dropped else [*body, *actions]
        if len(candidate) <= max_blocks and text_length(candidate) <= max_chars:
            return candidate
        body = body[:-1]
        dropped += 1
    return [{"type": "context", "elements": [_mrkdwn("… too long to show")]}, *actions]


def _mrkdwn(text: str) -> dict:
    return {"type": "mrkdwn", "text": text, "verbatim": True}


def violations(blocks: list[dict], *, max_blocks: int = MAX_BLOCKS) -> list[str]:
    """Every limit `blocks` break (empty when they are fine); tests and callers can check."""
    found = []
    if len(blocks) > max_blocks:
        found.append(f"{len(blocks)} blocks > {max_blocks}")
    if max_blocks == MAX_BLOCKS and text_length(blocks) > MAX_TOTAL_TEXT:
        found.append(f"{text_length(blocks)} characters of text > {MAX_TOTAL_TEXT}")
    for block in blocks:
        text = block.get("text", {}).get("text", "")
        limit = MAX_HEADER if block["type"] == "header" else MAX_SECTION_TEXT
        if len(text) > limit:
            found.append(f"{block['type']} text of {len(text)} characters > {limit}")
        for element in _elements(block):
            if element.get("type") == "button":
                if len(element["text"]["text"]) > MAX_BUTTON_TEXT:
                    found.append(f"button text {element['text']['text']!r} too long")
                if len(element.get("value", "")) > MAX_BUTTON_VALUE:
                    found.append(f"button value of {len(element['value'])} characters")
    return found


def _elements(block: dict) -> list[dict]:
    return [*block.get("elements", []), *([block["accessory"]] if "accessory" in block else [])]


def fits_inline(section_texts: list[str], max_sections: int, budget: int = INLINE_BUDGET) -> bool:
    """Whether these section texts (unshortened) can all be shown: else they go in a file."""
    return (
        len(section_texts) <= max_sections
        and all(len(text) <= MAX_SECTION_TEXT for text in section_texts)
        and sum(len(text) for text in section_texts) <= budget
    )
