"""Stage 5: the import plan — per table the mode, rows in → rows to load, and its SELECT.

When the SELECTs do not fit, the message shows the row counts and the full plan goes out as
`plan-<job>.sql`. Buttons: Run import / Request changes / Cancel.
"""

from __future__ import annotations

from agents.artifacts import ImportPlan, PlanStep
from bot.slack.messages import blocks as b
from bot.slack.messages.actions import CHANGE_PLAN, RUN_PLAN, ButtonRef
from bot.slack.messages.limits import MAX_SECTION_TEXT, fits_inline
from bot.slack.messages.message import Message, could_not, finish, inline_or_attached
from bot.slack.messages.mrkdwn import (
    bullets,
    code_block,
    escape,
    inline_code,
    join_limited,
    safe_filename,
)
from workers.stage_table import stage_row

MAX_INLINE_STEPS = 12


def render_plan(plan: ImportPlan, *, ref: ButtonRef) -> Message:
    """The plan's steps, checks and notes (the SELECTs inline or as a file)."""
    buttons = b.stage_actions(ref, ("Run import", RUN_PLAN), ("Request changes", CHANGE_PLAN))
    if plan.status == "cannot":
        return could_not(
            "I could not make an import plan", plan.reason or "no plan could be made", buttons
        )
    blocks: list[dict] = [b.header("Import plan")]
    texts = [f"{step_line(step)}\n{code_block(step.select, limit=10**9)}" for step in plan.steps]
    steps, files = inline_or_attached(
        texts,
        fits=fits_inline(texts, MAX_INLINE_STEPS),
        summary=join_limited((step_line(s) for s in plan.steps), MAX_SECTION_TEXT, sep="\n"),
        what=stage_row(ref.stage).words,
        filename=safe_filename(ref.stage, ref.job_id, "sql"),
        content=lambda: plan_file(plan),
        title="Import plan",
    )
    blocks += steps
    if plan.checks:
        checks = (f"• every row satisfies {inline_code(c, 500)}" for c in plan.checks)
        blocks.append(b.section("*Checks after loading:*\n" + join_limited(checks, 2900, "\n")))
    if plan.notes:
        blocks.append(b.section(bullets(plan.notes)))
    blocks.append(buttons)
    total = sum(step.expected_rows for step in plan.steps)
    return finish(
        f"Import plan: {total:,} rows into {len(plan.steps)} table(s). Run it?", blocks, files
    )


def step_line(step: PlanStep) -> str:
    """`*table* — append · 1,000 source rows → 988 to load (10 filtered out, 2 unreadable)`."""
    filtered = step.source_rows - step.unreadable_rows - step.expected_rows
    line = (
        f"*{escape(step.table)}* — {step.mode} · {step.source_rows:,} source rows → "
        f"{step.expected_rows:,} to load"
    )
    left_out = [f"{filtered:,} filtered out"] if filtered > 0 else []
    if step.unreadable_rows:
        left_out.append(f"{step.unreadable_rows:,} unreadable, rejected")
    return line + (f" ({', '.join(left_out)})" if left_out else "")


def plan_file(plan: ImportPlan) -> str:
    """The whole plan as SQL: each SELECT after a comment with its table, mode and rows."""
    parts = []
    for step in plan.steps:
        comment = (
            f"-- {step.table}: mode {step.mode}, {step.source_rows} source rows, "
            f"{step.expected_rows} to load"
            + (f", {step.unreadable_rows} unreadable" if step.unreadable_rows else "")
        ).replace("\n", " ")
        parts.append(f"{comment}\n{step.select.rstrip().rstrip(';')};")
    parts += [f"-- check: every row satisfies {check}" for check in plan.checks]
    return "\n\n".join(parts) + "\n"
