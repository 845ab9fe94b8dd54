"""Writing on a branch through a pinned session; main never changes."""

import pytest

from dolt.errors import ConstraintViolation, PolicyViolation, SqlError
from dolt.models import RowChangeType, TableChange, WriteMode
from tests.conftest import REQUESTER

COLUMNS = ["id", "name", "age"]


def people(first, last):
    return [(i, f"person {i}", 18 + i % 60) for i in range(first, last + 1)]


def test_100k_rows_on_a_branch_leave_main_untouched(families):
    main_before = families.branch(name="main").head
    families.create_branch(name="import/1")
    progress = []
    with families.write_session(branch="import/1") as session:
        result = session.insert_rows(
            table="people",
            columns=COLUMNS,
            rows=iter(people(11, 100_010)),
            on_progress=progress.append,
        )
        commit = session.commit(message="import 1", author=REQUESTER)
    assert result.inserted == 100_000 and result.rejected == ()
    assert progress[-1] == 100_000 and len(progress) == 10
    assert families.branch(name="import/1").head == commit
    assert families.branch(name="main").head == main_before
    assert families.row_counts() == {"people": 10}
    assert families.row_counts(ref="import/1") == {"people": 100_010}

    summary = families.diff_summary(branch="import/1")
    table = summary.table("people")
    assert (table.change, table.rows_added, table.rows_modified, table.rows_deleted) == (
        TableChange.MODIFIED,
        100_000,
        0,
        0,
    )
    assert (table.old_row_count, table.new_row_count) == (10, 100_010)
    assert table.schema_changed is False and table.schema_before == table.schema_after

    samples = families.sample_rows(table="people", branch="import/1", limit=2)
    assert len(samples[RowChangeType.ADDED]) == 2
    assert samples[RowChangeType.MODIFIED] == samples[RowChangeType.REMOVED] == []
    first = samples[RowChangeType.ADDED][0]
    assert first.from_row is None and set(first.to_row) == set(COLUMNS)
    assert sum(1 for _ in families.diff_rows(table="people", branch="import/1")) == 100_000


def test_three_dot_review_ignores_what_main_did_meanwhile(families):
    families.create_branch(name="import/2")
    with families.write_session(branch="main") as session:
        session.insert_rows(table="people", columns=COLUMNS, rows=people(500, 504))
        session.commit(message="main moves on", author=REQUESTER)
    with families.write_session(branch="import/2") as session:
        session.insert_rows(table="people", columns=COLUMNS, rows=people(11, 13))
        session.commit(message="import 2", author=REQUESTER)
    (table,) = families.diff_summary(branch="import/2").tables
    assert (table.rows_added, table.rows_deleted, table.old_row_count) == (3, 0, 10)


def test_new_table_and_modified_and_deleted_rows_are_summarised(families):
    families.create_branch(name="import/3")
    with families.write_session(branch="import/3") as session:
        session.execute_ddl(
            sql="CREATE TABLE pets (id INT PRIMARY KEY, owner_id INT, kind ENUM('cat','dog'), "
            "FOREIGN KEY (owner_id) REFERENCES people(id))"
        )
        session.insert_rows(table="pets", columns=["id", "owner_id", "kind"], rows=[(1, 1, "cat")])
        session.insert_rows(
            table="people",
            columns=COLUMNS,
            rows=[(1, "renamed", 99), (2, "x", 1)],
            mode=WriteMode.UPSERT,
        )
        session.commit(message="pets", author=REQUESTER)
    with families.write_session(branch="import/3") as session:
        with session.transaction():
            session._connection.execute("DELETE FROM people WHERE id = 10")
        session.commit(message="drop person 10", author=REQUESTER)
    summary = families.diff_summary(branch="import/3")
    pets, people_diff = summary.table("pets"), summary.table("people")
    assert pets.change == TableChange.ADDED and pets.schema_before is None
    assert "ENUM('cat', 'dog')" in pets.schema_after
    assert (pets.rows_added, pets.new_row_count) == (1, 1)
    assert (people_diff.rows_modified, people_diff.rows_deleted) == (2, 1)
    modified = list(
        families.diff_rows(table="people", branch="import/3", diff_type=RowChangeType.MODIFIED)
    )
    assert {(m.from_row["name"], m.to_row["name"]) for m in modified} == {
        ("person 1", "renamed"),
        ("person 2", "x"),
    }


