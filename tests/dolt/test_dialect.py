"""MySQL <-> doltlite translation, run on real doltlite databases (fixtures/dialect/)."""

from __future__ import annotations

# isort: off
import doltlite  # noqa: F401  -- must load before sqlite3 (notes/doltlite.md, trap 1)

# isort: on
import sqlite3
from pathlib import Path

import pytest
import sqlglot
from sqlglot import exp

from dolt.errors import UntranslatableSql
from dolt.sql.dialect import canonical_mysql, mysql_to_sqlite, sqlite_to_mysql
from tests.dolt.test_policy import FIXTURES, KNOWN_TABLES, Case, cases_of, read_cases

SECTIONS = ("input", "sqlite", "mysql")
BASE_SCHEMA = {
    "people": [
        "CREATE TABLE people (id BIGINT NOT NULL PRIMARY KEY, name VARCHAR(100) NOT NULL, age INT)"
    ],
    "birthdays": [
        "CREATE TABLE birthdays (person_id BIGINT NOT NULL PRIMARY KEY REFERENCES people (id), "
        "date_of_birth DATE)",
        "CREATE INDEX idx_birthdays_date ON birthdays (date_of_birth)",
    ],
}
assert set(BASE_SCHEMA) == KNOWN_TABLES


def doltlite_database(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None)
    # A stock SQLite here would make every test below meaningless.
    assert connection.execute("SELECT active_branch()").fetchone() == ("main",)
    connection.execute("PRAGMA foreign_keys = ON")
    return connection


def database(path: Path, *, without: str = "") -> sqlite3.Connection:
    """A new doltlite database holding the base schema, except the table ``without``."""
    connection = doltlite_database(path)
    for name, statements in BASE_SCHEMA.items():
        if name != without.lower():
            for statement in statements:
                run(connection, mysql_to_sqlite(statement))
    return connection


def run(connection: sqlite3.Connection, statements: list[str]) -> None:
    for statement in statements:
        connection.execute(statement)


def read_back(connection: sqlite3.Connection, table: str) -> str:
    """Canonical MySQL of ``table`` from what doltlite stored in sqlite_master."""
    (create_sql,) = connection.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ? COLLATE NOCASE",
        (table,),
    ).fetchone()
    indexes = connection.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? COLLATE NOCASE "
        "AND sql IS NOT NULL ORDER BY name",
        (table,),
    ).fetchall()
    return sqlite_to_mysql(create_sql, indexes=[sql for (sql,) in indexes])


def table_of(mysql_create: str) -> str:
    return sqlglot.parse_one(mysql_create, read="mysql").find(exp.Table).name


def lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def schema_cases() -> list[pytest.ParameterSet]:
    """mysql_to_sqlite cases that change a table (they have a read-back ``mysql`` section)."""
    return [
        p
        for p in cases_of("dialect/mysql_to_sqlite.sql", sections=SECTIONS)
        if "mysql" in p.values[0].sections
    ]


# --- mysql_to_sqlite --------------------------------------------------------------------------


@pytest.mark.parametrize("case", cases_of("dialect/mysql_to_sqlite.sql", sections=SECTIONS))
def test_mysql_to_sqlite(case: Case, tmp_path: Path) -> None:
    statements = mysql_to_sqlite(case.sections["input"])

    assert statements == lines(case.sections["sqlite"])
    run(database(tmp_path / "x.db"), statements)


@pytest.mark.parametrize("case", schema_cases())
def test_round_trip_through_doltlite(case: Case, tmp_path: Path) -> None:
    connection = database(tmp_path / "x.db")
    expected = case.sections["mysql"]
    table = table_of(expected)

    run(connection, mysql_to_sqlite(case.sections["input"]))

    assert read_back(connection, table) == expected


@pytest.mark.parametrize("case", schema_cases())
def test_canonical_form_is_a_fixed_point(case: Case, tmp_path: Path) -> None:
    canonical = case.sections["mysql"]
    table = table_of(canonical)
    connection = database(tmp_path / "x.db", without=table)

    run(connection, mysql_to_sqlite(canonical))

    assert read_back(connection, table) == canonical
    assert canonical_mysql(canonical) == canonical


