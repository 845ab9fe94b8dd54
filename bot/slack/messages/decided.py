"""After a click: the same message without its buttons, and the final state of a job."""

from __future__ import annotations

import re
from collections.abc import Mapping

from bot.slack.messages import blocks as b
from bot.slack.messages.actions import EDIT_FAILED_REQUEST, RETRY, REVERT, ButtonRef
from bot.slack.messages.limits import MAX_FALLBACK_TEXT, fit
from bot.slack.messages.message import Message, finish
from bot.slack.messages.mrkdwn import escape, inline_code, truncate
from workers.states import Status

_USER_ID = re.compile(r"[UW][A-Z0-9]{2,30}")

_FINAL = {  # status: (emoji, said with who did it, said without)
    Status.MERGED: (
        ":white_check_mark:",
        "{who} merged {branch} into `main` of {database}.",
        "Merged {branch} into `main` of {database}.",
    ),
    Status.DISCARDED: (
        ":wastebasket:",
        "{who} discarded {branch}; `main` never saw it.",
        "Discarded {branch}; `main` never saw it.",
    ),
    Status.CANCELLED: (
        ":no_entry_sign:",
        "{who} cancelled the import; nothing was written to `main`.",
        "The import was cancelled; nothing was written to `main`.",
    ),
    Status.FAILED: (
        ":x:",
        "The import failed; nothing was written to `main`.",
        "The import failed; nothing was written to `main`.",
    ),
}


def mention(user_id: str | None) -> str:
    """`<@U123>` for a real Slack user id; anything else is shown escaped, never as markup."""
    if user_id and _USER_ID.fullmatch(user_id):
        return f"<@{user_id}>"
    return escape(user_id or "someone")


def render_decided(
    original: Message, *, decision: str, user_id: str, chosen: Mapping[str, str] | None = None
) -> Message:
    """`original` with every actions block (and select) removed and "<@U…> chose *decision*";
    a question whose select had an answer (`chosen`: block id → the option's text) keeps it.

    Files were uploaded with the original; they are not sent again.
    """
    blocks = []
    for block in original.blocks:
        if block["type"] == "actions":
            continue
        if block.get("accessory", {}).get("type") in ("static_select", "button", "overflow"):
            block = {k: v for k, v in block.items() if k != "accessory"}
            answer = (chosen or {}).get(str(block.get("block_id")))
            if answer and block.get("text", {}).get("type") == "mrkdwn":
                text = f"{block['text']['text']}\n→ *{escape(answer.replace('*', ''))}*"
                block = {**block, "text": {**block["text"], "text": text}}
        blocks.append(block)
    choice = escape(decision.replace("*", "")) or "—"
    blocks.append(b.context(f"{mention(user_id)} chose *{choice}*"))
    said = f"{mention(user_id)} chose {choice}: {original.text}"  # the notification says it
    return Message(text=truncate(said, MAX_FALLBACK_TEXT), blocks=fit(blocks))


def render_final(
    *,
    job_id: str,
    status: Status,
    database: str | None,
    branch: str | None,
    user_id: str | None,
    detail: str = "",
    retry: ButtonRef | None = None,
    revert: ButtonRef | None = None,
) -> Message:
    """The last word on a job: merged, discarded, cancelled or failed — by whom, and why. A
    failed job given `retry` (the reference its buttons carry) offers **Retry** (from the step
    that failed) and **Edit request** (read the request again with a change); a merged one
    given `revert` offers **Revert** (for mergers: a branch undoing the merge, to review)."""
    other = "The import is now {status}."
    emoji, active, passive = _FINAL.get(status, (":information_source:", other, other))
    text = (active if user_id else passive).format(
        who=mention(user_id),
        branch=inline_code(branch) if branch else "the import branch",
        database=inline_code(database) if database else "the database",
        status=escape(status.words),
    )
    if detail:
        text += f"\n{escape(detail)}"
    blocks = [b.section(f"{emoji} {text}"), b.context(f"job {inline_code(job_id)}")]
    if status == Status.FAILED and retry is not None:
        blocks.append(
            b.actions(
                "failed_actions",
                b.button("Retry", RETRY, retry, style="primary"),
                b.button("Edit request", EDIT_FAILED_REQUEST, retry),
            )
        )
    if status == Status.MERGED and revert is not None:
        blocks.append(b.actions("merged_actions", revert_button(revert)))
    # the failure's detail may quote the request's sources: no link previews
    return finish(f"Import {job_id}: {status.words}", blocks, link_previews=False)


def revert_button(ref: ButtonRef) -> dict:
    """Revert a merged import (asks first): main changes only when the revert is merged."""
    dialog = b.confirm(
        f"Revert import {ref.job_id}?",
        "Makes a branch that undoes its merge; you review it before main changes.",
        yes="Make the revert",
    )
    return b.button("Revert", REVERT, ref, confirm_dialog=dialog)


def render_notice(text: str) -> Message:
    """A note for the thread (plain text; escaped)."""
    return finish(text, [b.section(f":information_source: {escape(text)}")])


def render_error(text: str) -> Message:
    """An error for the thread, said plainly (escaped)."""
    return finish(text, [b.section(f":warning: {escape(text)}")])