def test_upsert_updates_existing_keys_and_inserts_new_ones(families):
    families.create_branch(name="b")
    with families.write_session(branch="b") as session:
        result = session.insert_rows(
            table="people",
            columns=COLUMNS,
            rows=[(3, "three", 3), (11, "eleven", 11)],
            mode=WriteMode.UPSERT,
        )
        assert result.inserted == 2
        assert session.row_count(table="people") == 11
        name = session._connection.execute("SELECT name FROM people WHERE id = 3").fetchone()[0]
        assert name == "three"


def test_replace_mode_deletes_existing_rows_first(families):
    families.create_branch(name="b")
    with families.write_session(branch="b") as session:
        session.insert_rows(table="people", columns=COLUMNS, rows=people(100, 104), mode="replace")
        assert session.row_count(table="people") == 5


def test_append_of_an_existing_key_is_refused_and_nothing_is_written(families):
    families.create_branch(name="b")
    with families.write_session(branch="b") as session:
        with pytest.raises(ConstraintViolation, match="rows 1–3"):
            session.insert_rows(
                table="people", columns=COLUMNS, rows=[(50, "a", 1), (5, "dup", 1), (51, "b", 1)]
            )
        assert session.row_count(table="people") == 10
        assert session.commit(message="nothing", author=REQUESTER) is None


def test_rejected_rows_are_collected_with_their_position_and_reason(families):
    families.create_branch(name="b")
    rows = [*people(11, 1000), (5, "duplicate key", 1), *people(1001, 1500), (None, None, 3)]
    with families.write_session(branch="b") as session:
        result = session.insert_rows(
            table="people", columns=COLUMNS, rows=rows, batch_rows=256, collect_rejects=True
        )
        assert session.row_count(table="people") == 10 + 1490
    assert result.inserted == 1490
    assert [(r.index, r.row[0]) for r in result.rejected] == [(990, 5), (1491, None)]
    assert "UNIQUE" in result.rejected[0].reason or "PRIMARY" in result.rejected[0].reason.upper()
    assert "NOT NULL" in result.rejected[1].reason.upper()


def test_a_failed_transaction_rolls_back_everything(families):
    families.create_branch(name="b")
    with families.write_session(branch="b") as session:
        with pytest.raises(RuntimeError), session.transaction():
            session.insert_rows(table="people", columns=COLUMNS, rows=people(11, 20))
            with session.transaction():
                session.insert_rows(table="people", columns=COLUMNS, rows=people(21, 30))
            raise RuntimeError("boom")
        assert session.row_count(table="people") == 10


def test_ddl_passes_the_policy_before_it_reaches_the_database(families):
    families.create_branch(name="b")
    with families.write_session(branch="b") as session:
        for hostile in ("DROP TABLE people", "CREATE TABLE t (a INT); DROP TABLE people"):
            with pytest.raises(PolicyViolation):
                session.execute_ddl(sql=hostile)
        assert session.row_count(table="people") == 10


def test_upsert_needs_a_primary_key(families):
    families.create_branch(name="b")
    with families.write_session(branch="b") as session:
        session.execute_ddl(sql="CREATE TABLE notes (body TEXT)")
        with pytest.raises(SqlError, match="primary key"):
            session.insert_rows(table="notes", columns=["body"], rows=[("x",)], mode="upsert")


