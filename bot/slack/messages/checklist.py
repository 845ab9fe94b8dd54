"""Stage 6: the load as a checklist, one message per job edited in place — each table waiting,
loading n of N at rows/s, done (with what it rejected), or stopped. Text only, no buttons."""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.slack.messages import blocks as b
from bot.slack.messages.message import Message, finish
from bot.slack.messages.mrkdwn import inline_code, join_limited

LIST_LIMIT = 2800  # characters of table lines in the section (Slack allows 3000)


@dataclass(frozen=True)
class TableProgress:
    """One table of the checklist, as the load reported it (times from time.time())."""

    table: str
    expected: int
    done: int = 0
    started: float | None = None
    updated: float | None = None
    finished: bool = False
    outcome: str = ""
    """Once the load ended, what it did to the table in words ("50 added · 2 rejected")."""
    stopped: bool = False

    def reported(self, done: int, expected: int, *, now: float) -> TableProgress:
        return replace(
            self,
            done=max(done, self.done),
            expected=expected or self.expected,
            started=self.started if self.started is not None else now,
            updated=now,
        )

    @property
    def rate(self) -> float | None:
        """Rows per second since the first batch (None before two reports)."""
        if self.started is None or self.updated is None or self.updated <= self.started:
            return None
        return self.done / (self.updated - self.started)

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def render_checklist(job_id: str, tables: list[TableProgress]) -> Message:
    """`Loading 2 of 4 tables · 1,200 of 10,000 rows`, then a line per table."""
    done = sum(1 for t in tables if t.finished)
    stopped = any(t.stopped for t in tables)
    rows = sum(t.done for t in tables)
    expected = sum(t.expected for t in tables)
    if stopped:
        head = f":x: *Stopped* after {rows:,} rows: nothing reached main"
    elif done == len(tables):
        head = f":white_check_mark: *Loaded {_count(len(tables), 'table')}*"
    else:
        head = (
            f":hourglass_flowing_sand: *Loading {done + 1} of {_count(len(tables), 'table')}* · "
            f"{rows:,} of {expected:,} rows"
        )
    lines = join_limited((_line(t) for t in tables), LIST_LIMIT, sep="\n")
    blocks = [b.section(f"{head}\n{lines}"), b.context(f"job {inline_code(job_id)}")]
    text = head.replace("*", "").split(" ", 1)[1]
    return finish(text, blocks)


def _line(table: TableProgress) -> str:
    name = inline_code(table.table, 80)
    if table.finished:
        return f":white_check_mark: {name} — done" + (
            f" · {table.outcome}" if table.outcome else ""
        )
    if table.stopped:
        return f":x: {name} — stopped at {table.done:,} rows"
    if table.started is None:
        return f":white_small_square: {name} — waiting ({_count(table.expected, 'row')})"
    share = f" ({min(100, table.done * 100 // table.expected)}%)" if table.expected else ""
    rate = f" at {table.rate:,.0f} rows/s" if table.rate else ""
    of = f" of {table.expected:,}" if table.expected else ""
    return f":hourglass_flowing_sand: {name} — loading {table.done:,}{of} rows{share}{rate}"


def _count(count: int, thing: str) -> str:
    return f"{count:,} {thing}" + ("" if count == 1 else "s")
