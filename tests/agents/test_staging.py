"""Staging real, tricky files into DuckDB: formats, encodings, rejects, names, record numbers.

Fixture files live in fixtures/files/ (byte-exact: CRLF, BOMs, UTF-16, Latin-1); large or binary
inputs (a 1 MB cell, 300k rows, Parquet, XLSX) are generated in tmp_path.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pytest

from agents.artifacts import ReadOptions
from agents.errors import AgentError, FormatError
from agents.inspection.profiling import apply_types
from agents.staging.connection import open_duckdb
from agents.staging.encodings import SNIFF_BYTES
from agents.staging.relations import StagedRelation
from agents.staging.stage import record_line, relation_name_for, stage_file

FILES = Path(__file__).parent / "fixtures" / "files"


@pytest.fixture
def con(tmp_path):
    connection = open_duckdb(workdir=tmp_path / "work")
    yield connection
    connection.close()


def stage(
    con: duckdb.DuckDBPyConnection, path: Path, tmp_path: Path, **options
) -> list[StagedRelation]:
    relation = options.pop("relation", None) or relation_name_for(path.name, taken=())
    return stage_file(
        con, file=path, source=path.name, relation=relation, workdir=tmp_path / "work", **options
    )


def stage_one(
    con: duckdb.DuckDBPyConnection, path: Path, tmp_path: Path, **options
) -> StagedRelation:
    (staged,) = stage(con, path, tmp_path, **options)
    return staged


def rows(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple]:
    return con.execute(f'SELECT * FROM "{relation}" ORDER BY __record').fetchall()


# --- CSV dialects ------------------------------------------------------------------------------


def test_quotes_embedded_quotes_newlines_and_crlf(con, tmp_path):
    staged = stage_one(con, FILES / "quoted_crlf.csv", tmp_path)
    assert (staged.delimiter, staged.header, staged.encoding) == (",", True, "utf-8")
    assert staged.columns == [("id", "id"), ("name", "name"), ("quote", "quote")]
    assert rows(con, staged.raw_relation) == [
        (1, "1", "Smith, John", 'He said "hi"'),
        (2, "2", "two\r\nlines", "plain"),
        (3, "3", "O'Brien", 'a "b" c'),
    ]
    assert [record_line(staged, record=n) for n in (1, 2, 3, 4)] == [2, 3, 5, None]


@pytest.mark.parametrize(
    ("name", "delimiter", "expected"),
    [
        ("semicolon.csv", ";", [("1", "2,50", "a"), ("2", "3,75", "b")]),
        ("pipes.psv", "|", [("1", "Ann", "Oslo"), ("2", "Bob", "Rome")]),
        ("tabs.tsv", "\t", [("1", "Ann", "has, comma"), ("2", "Bob", "plain")]),
    ],
)
def test_delimiters_are_detected(con, tmp_path, name, delimiter, expected):
    staged = stage_one(con, FILES / name, tmp_path)
    assert staged.delimiter == delimiter
    assert [row[1:] for row in rows(con, staged.raw_relation)] == expected


def test_a_file_whose_first_row_is_data_gets_generated_names(con, tmp_path):
    staged = stage_one(con, FILES / "no_header.csv", tmp_path)
    assert staged.header is False
    assert staged.columns == [("column_1", ""), ("column_2", ""), ("column_3", "")]
    assert rows(con, staged.raw_relation)[0] == (1, "1", "Ann", "30")
    assert record_line(staged, record=1) == 1
    assert any("no header row" in note for note in staged.notes)


def test_empty_unquoted_field_is_null_and_quoted_empty_is_empty_string(con, tmp_path):
    staged = stage_one(con, FILES / "empty_vs_null.csv", tmp_path)
    assert rows(con, staged.raw_relation) == [
        (1, "1", None, "5"),
        (2, "2", "", "6"),
        (3, "3", "x", None),
        (4, "4", "", ""),
    ]


def test_duplicate_blank_and_punctuated_headers(con, tmp_path):
    staged = stage_one(con, FILES / "headers.csv", tmp_path)
    assert staged.columns == [
        ("name", "name"),
        ("name_2", "name"),
        ("column_3", ""),
        ("first_name", "First Name"),
        ("e_mail", "E-mail"),
        ("c_2nd", "2nd"),
        ("grosse", "Größe"),
    ]


def test_a_one_megabyte_and_a_three_megabyte_field(con, tmp_path):
    path = tmp_path / "big_cells.csv"
    path.write_text('id,blob\n1,"' + "x" * 1_000_000 + '"\n2,small\n3,"' + "y" * 3_000_000 + '"\n')
    staged = stage_one(con, path, tmp_path)
    lengths = con.execute("SELECT id, length(blob) FROM raw_big_cells ORDER BY __record").fetchall()
    assert lengths == [("1", 1_000_000), ("2", 5), ("3", 3_000_000)]
    assert [record_line(staged, record=n) for n in (1, 2, 3)] == [2, 3, 4]


# --- rejects and record numbers ------------------------------------------------------------------


def test_ragged_rows_are_rejected_with_exact_lines_and_the_rest_staged(con, tmp_path):
    staged = stage_one(con, FILES / "ragged.csv", tmp_path)
    assert [(r.line, r.reason, r.raw) for r in staged.rejects] == [
        (5, "too few fields: expected 3, found 2", "3,Cy"),
        (7, "too many fields: expected 3, found 4", "4,Dee,Paris,extra"),
    ]
    # Rejected records keep their numbers: the staged rows are records 1, 2 and 5.
    assert rows(con, staged.raw_relation) == [
        (1, "1", "Ann", "Oslo"),
        (2, "2", "Bob\nJr", "Rome"),
        (5, "5", "Eve", "Bern"),
    ]
    assert [record_line(staged, record=n) for n in (1, 2, 3, 4, 5, 6)] == [2, 3, 5, 7, 8, None]


def test_unparseable_quoting_is_a_reject(con, tmp_path):
    staged = stage_one(con, FILES / "bad_quotes.csv", tmp_path)
    assert [(r.line, r.raw) for r in staged.rejects] == [(2, '1,"abc"def')]
    assert staged.rejects[0].reason.startswith("unparseable quoting")
    assert rows(con, staged.raw_relation) == [(2, "2", "ok"), (3, "3", 'x"y')]


def test_record_numbers_follow_file_order_in_a_large_file(con, tmp_path):
    """300k records with multi-line fields, blank lines and two ragged rows: ``__record`` is the
    record's position in the file, in the order DuckDB streams it, and record_line is exact."""
    path = tmp_path / "large.csv"
    expected_lines: dict[int, int] = {}
    line = 2
    with path.open("w") as out:
        out.write("id,text\n")
        for record in range(1, 300_001):
            expected_lines[record] = line
            if record in (123_457, 299_999):
                out.write(f"{record}\n")  # ragged: one field
                line += 1
            elif record % 1000 == 0:
                out.write(f'{record},"a\nmulti\nline"\n')
                line += 3
            else:
                out.write(f"{record},plain {record}\n")
                line += 1
            if record % 50_000 == 0:
                out.write("\n")
                line += 1
    staged = stage_one(con, path, tmp_path)
    assert [r.line for r in staged.rejects] == [expected_lines[123_457], expected_lines[299_999]]
    cursor = con.execute("SELECT __record, id FROM large")
    seen = []
    while batch := cursor.fetchmany(10_000):
        seen += batch
    assert len(seen) == 299_998
    assert all(record == int(identifier) for record, identifier in seen)
    assert all(a[0] < b[0] for a, b in itertools.pairwise(seen))
    for record in (1, 999, 1000, 1001, 50_000, 50_001, 123_457, 200_000, 299_999, 300_000):
        assert record_line(staged, record=record) == expected_lines[record]


