"""The App Home tab: recent imports, with Merge / Discard for mergers on jobs awaiting review."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.slack.messages import blocks as b
from bot.slack.messages.actions import DISCARD, MERGE, ButtonRef
from bot.slack.messages.limits import MAX_SURFACE_BLOCKS, MAX_SURFACE_TEXT, fit
from bot.slack.messages.mrkdwn import escape, inline_code, truncate
from workers.stage_table import Stage
from workers.states import Status

_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,30}")


@dataclass(frozen=True)
class HomeJob:
    """One job as the Home tab lists it."""

    job_id: str
    status: Status
    summary: str
    database: str | None
    branch: str | None
    channel: str | None
    thread_ts: str | None
    review_version: int | None


def home_view(jobs: list[HomeJob], *, viewer_can_merge: bool) -> dict:
    """`{"type": "home", "blocks": [...]}` listing `jobs` (newest first, as given), ≤ 100 blocks."""
    blocks: list[dict] = [b.header("Data imports")]
    if not jobs:
        blocks.append(b.section("No imports yet. Mention me in a channel with what to import."))
    room = (MAX_SURFACE_BLOCKS - 2) // 2  # two blocks per job, the header and a "more" line
    for index, job in enumerate(jobs[:room]):
        blocks.append(b.section(_job_text(job)))
        awaiting = job.status == Status.AWAITING_REVIEW and job.review_version is not None
        if viewer_can_merge and awaiting:
            blocks += _review_buttons(job, index)
    if len(jobs) > room:
        blocks.append(b.context(f"… and {len(jobs) - room} older import(s) not shown"))
    return {
        "type": "home",
        "blocks": fit(blocks, max_blocks=MAX_SURFACE_BLOCKS, max_chars=MAX_SURFACE_TEXT),
    }


def _job_text(job: HomeJob) -> str:
    parts = [f"{inline_code(job.job_id)} · *{escape(job.status.words)}*"]
    if job.database:
        parts.append(f"database {inline_code(job.database)}")
    if job.branch:
        parts.append(f"branch {inline_code(job.branch)}")
    if job.channel and _CHANNEL_ID.fullmatch(job.channel):
        parts.append(f"in <#{job.channel}>")
    summary = truncate(escape(job.summary or "(no summary)"), 300)
    return " · ".join(parts) + f"\n{summary}"


def _review_buttons(job: HomeJob, index: int) -> list[dict]:
    try:
        ref = ButtonRef(job_id=job.job_id, stage=Stage.REVIEW, version=job.review_version or 0)
    except ValueError:
        return []  # not a job id a button can carry: no buttons rather than no Home tab
    where = f" into `main` of {inline_code(job.database)}" if job.database else " into `main`"
    merge = b.button(
        "Merge into main",
        MERGE,
        ref,
        style="primary",
        confirm_dialog=b.confirm("Merge into main?", f"Merge this import{where}.", yes="Merge"),
    )
    discard = b.button(
        "Discard",
        DISCARD,
        ref,
        style="danger",
        confirm_dialog=b.confirm("Discard this import?", "Deletes its branch.", yes="Discard"),
    )
    return [b.actions(f"home_review_{index}", merge, discard)]
