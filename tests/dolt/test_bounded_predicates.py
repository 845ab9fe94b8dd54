"""A person's `where` (`importbot rows --where`, the checks on the branch) is refused before it
runs when its cost cannot be bounded: joins without a key, values that grow without bound."""

import re

import pytest

from dolt.errors import PolicyViolation
from dolt.sql.predicates import count_query, rows_query

COLUMNS = ["id", "name", "age"]

HOSTILE = [
    pytest.param(
        "EXISTS (SELECT 1 FROM people AS a, people AS b, people AS c)",
        "has no ON condition",
        id="comma_join_in_a_subquery",
    ),
    pytest.param(
        "id IN (SELECT a.id FROM people AS a JOIN people AS b ON b.age > a.age)",
        "does not compare a column of b with a column of another source by equality",
        id="non_equi_join_in_a_subquery",
    ),
    pytest.param(
        "LENGTH(REPEAT(name, 50000000)) > 0",
        "Function REPEAT() is not in the list of allowed functions",
        id="repeat_took_13_9_gib",
    ),
    pytest.param(
        "LENGTH(REPLACE(REPLACE(name, 'e', 'eeeeeeeeee'), 'e', 'eeeeeeeeee')) > 0",
        "nests REPLACE in REPLACE",
        id="nested_replace_took_5_5_gib",
    ),
]


@pytest.mark.parametrize(("where", "why"), HOSTILE)
def test_a_hostile_where_is_refused_for_counting_and_reading(where: str, why: str) -> None:
    with pytest.raises(PolicyViolation, match=re.escape(why)):
        count_query(table="people", columns=COLUMNS, where=where, dialect="sqlite")
    with pytest.raises(PolicyViolation, match=re.escape(why)):
        rows_query(table="people", columns=COLUMNS, where=where, limit=5, dialect="mysql")
