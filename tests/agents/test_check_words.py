"""Checks in words → Dolt tests, on a real doltlite database made from examples/families: each
produced query runs (plain SELECT and dolt_test_run) and counts what it should."""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pytest

from agents.artifacts import SchemaProposal
from agents.stages.check_tests import check_notes, checks_as_tests
from agents.stages.check_words import (
    CheckNotUnderstood,
    UnknownCheckName,
    read_check,
    table_shapes,
)
from dolt.models import Author

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "families"
GROUP = "import/test-job"
TABLES = {
    "people": "CREATE TABLE people (id INT NOT NULL, name VARCHAR(32), age TINYINT, "
    "PRIMARY KEY (id))",
    "birthdays": "CREATE TABLE birthdays (person_id INT NOT NULL, date_of_birth DATE, "
    "PRIMARY KEY (person_id), FOREIGN KEY (person_id) REFERENCES people (id))",
    "marriages": "CREATE TABLE marriages (person1_id INT, person2_id INT, marriage_date DATE, "
    "divorce_date DATE, FOREIGN KEY (person1_id) REFERENCES people (id), "
    "FOREIGN KEY (person2_id) REFERENCES people (id))",
    "parents": "CREATE TABLE parents (person_id INT NOT NULL, mother_id INT, father_id INT, "
    "PRIMARY KEY (person_id), FOREIGN KEY (person_id) REFERENCES people (id), "
    "FOREIGN KEY (mother_id) REFERENCES people (id), "
    "FOREIGN KEY (father_id) REFERENCES people (id))",
}
AUTHOR = Author(name="Ada Lovelace", email="ada@example.com")


def _rows(name: str) -> tuple[list[str], list[list[object]]]:
    with (EXAMPLES / f"{name}.csv").open(newline="") as file:
        header, *rows = list(csv.reader(file))
    return header, [[value if value != "" else None for value in row] for row in rows]


@pytest.fixture
def families(doltlite_server):
    """examples/families loaded on main of a doltlite database, with its foreign keys."""
    database = doltlite_server.create_database(name="fam")
    with database.write_session(branch="main") as session:
        for table, ddl in TABLES.items():
            session.execute_ddl(sql=ddl)
            columns, rows = _rows(table)
            session.insert_rows(table=table, columns=columns, rows=rows)
        session.commit(message="families", author=AUTHOR)
    return database


@pytest.fixture
def shapes(families):
    return table_shapes(families.create_statements())


def _count(database, query: str) -> object:
    with sqlite3.connect(f"{database.path}@main") as connection:
        return connection.execute(query).fetchone()[0]


@pytest.mark.parametrize(
    ("words", "comparator", "value", "result"),
    [
        ("check that age is never negative", "==", "0", 0),
        ("people.age is never null", "==", "0", 0),
        ("the age of people is always between 0 and 120", "==", "0", 0),
        ("people's age is always between 80 and 120", "==", "0", 46),
        ("every person's age is at least 75", "==", "0", 41),
        ("id is unique", "==", "0", 0),
        ("mother_id is unique", "==", "0", 28),
        ("every marriage's people exist", "==", "0", 0),
        ("every birthday has a person", "==", "0", 0),
        ("every parent's references exist", "==", "0", 0),
        ("there are at least 50 people", ">=", "50", 50),
        ("there are at most 10 marriages", "<=", "10", 21),
        ("There are MORE THAN 1,000 people", ">", "1000", 50),
        ("people has exactly 50 rows", "==", "50", 50),
        ("name is one of 'Frieda Neumann', \"Ludwig Fischer\" or 'O''Hara'", "==", "0", 47),
        ("date_of_birth is never empty", "==", "0", 0),
    ],
)
def test_each_offline_form_counts_what_it_says(families, shapes, words, comparator, value, result):
    test = read_check(words, tables=shapes, group=GROUP, dialect="sqlite")
    assert test is not None
    assert (test.name, test.group) == (f"check: {words.removeprefix('check that ')}", GROUP)
    assert (test.assertion_type, test.comparator, test.value) == (
        "expected_single_value",
        comparator,
        value,
    )
    assert _count(families, test.query) == result


def test_broken_rows_are_counted(families, shapes):
    """A negative age and a marriage naming a person who does not exist are found (doltlite
    checks foreign keys only when asked, so the orphan gets in)."""
    with sqlite3.connect(f"{families.path}@main") as connection:
        connection.execute("INSERT INTO people VALUES (99, 'Nobody', -3)")
        connection.execute("INSERT INTO marriages VALUES (1, 1000, NULL, NULL)")
        negative = read_check("age is never negative", tables=shapes, group=GROUP, dialect="sqlite")
        orphans = read_check(
            "every marriage's people exist", tables=shapes, group=GROUP, dialect="sqlite"
        )
        assert negative is not None and orphans is not None
        assert connection.execute(negative.query).fetchone()[0] == 1
        assert connection.execute(orphans.query).fetchone()[0] == 1


def test_the_tests_run_in_dolt_test_run(families, shapes):
    tests = checks_as_tests(
        ["age is never negative", "there are at least 50 people", "there are at least 51 people"],
        tables=shapes,
        group=GROUP,
        dialect=families.dialect,
    )
    families.create_branch(name=GROUP)
    with families.write_session(branch=GROUP) as session:
        session.write_tests(tests)
        session.commit(message="checks", author=AUTHOR)
    results = {r.name: r for r in families.run_tests(ref=GROUP, selector=GROUP)}
    assert results["check: age is never negative"].passed
    assert results["check: there are at least 50 people"].passed
    failed = results["check: there are at least 51 people"]
    assert not failed.passed and "50" in failed.message


def test_values_are_literals_not_sql(shapes):
    test = read_check(
        "name is one of 'x'') OR 1=1 --', y", tables=shapes, group=GROUP, dialect="sqlite"
    )
    assert test is not None
    assert "IN ('x'') OR 1=1 --', 'y')" in test.query


@pytest.mark.parametrize(
    ("words", "message"),
    [
        ("agee is never negative", 'No table has a column "agee". Did you mean age?'),
        ("people.agee is never null", 'people has no column "agee". Did you mean age?'),
        ("person_id is never null", "(birthdays.person_id, parents.person_id): name one"),
        ("there are at least 5 peeple", 'There is no table "peeple". Did you mean people?'),
        (
            "every marriage's birthdays exist",
            "marriages has no reference to birthdays; its foreign keys go to people",
        ),
        ("every person's references exist", "people has no references to check"),
    ],
)
def test_names_that_do_not_exist_are_refused_with_the_real_ones(shapes, words, message):
    with pytest.raises(UnknownCheckName) as raised:
        read_check(words, tables=shapes, group=GROUP, dialect="sqlite")
    assert message in str(raised.value)


def test_words_of_no_offline_form_need_the_model(shapes):
    assert read_check("nobody married twice", tables=shapes, group=GROUP, dialect="sqlite") is None
    with pytest.raises(CheckNotUnderstood, match=r"without a model.*is never negative"):
        checks_as_tests(["nobody married twice"], tables=shapes, group=GROUP, dialect="sqlite")


def test_checks_are_read_against_the_proposed_tables_before_the_load(families):
    proposal = SchemaProposal(
        tables=[
            {
                "name": "pets",
                "action": "create",
                "ddl": ["CREATE TABLE pets (id INT PRIMARY KEY, legs INT)"],
                "relations": ["pets"],
            }
        ]
    )
    assert check_notes(["legs is never negative"], database=families, schema=proposal) == []
    with pytest.raises(UnknownCheckName, match='No table has a column "tails"'):
        check_notes(["tails is never negative"], database=families, schema=proposal)
