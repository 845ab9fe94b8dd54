"""Conflict preview, merge, undo and gc on real doltlite files."""

import pytest

from dolt.errors import MergeConflict
from tests.conftest import MERGER, REQUESTER

COLUMNS = ["id", "name", "age"]


def write(database, branch, rows, *, ddl=None, message="change"):
    with database.write_session(branch=branch) as session:
        if ddl:
            session.execute_ddl(sql=ddl)
        if rows:
            session.insert_rows(table="people", columns=COLUMNS, rows=rows, mode="upsert")
        return session.commit(message=message, author=REQUESTER)


def state(database):
    """Everything a preview must leave as it was."""
    return (
        [(b.name, b.head) for b in database.list_branches()],
        database.row_counts(),
        database._main.execute("SELECT * FROM dolt_status").fetchall(),
        database._main.execute("SELECT is_merging FROM dolt_merge_status").fetchall(),
    )


@pytest.fixture
def conflicting(families):
    """Two imports that change person 5 differently, the first already merged."""
    for branch, name in (("import/a", "Alice"), ("import/b", "Bob")):
        families.create_branch(name=branch)
        write(families, branch, [(5, name, 30), (100 if branch.endswith("a") else 200, name, 1)])
    families.merge(branch="import/a", message="merge a", author=MERGER)
    return families


def test_preview_names_the_conflicting_rows_and_leaves_no_trace(conflicting):
    before = state(conflicting)
    preview = conflicting.preview_merge(branch="import/b")
    assert state(conflicting) == before
    assert not preview.clean
    (conflict,) = preview.data_conflicts
    assert (conflict.table, conflict.count) == ("people", 1)
    (example,) = conflict.examples
    assert example["base"]["name"] == "person 5"
    assert example["ours"]["name"] == "Alice" and example["theirs"]["name"] == "Bob"


def test_a_clean_preview_does_not_merge(families):
    families.create_branch(name="import/c")
    write(families, "import/c", [(77, "new", 1)])
    before = state(families)
    assert families.preview_merge(branch="import/c").clean
    assert state(families) == before


def test_a_conflicted_merge_raises_with_the_preview_and_changes_nothing(conflicting):
    before = state(conflicting)
    with pytest.raises(MergeConflict) as raised:
        conflicting.merge(branch="import/b", message="merge b", author=MERGER)
    assert raised.value.preview.data_conflicts[0].table == "people"
    assert "Nothing was changed" in str(raised.value)
    assert state(conflicting) == before


def test_same_table_created_differently_on_two_branches_is_previewed(families):
    for branch, ddl in (
        ("import/x", "CREATE TABLE pets (id INT PRIMARY KEY, kind TEXT)"),
        ("import/y", "CREATE TABLE pets (id INT PRIMARY KEY, legs INT)"),
    ):
        families.create_branch(name=branch)
        write(families, branch, [], ddl=ddl)
    families.merge(branch="import/x", message="x", author=MERGER)
    before = state(families)
    preview = families.preview_merge(branch="import/y")
    (schema_conflict,) = preview.schema_conflicts
    assert schema_conflict.table == "pets"
    assert "added on both branches" in schema_conflict.description
    assert state(families) == before


def test_merge_is_no_ff_authored_and_can_be_undone(families):
    main_before = families.branch(name="main").head
    families.create_branch(name="import/m")
    branch_head = write(families, "import/m", [(300, "merged", 40)])
    result = families.merge(branch="import/m", message="Merge import/m", author=MERGER)
    assert not result.fast_forward and not result.already_up_to_date
    assert result.hash not in (main_before, branch_head)
    main = families.branch(name="main")
    assert (main.head, main.message, main.author) == (result.hash, "Merge import/m", "Grace Hopper")
    assert families.row_counts() == {"people": 11}

    again = families.merge(branch="import/m", message="again", author=MERGER)
    assert again.already_up_to_date and again.hash == result.hash

    undo = families.revert(commit=result.hash, author=MERGER)
    assert families.branch(name="main").head == undo
    assert families.row_counts() == {"people": 10}


def test_discard_deletes_the_branch_and_gc_reclaims_space(families):
    families.create_branch(name="import/big")
    with families.write_session(branch="import/big") as session:
        session.insert_rows(
            table="people",
            columns=COLUMNS,
            rows=((i, "x" * 200, 1) for i in range(1000, 41_000)),
        )
        session.commit(message="big", author=REQUESTER)
    families.delete_branch(name="import/big")
    size_before = families.path.stat().st_size
    families.gc()
    assert families.path.stat().st_size < size_before / 2
    assert families.row_counts() == {"people": 10}


def test_a_merge_that_would_orphan_rows_is_previewed_as_constraint_violations(families):
    with families.write_session(branch="main") as session:
        session.execute_ddl(
            sql="CREATE TABLE pets (id INT PRIMARY KEY, owner_id INT, "
            "FOREIGN KEY (owner_id) REFERENCES people (id))"
        )
        session.commit(message="pets", author=REQUESTER)
    families.create_branch(name="import/remove-7")
    families.create_branch(name="import/pet-of-7")
    with families.write_session(branch="import/remove-7") as session:
        with session.transaction():
            session._connection.execute("DELETE FROM people WHERE id = 7")
        session.commit(message="remove 7", author=REQUESTER)
    with families.write_session(branch="import/pet-of-7") as session:
        session.insert_rows(table="pets", columns=["id", "owner_id"], rows=[(1, 7)])
        session.commit(message="a pet for 7", author=REQUESTER)
    families.merge(branch="import/remove-7", message="remove", author=MERGER)
    before = state(families)
    preview = families.preview_merge(branch="import/pet-of-7")
    assert [(v.table, v.count) for v in preview.constraint_violations] == [("pets", 1)]
    assert not preview.data_conflicts and not preview.clean
    with pytest.raises(MergeConflict):
        families.merge(branch="import/pet-of-7", message="pet", author=MERGER)
    assert state(families) == before


def test_commits_lists_mains_newest_commits_first_with_their_messages(families):
    families.create_branch(name="import/l")
    write(families, "import/l", [(61, "log", 1)], message="the import")
    merged = families.merge(branch="import/l", message="merge l", author=MERGER)
    commits = families.commits(ref="main", limit=3)
    assert commits[0] == (merged.hash, "merge l")
    assert [message for _, message in commits] == ["merge l", "the import", "people on main"]
    assert len(families.commits(ref="main", limit=1)) == 1
