"""Excel as people export it: a title block above the header, a trailing "Total" row, several
sheets; `sheet NAME`, `all sheets`, `header on row N`. Nothing is left out without a note."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from agents.artifacts import ImportRequest, ReadOptions
from agents.errors import FormatError
from agents.staging.connection import open_duckdb
from agents.staging.delimited import MAX_FIELD_BYTES
from agents.staging.stage import record_line, stage_file
from tests.agents.test_import_values import branch_rows, run_request

REPORT_TITLE = "Quarterly sales report"


@pytest.fixture
def con(tmp_path):
    connection = open_duckdb(workdir=tmp_path / "work")
    yield connection
    connection.close()


def _stage(con, path: Path, tmp_path: Path, read: ReadOptions | None = None):
    return stage_file(
        con, file=path, source=path.name, relation="sales", workdir=tmp_path / "work", read=read
    )


def _rows(con, relation: str) -> list[tuple]:
    return con.execute(f'SELECT * FROM "raw_{relation}" ORDER BY __record').fetchall()


def _export(path: Path) -> Path:
    """A workbook the way a finance tool exports it: title, generated-on line, a blank row,
    the header on row 4, three regions and a Total, and a second sheet of notes."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Sales"
    sheet.append([REPORT_TITLE])
    sheet.append(["Generated 2026-11-30 by FinanceTool"])
    sheet.append([])
    sheet.append(["region", "units", "revenue"])
    sheet.append(["North", 120, 1500.5])
    sheet.append(["South", 80, 990.25])
    sheet.append(["West", 40, 410.0])
    sheet.append(["Total", 240, 2900.75])
    notes = workbook.create_sheet("Notes")
    notes.append(["topic", "text"])
    notes.append(["source", "ERP export"])
    workbook.create_sheet("Blank")
    workbook.save(path)
    return path


def test_a_title_block_is_skipped_and_a_total_row_left_out_each_with_a_note(con, tmp_path):
    (staged,) = _stage(con, _export(tmp_path / "sales.xlsx"), tmp_path)
    assert [name for name, _ in staged.columns] == ["region", "units", "revenue"]
    assert _rows(con, staged.relation) == [
        (1, "North", "120", "1500.5"),
        (2, "South", "80", "990.25"),
        (3, "West", "40", "410"),
    ]
    assert [record_line(staged, record=n) for n in (1, 2, 3)] == [5, 6, 7]  # sheet rows
    notes = " | ".join(staged.notes)
    assert (
        f"rows 1–2 above the header (row 4) skipped: a title block starting {REPORT_TITLE!r}"
        in (notes)
    )
    assert "row 8 ('Total') left out: it totals the rows above" in notes
    assert "not imported: 'Notes', 'Blank' (empty)" in notes and "all sheets" in notes


def test_the_header_row_can_be_named(con, tmp_path):
    path = tmp_path / "sales.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Region code", "Units sold"])  # looks like a header, but is a caption
    sheet.append(["region", "units"])
    sheet.append(["N", 1])
    workbook.save(path)
    (guessed,) = _stage(con, path, tmp_path)
    assert [name for name, _ in guessed.columns] == ["region_code", "units_sold"]
    (named,) = _stage(con, path, tmp_path, ReadOptions(header_row=2))
    assert [name for name, _ in named.columns] == ["region", "units"]
    assert _rows(con, named.relation) == [(1, "N", "1")]
    assert any("the header row you named (row 2)" in note for note in named.notes)


def test_a_sheet_can_be_named_and_an_unknown_one_is_refused_listing_them(con, tmp_path):
    path = _export(tmp_path / "sales.xlsx")
    (notes,) = _stage(con, path, tmp_path, ReadOptions(sheets=["notes"]))
    assert [name for name, _ in notes.columns] == ["topic", "text"]
    assert _rows(con, notes.relation) == [(1, "source", "ERP export")]
    with pytest.raises(FormatError, match=r"has no sheet 'Budget'; its sheets are 'Sales', "):
        _stage(con, path, tmp_path, ReadOptions(sheets=["Budget"]))


def test_all_sheets_become_one_relation_each(con, tmp_path):
    staged = _stage(con, _export(tmp_path / "sales.xlsx"), tmp_path, ReadOptions(all_sheets=True))
    assert [s.relation for s in staged] == ["sales_sales", "sales_notes"]
    assert len(_rows(con, "sales_sales")) == 3 and len(_rows(con, "sales_notes")) == 1
    assert any(
        "every sheet" in note or "not imported: 'Blank' (empty)" in note
        for note in (staged[0].notes)
    )


def test_a_plain_sheet_is_read_as_before(con, tmp_path):
    path = tmp_path / "plain.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["id", "total"])  # a column called total is no total row
    sheet.append([1, 5])
    sheet.append([2, 7])
    workbook.save(path)
    (staged,) = _stage(con, path, tmp_path)
    assert _rows(con, staged.relation) == [(1, "1", "5"), (2, "2", "7")]
    assert not any("skipped" in note or "left out" in note for note in staged.notes)


