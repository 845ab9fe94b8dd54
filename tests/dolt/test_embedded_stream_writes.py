"""`write_rows`: doltlite's fast path for streaming into the caller's transaction.

Rows go in multi-row statements (a few hundred rows each, so SQLite runs long with the GIL
released), never inside a savepoint (doltlite journals multi-row statements in one, which
makes them about three times slower), and a refused statement is redone row by row.
Tagged rows carry the caller's record number in front, which is never written.
"""

import pytest

from dolt.embedded.insert import MAX_PARAMETERS, MAX_ROWS_PER_STATEMENT, multi_row_insert
from dolt.errors import DoltError
from dolt.models import WriteMode

COLUMNS = ["id", "name", "age"]


def tagged_people(first, last):
    """(record, id, name, age): the record is the row's line in an imaginary file."""
    return [(1000 + i, i, f"person {i}", 18 + i % 60) for i in range(first, last + 1)]


def traced(session):
    """The SQL the session's connection runs from now on."""
    statements: list[str] = []
    session._connection.set_trace_callback(statements.append)
    return statements


def test_rows_go_in_statements_of_many_rows_and_no_savepoint_is_taken(families):
    families.create_branch(name="b")
    with families.write_session(branch="b") as session:
        statements = traced(session)
        with session.transaction():
            result = session.write_rows(
                table="people", columns=COLUMNS, rows=tagged_people(11, 1210), tagged=True
            )
        inserts = [s for s in statements if s.startswith("INSERT")]
        assert len(inserts) == 3  # 500 + 500 + 200 rows
        assert not [s for s in statements if "SAVEPOINT" in s.upper()]
        assert session.row_count(table="people") == 1210
        stored = session._connection.execute(
            "SELECT id, name, age FROM people WHERE id IN (11, 1210) ORDER BY id"
        ).fetchall()
    assert result.inserted == 1200 and result.rejected == ()
    assert stored == [(11, "person 11", 18 + 11 % 60), (1210, "person 1210", 18 + 1210 % 60)]


def test_a_refused_statement_undoes_itself_and_only_its_rows_are_redone_one_by_one(families):
    families.create_branch(name="b")
    rows = [*tagged_people(11, 700), (7, 5, "duplicate key", 1), *tagged_people(701, 1100)]
    rows.append((9, None, "no key", 3))
    with families.write_session(branch="b") as session:
        statements = traced(session)
        with session.transaction():
            result = session.write_rows(
                table="people", columns=COLUMNS, rows=rows, collect_rejects=True, tagged=True
            )
        assert session.row_count(table="people") == 10 + 1090
    assert result.inserted == 1090
    # positions in the input, rows without their tag, the database's reason
    assert [(r.index, r.row) for r in result.rejected] == [
        (690, (5, "duplicate key", 1)),
        (1091, (None, "no key", 3)),
    ]
    assert "UNIQUE" in result.rejected[0].reason
    assert "NOT NULL" in result.rejected[1].reason
    one_row = [s for s in statements if s.startswith("INSERT") and s.count("(") == 2]
    assert len(one_row) == 500 + 92  # the two refused statements, row by row
    assert not [s for s in statements if "SAVEPOINT" in s.upper()]


def test_misshapen_tagged_rows_are_rejected_counting_only_written_values(families):
    families.create_branch(name="b")
    rows = [(1, 11, "a", 1), (2, 12, "b"), (3, 13, "c", 3)]
    with families.write_session(branch="b") as session, session.transaction():
        result = session.write_rows(
            table="people", columns=COLUMNS, rows=rows, collect_rejects=True, tagged=True
        )
    assert result.inserted == 2
    (refused,) = result.rejected
    assert (refused.index, refused.row, refused.reason) == (
        1,
        (12, "b"),
        "expected 3 values, got 2",
    )


def test_multi_row_upsert_with_a_key_twice_keeps_the_last_row(families):
    families.create_branch(name="b")
    rows = [(1, 3, "three", 3), (2, 12, "twelve", 12), (3, 3, "THREE", 33)]
    with families.write_session(branch="b") as session:
        with session.transaction():
            session.write_rows(
                table="people", columns=COLUMNS, rows=rows, mode=WriteMode.UPSERT, tagged=True
            )
        got = session._connection.execute(
            "SELECT id, name, age FROM people WHERE id IN (3, 12) ORDER BY id"
        ).fetchall()
    assert got == [(3, "THREE", 33), (12, "twelve", 12)]


def test_write_rows_needs_the_callers_transaction(families):
    families.create_branch(name="b")
    with families.write_session(branch="b") as session:
        with pytest.raises(DoltError, match="inside an open transaction"):
            session.write_rows(table="people", columns=COLUMNS, rows=tagged_people(11, 12))
        assert session.row_count(table="people") == 10


def test_a_failure_leaves_rows_for_the_callers_rollback(families):
    families.create_branch(name="b")
    with families.write_session(branch="b") as session:
        with pytest.raises(DoltError, match="refused"), session.transaction():
            session.write_rows(
                table="people",
                columns=COLUMNS,
                rows=[(1, 20, "a", 1), (2, 5, "duplicate", 1)],
                batch_rows=1,
                tagged=True,
            )
        assert session.row_count(table="people") == 10


def test_statements_stay_within_sqlites_parameter_limit_for_wide_tables():
    wide = multi_row_insert(head='INSERT INTO "t" ("c")', tail="", width=2000, tagged=True)
    assert wide.rows_per_statement * 2001 <= MAX_PARAMETERS
    assert wide.rows_per_statement >= 1
    narrow = multi_row_insert(head='INSERT INTO "t" ("c")', tail="", width=3, tagged=False)
    assert narrow.rows_per_statement == MAX_ROWS_PER_STATEMENT


def test_tagged_statements_skip_each_rows_first_parameter():
    statement = multi_row_insert(head='INSERT INTO "t" ("a", "b")', tail="", width=2, tagged=True)
    assert statement.sql == 'INSERT INTO "t" ("a", "b") VALUES (?2, ?3)'
    assert statement.sql_for(2) == 'INSERT INTO "t" ("a", "b") VALUES (?2, ?3), (?5, ?6)'
    assert statement.sql_for(2) is statement.sql_for(2)  # one text: prepared once
    assert statement.parameters([(7, "x", 1), (8, "y", 2)]) == [7, "x", 1, 8, "y", 2]
    assert statement.values((7, "x", 1)) == ("x", 1)