def test_record_numbers_follow_file_order_when_read_in_parallel(con, tmp_path):
    """A file of several reader blocks (~8 MB each) is read by all threads; ``__record`` still
    numbers the records in file order."""
    path = tmp_path / "parallel.csv"
    con.execute(
        f"COPY (SELECT range AS id, 'row ' || range AS text FROM range(1, 1_500_001)) "
        f"TO '{path}' (HEADER)"
    )
    assert path.stat().st_size > 24 * 1024 * 1024
    staged = stage_one(con, path, tmp_path)
    assert staged.rejects == ()
    checked = con.execute(
        "SELECT count(*), count_if(__record <> CAST(id AS BIGINT)), min(__record), max(__record) "
        "FROM raw_parallel"
    ).fetchone()
    assert checked == (1_500_000, 0, 1, 1_500_000)
    assert record_line(staged, record=1_234_567) == 1_234_568


# --- encodings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "encoding", "expected"),
    [
        ("bom_utf8.csv", "utf-8", [("José", "Zürich"), ("Ann", "Malmö")]),
        ("utf16le.csv", "utf-16-le", [("José", "Zürich"), ("Straße", "Köln")]),
        ("utf16be.csv", "utf-16-be", [("José", "Zürich"), ("Straße", "Köln")]),
        ("latin1.csv", "latin-1", [("José", "Köln"), ("Straße", "Zürich")]),
        ("windows1252.csv", "windows-1252", [("Coffee", "€3"), ("\u201cquoted\u201d", "€4")]),
    ],
)
def test_encodings_are_detected_and_text_survives(con, tmp_path, name, encoding, expected):
    staged = stage_one(con, FILES / name, tmp_path)
    assert staged.encoding == encoding
    assert staged.columns[0][0] in ("name", "item")  # no BOM glued to the first header
    assert [row[1:] for row in rows(con, staged.raw_relation)] == expected
    assert record_line(staged, record=2) == 3


