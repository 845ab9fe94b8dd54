"""Dolt tests on real doltlite files: writing `dolt_tests`, `dolt_test_run`, and a merge they
gate inside its own write transaction (doltlite has no commit verification)."""

import pytest

from dolt.dolt_tests import failure_in_words
from dolt.errors import InvalidName, MergeConflict, TestsFailed
from dolt.models import DoltTest, TestResult
from tests.conftest import MERGER, REQUESTER

ADULTS = DoltTest(
    name="import/a: people are adults",
    group="import/a",
    query='SELECT COUNT(*) FROM "people" WHERE "age" < 18',
)
AT_LEAST_TEN = DoltTest(
    name="it's at least 10",  # a quote in the name travels as a parameter
    group="person's",
    query='SELECT COUNT(*) FROM "people"',
    comparator=">=",
    value="10",
)


def write(database, branch, *, rows=(), tests=(), message="change"):
    with database.write_session(branch=branch) as session:
        if rows:
            session.insert_rows(table="people", columns=["id", "name", "age"], rows=rows)
        session.write_tests(tests)
        return session.commit(message=message, author=REQUESTER)


def state(database):
    return (
        [(b.name, b.head) for b in database.list_branches()],
        database.row_counts(),
        database._main.execute("SELECT * FROM dolt_status").fetchall(),
        database._main.execute("SELECT is_merging FROM dolt_merge_status").fetchall(),
    )


def test_no_tests_is_an_empty_run(families):
    assert families.run_tests(ref="main") == []


def test_written_tests_run_by_group_by_name_or_all(families):
    families.create_branch(name="import/a")
    write(families, "import/a", tests=[ADULTS, AT_LEAST_TEN])
    everything = families.run_tests(ref="import/a")
    assert {(r.name, r.status) for r in everything} == {
        (ADULTS.name, "PASS"),  # ages are 19..28 in `families`
        (AT_LEAST_TEN.name, "PASS"),
    }
    assert [r.name for r in families.run_tests(ref="import/a", selector="person's")] == [
        AT_LEAST_TEN.name
    ]
    assert [r.name for r in families.run_tests(ref="import/a", selector=ADULTS.name)] == [
        ADULTS.name
    ]
    assert families.run_tests(ref="import/a", selector="no such group") == []
    assert families.run_tests(ref="main") == []  # committed on the branch only
    with pytest.raises(InvalidName):
        families.run_tests(ref="import/a", selector="a\\b")


def test_dolt_tests_is_not_a_table_of_the_diff(families):
    families.create_branch(name="import/a")
    write(families, "import/a", tests=[ADULTS])
    assert families.diff_summary(branch="import/a").is_empty
    assert "dolt_tests" not in families.list_tables(ref="import/a")


def test_a_merge_whose_result_fails_a_test_is_refused_and_changes_nothing(families):
    families.create_branch(name="import/a")
    write(families, "import/a", tests=[ADULTS])
    families.create_branch(name="import/kid")
    write(families, "import/kid", rows=[(50, "Kid", 5)])
    families.merge(branch="import/a", message="merge a", author=MERGER, tests="*")
    before = state(families)
    with pytest.raises(TestsFailed) as refused:
        families.merge(branch="import/kid", message="merge kid", author=MERGER, tests="*")
    assert isinstance(refused.value, MergeConflict)
    assert str(refused.value) == (
        "Merging 'import/kid' into 'main' was refused: Dolt test 'import/a: people are adults' "
        "fails: expected 0, got 1. Nothing was changed."
    )
    assert refused.value.preview.failing_tests == (
        "Dolt test 'import/a: people are adults' fails: expected 0, got 1",
    )
    assert not refused.value.preview.clean
    assert state(families) == before
    # without tests the same merge goes through: the gate is what refused it
    families.merge(branch="import/kid", message="merge kid", author=MERGER)
    assert families.row_counts()["people"] == 11


def test_a_tested_merge_is_a_merge_commit_by_its_author(families):
    main = families.branch(name="main").head
    families.create_branch(name="import/a")
    branch_head = write(families, "import/a", rows=[(60, "Ann", 40)], tests=[ADULTS])
    result = families.merge(branch="import/a", message="merge a", author=MERGER, tests="*")
    assert not result.fast_forward and not result.already_up_to_date
    assert families.branch(name="main").head == result.hash
    parents = families._main.execute(
        "SELECT parent_hash FROM dolt_commit_ancestors WHERE commit_hash = ? ORDER BY parent_index",
        (result.hash,),
    ).fetchall()
    assert [p for (p,) in parents] == [main, branch_head]
    (log,) = families._main.execute(
        "SELECT committer, message FROM dolt_log WHERE commit_hash = ?", (result.hash,)
    ).fetchall()
    assert log == (MERGER.name, "merge a")
    assert [r.name for r in families.run_tests(ref="main")] == [ADULTS.name]
    again = families.merge(branch="import/a", message="again", author=MERGER, tests="*")
    assert again.already_up_to_date and again.hash == result.hash


@pytest.mark.parametrize(
    ("comparator", "value", "said"),
    [
        ("==", "3", "expected 3, got 0"),
        (">=", "5", "expected at least 5, got 0"),
        ("<=", "-1", "expected at most -1, got 0"),
        (">", "3", "expected more than 3, got 0"),
        ("<", "0", "expected less than 0, got 0"),
        ("!=", "0", "expected anything but 0, got 0"),
    ],
)
def test_a_failure_is_said_plainly(families, comparator, value, said):
    test = DoltTest(name="t", group="g", query="SELECT 0", comparator=comparator, value=value)
    write(families, "main", tests=[test])
    (result,) = families.run_tests(ref="main")
    assert failure_in_words(result) == f"Dolt test 't' fails: {said}"


def test_a_query_the_database_cannot_run_fails_with_its_error():
    broken = TestResult(
        name="t", group="g", query="SELECT x", status="FAIL", message="query error: no such x"
    )
    assert failure_in_words(broken) == "Dolt test 't' fails: query error: no such x"