def test_commit_is_authored_and_reset_discards_work(families):
    families.create_branch(name="b")
    with families.write_session(branch="b") as session:
        base = session.head()
        session.insert_rows(table="people", columns=COLUMNS, rows=people(11, 12))
        commit = session.commit(message="two more", author=REQUESTER)
        info = families.branch(name="b")
        assert (info.head, info.author, info.author_email) == (
            commit,
            "Ada Lovelace",
            "ada@example.com",
        )
        session.insert_rows(table="people", columns=COLUMNS, rows=people(13, 14))
        session.reset_hard()
        assert session.row_count(table="people") == 12
        session.reset_hard(ref=base)
        assert session.row_count(table="people") == 10 and session.head() == base


def test_a_writer_waits_for_another_writers_lock_instead_of_failing(families):
    import threading
    import time

    from dolt.embedded.connect import connect

    families.create_branch(name="b1")
    families.create_branch(name="b2")
    holder = connect(families.path, ref="b1")
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO people VALUES (500, 'holder', 1)")
    released = threading.Event()

    def release_later():
        time.sleep(0.7)
        holder.execute("COMMIT")
        released.set()

    threading.Thread(target=release_later).start()
    started = time.monotonic()
    with families.write_session(branch="b2") as session:
        session.insert_rows(table="people", columns=COLUMNS, rows=people(11, 20))
        waited = time.monotonic() - started
        assert released.is_set() and waited >= 0.6
        assert session.row_count(table="people") == 20
    holder.close()


def test_reset_also_removes_tables_created_since_the_last_commit(families):
    families.create_branch(name="b")
    base = families.branch(name="b").head
    with families.write_session(branch="b") as session:
        session.execute_ddl(sql="CREATE TABLE half_done (id INT PRIMARY KEY)")
    with families.write_session(branch="b") as session:  # a new session, as after a crash
        session.reset_hard(ref=base)
        assert session.tables() == ["people"]


def test_integers_beyond_bigint_keep_every_digit(families):
    with families.write_session(branch="main") as session:
        session.execute_ddl(sql="CREATE TABLE big (id INT PRIMARY KEY, n DECIMAL(20,0))")
        session.insert_rows(
            table="big", columns=["id", "n"], rows=iter([(1, "18446744073709551615"), (2, "5")])
        )
        session.commit(message="big numbers", author=REQUESTER)
    families.create_branch(name="import/big")
    with families.write_session(branch="import/big") as session:
        session.insert_rows(
            table="big", columns=["id", "n"], rows=iter([(3, "-99999999999999999999")])
        )
        session.commit(message="more", author=REQUESTER)
    added = [c.to_row for c in families.diff_rows(table="big", branch="import/big")]
    assert added == [{"id": 3, "n": "-99999999999999999999"}]  # not -1e+20
    assert "`n` DECIMAL(20, 0)" in families.create_statements()["big"]


def test_modify_column_rebuilds_the_table_keeping_rows_indexes_and_references(families):
    with families.write_session(branch="main") as session:
        session.execute_ddl(sql="CREATE INDEX people_age ON people (age)")
        session.execute_ddl(
            sql="CREATE TABLE pets (id INT PRIMARY KEY, owner INT, "
            "FOREIGN KEY (owner) REFERENCES people (id))"
        )
        session.insert_rows(table="pets", columns=["id", "owner"], rows=[(1, 3), (2, 4)])
        session.commit(message="pets", author=REQUESTER)
    families.create_branch(name="import/9")
    with families.write_session(branch="import/9") as session:
        session.execute_ddl(sql="ALTER TABLE people MODIFY COLUMN name VARCHAR(200) NOT NULL")
        session.commit(message="wider names", author=REQUESTER)

    after = families.create_statements(ref="import/9")
    assert "`name` VARCHAR(200) NOT NULL" in after["people"]
    assert "KEY `people_age` (`age`)" in after["people"]
    assert "REFERENCES `people` (`id`)" in after["pets"]
    assert families.row_counts(ref="import/9") == {"people": 10, "pets": 2}
    assert families.foreign_key_violations(table="pets", ref="import/9") == 0
    assert "_rebuild_people" not in after
    families.merge(branch="import/9", message="merge", author=REQUESTER, into="main")
    assert "`name` VARCHAR(200) NOT NULL" in families.create_statements()["people"]
