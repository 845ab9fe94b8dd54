"""Stage 6: one progress message, edited in place — a text bar, no buttons."""

from __future__ import annotations

from bot.slack.messages import blocks as b
from bot.slack.messages.message import Message, finish
from bot.slack.messages.mrkdwn import inline_code

BAR_WIDTH = 20


def progress_bar(share: float, *, width: int = BAR_WIDTH) -> str:
    """`██████████░░░░░░░░░░ 50%` for a share between 0 and 1."""
    share = min(max(share, 0.0), 1.0)
    filled = round(share * width)
    return f"{'█' * filled}{'░' * (width - filled)} {int(share * 100)}%"


def render_progress(
    *, job_id: str, table: str, done: int, expected: int, finished: bool = False
) -> Message:
    """Rows loaded into `table` so far, out of those expected (a full bar once finished)."""
    share = 1.0 if finished else (done / expected if expected > 0 else 0.0)
    verb = "Loaded" if finished else "Loading"
    counts = f"{done:,} of {expected:,} rows" if expected else f"{done:,} rows"
    status = ":white_check_mark:" if finished else ":hourglass_flowing_sand:"
    blocks = [
        b.section(f"{status} {verb} {inline_code(table)}: {counts}\n`{progress_bar(share)}`"),
        b.context(f"job {inline_code(job_id)}"),
    ]
    return finish(f"{verb} {table}: {counts}", blocks)
