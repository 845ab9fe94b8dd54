"""The terminal's load progress: rows, rows/s, elapsed and ETA, bars that reach their end when
rows were rejected, and a spinner with the step's words that stops before anything is shown."""

from __future__ import annotations

import io

from rich.console import Console

from bot.terminal.port import TerminalPort
from workers.job import Job, Person, Place
from workers.stage_table import Step

ADA = Person(id="ada@example.com", name="Ada", email="ada@example.com")


def _port() -> tuple[TerminalPort, io.StringIO]:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120, color_system=None)
    return TerminalPort(ask=False, quiet=False, console=console, person=ADA), out


def _job() -> Job:
    return Job(id="j", text="import x", requester=ADA, place=Place(kind="terminal"))


def test_progress_shows_rows_per_second_elapsed_and_eta():
    port, out = _port()
    port.progress(_job(), "people", 20_000, 100_000)
    port.progress(_job(), "people", 40_000, 100_000)
    port.finished(_job())
    shown = out.getvalue()
    assert "rows/s" in shown and "elapsed" in shown and "ETA" in shown
    assert "40000/" in shown


def test_a_table_with_rejected_rows_reaches_the_end_of_its_bar():
    port, _ = _port()
    port.progress(_job(), "people", 48, 50)  # two rows rejected: 48 of the 50 expected
    progress = port._progress
    assert progress is not None
    port.progress(_job(), "birthdays", 10, 10)  # the next table: people has finished
    (people, birthdays) = progress.tasks
    assert people.finished and people.completed == 48
    port.finished(_job())
    assert birthdays.finished


def test_the_spinner_names_the_step_and_stops_before_anything_is_shown():
    port, out = _port()
    with port.working(Step.INSPECT):
        assert port._spinner is not None
        port.notice(_job(), "a note")
        assert port._spinner is None
    assert "Inspecting the sources" in out.getvalue()


def test_an_interrupted_load_keeps_its_bar_where_it_stopped():
    from workers.states import Status

    port, _ = _port()
    port.progress(_job(), "numbers", 120_000, 3_000_000)
    progress = port._progress
    assert progress is not None
    port.finished(_job().model_copy(update={"status": Status.CANCELLED}))
    (numbers,) = progress.tasks
    assert not numbers.finished and numbers.total == 3_000_000


def test_a_wide_tables_samples_show_eight_columns_and_say_how_many_there_are():
    """A 24-column table's sample rows would squeeze each cell to a letter a line: the review
    shows the kind of change and the first eight columns, and says so."""
    from rich.console import Console

    from agents.artifacts import TableReview
    from bot.terminal.samples import sample_tables

    row = {"change": "added", **{f"column_{i}": f"value {i}" for i in range(24)}}
    table = TableReview(
        name="wide",
        change="added",
        rows_added=1,
        rows_modified=0,
        rows_deleted=0,
        rows_before=0,
        rows_after=1,
        schema_change=True,
        schema_before=None,
        schema_after=None,
        samples=[row],
    )
    console = Console(width=100, record=True)
    console.print(*sample_tables([table]))
    shown = console.export_text()
    assert "wide: 1 sample row(s), the first 8 of 24 columns" in shown
    assert "value 7" in shown and "column_8" not in shown