def test_invalid_utf8_in_a_file_that_claims_utf8_names_the_line(con, tmp_path):
    with pytest.raises(FormatError) as raised:
        stage(con, FILES / "bad_utf8_bom.csv", tmp_path)
    assert raised.value.line == 3
    assert "bad_utf8_bom.csv, line 3" in str(raised.value)


def test_invalid_utf8_after_the_sniffed_head_names_the_line(con, tmp_path):
    path = tmp_path / "late.csv"
    line = "id,name\n"
    lines = SNIFF_BYTES // len("1,Zoë\n") + 10
    path.write_bytes(line.encode() + "1,Zoë\n".encode() * lines + b"2,Bj\xf6rn\n")
    with pytest.raises(FormatError) as raised:
        stage(con, path, tmp_path)
    assert raised.value.line == lines + 2


# --- JSON --------------------------------------------------------------------------------------


def test_nested_json_flattens_objects_and_lists_become_child_relations(con, tmp_path):
    parent, tags, children = stage(con, FILES / "nested.json", tmp_path)
    assert parent.format == "json"
    assert parent.columns == [
        ("id", "id"),
        ("name", "name"),
        ("address__city", "address.city"),
        ("address__geo__lat", "address.geo.lat"),
        ("address__geo__lon", "address.geo.lon"),
    ]
    assert rows(con, "nested") == [
        (1, 1, "Ann", "Oslo", 59.9, 10.7),
        (2, 2, "Bob", "Rome", None, None),
        (3, 3, "Cy", None, None, None),
    ]
    assert (tags.relation, tags.parent) == ("nested__tags", "nested")
    assert [name for name, _ in tags.columns] == ["_parent_record", "nested_id", "_index", "value"]
    assert rows(con, "nested__tags") == [(1, 1, 1, 0, "a"), (2, 1, 1, 1, "b"), (3, 3, 3, 0, "c")]
    assert [name for name, _ in children.columns] == [
        "_parent_record",
        "nested_id",
        "_index",
        "name",
        "age",
    ]
    assert rows(con, "nested__children") == [
        (1, 1, 1, 0, "Kim", 3),
        (2, 1, 1, 1, "Lee", 5),
        (3, 3, 3, 0, "Max", None),
    ]
    assert [record_line(parent, record=n) for n in (1, 2, 3, 4)] == [2, 4, 6, None]
    assert record_line(children, record=1) is None


def test_nested_lists_can_stay_json_columns(con, tmp_path):
    (staged,) = stage(con, FILES / "nested.json", tmp_path, nested_lists="json_column")
    assert [name for name, _ in staged.columns][-2:] == ["tags", "children"]
    first = con.execute("SELECT tags, children FROM raw_nested ORDER BY __record").fetchone()
    assert json.loads(first[0]) == ["a", "b"]
    assert json.loads(first[1]) == [{"name": "Kim", "age": 3}, {"name": "Lee", "age": 5}]


def test_json_nan_and_infinity_are_read_as_numbers(con, tmp_path):
    staged = stage_one(con, FILES / "nan.jsonl", tmp_path)
    scores = [
        row[0] for row in con.execute("SELECT score FROM raw_nan ORDER BY __record").fetchall()
    ]
    assert scores[0] == 1.5 and scores[1] != scores[1]  # NaN
    assert scores[2:] == [float("inf"), float("-inf"), None]
    assert staged.format == "jsonl"


