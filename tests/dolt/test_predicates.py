"""The queries built from a person's `where`: one condition, checked by the policy, with its
values (and the limit) as parameters; text after the condition that makes a clause of its own
is refused before any database sees it."""

from __future__ import annotations

import pytest

from dolt.errors import PolicyViolation
from dolt.sql.predicates import count_query, rows_query

COLUMNS = ["id", "name", "age"]


def test_values_and_the_limit_go_as_parameters_in_the_order_they_are_used():
    sql, parameters = rows_query(
        table="people",
        columns=COLUMNS,
        where="age >= 21 AND name = 'O''Brien'",
        limit=5,
        dialect="mysql",
    )
    assert sql == (
        "SELECT `id`, `name`, `age` FROM `people` WHERE `age` >= %s AND `name` = %s LIMIT %s"
    )
    assert parameters == [21, "O'Brien", 5]


@pytest.mark.parametrize(
    ("where", "clause"),
    [
        ("1 = 1 UNION SELECT id, name, age FROM people", "UNION"),
        ("1 = 1 LIMIT 100000", "LIMIT"),
        ("1 = 1 ORDER BY age", "ORDER BY"),
        ("1 = 1 GROUP BY id HAVING COUNT(*) > 1", "GROUP BY, HAVING"),
    ],
)
@pytest.mark.parametrize("dialect", ["mysql", "sqlite"])
def test_a_where_that_reaches_past_its_condition_is_refused(where, clause, dialect):
    with pytest.raises(PolicyViolation, match=f"must be one condition, without {clause}"):
        rows_query(table="people", columns=COLUMNS, where=where, limit=5, dialect=dialect)
    with pytest.raises(PolicyViolation, match="must be one condition"):
        count_query(table="people", columns=COLUMNS, where=where, dialect=dialect)


def test_no_where_reads_the_first_rows():
    assert rows_query(table="people", columns=["id"], where=None, limit=3, dialect="sqlite") == (
        'SELECT "id" FROM "people" LIMIT ?',
        [3],
    )
