"""The App Home tab, a dashboard: a New import button; "Waiting for you" (reviews the viewer may
merge, stages they must approve), with counts and links to the threads; "Running"; "Recent"
(merged, discarded, cancelled, failed — the last 20). Merge / Discard for mergers on jobs
awaiting review. At most 100 blocks, however many jobs there are."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.slack.messages import blocks as b
from bot.slack.messages.actions import DISCARD, MERGE, NEW_IMPORT, ButtonRef
from bot.slack.messages.limits import MAX_SURFACE_BLOCKS, MAX_SURFACE_TEXT, fit
from bot.slack.messages.mrkdwn import escape, inline_code, truncate
from workers.stage_table import Stage
from workers.states import FINAL, Status

_CHANNEL_ID = re.compile(r"[CGD][A-Z0-9]{2,30}")
_MESSAGE_TS = re.compile(r"\d{1,12}\.\d{1,9}")
_DIVIDER = {"type": "divider"}
RECENT = 20
"""How many finished imports "Recent" lists."""
NO_IMPORTS = "No imports yet. Mention me in a channel with what to import, or press New import."


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
    review: str | None = None
    """The review's verdict and totals in words, while it awaits a decision."""
    awaits_viewer: str | None = None
    """What the viewer is to do, as "waiting for you to …" ends ("approve the import plan",
    "merge or discard it"): listed under "Waiting for you"."""
    error: str | None = None
    """Why it failed, in plain words (`workers.error_words`)."""


def home_view(jobs: list[HomeJob], *, viewer_can_merge: bool) -> dict:
    """`{"type": "home", "blocks": [...]}` for `jobs` (newest first, as given): those awaiting
    the viewer, then the other open ones, then the last 20 finished; ≤ 100 blocks."""
    blocks: list[dict] = [b.header("Data imports"), _new_import_row()]
    if not jobs:
        blocks.append(b.section(NO_IMPORTS))
        return _view(blocks)
    waiting = [j for j in jobs if j.awaits_viewer and j.status not in FINAL]
    running = [j for j in jobs if j.status not in FINAL and not j.awaits_viewer]
    recent = [j for j in jobs if j.status in FINAL]
    shown_recent = recent[:RECENT]
    # every heading and "… not shown" line is reserved first; the rest goes to the jobs
    room = MAX_SURFACE_BLOCKS - len(blocks) - 8 - len(shown_recent)
    blocks.append(b.section(_waiting_heading(waiting)))
    rows, listed, room = _listed(waiting, room, viewer_can_merge=viewer_can_merge, first=0)
    blocks += rows + _not_shown(len(waiting) - listed, "waiting import(s)")
    blocks += [_DIVIDER, b.section(f"*Running* ({len(running)})" if running else "*Running*: none")]
    rows, listed, room = _listed(
        running, room, viewer_can_merge=viewer_can_merge, first=len(waiting)
    )
    blocks += rows + _not_shown(len(running) - listed, "running import(s)")
    title = f"*Recent* (the last {len(shown_recent)})" if recent else "*Recent*: none yet"
    blocks += [_DIVIDER, b.section(title)]
    blocks += [b.section(_job_text(job)) for job in shown_recent]
    blocks += _not_shown(len(recent) - len(shown_recent), "older import(s)")
    return _view(blocks)


def _listed(
    jobs: list[HomeJob], room: int, *, viewer_can_merge: bool, first: int
) -> tuple[list[dict], int, int]:
    """The blocks of as many of `jobs` as fit in `room` blocks, how many, and the room left."""
    blocks: list[dict] = []
    listed = 0
    for index, job in enumerate(jobs, start=first):
        rows = [b.section(_job_text(job))]
        if viewer_can_merge and _awaits_review(job):
            rows += _review_buttons(job, index)
        if len(rows) > room:
            break
        blocks += rows
        room -= len(rows)
        listed += 1
    return blocks, listed, room


def _view(blocks: list[dict]) -> dict:
    return {
        "type": "home",
        "blocks": fit(blocks, max_blocks=MAX_SURFACE_BLOCKS, max_chars=MAX_SURFACE_TEXT),
    }


def _new_import_row() -> dict:
    button = {
        "type": "button",
        "text": b.plain("New import", 75),
        "action_id": NEW_IMPORT,
        "value": "new",
        "style": "primary",
        "accessibility_label": "Start a new import: say what to import and where",
    }
    return b.actions("home_new_import", button)


def _waiting_heading(waiting: list[HomeJob]) -> str:
    if not waiting:
        return "*Waiting for you*: nothing"
    reviews = sum(1 for j in waiting if j.status == Status.AWAITING_REVIEW)
    stages = len(waiting) - reviews
    counts = []
    if reviews:
        counts.append(f"{reviews} review{'s' if reviews > 1 else ''} to merge or discard")
    if stages:
        counts.append(f"{stages} stage{'s' if stages > 1 else ''} to approve")
    return f"*Waiting for you* ({len(waiting)}) · " + " · ".join(counts)


def _not_shown(count: int, what: str) -> list[dict]:
    return [b.context(f"… and {count} {what} not shown")] if count > 0 else []


def _awaits_review(job: HomeJob) -> bool:
    return job.status == Status.AWAITING_REVIEW and job.review_version is not None


def thread_link(channel: str | None, thread_ts: str | None) -> str | None:
    """A link that opens the job's thread in Slack (None when the place is not one)."""
    if not (channel and thread_ts and _CHANNEL_ID.fullmatch(channel)):
        return None
    if not _MESSAGE_TS.fullmatch(thread_ts):
        return None
    return f"https://slack.com/app_redirect?channel={channel}&message_ts={thread_ts}"


def _job_text(job: HomeJob) -> str:
    waits = job.awaits_viewer and job.status not in FINAL
    status = f"waiting for you to {job.awaits_viewer}" if waits else job.status.words
    parts = [f"{inline_code(job.job_id)} · *{escape(status)}*"]
    if job.database:
        parts.append(f"database {inline_code(job.database)}")
    if job.branch:
        parts.append(f"branch {inline_code(job.branch)}")
    if job.channel and _CHANNEL_ID.fullmatch(job.channel):
        parts.append(f"in <#{job.channel}>")
    link = thread_link(job.channel, job.thread_ts)
    if link:
        parts.append(f"<{link}|open the thread>")
    summary = truncate(escape(job.summary or "(no summary)"), 300)
    review = f"\n{truncate(escape(job.review), 500)}" if job.review else ""
    error = f"\n_{truncate(escape(job.error), 300)}_" if job.error else ""
    return " · ".join(parts) + f"\n{summary}{review}{error}"


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
        accessibility_label=b.merge_label(job.job_id, job.database),
    )
    discard = b.button(
        "Discard",
        DISCARD,
        ref,
        style="danger",
        confirm_dialog=b.confirm("Discard this import?", "Deletes its branch.", yes="Discard"),
        accessibility_label=b.discard_label(job.job_id),
    )
    return [b.actions(f"home_review_{index}", merge, discard)]