def test_bad_jsonl_lines_are_rejects(con, tmp_path):
    staged = stage_one(con, FILES / "bad_lines.jsonl", tmp_path)
    assert [(r.line, r.reason, r.raw) for r in staged.rejects] == [
        (3, "not valid JSON", '{"id": 2, "name": "b"'),
        (4, "not valid JSON", "not json at all"),
    ]
    assert rows(con, staged.raw_relation) == [(1, 1, "a"), (4, 4, "d")]
    assert [record_line(staged, record=n) for n in (1, 2, 4)] == [1, 3, 5]


def test_malformed_json_names_the_line(con, tmp_path):
    with pytest.raises(FormatError) as raised:
        stage(con, FILES / "malformed.json", tmp_path)
    assert raised.value.line == 4
    assert str(raised.value).startswith("malformed.json, line 4: ")


def test_an_object_holding_one_list_uses_that_list(con, tmp_path):
    staged = stage_one(con, FILES / "wrapped.json", tmp_path)
    assert rows(con, staged.raw_relation) == [(1, 1, "a"), (2, 2, "b")]


def test_an_object_holding_two_lists_stages_each_as_its_own_relation(con, tmp_path):
    people, pets = stage(con, FILES / "two_lists.json", tmp_path)
    assert (people.relation, people.parent, people.columns) == (
        "two_lists__people",
        None,
        [("id", "id")],
    )
    assert (pets.relation, pets.parent) == ("two_lists__pets", None)
    assert rows(con, people.raw_relation) == [(1, 1)]
    assert rows(con, pets.raw_relation) == [(1, 7)]
    assert "say `only the people list` to take one" in people.notes[-1]


def test_the_list_the_person_named_is_the_files_relation(con, tmp_path):
    (pets,) = stage(con, FILES / "two_lists.json", tmp_path, read=ReadOptions(json_list="pets"))
    assert pets.relation == "two_lists"
    assert rows(con, pets.raw_relation) == [(1, 7)]
    assert pets.notes[-1] == "only the pets list, as asked (the file also holds people)"
    with pytest.raises(FormatError, match="holds the lists people, pets but no list owners"):
        stage(con, FILES / "two_lists.json", tmp_path, read=ReadOptions(json_list="owners"))


# --- Parquet and XLSX --------------------------------------------------------------------------


def test_parquet_is_read_with_its_types(con, tmp_path):
    path = tmp_path / "typed.parquet"
    con.execute(
        f"""COPY (SELECT range AS id, 'n' || range AS "Full Name", range * 1.25 AS score,
                  CAST(range AS DECIMAL(10, 2)) AS price, DATE '2020-01-01' + range::INT AS day,
                  range % 2 = 0 AS even, [range, range + 1] AS pair
                  FROM range(3)) TO '{path}' (FORMAT parquet)"""
    )
    staged = stage_one(con, path, tmp_path)
    assert staged.format == "parquet"
    assert staged.columns[1] == ("full_name", "Full Name")
    assert rows(con, staged.raw_relation)[2] == (
        3,
        2,
        "n2",
        2.5,
        Decimal("2.00"),
        dt.date(2020, 1, 3),
        True,
        [2, 3],
    )
    assert record_line(staged, record=1) is None


def test_xlsx_first_non_empty_sheet_with_dates_and_blank_rows(con, tmp_path):
    path = tmp_path / "book.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "Empty"
    sheet = workbook.create_sheet("People")
    sheet.append(["id", "born", "seen", "ok", "amount", "note"])
    sheet.append([1, dt.datetime(1990, 5, 17), dt.datetime(2024, 1, 2, 10, 30), True, 12.5, "a\nb"])
    sheet.append([])
    sheet.append([2, dt.date(1985, 1, 1), dt.datetime(2024, 1, 3), False, 3.0, None])
    sheet.append([3, None, None, None, None, '"quoted"'])
    workbook.save(path)
    staged = stage_one(con, path, tmp_path)
    assert (staged.format, staged.header) == ("xlsx", True)
    assert [name for name, _ in staged.columns] == ["id", "born", "seen", "ok", "amount", "note"]
    assert rows(con, staged.raw_relation) == [
        (1, "1", "1990-05-17", "2024-01-02 10:30:00", "true", "12.5", "a\nb"),
        (2, "2", "1985-01-01", "2024-01-03", "false", "3", None),
        (3, "3", None, None, None, None, '"quoted"'),
    ]
    assert [record_line(staged, record=n) for n in (1, 2, 3)] == [2, 4, 5]
    assert any("People" in note for note in staged.notes)


