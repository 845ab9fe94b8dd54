"""XLSX workbooks: each chosen sheet converted to CSV in the workdir, then staged as delimited
text.

Which sheets: the ones the person named (`sheet NAME`), every sheet with values (`all sheets`,
one relation per sheet), else the first sheet with values — and the notes list every sheet, so
nothing is left out without a word. Within a sheet, blank rows are dropped (their sheet row
numbers are kept, so :func:`sheet_row` names the sheet row of a record). A title block above
the header (a report title, a "generated on" line) is found and skipped, or the header is the
row the person named (`header on row N`); a trailing "Total" row is left out. Both say so in a
note. Dates become ISO text (``YYYY-MM-DD`` at midnight, else ``YYYY-MM-DD HH:MM:SS``), booleans
``true``/``false``, integral floats integers, and every value is quoted so an empty string stays
one. A row longer than the reader takes (:data:`~agents.staging.delimited.MAX_FIELD_BYTES` as
CSV) is left out of the CSV and rejected, naming its sheet and row, like a ragged CSV row: the
rest of the workbook is read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agents.staging.delimited import MAX_FIELD_BYTES, stage_delimited
from agents.staging.names import sanitize_name, unique_name
from agents.staging.relations import MAX_REJECT_RAW, ReaderReject, StagedRelation, StagingJob

if TYPE_CHECKING:  # openpyxl itself is imported only when an XLSX file is staged
    from openpyxl.worksheet.worksheet import Worksheet

HEADER_SEARCH_ROWS = 30
"""How many non-empty rows at the top of a sheet may hold the title block and the header."""
_TOTAL = re.compile(r"^\s*(grand\s+)?(totals?|sum|summe|gesamt|subtotal)\b\s*:?", re.IGNORECASE)


@dataclass(frozen=True)
class _Row:
    number: int
    """The row's number in the sheet (1-based)."""
    values: tuple[Any, ...]
    """Its cell values, trailing empty cells removed."""

    @property
    def width(self) -> int:
        return sum(value is not None for value in self.values)


@dataclass(frozen=True)
class _Written:
    """What writing a sheet's rows as CSV gave."""

    width: int
    """The most cells in a row."""
    line_map: tuple[tuple[int, int], ...]
    """(first CSV record of a run of rows, its sheet row), as in StagedRelation."""
    total: _Row | None
    """The trailing total row left out, if any."""
    too_long: tuple[ReaderReject, ...]
    """Rows left out because the reader would not take them."""


