"""The Dolt-only calls of the sql-server backend, against a real Dolt sql-server.

Set ``IMPORTBOT_TEST_DOLT_URL=mysql://root:@127.0.0.1:3307`` (a `dolt sql-server` you may write
to) to run them; every test works in a database of its own and drops it afterwards.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import pytest

if not os.environ.get("IMPORTBOT_TEST_DOLT_URL"):
    pytest.skip(
        "IMPORTBOT_TEST_DOLT_URL is not set: "
        "no Dolt sql-server to test the Dolt-only calls against",
        allow_module_level=True,
    )

from dolt.errors import (
    BranchExists,
    BranchNotFound,
    MergeConflict,
    PolicyViolation,
)
from dolt.models import Author, RowChangeType, TableChange, WriteMode
from dolt.sqlserver.connect import Connector, ServerConnection, quote_database
from dolt.sqlserver.server import SqlServer, SqlServerDatabase
from dolt.urls import MysqlLocation, parse_url

pytestmark = pytest.mark.dolt_server

ALICE = Author(name="Alice Example", email="alice@example.com")
BOB = Author(name="Bob Example", email="bob@example.com")
PEOPLE = "CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, age INT)"
COLUMNS = ["id", "name", "age"]


@pytest.fixture(scope="module")
def location() -> MysqlLocation:
    location = parse_url(os.environ["IMPORTBOT_TEST_DOLT_URL"])
    assert isinstance(location, MysqlLocation), "IMPORTBOT_TEST_DOLT_URL must be mysql://..."
    return location


@pytest.fixture
def server(location: MysqlLocation) -> Iterator[SqlServer]:
    with SqlServer(location) as server:
        yield server


@pytest.fixture
def database(server: SqlServer, location: MysqlLocation) -> Iterator[SqlServerDatabase]:
    name = f"ib_{secrets.token_hex(4)}"
    database = server.create_database(name=name)
    try:
        yield database
    finally:
        with Connector(location=location).connect() as connection:
            connection.execute(f"DROP DATABASE IF EXISTS {quote_database(name)}")


def on_ref(location: MysqlLocation, database: SqlServerDatabase, ref: str) -> ServerConnection:
    return Connector(location=location).connect_to_ref(database=database.name, ref=ref)


def seed_main(database: SqlServerDatabase, rows: int = 5) -> str:
    """`people` with ids 1..rows on main, committed by Alice; returns the commit hash."""
    with database.write_session(branch="main") as session:
        session.execute_ddl(sql=PEOPLE)
        session.insert_rows(
            table="people",
            columns=COLUMNS,
            rows=[(i, f"person {i}", 20 + i) for i in range(1, rows + 1)],
        )
        commit = session.commit(message="seed people", author=ALICE)
    assert commit
    return commit


def no_trace_on(location: MysqlLocation, database: SqlServerDatabase, branch: str) -> dict:
    """What a preview or failed merge must leave unchanged on `branch`."""
    with on_ref(location, database, branch) as connection:
        return {
            "head": connection.scalar("SELECT DOLT_HASHOF(%s)", (branch,)),
            "status": connection.rows("SELECT * FROM dolt_status"),
            "merging": connection.scalar("SELECT is_merging FROM dolt_merge_status"),
            "conflicts": connection.rows("SELECT * FROM dolt_conflicts"),
        }


# databases and branches -----------------------------------------------------


def test_create_database_has_main_with_an_initial_commit(
    server: SqlServer, database: SqlServerDatabase
) -> None:
    assert database.name in server.list_databases()
    assert [b.name for b in database.list_branches()] == ["main"]
    assert database.branch(name="main").head
    assert database.list_tables(ref="main") == []


def test_branch_create_list_get_delete(database: SqlServerDatabase) -> None:
    seed_main(database)
    created = database.create_branch(name="import/1", start="main")
    assert created.name == "import/1"
    assert created.head == database.branch(name="main").head
    assert created.message == "seed people"
    assert (created.author, created.author_email) == (ALICE.name, ALICE.email)
    assert [b.name for b in database.list_branches()] == ["import/1", "main"]
    with pytest.raises(BranchExists):
        database.create_branch(name="import/1")
    with pytest.raises(BranchNotFound):
        database.create_branch(name="import/2", start="no-such-branch")
    database.delete_branch(name="import/1")
    assert [b.name for b in database.list_branches()] == ["main"]
    with pytest.raises(BranchNotFound):
        database.branch(name="import/1")
    with pytest.raises(BranchNotFound):
        database.delete_branch(name="import/1")
    with pytest.raises(BranchNotFound):
        database.write_session(branch="import/1")


def test_commits_lists_the_newest_first_with_their_messages(database: SqlServerDatabase) -> None:
    seed_main(database)
    (newest, *_) = database.commits(ref="main", limit=5)
    assert newest == (database.branch(name="main").head, "seed people")
    assert len(database.commits(ref="main", limit=1)) == 1


def test_drop_database_removes_it_with_its_branches(
    server: SqlServer, database: SqlServerDatabase
) -> None:
    seed_main(database)
    database.create_branch(name="import/1")
    server.drop_database(name=database.name)
    assert database.name not in server.list_databases()
    server.drop_database(name=database.name)  # IF EXISTS: no error the second time


def test_drop_if_untouched_keeps_a_database_holding_a_table(
    server: SqlServer, database: SqlServerDatabase
) -> None:
    seed_main(database)
    assert server.drop_if_untouched(name=database.name) is False
    assert database.list_tables(ref="main") == ["people"]


def test_drop_if_untouched_keeps_a_database_with_another_branch(
    server: SqlServer, database: SqlServerDatabase
) -> None:
    database.create_branch(name="import/1")
    assert server.drop_if_untouched(name=database.name) is False
    assert database.name in server.list_databases()


def test_drop_if_untouched_drops_a_new_empty_database(
    server: SqlServer, database: SqlServerDatabase
) -> None:
    assert server.drop_if_untouched(name=database.name) is True
    assert database.name not in server.list_databases()
    assert server.drop_if_untouched(name=database.name) is False


# reading rows ---------------------------------------------------------------


def test_read_rows_of_a_branch_with_a_checked_predicate_and_a_limit(
    database: SqlServerDatabase,
) -> None:
    seed_main(database)  # ages 21..25
    database.create_branch(name="import/1")
    with database.write_session(branch="import/1") as session:
        session.insert_rows(table="people", columns=COLUMNS, rows=[(6, "O'Brien 50%s", 40)])
        session.commit(message="one more", author=BOB)
    older = database.read_rows(table="people", ref="import/1", where="age >= 24", limit=10)
    assert sorted(row["id"] for row in older) == [4, 5, 6]
    assert database.read_rows(table="people", ref="main", where="age >= 24") != older
    assert len(database.read_rows(table="people", ref="import/1", limit=2)) == 2
    (named,) = database.read_rows(table="people", ref="import/1", where="name = 'O''Brien 50%s'")
    assert named["id"] == 6


@pytest.mark.parametrize(
    "hostile",
    [
        "1 = 1; DROP TABLE people",
        "salary > 3",
        "id IN (SELECT id FROM dolt_branches)",
        "1 = 1 UNION SELECT id, name, age FROM people",
        "1 = 1 LIMIT 100000",
    ],
)
def test_read_rows_refuses_a_hostile_predicate(database: SqlServerDatabase, hostile: str) -> None:
    seed_main(database)
    with pytest.raises(PolicyViolation):
        database.read_rows(table="people", ref="main", where=hostile)
    assert database.row_counts(ref="main") == {"people": 5}


# write sessions and commits -------------------------------------------------


def test_write_session_is_pinned_and_commits_with_author(
    location: MysqlLocation, database: SqlServerDatabase
) -> None:
    seed_main(database)
    database.create_branch(name="import/1")
    with database.write_session(branch="import/1") as session:
        assert session._connection.scalar("SELECT active_branch()") == "import/1"
        session.insert_rows(table="people", columns=COLUMNS, rows=[(10, "ten", 30)])
        assert session.commit(message="nothing yet", author=BOB) is not None
        assert session.commit(message="nothing to commit", author=BOB) is None
        empty = session.commit(message="empty on purpose", author=BOB, allow_empty=True)
        assert empty and empty == session.head()
    branch = database.branch(name="import/1")
    assert (branch.author, branch.author_email, branch.message) == (
        BOB.name,
        BOB.email,
        "empty on purpose",
    )
    assert database.row_counts(ref="main") == {"people": 5}
    assert database.row_counts(ref="import/1") == {"people": 6}


def test_reset_hard_drops_uncommitted_work(database: SqlServerDatabase) -> None:
    first = seed_main(database)
    database.create_branch(name="import/1")
    with database.write_session(branch="import/1") as session:
        session.insert_rows(table="people", columns=COLUMNS, rows=[(10, "ten", 30)])
        session.reset_hard()
        assert session.row_count(table="people") == 5
        session.insert_rows(table="people", columns=COLUMNS, rows=[(11, "eleven", 31)])
        session.commit(message="one more", author=BOB)
        session.reset_hard(ref=first)
        assert session.head() == first
        assert session.row_count(table="people") == 5


# review ---------------------------------------------------------------------


def make_import_branch(database: SqlServerDatabase) -> None:
    """On import/1: 3 rows added, 2 modified, 1 deleted in people; new table pets with 4 rows."""
    seed_main(database)
    database.create_branch(name="import/1")
    with database.write_session(branch="import/1") as session:
        session.insert_rows(
            table="people",
            columns=COLUMNS,
            rows=[
                (6, "six", 26),
                (7, "seven", 27),
                (8, "eight", 28),
                (1, "one!", 21),
                (2, "two!", 22),
            ],
            mode=WriteMode.UPSERT,
        )
        with session.transaction():
            session._connection.execute("DELETE FROM people WHERE id = %s", (5,))
        session.execute_ddl(sql="CREATE TABLE pets (id INT PRIMARY KEY, owner INT, kind TEXT)")
        session.insert_rows(
            table="pets",
            columns=["id", "owner", "kind"],
            rows=[(1, 1, "cat"), (2, 1, "dog"), (3, 6, "fish"), (4, 7, "cat")],
        )
        session.commit(message="import", author=BOB)


def test_diff_summary_counts_exactly(database: SqlServerDatabase) -> None:
    make_import_branch(database)
    summary = database.diff_summary(branch="import/1")
    assert (summary.base, summary.branch) == ("main", "import/1")
    assert [t.name for t in summary.tables] == ["people", "pets"]
    people, pets = summary.table("people"), summary.table("pets")
    assert (people.change, people.data_changed, people.schema_changed) == (
        TableChange.MODIFIED,
        True,
        False,
    )
    assert (people.rows_added, people.rows_modified, people.rows_deleted) == (3, 2, 1)
    assert (people.old_row_count, people.new_row_count) == (5, 7)
    assert people.schema_before == people.schema_after and "`people`" in people.schema_after
    assert (pets.change, pets.rows_added, pets.old_row_count, pets.new_row_count) == (
        TableChange.ADDED,
        4,
        0,
        4,
    )
    assert pets.schema_before is None and "`pets`" in pets.schema_after
    assert "ENGINE" not in pets.schema_after.upper()


def test_diff_summary_is_three_dot(database: SqlServerDatabase) -> None:
    make_import_branch(database)
    with database.write_session(branch="main") as session:
        session.insert_rows(table="people", columns=COLUMNS, rows=[(100, "main only", 50)])
        session.commit(message="main moves on", author=ALICE)
    people = database.diff_summary(branch="import/1").table("people")
    assert (people.rows_added, people.rows_modified, people.rows_deleted) == (3, 2, 1)


def test_diff_rows_stream_with_plain_column_names(database: SqlServerDatabase) -> None:
    make_import_branch(database)
    rows = list(database.diff_rows(table="people", branch="import/1"))
    assert sorted(r.diff_type for r in rows).count(RowChangeType.ADDED) == 3
    assert len(rows) == 6
    modified = list(
        database.diff_rows(table="people", branch="import/1", diff_type=RowChangeType.MODIFIED)
    )
    assert {(r.from_row["id"], r.from_row["name"], r.to_row["name"]) for r in modified} == {
        (1, "person 1", "one!"),
        (2, "person 2", "two!"),
    }
    removed = list(
        database.diff_rows(table="people", branch="import/1", diff_type=RowChangeType.REMOVED)
    )
    assert [(r.from_row, r.to_row) for r in removed] == [
        ({"id": 5, "name": "person 5", "age": 25}, None)
    ]
    added = list(database.diff_rows(table="pets", branch="import/1", limit=2))
    assert len(added) == 2 and all(r.from_row is None for r in added)
    assert set(added[0].to_row) == {"id", "owner", "kind"}
    samples = database.sample_rows(table="people", branch="import/1", limit=1)
    assert {k: len(v) for k, v in samples.items()} == {
        RowChangeType.ADDED: 1,
        RowChangeType.MODIFIED: 1,
        RowChangeType.REMOVED: 1,
    }


# merge ----------------------------------------------------------------------


def make_conflict(database: SqlServerDatabase) -> None:
    """Row 1 of people changed differently on main and on import/1."""
    seed_main(database)
    database.create_branch(name="import/1")
    for branch, name, who in (("import/1", "branch one", BOB), ("main", "main one", ALICE)):
        with database.write_session(branch=branch) as session:
            session.insert_rows(
                table="people", columns=COLUMNS, rows=[(1, name, 99)], mode=WriteMode.UPSERT
            )
            session.commit(message=f"change row 1 on {branch}", author=who)


def test_preview_finds_conflicts_and_leaves_no_trace(
    location: MysqlLocation, database: SqlServerDatabase
) -> None:
    make_conflict(database)
    before = no_trace_on(location, database, "main")
    preview = database.preview_merge(branch="import/1")
    assert not preview.clean
    assert [(c.table, c.count) for c in preview.data_conflicts] == [("people", 1)]
    example = preview.data_conflicts[0].examples[0]
    assert example["base"]["name"] == "person 1"
    assert example["ours"]["name"] == "main one"
    assert example["theirs"]["name"] == "branch one"
    assert no_trace_on(location, database, "main") == before


def test_trial_merge_preview_matches_and_leaves_no_trace(
    location: MysqlLocation, database: SqlServerDatabase
) -> None:
    make_conflict(database)
    before = no_trace_on(location, database, "main")
    preview = database._preview_by_trial_merge(branch="import/1", into="main", examples=3)
    assert [(c.table, c.count) for c in preview.data_conflicts] == [("people", 1)]
    assert preview.data_conflicts[0].examples[0]["theirs"]["name"] == "branch one"
    assert no_trace_on(location, database, "main") == before


def test_merge_with_conflicts_raises_and_changes_nothing(
    location: MysqlLocation, database: SqlServerDatabase
) -> None:
    make_conflict(database)
    before = no_trace_on(location, database, "main")
    with pytest.raises(MergeConflict) as caught:
        database.merge(branch="import/1", message="merge import/1", author=ALICE)
    assert [(c.table, c.count) for c in caught.value.preview.data_conflicts] == [("people", 1)]
    assert no_trace_on(location, database, "main") == before


def test_clean_merge_then_up_to_date_then_revert(
    location: MysqlLocation, database: SqlServerDatabase
) -> None:
    make_import_branch(database)
    assert database.preview_merge(branch="import/1").clean
    before = database.branch(name="main").head

    merged = database.merge(branch="import/1", message="merge import/1", author=ALICE)

    main = database.branch(name="main")
    assert merged.hash == main.head and not merged.fast_forward and not merged.already_up_to_date
    assert (main.message, main.author) == ("merge import/1", ALICE.name)
    assert database.row_counts(ref="main") == {"people": 7, "pets": 4}
    again = database.merge(branch="import/1", message="again", author=ALICE)
    assert again.already_up_to_date and again.hash == merged.hash

    reverted = database.revert(commit=merged.hash, author=BOB)

    main = database.branch(name="main")
    assert reverted == main.head != merged.hash
    assert main.author == BOB.name
    assert database.row_counts(ref="main") == {"people": 5}
    assert database.diff_summary(branch="main", base=before).is_empty


def test_fast_forwardable_merge_still_makes_a_merge_commit(database: SqlServerDatabase) -> None:
    make_import_branch(database)
    branch_head = database.branch(name="import/1").head
    merged = database.merge(branch="import/1", message="no-ff", author=ALICE)
    assert merged.hash != branch_head and not merged.fast_forward


def test_gc_runs(database: SqlServerDatabase) -> None:
    seed_main(database)
    database.create_branch(name="scratch")
    database.delete_branch(name="scratch")
    database.gc()
    assert database.row_counts(ref="main") == {"people": 5}


# Dolt tests -----------------------------------------------------------------


def test_a_merge_gated_by_dolt_tests_is_refused_by_name_then_passes(
    database: SqlServerDatabase,
) -> None:
    from dolt.errors import TestsFailed
    from dolt.models import DoltTest

    seed_main(database)  # ages 21..25
    adults = DoltTest(
        name="import/1: people are adults",
        group="import/1",
        query="SELECT COUNT(*) FROM `people` WHERE `age` < 18",
    )
    database.create_branch(name="import/1")
    with database.write_session(branch="import/1") as session:
        session.write_tests([adults])
        session.insert_rows(table="people", columns=COLUMNS, rows=[(9, "Kid", 5)])
        session.commit(message="a child and a test", author=BOB)
    (result,) = database.run_tests(ref="import/1", selector="import/1")
    assert (result.name, result.status) == (adults.name, "FAIL")
    main = database.branch(name="main").head
    with pytest.raises(TestsFailed, match="people are adults"):
        database.merge(branch="import/1", message="merge", author=ALICE, tests="*")
    assert database.branch(name="main").head == main
    assert database.run_tests(ref="main") == []
    with database.write_session(branch="import/1") as session:
        session.insert_rows(
            table="people", columns=COLUMNS, rows=[(9, "Adult", 40)], mode=WriteMode.UPSERT
        )
        session.commit(message="a grown-up", author=BOB)
    merged = database.merge(branch="import/1", message="merge", author=ALICE, tests="*")
    assert database.branch(name="main").head == merged.hash != main
    assert [r.name for r in database.run_tests(ref="main")] == [adults.name]