# --- format detection, names, errors -----------------------------------------------------------


def test_unknown_extensions_are_sniffed(con, tmp_path):
    assert stage_one(con, FILES / "records.data", tmp_path, relation="records").format == "json"
    assert stage_one(con, FILES / "people_export.data", tmp_path, relation="export").format == "csv"


@pytest.mark.parametrize(
    ("file_name", "taken", "expected"),
    [
        ("people.csv", (), "people"),
        ("People Data.CSV", (), "people_data"),
        ("2020-report.tsv", (), "t_2020_report"),
        ("people.csv", ("people",), "people_2"),
        ("données.json", (), "donnees"),
        ("日本.csv", (), "data"),
        ("archive.csv.gz", (), "archive"),
    ],
)
def test_relation_names(file_name, taken, expected):
    assert relation_name_for(file_name, taken=taken) == expected


def test_files_that_are_not_what_they_claim(con, tmp_path):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(FormatError, match="empty"):
        stage(con, empty, tmp_path)
    old_excel = tmp_path / "old.xls"
    old_excel.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(FormatError, match=r"\.xlsx"):
        stage(con, old_excel, tmp_path)
    holds_no_records = tmp_path / "none.json"
    holds_no_records.write_text("[]")
    with pytest.raises(FormatError, match="no records"):
        stage(con, holds_no_records, tmp_path)


def test_staging_twice_gives_the_same_relation(con, tmp_path):
    first = stage_one(con, FILES / "ragged.csv", tmp_path)
    again = stage_one(con, FILES / "ragged.csv", tmp_path)
    assert first == again
    assert [row[0] for row in rows(con, "ragged")] == [1, 2, 5]


# --- typed views -------------------------------------------------------------------------------


def test_apply_types_casts_without_rounding_or_dropping_offsets(con, tmp_path):
    path = tmp_path / "values.csv"
    path.write_text(
        "n,price,day,at,flag,code\n"
        "7,12.50,2024-02-29,2024-02-29 10:00:00,true,007\n"
        "1.5,3,2024-03-01,2024-03-01T10:00:00+02:00,False,010\n"
    )
    staged = stage_one(con, path, tmp_path)
    types = {
        "n": "INT",
        "price": "DECIMAL(5,2)",
        "day": "DATE",
        "at": "DATETIME",
        "flag": "BOOLEAN",
        "code": "VARCHAR(8)",
    }
    apply_types(con, staged=staged, types=types)
    assert rows(con, "values") == [
        (1, 7, Decimal("12.50"), dt.date(2024, 2, 29), dt.datetime(2024, 2, 29, 10), True, "007"),
        (2, None, Decimal("3.00"), dt.date(2024, 3, 1), None, False, "010"),
    ]
    with pytest.raises(AgentError, match="no column"):
        apply_types(con, staged=staged, types={"missing": "INT"})


def test_inferred_types_cast_as_the_checked_casts_do(con, tmp_path):
    """Columns whose every value matches its type's pattern (as inference proved) may skip the
    per-value checks; the typed values are the same."""
    path = tmp_path / "clean.csv"
    path.write_text(
        "n,price,ratio,day,at\n"
        "7,12.50,1e3,2024-02-29,2024-02-29 10:00:00\n"
        " -3 , 3.5 ,-.5, 2024-03-01 ,2024-03-01T10:00:00.5Z\n"
    )
    staged = stage_one(con, path, tmp_path)
    types = {
        "n": "TINYINT",
        "price": "DECIMAL(4,2)",
        "ratio": "DOUBLE",
        "day": "DATE",
        "at": "DATETIME(1)",
    }
    apply_types(con, staged=staged, types=types)
    checked = rows(con, "clean")
    apply_types(con, staged=staged, types=types, inferred=list(types))
    assert rows(con, "clean") == checked
    assert checked[1][1:] == (
        -3,
        Decimal("3.50"),
        -0.5,
        dt.date(2024, 3, 1),
        dt.datetime(2024, 3, 1, 10, 0, 0, 500000),
    )
