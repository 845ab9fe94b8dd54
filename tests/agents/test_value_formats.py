"""Missing-value markers and the number and date formats people's files use, as profiled and as
the typed view gives them (what the executor loads)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from agents.artifacts import ReadOptions, SourceProfile
from agents.inspection.profiling import FAMILY_SAMPLE, profile_relation, retype_relation
from agents.staging.connection import open_duckdb
from agents.staging.stage import stage_file


@pytest.fixture
def con(tmp_path):
    connection = open_duckdb(workdir=tmp_path / "work")
    yield connection
    connection.close()


def profile(
    con: duckdb.DuckDBPyConnection, tmp_path: Path, text: str, read: ReadOptions | None = None
) -> SourceProfile:
    path = tmp_path / "t.csv"
    path.write_text(text)
    staged = stage_file(con, file=path, source="t.csv", relation="t", workdir=tmp_path / "work")
    return profile_relation(con, staged=staged[0], read=read)


def typed(con: duckdb.DuckDBPyConnection, column: str) -> list:
    return [row[0] for row in con.execute(f'SELECT "{column}" FROM t ORDER BY __record').fetchall()]


def types(result: SourceProfile) -> dict[str, str]:
    return {column.name: column.inferred_type for column in result.columns}


# --- missing values -------------------------------------------------------------------------


MARKERS_CSV = (
    "name,length,born,alive,mass\n"
    "Ann,39.1,2001-02-03,true,-\n"
    "NA,NA,NA,NA,.\n"
    "Bob,N/A,NULL,false,NaN\n"
    "Cy,40.5,null,true,3750\n"
)


def test_markers_are_missing_where_the_other_values_are_numbers_dates_or_booleans(con, tmp_path):
    result = profile(con, tmp_path, MARKERS_CSV)
    assert types(result) == {
        "name": "VARCHAR(16)",  # a name column keeps NA as a name
        "length": "DECIMAL(3,1)",
        "born": "DATE",
        "alive": "BOOLEAN",
        "mass": "SMALLINT",
    }
    assert typed(con, "name") == ["Ann", "NA", "Bob", "Cy"]
    assert typed(con, "length") == [Decimal("39.1"), None, None, Decimal("40.5")]
    assert typed(con, "born") == [dt.date(2001, 2, 3), None, None, None]
    assert typed(con, "alive") == [True, None, False, True]
    assert typed(con, "mass") == [None, None, None, 3750]
    assert "length: read NA as missing (1 row), N/A as missing (1 row)" in result.notes
    assert "mass: read NaN as missing (1 row), - as missing (1 row), . as missing (1 row)" in (
        result.notes
    )
    length = result.column("length")
    assert (length.null_count, length.reading.missing) == (2, {"NA": 1, "N/A": 1})
    assert result.column("name").reading is None
    assert not any(note.startswith("name:") for note in result.notes)


def test_a_marker_after_the_first_thousand_records_is_missing_too(con, tmp_path):
    values = [str(i) for i in range(FAMILY_SAMPLE)] + ["NA", "7"]
    result = profile(con, tmp_path, "v\n" + "\n".join(values) + "\n")
    assert types(result) == {"v": "SMALLINT"}
    assert result.column("v").null_count == 1
    assert typed(con, "v")[-2:] == [None, 7]
    assert "v: read NA as missing (1 row)" in result.notes


def test_a_column_of_only_markers_stays_text(con, tmp_path):
    result = profile(con, tmp_path, "v,w\nNA,1\nNA,2\n")
    assert types(result)["v"] == "VARCHAR(16)"
    assert typed(con, "v") == ["NA", "NA"]


def test_keep_na_as_text_keeps_the_column_text(con, tmp_path):
    result = profile(con, tmp_path, MARKERS_CSV, ReadOptions(text_markers=["NA"]))
    assert types(result)["length"] == "VARCHAR(16)"
    assert typed(con, "length") == ["39.1", "NA", "N/A", "40.5"]
    assert types(result)["mass"] == "SMALLINT"  # NA is not in that column


def test_null_markers_replace_the_default_set(con, tmp_path):
    text = "a,b\n1,-999\nNA,5\n-999,missing\n"
    result = profile(con, tmp_path, text, ReadOptions(null_markers=["-999", "missing"]))
    assert types(result) == {"a": "VARCHAR(16)", "b": "TINYINT"}  # NA is no longer a marker
    assert typed(con, "a") == ["1", "NA", "-999"]  # a text column keeps every value
    assert typed(con, "b") == [None, 5, None]
    assert "b: read -999 as missing (1 row), missing as missing (1 row)" in result.notes


def test_the_executor_gets_the_same_view_from_the_profile(con, tmp_path):
    result = profile(con, tmp_path, MARKERS_CSV)
    con.execute("CREATE OR REPLACE VIEW t AS SELECT * FROM raw_t")  # what staging again gives
    assert typed(con, "length") == ["39.1", "NA", "N/A", "40.5"]
    path = tmp_path / "t.csv"
    staged = stage_file(con, file=path, source="t.csv", relation="t", workdir=tmp_path / "work")
    retype_relation(con, staged=staged[0], profile=result)
    assert typed(con, "length") == [Decimal("39.1"), None, None, Decimal("40.5")]
    assert typed(con, "mass") == [None, None, None, 3750]


# --- numbers --------------------------------------------------------------------------------


def test_decimal_commas_in_a_semicolon_file_are_detected(con, tmp_path):
    text = "price;total;label\n1095,47;1.234.567,89;a,b\n3,5;12;c\nNA;-;d\n"
    result = profile(con, tmp_path, text)
    assert types(result) == {
        "price": "DECIMAL(6,2)",
        "total": "DECIMAL(9,2)",
        "label": "VARCHAR(16)",
    }
    assert typed(con, "price") == [Decimal("1095.47"), Decimal("3.50"), None]
    assert typed(con, "total") == [Decimal("1234567.89"), Decimal("12.00"), None]
    assert typed(con, "label") == ["a,b", "c", "d"]
    assert "price: decimal commas read (1.234,5 as 1234.5); read NA as missing (1 row)" in (
        result.notes
    )


def test_decimal_comma_is_only_detected_in_semicolon_files(con, tmp_path):
    result = profile(con, tmp_path, 'a\tb\n"1,5"\tx\n"2,25"\ty\n'.replace('"', ""))
    assert types(result)["a"] == "VARCHAR(16)"  # a tab file: 1,5 is not a number
    forced = profile(con, tmp_path, "a\tb\n1,5\tx\n2,25\ty\n", ReadOptions(decimal_comma=True))
    assert types(forced)["a"] == "DECIMAL(3,2)"
    assert typed(con, "a") == [Decimal("1.50"), Decimal("2.25")]


def test_thousands_separators_in_a_comma_file(con, tmp_path):
    text = 'n,x\n"1,234,567",1\n"999",2\n"12,345.5",3\n'
    result = profile(con, tmp_path, text)
    assert types(result)["n"] == "DECIMAL(8,1)"
    assert typed(con, "n") == [Decimal("1234567.0"), Decimal("999.0"), Decimal("12345.5")]
    assert "n: thousands separators read (1,234.5 as 1234.5)" in result.notes


def test_a_comma_that_is_not_a_thousands_separator_keeps_text(con, tmp_path):
    result = profile(con, tmp_path, 'n\n"1,2,3"\n"1,234"\n')
    assert types(result)["n"] == "VARCHAR(16)"
    assert typed(con, "n") == ["1,2,3", "1,234"]


def test_percentages_become_numbers_with_a_note(con, tmp_path):
    result = profile(con, tmp_path, "share,mixed\n12.5%,1%\n-3%,2\n100 %,3%\n")
    assert types(result) == {"share": "DECIMAL(4,1)", "mixed": "VARCHAR(16)"}
    assert typed(con, "share") == [Decimal("12.5"), Decimal("-3.0"), Decimal("100.0")]
    assert "share: percentages stored as numbers (12.5% as 12.5)" in result.notes


def test_integers_beyond_bigint_are_exact_decimals(con, tmp_path):
    result = profile(con, tmp_path, "big\n18446744073709551615\n5\n")
    assert types(result) == {"big": "DECIMAL(20,0)"}
    assert typed(con, "big") == [Decimal("18446744073709551615"), Decimal(5)]


# --- dates ----------------------------------------------------------------------------------


def test_slash_dates_and_datetimes_year_first(con, tmp_path):
    text = "d,t\n2015/01/31,2015/01/01 01:00:00\n2015/02/01,2015/01/01 13:30\nNA,NA\n"
    result = profile(con, tmp_path, text)
    assert types(result) == {"d": "DATE", "t": "DATETIME"}
    assert typed(con, "d") == [dt.date(2015, 1, 31), dt.date(2015, 2, 1), None]
    assert typed(con, "t") == [dt.datetime(2015, 1, 1, 1), dt.datetime(2015, 1, 1, 13, 30), None]
    assert "t: dates written with slashes read as year/month/day; read NA as missing (1 row)" in (
        result.notes
    )


def test_day_first_and_month_first_dates_are_decided_by_a_value_above_12(con, tmp_path):
    text = "eu,us,de\n31/01/2015,01/31/2015,31.12.2020\n1/2/2015,2/1/2015,01.02.2021 10:30\n"
    result = profile(con, tmp_path, text)
    assert types(result) == {"eu": "DATE", "us": "DATE", "de": "DATETIME"}
    assert typed(con, "eu") == [dt.date(2015, 1, 31), dt.date(2015, 2, 1)]
    assert typed(con, "us") == [dt.date(2015, 1, 31), dt.date(2015, 2, 1)]
    assert typed(con, "de") == [dt.datetime(2020, 12, 31), dt.datetime(2021, 2, 1, 10, 30)]
    assert "eu: dates read as day/month/year" in result.notes
    assert "us: dates read as month/day/year" in result.notes


def test_ambiguous_or_contradicting_slash_dates_stay_text_with_a_note(con, tmp_path):
    result = profile(con, tmp_path, "a,b\n01/02/2020,13/01/2020\n03/04/2020,01/13/2020\n")
    assert types(result) == {"a": "VARCHAR(16)", "b": "VARCHAR(16)"}
    assert typed(con, "a") == ["01/02/2020", "03/04/2020"]
    assert result.notes == [
        "a: every date could be day/month or month/day (e.g. 01/02/2020), so they are kept as text"
    ]


def test_an_impossible_date_keeps_the_column_text(con, tmp_path):
    result = profile(con, tmp_path, "d\n31.01.2015\n30.02.2015\n")
    assert types(result) == {"d": "VARCHAR(16)"}


def test_a_text_column_of_codes_keeps_na_and_its_counts(con, tmp_path):
    result = profile(con, tmp_path, "zip\n01234\nNA\n02139\n")
    zip_code = result.column("zip")
    assert (zip_code.inferred_type, zip_code.leading_zeros) == ("VARCHAR(16)", True)
    assert (zip_code.null_count, zip_code.reading) == (0, None)
    assert typed(con, "zip") == ["01234", "NA", "02139"]


def test_thousands_dots_in_a_decimal_comma_file(con, tmp_path):
    result = profile(con, tmp_path, "a;b\n1.500;2,5\n12;3\n")
    assert types(result) == {"a": "SMALLINT", "b": "DECIMAL(2,1)"}
    assert typed(con, "a") == [1500, 12]


def test_percentages_with_decimal_commas(con, tmp_path):
    result = profile(con, tmp_path, "rate;n\n12,5%;1,5\n3%;2\n")
    assert types(result) == {"rate": "DECIMAL(3,1)", "n": "DECIMAL(2,1)"}
    assert typed(con, "rate") == [Decimal("12.5"), Decimal("3.0")]
    assert "rate: percentages stored as numbers (12,5% as 12.5)" in result.notes


def test_a_late_date_against_the_chosen_order_keeps_the_column_text(con, tmp_path):
    first = [f"{13 + i % 15}/{1 + i % 12:02d}/2020" for i in range(FAMILY_SAMPLE)]
    clean = profile(con, tmp_path, "d\n" + "\n".join([*first, "01/12/2020"]) + "\n")
    assert types(clean) == {"d": "DATE"}
    assert typed(con, "d")[-1] == dt.date(2020, 12, 1)
    late = profile(con, tmp_path, "d\n" + "\n".join([*first, "01/13/2020"]) + "\n")
    assert types(late) == {"d": "VARCHAR(16)"}  # month 13: not day/month after all
