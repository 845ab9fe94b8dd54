"""Stage 1: "This is my understanding…", the request's details, Looks right / Edit / Cancel."""

from __future__ import annotations

from agents.artifacts import ImportRequest
from bot.slack.messages import blocks as b
from bot.slack.messages.actions import (
    CONFIRM_UNDERSTANDING,
    EDIT_UNDERSTANDING,
    ButtonRef,
)
from bot.slack.messages.message import Message, could_not, finish
from bot.slack.messages.mrkdwn import bullets, escape, inline_code, join_limited


def render_understanding(request: ImportRequest, *, ref: ButtonRef) -> Message:
    """The request as understood; when it is not an import request, why, with Edit / Cancel."""
    if request.status == "cannot":
        reason = request.reason or "it does not read as an import request"
        buttons = b.actions(
            "understanding_actions", b.button("Edit", EDIT_UNDERSTANDING, ref), b.cancel_button(ref)
        )
        said = "I could not read this as an import request"
        return could_not(said, reason, buttons, link_previews=False)
    summary = request.summary or "Import the sources below."
    who = "the request grammar" if request.understood_by == "grammar" else "the language model"
    blocks = [
        b.section(f"*This is my understanding:*\n{escape(summary)}"),
        b.fields(_details(request)),
        *([_checks(request.checks)] if request.checks else []),
        *(b.context(f":information_source: {escape(note)}") for note in request.notes),
        b.context(f"Read by {who} · job {inline_code(ref.job_id)}"),
        b.actions(
            "understanding_actions",
            b.button("Looks right", CONFIRM_UNDERSTANDING, ref, style="primary"),
            b.button("Edit", EDIT_UNDERSTANDING, ref),
            b.cancel_button(ref),
        ),
    ]
    return finish(f"This is my understanding: {summary}", blocks, link_previews=False)


def _details(request: ImportRequest) -> list[tuple[str, str]]:
    sources = join_limited((inline_code(s) for s in request.sources), 1900) or "_none_"
    pairs = [("Sources", sources), ("Database", _code_or(request.database, "_not given_"))]
    if request.table:
        pairs.append(("Table", inline_code(request.table)))
    if request.where:
        pairs.append(("Only rows where", inline_code(request.where, 1900)))
    if request.key:
        pairs.append(("Key", join_limited((inline_code(k) for k in request.key), 1900)))
    if request.mode:
        pairs.append(("Mode", str(request.mode)))
    pairs.append(("Create tables", "yes" if request.create_tables else "no"))
    if request.recursive:
        pairs.append(("Subdirectories", "included"))
    if request.nested_lists == "json_column":
        pairs.append(("Nested lists", "kept as JSON columns"))
    return pairs


def _checks(checks: list[str]) -> dict:
    """The person's checks in words, each to become a Dolt test on the branch."""
    return b.section("*Checks* (Dolt tests on the branch):\n" + bullets(checks))


def _code_or(value: str | None, missing: str) -> str:
    return inline_code(value) if value else missing
