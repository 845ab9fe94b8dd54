"""The load's progress bars: one per table, with rows, rows per second, elapsed time and ETA."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text


class RowsPerSecond(ProgressColumn):
    """`123,456 rows/s` (the table's rate; its average once it has finished)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        if speed is None and task.elapsed and task.completed:  # one report: its average
            speed = task.completed / task.elapsed
        return Text("… rows/s" if speed is None else f"{speed:,.0f} rows/s", style="cyan")


def load_progress(console: Console) -> Progress:
    return Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        MofNCompleteColumn(),
        RowsPerSecond(),
        TextColumn("elapsed"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        console=console,
        transient=False,
    )


def end_where_loaded(progress: Progress) -> None:
    """Bars whose table loaded fewer rows than expected (rejected or filtered rows) end at
    the rows loaded, instead of stopping short."""
    for task in progress.tasks:
        if task.total is not None and not task.finished:
            progress.update(task.id, total=task.completed)