def stage_xlsx(job: StagingJob) -> list[StagedRelation]:
    """Convert each chosen sheet to CSV in the workdir (streaming), then stage it like a CSV
    file: one relation per sheet."""
    import openpyxl  # only XLSX needs it

    try:
        workbook = openpyxl.load_workbook(job.file, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise job.unreadable("an XLSX workbook", error) from None
    try:
        with_values = [sheet for sheet in workbook.worksheets if _sheet_has_values(sheet)]
        if not with_values:
            raise job.error("the workbook has no values")
        chosen = _chosen_sheets(job, workbook.worksheets, with_values)
        listing = _sheets_note(workbook.worksheets, with_values, chosen)
        staged = []
        taken: set[str] = set()
        for sheet in chosen:
            relation = job.relation
            if len(chosen) > 1:
                relation = unique_name(f"{job.relation}_{sanitize_name(sheet.title)}", taken)
            taken.add(relation)
            sheet_job = dataclasses.replace(job, relation=relation)
            staged.append(_stage_sheet(sheet_job, sheet, listing))
        return staged
    finally:
        workbook.close()


def _chosen_sheets(
    job: StagingJob, sheets: Sequence[Worksheet], with_values: Sequence[Worksheet]
) -> list[Worksheet]:
    if job.read.all_sheets:
        return list(with_values)
    if not job.read.sheets:
        return [with_values[0]]
    by_name = {sheet.title.casefold(): sheet for sheet in sheets}
    missing = [name for name in job.read.sheets if name.casefold() not in by_name]
    if missing:
        names = ", ".join(repr(sheet.title) for sheet in sheets)
        raise job.error(f"has no sheet {missing[0]!r}; its sheets are {names}")
    return [by_name[name.casefold()] for name in dict.fromkeys(job.read.sheets)]


def _sheets_note(
    sheets: Sequence[Worksheet], with_values: Sequence[Worksheet], chosen: Sequence[Worksheet]
) -> str | None:
    """Every sheet named, when the workbook has more than the ones imported."""
    if len(sheets) == 1:
        return None
    left = [sheet.title for sheet in sheets if sheet not in chosen]
    empty = {sheet.title for sheet in sheets} - {sheet.title for sheet in with_values}
    shown = ", ".join(f"{title!r}" + (" (empty)" if title in empty else "") for title in left)
    if not left:
        return f"every sheet of the workbook is imported ({len(sheets)} sheets)"
    return (
        f"the workbook has {len(sheets)} sheets; not imported: {shown} "
        "(say `sheet NAME` or `all sheets` to import them)"
    )


def _stage_sheet(job: StagingJob, sheet: Worksheet, listing: str | None) -> StagedRelation:
    target = job.workdir / f"{job.relation}.xlsx.csv"
    notes = [f"sheet {sheet.title!r}"] + ([listing] if listing else [])
    rows = _rows(sheet)
    top = [next(rows, None) for _ in range(HEADER_SEARCH_ROWS)]
    head = [row for row in top if row is not None]
    header = _header_index(job, head)
    if header:
        skipped = head[:header]
        first = next((str(v) for v in skipped[0].values if v is not None), "")
        span = (
            f"row {skipped[0].number}"
            if len(skipped) == 1
            else (f"rows {skipped[0].number}–{skipped[-1].number}")
        )
        why = "the header row you named" if job.read.header_row else "the header"
        notes.append(
            f"{span} above {why} (row {head[header].number}) skipped: a title block starting "
            f"{first[:60]!r}; say `header on row N` if the header is elsewhere"
        )
    written = _write_csv(target, [*head[header:], *rows], sheet=sheet.title)
    if written.total is not None:
        total = written.total
        label = next((str(v) for v in total.values if v is not None), "")
        notes.append(f"row {total.number} ({label[:40]!r}) left out: it totals the rows above")
    as_csv = job.read.model_copy(update={"header_row": None, "delimiter": None})  # done here
    staged = stage_delimited(
        dataclasses.replace(job, read=as_csv),
        data_file=target,
        encoding=None,
        notes=tuple(notes),
        fmt="xlsx",
        null_padding=True,
        width=written.width,
        line_map=written.line_map,
    )
    if not written.too_long:
        return staged
    rejects = sorted((*staged.rejects, *written.too_long), key=lambda reject: reject.line or 0)
    return dataclasses.replace(staged, rejects=tuple(rejects))


def _rows(sheet: Worksheet) -> Iterator[_Row]:
    """The sheet's non-empty rows, with their sheet row numbers."""
    for number, row in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
        values = list(row)
        while values and values[-1] is None:
            values.pop()
        if values:
            yield _Row(number, tuple(values))


def _header_index(job: StagingJob, head: Sequence[_Row]) -> int:
    """Which of the top rows is the header: the one the person named, else the first row as
    wide as the data below it that holds only text (a title block is narrower)."""
    if job.read.header_row is not None:
        for index, row in enumerate(head):
            if row.number >= job.read.header_row:
                return index
        raise job.error(f"has no row {job.read.header_row} with values in its first rows")
    if not head:
        return 0
    wide = max(row.width for row in head)
    for index, row in enumerate(head):
        texts = [v for v in row.values if v is not None]
        if row.width >= max(2, math.ceil(0.6 * wide)) and all(isinstance(v, str) for v in texts):
            return index
        if row.width >= max(2, math.ceil(0.6 * wide)):
            return 0  # a wide row of data before any header: the sheet has no title block
    return 0


def _write_csv(target: Path, rows: Iterator[_Row] | list[_Row], *, sheet: str) -> _Written:
    """Write the rows as CSV, the last one held back: a trailing total is left out (returned),
    and so is a row too long for the reader (rejected)."""
    width = 0
    records = 0
    previous_row: int | None = None
    line_map: list[tuple[int, int]] = []
    too_long: list[ReaderReject] = []
    held: _Row | None = None

    def write(out: Any, row: _Row) -> None:
        nonlocal width, records, previous_row
        record = _csv_record([_cell_text(value) for value in row.values])
        if _too_long_to_read(record):
            too_long.append(_too_long_reject(sheet, row, record))
            return
        records += 1
        if previous_row is None or row.number != previous_row + 1:
            line_map.append((records, row.number))
        previous_row = row.number
        width = max(width, len(row.values))
        out.write(record)

    with target.open("w", encoding="utf-8", newline="") as out:
        for row in rows:
            if held is not None:
                write(out, held)
            held = row
        total = held if held is not None and records >= 2 and _is_total(held) else None
        if held is not None and total is None:
            write(out, held)
    return _Written(width, tuple(line_map), total, tuple(too_long))


def _too_long_to_read(record: str) -> bool:
    """A CSV record (with its newline) the reader rejects: MAX_FIELD_BYTES or more before the
    newline. Only a record of more than a quarter of that many characters can be."""
    return len(record) > MAX_FIELD_BYTES // 4 and len(record.encode("utf-8")) > MAX_FIELD_BYTES


def _too_long_reject(sheet: str, row: _Row, record: str) -> ReaderReject:
    size = len(record.encode("utf-8")) - 1
    return ReaderReject(
        line=row.number,
        reason=(
            f"sheet {sheet!r} row {row.number} is longer than the reader's limit "
            f"({size:,} bytes as CSV; at most {MAX_FIELD_BYTES - 1:,})"
        ),
        raw=record[:MAX_REJECT_RAW],
    )


def _is_total(row: _Row) -> bool:
    """A "Total" row: its first cell says so and the others are numbers or empty."""
    filled = [value for value in row.values if value is not None]
    if not filled or not isinstance(filled[0], str) or not _TOTAL.match(filled[0]):
        return False
    return all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in filled[1:])


def _sheet_has_values(sheet: Worksheet) -> bool:
    # A read-only sheet at run time; openpyxl's stubs type a workbook's sheets as Worksheets.
    rows = sheet.iter_rows(values_only=True)
    return any(any(value is not None for value in row) for row in rows)


def _csv_record(cells: list[str | None]) -> str:
    """One CSV record: every value quoted (so ``""`` stays an empty string), None left empty."""
    return (
        ",".join("" if cell is None else '"' + cell.replace('"', '""') + '"' for cell in cells)
        + "\n"
    )


def _cell_text(value: object) -> str | None:
    """A cell as CSV text: ISO dates, ``true``/``false``, integral floats as integers."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, (dt.date, dt.time)):
        return value.isoformat()
    return str(value)


def sheet_row(staged: StagedRelation, record: int) -> int | None:
    """The sheet row of data record ``record``, by the runs of rows kept in ``line_map``."""
    csv_record = record + (1 if staged.header else 0)
    row = None
    for first_record, first_row in staged.line_map:
        if first_record > csv_record:
            break
        row = first_row + (csv_record - first_record)
    return row
