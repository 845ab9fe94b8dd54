"""A job's error in plain words: engine errors raised for real (DuckDB, sqlite3), paths and
tracebacks as the worker meets them."""

from __future__ import annotations

import sqlite3
import traceback

import duckdb
import pytest

from workers.error_words import in_plain_words

ROOT = "/srv/importbot/data"


def _duckdb_error(sql: str) -> str:
    con = duckdb.connect()
    con.execute("CREATE TABLE people (age INTEGER, name VARCHAR)")
    with pytest.raises(duckdb.Error) as raised:
        con.execute(sql)
    return f"{type(raised.value).__module__}.{type(raised.value).__name__}: {raised.value}"


def test_a_duckdb_binder_error_says_which_column_is_missing_and_the_closest():
    said = in_plain_words(_duckdb_error("SELECT * FROM people WHERE agee >= 21"))
    assert said == (
        'A name in the import does not match the data: there is no column "agee" '
        '(the closest: "age", "name")'
    )
    assert "Binder" not in said and "LINE 1" not in said and "^" not in said


@pytest.mark.parametrize(
    ("sql", "meaning"),
    [
        ("SELECT * FROM nope", "A table, column or function it names does not exist: "),
        ("SELEC 1", "An expression in the import could not be read: "),
        (
            "SELECT CAST('x' AS INTEGER)",
            "A value could not be converted to its column's type: 'x' is not a whole number",
        ),
    ],
)
def test_duckdb_kinds_of_error_are_said_as_what_they_mean(sql, meaning):
    said = in_plain_words(_duckdb_error(sql))
    assert said.startswith(meaning)
    assert " Error:" not in said and "_duckdb" not in said and "\n" not in said


def test_a_path_under_a_data_root_is_shown_from_the_root_and_others_by_file_name():
    said = in_plain_words(
        _duckdb_error(f"SELECT * FROM read_csv('{ROOT}/families/missing.csv')"), roots=[ROOT]
    )
    assert said == (
        "A file could not be opened or read: No files found that match the pattern "
        '"families/missing.csv"'
    )
    job_file = "/var/lib/importbot/jobs/j1/sources/people.csv"
    assert in_plain_words(f"Cannot read {job_file}: gone", roots=[ROOT]) == (
        "Cannot read people.csv: gone"
    )


def test_urls_words_with_slashes_and_slash_commands_are_left_alone():
    text = "Download https://example.com/data/people.csv failed at 3 rows/s; try /import again."
    assert in_plain_words(text) == text


def test_a_traceback_becomes_its_last_line_without_the_server_path():
    try:
        open("/var/lib/importbot/jobs/j1/sources/people.csv")  # noqa: SIM115
    except OSError:
        trace = traceback.format_exc()
    said = in_plain_words(trace)
    assert said == "No such file or directory: 'people.csv'"
    assert "Traceback" not in said and 'File "' not in said


def test_sqlite_and_mysql_errors_say_that_the_database_refused_it():
    con = sqlite3.connect(":memory:")
    with pytest.raises(sqlite3.OperationalError) as raised:
        con.execute("SELECT agee FROM sqlite_master")
    sqlite_text = f"sqlite3.OperationalError: {raised.value}"
    assert in_plain_words(sqlite_text) == "The database refused it: no such column: agee"
    assert in_plain_words("""(1054, "Unknown column 'agee' in 'where clause'")""") == (
        "The database refused it: Unknown column 'agee' in 'where clause'"
    )
    assert in_plain_words("Merging failed: Error 1105 (HY000): table not found: peoplex") == (
        "Merging failed: The database refused it: table not found: peoplex"
    )


def test_plain_words_pass_through_unchanged_and_twice_is_once():
    plain = "families/later.csv does not exist. Nothing reached main."
    assert in_plain_words(plain) == plain
    once = in_plain_words(_duckdb_error("SELECT agee FROM people"), roots=[ROOT])
    assert in_plain_words(once, roots=[ROOT]) == once
    assert in_plain_words(None) == "" and len(in_plain_words("x" * 5000)) == 600
