"""The rendered message: fallback text, Block Kit blocks, and files too long to show inline."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from bot.slack.messages.blocks import section
from bot.slack.messages.limits import fit
from bot.slack.messages.mrkdwn import escape, fallback_text, inline_code


@dataclass(frozen=True)
class OutgoingFile:
    """A text file to upload into the thread with the message (files_upload_v2)."""

    filename: str
    content: str
    title: str


@dataclass(frozen=True)
class Message:
    """One Slack message: `text` is the notification fallback, `blocks` what people see."""

    text: str
    blocks: list[dict]
    files: tuple[OutgoingFile, ...] = ()
    link_previews: bool = True
    """False for a message that quotes what a person wrote (their request, its sources):
    Slack must not unfurl the links in it (`unfurl_links` / `unfurl_media` off)."""


def finish(
    text: str,
    blocks: list[dict],
    files: Iterable[OutgoingFile] = (),
    *,
    link_previews: bool = True,
) -> Message:
    """The message a renderer returns: escaped fallback text and blocks within Slack's limits."""
    return Message(
        text=fallback_text(text),
        blocks=fit(blocks),
        files=tuple(files),
        link_previews=link_previews,
    )


def could_not(said: str, reason: str, buttons: dict, *, link_previews: bool = True) -> Message:
    """A stage's "I could not …: <reason>" (the model's own words, escaped) with its buttons."""
    blocks = [section(f"{said}: {escape(reason)}"), buttons]
    return finish(f"{said}: {reason}", blocks, link_previews=link_previews)


def inline_or_attached(
    texts: Iterable[str],
    *,
    fits: bool,
    summary: str,
    what: str,
    filename: str,
    content: Callable[[], str],
    title: str,
) -> tuple[list[dict], list[OutgoingFile]]:
    """`texts` as sections when they fit; else `summary`, a line naming the file with the full
    `what`, and that file (its `content` made only then)."""
    if fits:
        return [section(text) for text in texts], []
    blocks = [
        section(summary),
        section(f"The full {what} is attached as a file: {inline_code(filename)}"),
    ]
    return blocks, [OutgoingFile(filename=filename, content=content(), title=title)]
