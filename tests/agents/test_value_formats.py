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
from agents.inspection.value_formats import DEFAULT_NULL_MARKERS, choose_reading, normalized
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
        "a: every date could be day/month or month/day (e.g. 01/02/2020), so they are kept as text",
        "b: dates are written both day first (13/01/2020) and month first (01/13/2020), "
        "so they are kept as text",
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


# --- month names, unpadded fields, and the order decided by the whole column -------------------

MONTH_NAMES = [
    ("Jan 1 2000", dt.date(2000, 1, 1)),
    ("January 1, 2000", dt.date(2000, 1, 1)),
    ("1 Jan 2000", dt.date(2000, 1, 1)),
    ("01-Jan-2000", dt.date(2000, 1, 1)),
    ("sept 30 2015", dt.date(2015, 9, 30)),
    ("31 DECEMBER 1999", dt.date(1999, 12, 31)),
    ("Feb. 29, 2016", dt.date(2016, 2, 29)),
    ("7-may-2021", dt.date(2021, 5, 7)),
]


@pytest.mark.parametrize(("written", "meant"), MONTH_NAMES)
def test_a_date_with_a_month_name_is_read_in_the_month_name_format(written, meant):
    choice = choose_reading([written, "NA"], markers=DEFAULT_NULL_MARKERS, decimal_comma=False)
    assert choice.reading is not None and choice.reading.format == "month_name"
    sql = f"SELECT {normalized('v', choice.reading)} FROM (SELECT $v AS v)"
    assert duckdb.execute(sql, {"v": written}).fetchall() == [(meant.isoformat(),)]


def test_month_name_dates_are_dates_and_with_a_time_datetimes(con, tmp_path):
    written = [value for value, _ in MONTH_NAMES]
    times = ["Sep 30 2015 10:00", "1 Jan 2000 9:05:30", "JUL 4 1976 23:59:59.5", "NA"]
    rows = [f'"{day}","{time}"' for day, time in zip(written, [*times, *times], strict=True)]
    result = profile(con, tmp_path, "day,at\n" + "\n".join(rows) + "\n")
    assert types(result) == {"day": "DATE", "at": "DATETIME(1)"}
    assert typed(con, "day") == [meant for _, meant in MONTH_NAMES]
    assert typed(con, "at")[:4] == [
        dt.datetime(2015, 9, 30, 10, 0),
        dt.datetime(2000, 1, 1, 9, 5, 30),
        dt.datetime(1976, 7, 4, 23, 59, 59, 500000),
        None,
    ]
    assert "day: dates with month names read (Jan 31 2015 as 2015-01-31)" in result.notes


def test_words_that_are_not_month_names_keep_the_column_text(con, tmp_path):
    result = profile(con, tmp_path, "d\nJan 1 2000\nJanuar 1 2000\n")
    assert result.column("d").reading is None
    assert typed(con, "d") == ["Jan 1 2000", "Januar 1 2000"]
    impossible = profile(con, tmp_path, "d\nFeb 30 2015\nJan 1 2000\n")
    assert types(impossible) == {"d": "VARCHAR(16)"}
    assert typed(con, "d") == ["Feb 30 2015", "Jan 1 2000"]


def test_slash_dates_without_zero_padding(con, tmp_path):
    text = (
        "d,t,us\n2015/1/5,2015/1/5 1:00,1/5/2015\n2015/12/31,2015/12/31 13:05:09,1/13/2015\n"
        '" 2015/2/3 ",2015/2/3T4:05,2/3/2015 6:07\n'
    )
    result = profile(con, tmp_path, text)
    assert types(result) == {"d": "DATE", "t": "DATETIME", "us": "DATETIME"}
    assert typed(con, "d") == [dt.date(2015, 1, 5), dt.date(2015, 12, 31), dt.date(2015, 2, 3)]
    assert typed(con, "t") == [
        dt.datetime(2015, 1, 5, 1),
        dt.datetime(2015, 12, 31, 13, 5, 9),
        dt.datetime(2015, 2, 3, 4, 5),
    ]
    assert typed(con, "us") == [
        dt.datetime(2015, 1, 5),
        dt.datetime(2015, 1, 13),
        dt.datetime(2015, 2, 3, 6, 7),
    ]
    assert "us: dates read as month/day/year" in result.notes


def ambiguous_dates(count: int) -> list[str]:
    """Dates whose day and month are both at most 12: either order reads them."""
    return [f"{1 + i % 12:02d}/{1 + (i // 12) % 12:02d}/2015" for i in range(count)]


@pytest.mark.parametrize(
    ("deciding", "order", "second"),
    [
        ("31/01/2015", "day/month", dt.date(2015, 1, 2)),
        ("1/31/2015", "month/day", dt.date(2015, 2, 1)),
    ],
)
def test_the_day_month_order_is_decided_by_the_whole_column(con, tmp_path, deciding, order, second):
    values = [*ambiguous_dates(4_999), deciding]  # row 5,000 decides
    assert values[1] == "02/01/2015"
    result = profile(con, tmp_path, "d\n" + "\n".join(values) + "\n")
    assert types(result) == {"d": "DATE"}
    assert f"d: dates read as {order}/year" in result.notes
    got = typed(con, "d")
    assert (got[1], got[-1]) == (second, dt.date(2015, 1, 31))


def test_both_orders_in_one_column_keep_it_text_and_say_why(con, tmp_path):
    values = ambiguous_dates(5_000)
    values[2_999], values[4_999] = "31/01/2015", "01/31/2015"
    result = profile(con, tmp_path, "d\n" + "\n".join(values) + "\n")
    assert types(result) == {"d": "VARCHAR(16)"}
    assert result.notes == [
        "d: dates are written both day first (31/01/2015) and month first (01/31/2015), "
        "so they are kept as text"
    ]
    assert typed(con, "d")[2_999] == "31/01/2015"
