"""Databases and branches on real doltlite files."""

import pytest

from dolt import open_server
from dolt.errors import (
    BranchExists,
    BranchNotFound,
    DatabaseExists,
    DatabaseNotFound,
    DoltError,
    InvalidName,
    InvalidUrl,
    NotADoltDatabase,
    PolicyViolation,
    TableNotFound,
)
from tests.conftest import REQUESTER


def test_a_new_database_is_a_file_with_an_initial_commit_on_main(doltlite_server):
    database = doltlite_server.create_database(name="sales")
    assert (doltlite_server.directory / "sales.db").is_file()
    (main,) = database.list_branches()
    assert main.name == "main" and len(main.head) == 40
    assert database.list_tables() == []
    assert doltlite_server.list_databases() == ["sales"]


def test_databases_are_created_on_demand_only_when_asked(doltlite_server):
    with pytest.raises(DatabaseNotFound, match="no database 'crm'"):
        doltlite_server.database(name="crm")
    assert doltlite_server.database(name="crm", create=True).name == "crm"
    with pytest.raises(DatabaseExists):
        doltlite_server.create_database(name="crm")


@pytest.mark.parametrize("name", ["../escape", "a/b", "x.db", "", "main@import"])
def test_database_names_cannot_escape_the_directory(doltlite_server, name):
    with pytest.raises(InvalidName):
        doltlite_server.database(name=name, create=True)
    assert not any(doltlite_server.directory.parent.glob("*.db"))


def test_a_directory_with_an_at_sign_is_refused(tmp_path):
    with pytest.raises(InvalidUrl, match="branch separator"):
        open_server(f"doltlite://{tmp_path}/a@b")


def test_a_foreign_sqlite_file_is_not_used_as_a_dolt_database(doltlite_server):
    doltlite_server.directory.mkdir(parents=True, exist_ok=True)
    (doltlite_server.directory / "legacy.db").write_bytes(b"SQLite format 3\x00" + b"\x00" * 84)
    with pytest.raises(NotADoltDatabase):
        doltlite_server.database(name="legacy")


def test_tables_schemas_and_counts_in_mysql_dialect(families):
    assert families.list_tables() == ["people"]
    (create,) = families.create_statements().values()
    assert create.startswith("CREATE TABLE `people`")
    assert "`name` VARCHAR(80) NOT NULL" in create
    assert families.row_counts() == {"people": 10}


def test_branch_lifecycle(families):
    info = families.create_branch(name="import/1")
    assert info.name == "import/1"
    assert info.head == families.branch(name="main").head
    assert info.message == "people on main" and info.author == REQUESTER.name
    assert [b.name for b in families.list_branches()] == ["import/1", "main"]
    with pytest.raises(BranchExists):
        families.create_branch(name="import/1")
    families.delete_branch(name="import/1")
    assert [b.name for b in families.list_branches()] == ["main"]
    with pytest.raises(BranchNotFound):
        families.delete_branch(name="import/1")


def test_branch_from_a_missing_ref_and_bad_names(families):
    with pytest.raises(BranchNotFound):
        families.create_branch(name="import/2", start="nope")
    with pytest.raises(InvalidName):
        families.create_branch(name="../../main")
    with pytest.raises(BranchNotFound):
        families.write_session(branch="never-made")


def test_main_is_protected(families):
    with pytest.raises(DoltError, match="protected"):
        families.delete_branch(name="main")


def test_a_session_cannot_write_to_a_commit(families):
    head = families.branch(name="main").head
    with pytest.raises(DoltError, match="not a branch"):
        families.write_session(branch=head)


def test_count_rows_with_a_checked_predicate(families):
    assert families.count_rows(table="people") == 10
    assert families.count_rows(table="people", where="age >= 21") == 8  # ages 19..28
    assert families.count_rows(table="people", where="name LIKE 'person 1%'") == 2
    with pytest.raises(PolicyViolation):
        families.count_rows(table="people", where="1 = 1; DROP TABLE people")
    with pytest.raises(PolicyViolation):
        families.count_rows(table="people", where="load_extension('x') IS NULL")
    with pytest.raises(TableNotFound):
        families.count_rows(table="nobody")


def test_foreign_key_violations_count_orphans(families):
    families.create_branch(name="b")
    with families.write_session(branch="b") as session:
        session.execute_ddl(
            sql="CREATE TABLE pets (id INT PRIMARY KEY, owner_id INT, "
            "FOREIGN KEY (owner_id) REFERENCES people (id))"
        )
        session._connection.execute("PRAGMA foreign_keys = OFF")
        session.insert_rows(table="pets", columns=["id", "owner_id"], rows=[(1, 1), (2, 99)])
        session.commit(message="pets", author=REQUESTER)
    assert families.foreign_key_violations(table="pets", ref="b") == 1
    assert families.foreign_key_violations(table="people", ref="b") == 0


def test_column_values_stream_one_column(families):
    assert sorted(families.column_values(table="people", column="id")) == list(range(1, 11))
