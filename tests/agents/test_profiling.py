"""Profiles of staged relations: types confirmed over whole columns, counts, keys, bounded size."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import pytest

from agents.artifacts import ReadOptions, SourceProfile
from agents.inspection.profiling import profile_relation
from agents.inspection.type_inference import ROW_LIMIT, row_bytes, varchar_type
from agents.staging.connection import open_duckdb
from agents.staging.stage import relation_name_for, stage_file

FILES = Path(__file__).parent / "fixtures" / "files"


@pytest.fixture
def con(tmp_path):
    connection = open_duckdb(workdir=tmp_path / "work")
    yield connection
    connection.close()


def profile(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    tmp_path: Path,
    read: ReadOptions | None = None,
    **options,
) -> SourceProfile:
    relation = options.pop("relation", None) or relation_name_for(path.name, taken=())
    staged = stage_file(
        con, file=path, source=path.name, relation=relation, workdir=tmp_path / "work", **options
    )
    return profile_relation(con, staged=staged[0], read=read)


def one_column_csv(tmp_path: Path, values: list[str | None], name: str = "v.csv") -> Path:
    """A CSV with one column ``v``: every value quoted, None left empty (NULL)."""
    path = tmp_path / name
    body = "".join(
        "\n" if value is None else '"' + value.replace('"', '""') + '"\n' for value in values
    )
    path.write_text("v\n" + body)
    return path


# --- the type table ------------------------------------------------------------------------------

TYPE_CASES = [
    (["1", "2", "127", "-128"], "TINYINT", 1),
    (["-129", "5"], "SMALLINT", -129),
    (["40000", "7"], "INT", 40000),
    (["3000000000"], "BIGINT", 3_000_000_000),
    (["99999999999999999999"], "DECIMAL(20,0)", Decimal("99999999999999999999")),
    (["0", "1", "1", "0"], "TINYINT", 0),
    (["12.50", "3.1"], "DECIMAL(4,2)", Decimal("12.50")),
    (["0.5", ".25", "-1"], "DECIMAL(3,2)", Decimal("0.50")),
    ([" 42 ", "+7"], "TINYINT", 42),
    (["1e5", "2.5"], "DOUBLE", 100000.0),
    (["NaN", "1"], "TINYINT", None),  # NaN is a missing-value marker
    (["inf", "1"], "VARCHAR(16)", "inf"),
    (["1_000"], "VARCHAR(16)", "1_000"),
    (["true", "FALSE", "True"], "BOOLEAN", True),
    (["yes", "no"], "VARCHAR(16)", "yes"),
    (["2020-01-02", "1999-12-31"], "DATE", dt.date(2020, 1, 2)),
    (["2020-02-30"], "VARCHAR(16)", "2020-02-30"),
    (["01/02/2020"], "VARCHAR(16)", "01/02/2020"),
    (["2020-01-02 10:00:00", "2020-01-02T10:30"], "DATETIME", dt.datetime(2020, 1, 2, 10)),
    (["2020-01-02 10:00:00.123"], "DATETIME(3)", dt.datetime(2020, 1, 2, 10, 0, 0, 123000)),
    (["2020-01-02", "2020-01-03 10:00:00"], "DATETIME", dt.datetime(2020, 1, 2)),
    (["2020-01-02T10:00:00Z"], "DATETIME", dt.datetime(2020, 1, 2, 10)),
    (["2020-01-02T10:00:00+02:00"], "VARCHAR(32)", "2020-01-02T10:00:00+02:00"),
    (['{"a": 1}', "[1, 2]"], "JSON", '{"a": 1}'),
    (["007", "12"], "VARCHAR(16)", "007"),
    (["abc", None], "VARCHAR(16)", "abc"),
    (["x" * 100], "VARCHAR(128)", "x" * 100),
    (["x" * 1000], "VARCHAR(1024)", "x" * 1000),
    (["x" * 1025], "TEXT", "x" * 1025),
    (["x" * 20_000], "MEDIUMTEXT", "x" * 20_000),
    ([None, None], "VARCHAR(16)", None),
]


@pytest.mark.parametrize(("values", "expected", "first"), TYPE_CASES)
def test_type_inference_and_typed_values(con, tmp_path, values, expected, first):
    result = profile(con, one_column_csv(tmp_path, values), tmp_path)
    assert result.columns[0].inferred_type == expected
    typed = con.execute("SELECT v FROM v ORDER BY __record").fetchone()[0]
    assert typed == first
    assert type(typed) is type(first)


def test_varchar_sizing():
    assert [varchar_type(n) for n in (0, 10, 13, 100, 800, 1000, 1024)] == [
        "VARCHAR(16)",
        "VARCHAR(16)",
        "VARCHAR(32)",
        "VARCHAR(128)",
        "VARCHAR(1024)",
        "VARCHAR(1024)",
        "VARCHAR(1024)",
    ]
    assert [varchar_type(n) for n in (1025, 16_383, 16_384, 5_000_000)] == [
        "TEXT",
        "TEXT",
        "MEDIUMTEXT",
        "LONGTEXT",
    ]


def test_a_string_in_the_last_of_100k_rows_makes_the_column_text(con, tmp_path):
    numbers = [str(i) for i in range(1, 100_000)]
    clean = profile(con, one_column_csv(tmp_path, [*numbers, "100000"], "clean.csv"), tmp_path)
    assert clean.columns[0].inferred_type == "INT"
    dirty = profile(con, one_column_csv(tmp_path, [*numbers, "oops"], "dirty.csv"), tmp_path)
    assert dirty.row_count == 100_000
    assert dirty.columns[0].inferred_type == "VARCHAR(16)"
    assert con.execute("SELECT v FROM dirty WHERE __record = 100000").fetchone() == ("oops",)


# The first 1,000 records guess a type; the whole column confirms it or decides otherwise.
FIRST_RECORDS = {
    "ints": [str(i) for i in range(1, 1001)],
    "decimals": [f"{i}.25" for i in range(1, 1001)],
    "doubles": [f"{i}e3" for i in range(1, 1001)],
    "dates": [f"2020-01-{1 + i % 28:02d}" for i in range(1000)],
    "datetimes": [f"2020-01-{1 + i % 28:02d} 10:{i % 60:02d}" for i in range(1000)],
    "booleans": ["true", "false"] * 500,
    "json": ['{"a": 1}'] * 1000,
}
LATE_VALUE_CASES = [
    ("ints", "2.5", "DECIMAL(5,1)", None),
    ("ints", " 7 ", "SMALLINT", None),
    ("ints", "-40000", "INT", None),
    ("ints", "1e3", "DOUBLE", None),
    ("ints", "1" + "0" * 20, "DECIMAL(21,0)", None),
    ("ints", "007", "VARCHAR(16)", "values with leading zeros (e.g. 007) are kept as text"),
    ("ints", "", "SMALLINT", 'read "" as missing (1 row)'),
    ("ints", "NA", "SMALLINT", "read NA as missing (1 row)"),
    ("decimals", "-1.5", "DECIMAL(6,2)", None),
    ("decimals", "+2.5", "DECIMAL(6,2)", None),
    ("decimals", "7", "DECIMAL(6,2)", None),
    ("decimals", "9.99999999999999999999", "DECIMAL(24,20)", None),
    ("decimals", "01.5", "VARCHAR(16)", "values with leading zeros (e.g. 007) are kept as text"),
    ("decimals", "1" * 40, "VARCHAR(64)", "more than 38 digits, kept as text"),
    ("doubles", "2.5", "DOUBLE", None),
    ("doubles", "NaN", "DOUBLE", "read NaN as missing (1 row)"),
    ("doubles", "inf", "VARCHAR(16)", None),
    ("dates", "2020-01-02 10:00", "DATETIME", None),
    ("dates", "2020-02-30", "VARCHAR(16)", None),
    ("datetimes", "2020-01-01", "DATETIME", None),
    ("datetimes", "2020-01-01 10:00:00.25Z", "DATETIME(2)", "times ending in Z are read as UTC"),
    ("datetimes", "2020-01-01T10:00:00+02:00", "VARCHAR(32)", None),
    ("booleans", "1", "VARCHAR(16)", None),
    ("json", "x", "VARCHAR(16)", None),
]


@pytest.mark.parametrize(("first", "last", "expected", "note"), LATE_VALUE_CASES)
def test_the_record_after_the_first_thousand_counts_as_much_as_they_do(
    con, tmp_path, first, last, expected, note
):
    result = profile(con, one_column_csv(tmp_path, [*FIRST_RECORDS[first], last]), tmp_path)
    assert result.columns[0].inferred_type == expected
    assert result.columns[0].leading_zeros == (note is not None and "leading zeros" in note)
    assert [n.removeprefix("v: ") for n in result.notes] == ([note] if note else [])


def test_empty_strings_and_nulls_are_counted_apart(con, tmp_path):
    result = profile(con, FILES / "empty_vs_null.csv", tmp_path)
    note, amount = result.column("note"), result.column("amount")
    assert (note.null_count, note.empty_string_count, note.nullable) == (1, 2, True)
    # In a column of numbers "" is a missing number, as pandas and R read it.
    assert (amount.null_count, amount.empty_string_count) == (2, 0)
    assert amount.inferred_type == "TINYINT"
    assert 'amount: read "" as missing (1 row)' in result.notes


def test_empty_strings_are_values_when_they_are_not_markers(con, tmp_path):
    read = ReadOptions(null_markers=["NA"])
    result = profile(con, FILES / "empty_vs_null.csv", tmp_path, read=read)
    amount = result.column("amount")
    assert (amount.null_count, amount.empty_string_count) == (1, 1)
    assert amount.inferred_type == "VARCHAR(16)"  # "" is a value, not a missing number
    assert any("NULLIF(amount, '') would make it TINYINT" in n for n in result.notes)


def test_leading_zeros_keep_text(con, tmp_path):
    result = profile(con, FILES / "leading_zeros.csv", tmp_path)
    zip_code, small, price = result.columns
    assert (zip_code.inferred_type, zip_code.leading_zeros) == ("VARCHAR(16)", True)
    assert (small.inferred_type, small.leading_zeros) == ("TINYINT", False)
    assert (price.inferred_type, price.leading_zeros) == ("DECIMAL(4,2)", False)
    assert con.execute("SELECT zip FROM leading_zeros ORDER BY __record").fetchall()[0] == (
        "01234",
    )
    assert (price.min_value, price.max_value) == ("0", "10.25")


def test_json_nan_and_infinity_become_null_with_a_note(con, tmp_path):
    result = profile(con, FILES / "nan.jsonl", tmp_path)
    score = result.column("score")
    assert (score.inferred_type, score.null_count) == ("DOUBLE", 1)
    assert (score.min_value, score.max_value) == ("1.5", "1.5")
    assert "score: 3 NaN/Infinity value(s) become NULL (MySQL cannot store them)" in result.notes
    typed = con.execute("SELECT score FROM nan ORDER BY __record").fetchall()
    assert typed == [(1.5,), (None,), (None,), (None,), (None,)]
    described = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE nan)").fetchall())
    assert described == {"__record": "BIGINT", "id": "TINYINT", "score": "DOUBLE"}


def test_rejects_and_encoding_are_noted(con, tmp_path):
    ragged = profile(con, FILES / "ragged.csv", tmp_path)
    assert (ragged.rejected_rows, ragged.row_count) == (2, 3)
    assert any(
        n.startswith("2 record(s) could not be read") and "line 5" in n for n in ragged.notes
    )
    latin = profile(con, FILES / "latin1.csv", tmp_path)
    assert latin.encoding == "latin-1"
    assert "encoding: latin-1, transcoded to UTF-8" in latin.notes


def test_wide_table_is_kept_under_the_row_size_limit(con, tmp_path):
    path = tmp_path / "wide.csv"
    header = ",".join(f"c{i}" for i in range(300))
    row = ",".join(("y" * 200 if i == 7 else "x" * 100) for i in range(300))
    path.write_text(f"{header}\n{row}\n")
    result = profile(con, path, tmp_path)
    types = [column.inferred_type for column in result.columns]
    assert types[7] == "TEXT"  # the largest VARCHAR goes first
    assert sum(row_bytes(type_) for type_ in types) <= ROW_LIMIT
    assert 0 < types.count("TEXT") < 300
    assert any("65,535 bytes" in note for note in result.notes)


# --- keys --------------------------------------------------------------------------------------


def test_candidate_keys_are_exact_and_id_first(con, tmp_path):
    path = tmp_path / "keys.csv"
    lines = ["label,code,id,group_name"]
    lines += [f"L{i},C{i:05d},{i},G{i % 3}" for i in range(1, 2001)]
    lines.append("L1,C99999,2001,G0")  # label repeats once, in the very last row
    path.write_text("\n".join(lines) + "\n")
    result = profile(con, path, tmp_path)
    assert result.candidate_keys == [["id"], ["code"]]


def test_candidate_keys_count_typed_values_whatever_their_order(con, tmp_path):
    """Rising or falling columns are unique; a repeat at the end, or two texts of one typed value
    (``1.5`` and ``1.50``), is not."""
    path = tmp_path / "order.csv"
    lines = ["seq,amount,down,code,id"]
    for i in range(1, 3001):
        seq, amount = (i, f"{i}.5") if i < 3000 else (2999, "1.50")
        lines.append(f"{seq},{amount},{3000 - i},K{i % 2999},{i}")
    path.write_text("\n".join(lines) + "\n")
    assert profile(con, path, tmp_path).candidate_keys == [["id"], ["down"]]


def test_at_most_five_candidate_keys_in_rank_order(con, tmp_path):
    path = tmp_path / "many.csv"
    lines = ["a,b,c,d,e,f_key,id"]
    for i in range(1, 501):
        at = f"2020-01-01 00:{i // 60:02d}:{i % 60:02d}"
        lines.append(f"{i},{-i},x{i},{i}.5,{at},k{(i * 7) % 501},{i}")
    path.write_text("\n".join(lines) + "\n")
    assert profile(con, path, tmp_path).candidate_keys == [["id"], ["f_key"], ["a"], ["b"], ["c"]]


def test_candidate_key_pairs_when_no_single_column_is_unique(con, tmp_path):
    path = tmp_path / "pairs.csv"
    path.write_text(
        "year,month,value\n"
        + "".join(f"{2000 + i // 12},{i % 12 + 1},{i % 6}\n" for i in range(60))
    )
    assert profile(con, path, tmp_path).candidate_keys == [["year", "month"]]


def test_nullable_columns_are_not_keys(con, tmp_path):
    path = tmp_path / "holes.csv"
    path.write_text("id,name\n1,a\n,b\n3,c\n")
    assert profile(con, path, tmp_path).candidate_keys == [["name"]]


# --- other formats -------------------------------------------------------------------------------


def test_parquet_profile_uses_the_file_types(con, tmp_path):
    path = tmp_path / "typed.parquet"
    con.execute(
        f"""COPY (SELECT range AS id, range * 1000000000 AS big, 'name ' || range AS name,
                  range * 0.5 AS half, CAST(range AS DECIMAL(10, 2)) AS price,
                  CAST(range AS DOUBLE) / 3 AS ratio, DATE '2020-01-01' + range::INT AS day,
                  TIMESTAMP '2020-01-01 10:00:00' + INTERVAL (range) SECOND AS at,
                  range % 2 = 0 AS even, [range] AS items, '00' || range AS code
                  FROM range(100)) TO '{path}' (FORMAT parquet)"""
    )
    result = profile(con, path, tmp_path)
    assert {column.name: column.inferred_type for column in result.columns} == {
        "id": "TINYINT",
        "big": "BIGINT",
        "name": "VARCHAR(16)",
        "half": "DECIMAL(21,1)",
        "price": "DECIMAL(10,2)",
        "ratio": "DOUBLE",
        "day": "DATE",
        "at": "DATETIME",
        "even": "BOOLEAN",
        "items": "JSON",
        "code": "VARCHAR(16)",
    }
    assert result.column("code").leading_zeros
    assert result.candidate_keys[0] == ["id"]
    assert con.execute("SELECT items FROM typed WHERE id = 3").fetchone() == ("[3]",)


def test_xlsx_profile(con, tmp_path):
    path = tmp_path / "sheet.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["id", "born", "amount", "active"])
    for i in range(1, 21):
        sheet.append([i, dt.datetime(1990, 1, i), i + 0.25, i % 2 == 0])
    workbook.save(path)
    result = profile(con, path, tmp_path)
    assert [c.inferred_type for c in result.columns] == [
        "TINYINT",
        "DATE",
        "DECIMAL(4,2)",
        "BOOLEAN",
    ]
    assert con.execute("SELECT born FROM sheet WHERE id = 2").fetchone() == (dt.date(1990, 1, 2),)


def test_child_relations_are_profiled_with_their_parent(con, tmp_path):
    staged = stage_file(
        con,
        file=FILES / "nested.json",
        source="nested.json",
        relation="nested",
        workdir=tmp_path / "w",
    )
    profiles = {s.relation: profile_relation(con, staged=s) for s in staged}
    assert profiles["nested__children"].parent == "nested"
    assert profiles["nested__children"].column("nested_id").inferred_type == "TINYINT"
    assert profiles["nested__children"].candidate_keys == [["name"], ["_parent_record", "_index"]]
    assert profiles["nested__tags"].candidate_keys == [["value"], ["_parent_record", "_index"]]
    assert profiles["nested"].candidate_keys[0] == ["id"]


# --- bounded size ------------------------------------------------------------------------------


def _people_csv(path: Path, rows: int) -> Path:
    with path.open("w") as out:
        out.write("id,name,city,joined,note\n")
        for i in range(1, rows + 1):
            out.write(f"{i},Person {i},City {i % 97},2020-01-{1 + i % 28:02d},{'n' * (i % 40)}\n")
    return path


def test_profile_size_does_not_grow_with_rows(con, tmp_path):
    small = profile(con, _people_csv(tmp_path / "small.csv", 1_000), tmp_path)
    large = profile(con, _people_csv(tmp_path / "large.csv", 200_000), tmp_path)
    assert [c.name for c in small.columns] == [c.name for c in large.columns]
    assert len(small.sample_rows) == len(large.sample_rows) == 5
    small_size = len(small.model_dump_json())
    large_size = len(large.model_dump_json())
    assert abs(large_size - small_size) <= 0.05 * small_size


def test_long_cells_are_cut_in_samples_and_min_max(con, tmp_path):
    result = profile(con, one_column_csv(tmp_path, ["x" * 1_000_000, "y"]), tmp_path, relation="v")
    cell = result.sample_rows[0]["v"]
    assert cell == "x" * 200 + "…"
    assert result.column("v").min_value == "x" * 200
    assert result.column("v").max_length == 1_000_000
    assert len(json.dumps(result.model_dump(mode="json"))) < 5_000
