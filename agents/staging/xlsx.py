"""XLSX workbooks: the sheet converted to CSV in the workdir, then staged as delimited text.

The first sheet is read, or the first non-empty one; blank rows are dropped (their sheet row
numbers are kept, so :func:`sheet_row` names the sheet row of a record); dates become ISO text
(``YYYY-MM-DD`` at midnight, else ``YYYY-MM-DD HH:MM:SS``), booleans ``true``/``false``, integral
floats integers, and every value is quoted so an empty string stays one.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

from agents.staging.delimited import stage_delimited
from agents.staging.relations import StagedRelation, StagingJob

if TYPE_CHECKING:  # openpyxl itself is imported only when an XLSX file is staged
    from openpyxl.worksheet.worksheet import Worksheet


def stage_xlsx(job: StagingJob) -> StagedRelation:
    """Convert the sheet to CSV in the workdir (streaming), then stage it like a CSV file."""
    target = job.workdir / f"{job.relation}.xlsx.csv"
    sheet, sheets, width, line_map = _xlsx_to_csv(job, target)
    notes = [f"sheet {sheet!r}" + (f" (the workbook has {sheets} sheets)" if sheets > 1 else "")]
    return stage_delimited(
        job,
        data_file=target,
        encoding=None,
        notes=tuple(notes),
        fmt="xlsx",
        null_padding=True,
        width=width,
        line_map=line_map,
    )


def _xlsx_to_csv(
    job: StagingJob, target: Path
) -> tuple[str, int, int, tuple[tuple[int, int], ...]]:
    import openpyxl  # only XLSX needs it

    try:
        workbook = openpyxl.load_workbook(job.file, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise job.unreadable("an XLSX workbook", error) from None
    try:
        sheets = workbook.worksheets
        chosen = next((sheet for sheet in sheets if _sheet_has_values(sheet)), None)
        if chosen is None:
            raise job.error("the workbook has no values")
        width = 0
        records = 0
        previous_row = None
        line_map: list[tuple[int, int]] = []
        with target.open("w", encoding="utf-8", newline="") as out:
            for row_number, row in enumerate(
                chosen.iter_rows(min_row=1, values_only=True), start=1
            ):
                cells = [_cell_text(value) for value in row]
                while cells and cells[-1] is None:
                    cells.pop()
                if not cells:
                    continue
                records += 1
                if previous_row is None or row_number != previous_row + 1:
                    line_map.append((records, row_number))
                previous_row = row_number
                width = max(width, len(cells))
                out.write(_csv_record(cells))
        return chosen.title, len(sheets), width, tuple(line_map)
    finally:
        workbook.close()


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