def test_an_export_imports_end_to_end_with_the_notes_on_the_schema(tmp_path):
    from agents import pipeline
    from agents.sources.resolve import SourcePolicy
    from dolt import open_server

    data = tmp_path / "data"
    data.mkdir()
    _export(data / "sales.xlsx")
    server = open_server(f"doltlite:{tmp_path / 'dbs'}")
    database = server.database(name="shop", create=True)
    request = ImportRequest(sources=["sales.xlsx"], database="shop", summary="x")
    inspection, staging = pipeline.inspect(
        request,
        database=database,
        policy=SourcePolicy(roots=(data,)),
        workdir=tmp_path / "job",
    )
    try:
        (profile,) = inspection.profiles
        assert profile.row_count == 3
        assert any("left out: it totals" in note for note in profile.notes)
        assert any("title block" in note for note in profile.notes)
        proposal = pipeline.propose(request, inspection, database=database)
        shown = " | ".join(proposal.notes)  # the notes people approve with the schema
        assert "sales.xlsx: row 8 ('Total') left out: it totals the rows above" in shown
        assert "sales.xlsx: the workbook has 3 sheets; not imported: 'Notes'" in shown
    finally:
        staging.close()
        database.close()


def test_a_csv_header_row_and_delimiter_can_be_said(con, tmp_path):
    path = tmp_path / "report.csv"
    path.write_text("Export of 2026-11-30\nid|name|note\nzip|name|x\n1|Ada|a\n2|Bob|b\n")
    (said,) = stage_file(
        con,
        file=path,
        source=path.name,
        relation="report",
        workdir=tmp_path / "work",
        read=ReadOptions(header_row=3, delimiter="|"),
    )
    assert [name for name, _ in said.columns] == ["zip", "name", "x"]
    assert _rows(con, "report") == [(1, "1", "Ada", "a"), (2, "2", "Bob", "b")]
    assert [record_line(said, record=n) for n in (1, 2)] == [4, 5]


# --- a row longer than the reader takes ---------------------------------------------------------

EXCEL_CELL_CHARS = 32_767
"""The most characters openpyxl (like Excel) writes in one cell."""


def _long_row(sheet, row: int, key: int, *, one_cell: bool) -> None:
    """Sheet row ``row``: ``key`` then more than MAX_FIELD_BYTES of text, in one cell (as other
    tools write them; openpyxl cuts a value it is given at Excel's limit) or across many."""
    if one_cell:
        sheet.cell(row=row, column=1, value=key)
        cell = sheet.cell(row=row, column=2)
        cell._value, cell.data_type = "x" * (MAX_FIELD_BYTES + 1), "s"
        return
    cells = MAX_FIELD_BYTES // EXCEL_CELL_CHARS + 2
    for column in range(cells):
        sheet.cell(row=row, column=column + 1, value=key if column == 0 else "x" * EXCEL_CELL_CHARS)


def _workbook_with_a_long_row(path: Path, *, one_cell: bool) -> Path:
    """Sheet Data: a header, rows 2 and 4 of data and row 3 too long; sheet Other: one row."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Data"
    sheet.append(["id", "note"])
    sheet.append([1, "a"])
    _long_row(sheet, 3, 2, one_cell=one_cell)
    sheet.cell(row=4, column=1, value=3)
    sheet.cell(row=4, column=2, value="c")
    other = workbook.create_sheet("Other")
    other.append(["code", "label"])
    other.append(["k", "kept"])
    workbook.save(path)
    return path


@pytest.mark.parametrize("one_cell", [True, False], ids=["one cell", "many cells"])
def test_a_row_longer_than_the_reader_takes_is_rejected_and_the_rest_is_read(
    con, tmp_path, one_cell
):
    path = _workbook_with_a_long_row(tmp_path / "big.xlsx", one_cell=one_cell)
    data, other = _stage(con, path, tmp_path, ReadOptions(all_sheets=True))
    (reject,) = data.rejects
    assert reject.line == 3
    assert reject.reason.startswith("sheet 'Data' row 3 is longer than the reader's limit (")
    assert reject.raw.startswith('"2","xxx')
    assert [row[1:] for row in _rows(con, data.relation)] == [("1", "a"), ("3", "c")]
    assert [record_line(data, record=n) for n in (1, 2)] == [2, 4]  # sheet rows
    assert _rows(con, other.relation) == [(1, "k", "kept")]


def test_a_too_long_row_is_a_rejected_row_of_the_import(doltlite_server, tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    _workbook_with_a_long_row(data / "big.xlsx", one_cell=False)
    request = ImportRequest(sources=["big.xlsx"], database="shop", summary="x")
    database, inspection, review = run_request(
        request, server=doltlite_server, root=data, tmp_path=tmp_path
    )
    (profile,) = inspection.profiles
    assert (profile.row_count, profile.rejected_rows) == (2, 1)
    assert review.rejected_rows == 1
    (reject,) = review.rejects
    assert (reject.file, reject.line) == ("big.xlsx", 3)
    assert reject.reason.startswith("unreadable record: sheet 'Data' row 3 is longer than")
    (table,) = review.tables
    assert table.rows_added == 2
    rows = sorted(branch_rows(database, review, table.name), key=lambda row: row["id"])
    assert [(row["id"], row["note"]) for row in rows] == [(1, "a"), (3, "c")]