@pytest.mark.parametrize(
    "case", [p for p in schema_cases() if "lossless" in p.values[0].directives]
)
def test_lossless_cases_match_canonical_mysql(case: Case) -> None:
    assert canonical_mysql(case.sections["input"]) == case.sections["mysql"]


@pytest.mark.parametrize("case", cases_of("policy/ddl_accepted.sql"))
def test_policy_accepted_ddl_runs_on_doltlite(case: Case, tmp_path: Path) -> None:
    if "doltlite" in case.directives:
        with pytest.raises(UntranslatableSql, match=case.directives["doltlite"]):
            mysql_to_sqlite(case.sql)
        return
    connection = database(tmp_path / "x.db")
    connection.execute("INSERT INTO people (id, name, age) VALUES (7, 'Ada', 36)")

    run(connection, mysql_to_sqlite(case.sql))


def test_modify_column_rebuilds_the_table_keeping_the_rest_of_it(tmp_path: Path) -> None:
    connection = doltlite_database(tmp_path / "x.db")
    create = (
        "CREATE TABLE pets (id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY, "
        "kind ENUM('cat', 'dog'), weight DECIMAL(4,1) UNSIGNED, KEY (kind))"
    )
    run(connection, mysql_to_sqlite(create))
    connection.execute("INSERT INTO pets (kind, weight) VALUES ('cat', 4.5)")
    before = read_back(connection, "pets")

    def schema_of(table: str) -> tuple[str, list[str]]:
        rows = connection.execute(
            "SELECT type, sql FROM sqlite_master WHERE tbl_name = ? AND sql IS NOT NULL", (table,)
        ).fetchall()
        return next(sql for kind, sql in rows if kind == "table"), [
            sql for kind, sql in rows if kind == "index"
        ]

    modify = "ALTER TABLE pets MODIFY COLUMN weight DECIMAL(6,2) UNSIGNED"
    run(connection, mysql_to_sqlite(modify, schema_of=schema_of))

    assert "`weight` DECIMAL(4, 1) UNSIGNED" in before
    assert read_back(connection, "pets") == before.replace("DECIMAL(4, 1)", "DECIMAL(6, 2)")
    connection.execute("INSERT INTO pets (kind, weight) VALUES ('dog', 30.25)")  # rowid: new id
    assert connection.execute("SELECT id, kind, weight FROM pets").fetchall() == [
        (1, "cat", 4.5),
        (2, "dog", 30.25),
    ]
    with pytest.raises(sqlite3.IntegrityError):  # the ENUM and UNSIGNED checks are kept
        connection.execute("INSERT INTO pets (kind, weight) VALUES ('cow', -1)")


# --- sqlite_to_mysql and canonical_mysql ------------------------------------------------------


@pytest.mark.parametrize("case", cases_of("dialect/sqlite_to_mysql.sql", sections=SECTIONS))
def test_sqlite_to_mysql(case: Case, tmp_path: Path) -> None:
    create_sql, *indexes = lines(case.sections["sqlite"])
    connection = doltlite_database(tmp_path / "x.db")
    run(connection, [create_sql, *indexes])
    expected = case.sections["mysql"]

    assert sqlite_to_mysql(create_sql, indexes=indexes) == expected
    assert read_back(connection, table_of(expected)) == expected


@pytest.mark.parametrize("case", cases_of("dialect/canonical_mysql.sql", sections=SECTIONS))
def test_canonical_mysql(case: Case) -> None:
    expected = case.sections["mysql"]

    assert canonical_mysql(case.sections["input"]) == expected
    assert canonical_mysql(expected) == expected


def test_canonical_forms_are_deterministic() -> None:
    cases = read_cases(FIXTURES / "dialect" / "canonical_mysql.sql", sections=SECTIONS)
    sql = cases[0].sections["input"]

    assert len({canonical_mysql(sql) for _ in range(3)}) == 1


# --- untranslatable ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", cases_of("dialect/untranslatable.sql", sections=SECTIONS))
def test_untranslatable(case: Case) -> None:
    with pytest.raises(UntranslatableSql) as raised:
        if "input" in case.sections:
            mysql_to_sqlite(case.sections["input"])
        else:
            create_sql, *indexes = lines(case.sections["sqlite"])
            sqlite_to_mysql(create_sql, indexes=indexes)

    assert case.expect in str(raised.value)
