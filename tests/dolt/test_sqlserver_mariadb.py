"""The sql-server backend's plain-MySQL-protocol parts, against the real MariaDB on 127.0.0.1:3306.

Dolt's revision databases ``db/branch`` are played by MariaDB databases of that literal name.
The Dolt-only calls (DOLT_COMMIT, DOLT_DIFF, merges, ...) are in ``test_sqlserver_dolt.py``.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field

import mysql.connector
import pytest
from mysql.connector import errors as mysql_errors

from dolt.errors import (
    BranchExists,
    BranchNotFound,
    Busy,
    ConnectionLost,
    ConstraintViolation,
    DatabaseExists,
    DatabaseNotFound,
    DoltError,
    InvalidName,
    PolicyViolation,
    SqlError,
    TableNotFound,
)
from dolt.models import RowChange, RowChangeType, TableChange, WriteMode
from dolt.sql.dialect import canonical_mysql
from dolt.sqlserver.errors import map_mysql_error
from dolt.sqlserver.review import conflict_example, read_diff_summary, row_change
from dolt.sqlserver.server import SqlServer, SqlServerDatabase
from dolt.urls import MysqlLocation

pytestmark = pytest.mark.mariadb

# fixtures -------------------------------------------------------------------

MARIADB = MysqlLocation(host="127.0.0.1", port=3306, user="root", password="")


def mariadb_available() -> str | None:
    """None when MariaDB answers, else why it does not."""
    try:
        connection = mysql.connector.connect(
            host=MARIADB.host,
            port=MARIADB.port,
            user=MARIADB.user,
            password=MARIADB.password,
            connection_timeout=3,
        )
    except mysql.connector.Error as exc:
        return f"MariaDB is not reachable at {MARIADB}: {exc}"
    connection.close()
    return None


@dataclass
class Scratch:
    """Throw-away databases on the MariaDB server, dropped when the test ends."""

    admin: mysql.connector.MySQLConnection
    created: list[str] = field(default_factory=list)

    def new_name(self) -> str:
        return f"ib_{secrets.token_hex(4)}"

    def create(self, name: str) -> str:
        self.created.append(name)
        self.run(f"CREATE DATABASE `{name}`")
        return name

    def run(self, sql: str, params: tuple = (), *, database: str | None = None) -> list[tuple]:
        cursor = self.admin.cursor()
        try:
            if database is not None:
                cursor.execute(f"USE `{database}`")
            cursor.execute(sql, params)
            return list(cursor.fetchall()) if cursor.with_rows else []
        finally:
            cursor.close()

    def drop_all(self) -> None:
        for name in self.created:
            self.run(f"DROP DATABASE IF EXISTS `{name}`")


@dataclass(frozen=True)
class Branches:
    """A database `name` with stand-ins for its branches ``main`` and ``import/1``."""

    server: SqlServer
    database: SqlServerDatabase
    name: str
    scratch: Scratch

    @property
    def main(self) -> str:
        return f"{self.name}/main"

    @property
    def work(self) -> str:
        return f"{self.name}/import/1"


@pytest.fixture(scope="module")
def mariadb() -> MysqlLocation:
    reason = mariadb_available()
    if reason:
        pytest.skip(reason)
    return MARIADB


@pytest.fixture
def scratch(mariadb: MysqlLocation) -> Iterator[Scratch]:
    admin = mysql.connector.connect(
        host=mariadb.host,
        port=mariadb.port,
        user=mariadb.user,
        password=mariadb.password,
        autocommit=True,
    )
    scratch = Scratch(admin=admin)
    try:
        yield scratch
    finally:
        scratch.drop_all()
        admin.close()


@pytest.fixture
def server(mariadb: MysqlLocation) -> Iterator[SqlServer]:
    with SqlServer(mariadb) as server:
        yield server


@pytest.fixture
def branches(server: SqlServer, scratch: Scratch) -> Branches:
    name = scratch.create(scratch.new_name())
    scratch.create(f"{name}/main")
    scratch.create(f"{name}/import/1")
    return Branches(server=server, database=server.database(name=name), name=name, scratch=scratch)


SECRET = "hunter2-not-in-messages"
PEOPLE = "CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL, age INT)"


def session_status(session, name: str) -> int:
    """A counter of the write session's own connection (``SHOW SESSION STATUS``)."""
    rows = session._connection.tuples("SHOW SESSION STATUS LIKE %s", (name,))
    return int(rows[0][1])


def people_rows(count: int, *, start: int = 0) -> list[tuple]:
    return [(i, f"person {i}", 20 + i % 50) for i in range(start, start + count)]


# connecting and error mapping -----------------------------------------------


def test_wrong_port_is_connection_lost_without_the_password(mariadb: MysqlLocation) -> None:
    location = MysqlLocation(host="127.0.0.1", port=1, user="root", password=SECRET)
    server = SqlServer(location, connect_timeout=3)
    with pytest.raises(ConnectionLost) as caught:
        server.list_databases()
    assert caught.value.retryable
    assert SECRET not in str(caught.value)
    assert SECRET not in server.url
    assert "mysql://root@127.0.0.1:1" in str(caught.value)


def test_refused_login_never_shows_the_password(mariadb: MysqlLocation) -> None:
    location = MysqlLocation(host="127.0.0.1", port=3306, user="nobody_ib", password=SECRET)
    with pytest.raises(SqlError) as caught:
        SqlServer(location).list_databases()
    assert SECRET not in str(caught.value)
    assert "denied" in str(caught.value).lower()


def test_unknown_database_is_database_not_found(server: SqlServer, scratch: Scratch) -> None:
    with pytest.raises(DatabaseNotFound):
        server.database(name=scratch.new_name())
    name = scratch.create(scratch.new_name())
    database = server.database(name=name)
    scratch.run(f"DROP DATABASE `{name}`")
    with pytest.raises(DatabaseNotFound, match=name):
        database.list_tables(ref="main")


def test_missing_revision_database_is_branch_not_found(branches: Branches) -> None:
    with pytest.raises(BranchNotFound, match="no-such-branch"):
        branches.database.write_session(branch="no-such-branch")
    with pytest.raises(BranchNotFound):
        branches.database.list_tables(ref="no-such-branch")


@pytest.mark.parametrize(
    ("errno", "message", "expected", "retryable"),
    [
        (1213, "Deadlock found when trying to get lock", Busy, True),
        (1205, "Lock wait timeout exceeded", Busy, True),
        (1105, "serialization failure: this transaction conflicts", Busy, True),
        (2003, "Can't connect to MySQL server", ConnectionLost, True),
        (2006, "MySQL server has gone away", ConnectionLost, True),
        (2013, "Lost connection to MySQL server during query", ConnectionLost, True),
        (2055, "Lost connection to MySQL server at '127.0.0.1:3306'", ConnectionLost, True),
        (1049, "Unknown database 'x'", DatabaseNotFound, False),
        (1007, "Can't create database 'x'; database exists", DatabaseExists, False),
        (1146, "Table 'x.t' doesn't exist", TableNotFound, False),
        (1105, "table not found: t", TableNotFound, False),
        (1062, "Duplicate entry '1' for key 'PRIMARY'", ConstraintViolation, False),
        (1452, "Cannot add or update a child row", ConstraintViolation, False),
        (1048, "Column 'name' cannot be null", ConstraintViolation, False),
        (4025, "CONSTRAINT `c` failed for `t`", ConstraintViolation, False),
        (3819, 'Check constraint "c" violated', ConstraintViolation, False),
        (1105, "fatal: A branch named 'import/1' already exists.", BranchExists, False),
        (1105, "branch not found", BranchNotFound, False),
        (1064, "You have an error in your SQL syntax", SqlError, False),
        (1050, "Table 'branch_names' already exists", SqlError, False),
    ],
)
def test_errors_map_by_errno_and_dolt_wording(
    errno: int, message: str, expected: type[DoltError], retryable: bool
) -> None:
    error = mysql_errors.DatabaseError(msg=message, errno=errno)
    mapped = map_mysql_error(error, context="mysql://root@db:3306")
    assert type(mapped) is expected
    assert mapped.retryable is retryable
    assert message in str(mapped) and "mysql://root@db:3306" in str(mapped)


def test_lost_connection_object_maps_to_connection_lost() -> None:
    error = mysql_errors.OperationalError(msg="MySQL Connection not available.")
    assert isinstance(map_mysql_error(error, context="x"), ConnectionLost)


# databases ------------------------------------------------------------------


def test_list_databases_hides_system_and_revision_names(branches: Branches) -> None:
    names = branches.server.list_databases()
    assert branches.name in names
    assert branches.main not in names and branches.work not in names
    assert not {"mysql", "information_schema", "performance_schema", "sys"} & set(names)


def test_create_database_then_exists(server: SqlServer, scratch: Scratch) -> None:
    name = scratch.new_name()
    scratch.created.append(name)
    database = server.create_database(name=name)
    assert database.name == name and name in server.list_databases()
    with pytest.raises(DatabaseExists):
        server.create_database(name=name)
    assert server.database(name=name, create=True).name == name


def test_database_create_flag_creates_a_missing_database(
    server: SqlServer, scratch: Scratch
) -> None:
    name = scratch.new_name()
    scratch.created.append(name)
    server.database(name=name, create=True)
    assert name in server.list_databases()


def test_drop_database_removes_it_and_is_quiet_when_it_is_gone(
    server: SqlServer, scratch: Scratch
) -> None:
    name = scratch.create(scratch.new_name())
    scratch.run("CREATE TABLE t (id INT PRIMARY KEY)", database=name)
    server.drop_database(name=name)
    assert name not in server.list_databases()
    server.drop_database(name=name)  # IF EXISTS: no error the second time
    with pytest.raises(InvalidName):
        server.drop_database(name="x`; DROP DATABASE mysql; --")


def with_branch_table(branches: Branches, *names: str) -> None:
    """Dolt's `dolt_branches` played by a table of that name listing `names`."""
    branches.scratch.run(
        "CREATE TABLE dolt_branches (name VARCHAR(200) PRIMARY KEY, hash VARCHAR(40), "
        "latest_committer TEXT, latest_committer_email TEXT, latest_commit_date DATETIME, "
        "latest_commit_message TEXT)",
        database=branches.name,
    )
    for name in names:
        branches.scratch.run(
            "INSERT INTO dolt_branches (name, hash) VALUES (%s, %s)",
            (name, "0" * 32),
            database=branches.name,
        )


def test_drop_if_untouched_keeps_a_database_holding_a_table(branches: Branches) -> None:
    branches.scratch.run(PEOPLE, database=branches.main)
    with_branch_table(branches, "main")
    assert branches.server.drop_if_untouched(name=branches.name) is False
    assert branches.name in branches.server.list_databases()
    assert branches.database.list_tables(ref="main") == ["people"]


def test_drop_if_untouched_keeps_a_database_with_another_branch(branches: Branches) -> None:
    with_branch_table(branches, "import/1", "main")
    assert branches.server.drop_if_untouched(name=branches.name) is False
    assert branches.name in branches.server.list_databases()


def test_drop_if_untouched_drops_an_empty_database(branches: Branches) -> None:
    with_branch_table(branches, "main")
    assert branches.server.drop_if_untouched(name=branches.name) is True
    assert branches.name not in branches.server.list_databases()
    assert branches.server.drop_if_untouched(name=branches.name) is False  # gone: nothing to do


# reading schemas ------------------------------------------------------------


def test_create_statements_are_canonical_mysql(branches: Branches) -> None:
    scratch = branches.scratch
    scratch.run(
        "CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL) "
        "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
        database=branches.main,
    )
    scratch.run("CREATE VIEW adults AS SELECT * FROM people", database=branches.main)
    raw = scratch.run("SHOW CREATE TABLE people", database=branches.main)[0][1]

    statements = branches.database.create_statements(ref="main")

    assert statements == {"people": canonical_mysql(raw)}
    assert "ENGINE" not in statements["people"].upper()
    assert "`people`" in statements["people"]
    assert branches.database.list_tables(ref="main") == ["people"]  # the view is not a table
    assert branches.database.list_tables(ref="import/1") == []


def test_row_counts_per_table(branches: Branches) -> None:
    branches.scratch.run(PEOPLE, database=branches.main)
    branches.scratch.run("CREATE TABLE empty_one (id INT PRIMARY KEY)", database=branches.main)
    branches.scratch.run(
        "INSERT INTO people VALUES (1, 'a', 30), (2, 'b', 40)", database=branches.main
    )
    assert branches.database.row_counts(ref="main") == {"empty_one": 0, "people": 2}


def test_count_rows_with_a_checked_predicate(branches: Branches) -> None:
    branches.scratch.run(PEOPLE, database=branches.main)
    branches.scratch.run(
        "INSERT INTO people VALUES (1, 'a', 17), (2, 'b', 21), (3, 'c', 40)",
        database=branches.main,
    )
    database = branches.database
    assert database.count_rows(table="people", ref="main") == 3
    assert database.count_rows(table="people", ref="main", where="NOT (age >= 21)") == 1
    with pytest.raises(PolicyViolation):
        database.count_rows(table="people", ref="main", where="1 = 1; DROP TABLE people")
    with pytest.raises(PolicyViolation):
        database.count_rows(table="people", ref="main", where="salary > 3")


def test_read_rows_with_a_checked_predicate_and_a_limit(branches: Branches) -> None:
    branches.scratch.run(PEOPLE, database=branches.main)
    branches.scratch.run(
        "INSERT INTO people VALUES (1, 'a', 17), (2, 'b', 21), (3, 'c', 40), (4, 'd', 65)",
        database=branches.main,
    )
    database = branches.database
    adults = database.read_rows(table="people", ref="main", where="age >= 21", limit=10)
    assert sorted(row["id"] for row in adults) == [2, 3, 4]
    assert set(adults[0]) == {"id", "name", "age"}
    assert len(database.read_rows(table="people", ref="main", where="age >= 21", limit=2)) == 2
    assert len(database.read_rows(table="people", ref="main")) == 4


def test_read_rows_sends_the_predicates_values_as_parameters(branches: Branches) -> None:
    branches.scratch.run(PEOPLE, database=branches.main)
    tricky = ["O'Brien", "50%s off", "Zoë -- 100%", "x'); DROP TABLE people; --"]
    branches.scratch.run(
        "INSERT INTO people VALUES (1, %s, 1), (2, %s, 2), (3, %s, 3), (4, %s, 4)",
        tuple(tricky),
        database=branches.main,
    )
    for value in tricky:
        literal = "'" + value.replace("'", "''") + "'"
        (row,) = branches.database.read_rows(table="people", ref="main", where=f"name = {literal}")
        assert row["name"] == value
    assert branches.database.list_tables(ref="main") == ["people"]


@pytest.mark.parametrize(
    "hostile",
    [
        "1 = 1; DROP TABLE people",
        "salary > 3",
        "id IN (SELECT id FROM other)",
        "sleep(5) = 0",
        "1 = 1 UNION SELECT id, name, age FROM people",
        "1 = 1 LIMIT 100000",
        "1 = 1 ORDER BY age",
    ],
)
def test_read_rows_refuses_a_hostile_predicate(branches: Branches, hostile: str) -> None:
    branches.scratch.run(PEOPLE, database=branches.main)
    branches.scratch.run("CREATE TABLE other (id INT PRIMARY KEY)", database=branches.main)
    branches.scratch.run("INSERT INTO people VALUES (1, 'a', 30)", database=branches.main)
    with pytest.raises(PolicyViolation):
        branches.database.read_rows(table="people", ref="main", where=hostile)
    with pytest.raises(PolicyViolation):
        branches.database.count_rows(table="people", ref="main", where=hostile)
    assert branches.database.row_counts(ref="main") == {"other": 0, "people": 1}


def test_read_rows_of_a_missing_table_is_table_not_found(branches: Branches) -> None:
    with pytest.raises(TableNotFound):
        branches.database.read_rows(table="nowhere", ref="main")


def test_column_values_stream_one_column(branches: Branches) -> None:
    branches.scratch.run(PEOPLE, database=branches.main)
    branches.scratch.run(
        "INSERT INTO people VALUES (1, 'a', 30), (2, 'b', 40)", database=branches.main
    )
    assert sorted(branches.database.column_values(table="people", column="id", ref="main")) == [
        1,
        2,
    ]


def test_foreign_key_violations_count_orphans(branches: Branches) -> None:
    branches.scratch.run(PEOPLE, database=branches.main)
    branches.scratch.run(
        "CREATE TABLE pets (id INT PRIMARY KEY, owner_id INT, "
        "FOREIGN KEY (owner_id) REFERENCES people (id))",
        database=branches.main,
    )
    branches.scratch.run("INSERT INTO people VALUES (1, 'a', 30)", database=branches.main)
    branches.scratch.run("SET SESSION foreign_key_checks = 0", database=branches.main)
    branches.scratch.run(
        "INSERT INTO pets VALUES (1, 1), (2, 9), (3, NULL)", database=branches.main
    )
    branches.scratch.run("SET SESSION foreign_key_checks = 1", database=branches.main)
    assert branches.database.foreign_key_violations(table="pets", ref="main") == 1
    assert branches.database.foreign_key_violations(table="people", ref="main") == 0


# write sessions -------------------------------------------------------------


def test_write_session_is_pinned_to_the_revision_database(branches: Branches) -> None:
    with branches.database.write_session(branch="import/1") as session:
        assert session.branch == "import/1"
        assert session._connection.scalar("SELECT DATABASE()") == branches.work


def test_execute_ddl_runs_checked_mysql(branches: Branches) -> None:
    with branches.database.write_session(branch="import/1") as session:
        session.execute_ddl(sql=PEOPLE + " ENGINE=InnoDB")
        session.execute_ddl(sql="ALTER TABLE people ADD COLUMN email VARCHAR(80)")
        assert session.tables() == ["people"]
        assert session.primary_key(table="people") == ["id"]
    assert branches.database.list_tables(ref="import/1") == ["people"]
    assert "`email`" in branches.database.create_statements(ref="import/1")["people"]
    assert branches.database.list_tables(ref="main") == []


@pytest.mark.parametrize(
    "sql",
    [
        "DROP TABLE keep_me",
        "CREATE TABLE other (id INT PRIMARY KEY); DROP TABLE keep_me",
    ],
)
def test_policy_rejections_never_reach_the_server(branches: Branches, sql: str) -> None:
    branches.scratch.run("CREATE TABLE keep_me (id INT PRIMARY KEY)", database=branches.work)
    with branches.database.write_session(branch="import/1") as session:
        statements_before = session_status(session, "Questions")
        with pytest.raises(PolicyViolation):
            session.execute_ddl(sql=sql)
        statements = session_status(session, "Questions") - statements_before
        # Only the look at the branch's tables (SHOW FULL TABLES) and this count reached it.
        assert statements == 2
        assert session_status(session, "Com_drop_table") == 0
        assert session_status(session, "Com_create_table") == 0
    assert branches.database.list_tables(ref="import/1") == ["keep_me"]


def test_batched_insert_sends_multi_row_statements(branches: Branches) -> None:
    branches.scratch.run(PEOPLE, database=branches.work)
    rows = people_rows(50_000)
    progress: list[int] = []
    with branches.database.write_session(branch="import/1") as session:
        inserts_before = session_status(session, "Com_insert")
        result = session.insert_rows(
            table="people",
            columns=["id", "name", "age"],
            rows=iter(rows),
            batch_rows=10_000,
            on_progress=progress.append,
        )
        inserts = session_status(session, "Com_insert") - inserts_before
        assert session.row_count(table="people") == 50_000
    assert result.inserted == 50_000 and result.rejected == ()
    assert inserts == 5  # one multi-row INSERT per batch, not one per row
    assert progress == [10_000, 20_000, 30_000, 40_000, 50_000]
    assert branches.database.row_counts(ref="import/1") == {"people": 50_000}


def test_upsert_updates_existing_keys_and_inserts_new_ones(branches: Branches) -> None:
    branches.scratch.run(PEOPLE, database=branches.work)
    branches.scratch.run(
        "INSERT INTO people VALUES (1, 'old one', 10), (2, 'old two', 20)",
        database=branches.work,
    )
    with branches.database.write_session(branch="import/1") as session:
        result = session.insert_rows(
            table="people",
            columns=["id", "name", "age"],
            rows=[(2, "new two", 22), (3, "new three", 33)],
            mode=WriteMode.UPSERT,
        )
        assert session.row_count(table="people") == 3
    assert result.inserted == 2
    rows = branches.scratch.run("SELECT * FROM people ORDER BY id", database=branches.work)
    assert rows == [(1, "old one", 10), (2, "new two", 22), (3, "new three", 33)]


def test_upsert_needs_a_primary_key(branches: Branches) -> None:
    branches.scratch.run("CREATE TABLE loose (a INT, b INT)", database=branches.work)
    with (
        branches.database.write_session(branch="import/1") as session,
        pytest.raises(SqlError, match="primary key"),
    ):
        session.insert_rows(table="loose", columns=["a", "b"], rows=[(1, 2)], mode="upsert")


def test_replace_deletes_every_row_first(branches: Branches) -> None:
    branches.scratch.run(PEOPLE, database=branches.work)
    branches.scratch.run(
        "INSERT INTO people VALUES (1, 'a', 1), (2, 'b', 2), (3, 'c', 3)", database=branches.work
    )
    with branches.database.write_session(branch="import/1") as session:
        result = session.insert_rows(
            table="people",
            columns=["id", "name", "age"],
            rows=[(3, "c again", 30), (4, "d", 40)],
            mode=WriteMode.REPLACE,
        )
        assert session.row_count(table="people") == 2
    assert result.inserted == 2
    rows = branches.scratch.run("SELECT id, name FROM people ORDER BY id", database=branches.work)
    assert rows == [(3, "c again"), (4, "d")]


def test_collect_rejects_keeps_only_the_bad_rows_out(branches: Branches) -> None:
    branches.scratch.run(PEOPLE, database=branches.work)
    branches.scratch.run("INSERT INTO people VALUES (7, 'already here', 1)", database=branches.work)
    rows = people_rows(25)  # ids 0..24: id 7 exists already
    rows[12] = (12, None, 5)  # NOT NULL
    rows[18] = (18, "not a number", "eighteen")  # strict mode refuses the value
    rows[21] = (3, "duplicate of row 3 in this load", 9)
    progress: list[int] = []
    with branches.database.write_session(branch="import/1") as session:
        result = session.insert_rows(
            table="people",
            columns=["id", "name", "age"],
            rows=rows,
            batch_rows=10,
            collect_rejects=True,
            on_progress=progress.append,
        )
        assert session.row_count(table="people") == 1 + 25 - 4
    assert [r.index for r in result.rejected] == [7, 12, 18, 21]
    assert result.inserted == 21
    assert result.rejected[0].row == (7, "person 7", 27)
    assert "Duplicate entry" in result.rejected[0].reason
    assert "cannot be null" in result.rejected[1].reason
    assert progress == [10, 20, 25]
    assert branches.scratch.run("SELECT name FROM people WHERE id = 7", database=branches.work) == [
        ("already here",)
    ]


def test_tagged_rows_stream_into_the_callers_transaction_without_their_tag(
    branches: Branches,
) -> None:
    branches.scratch.run(PEOPLE, database=branches.work)
    rows = [(100 + i, *row) for i, row in enumerate(people_rows(6))]  # (record, id, name, age)
    rows[4] = (104, 1, "duplicate of row 1", 4)
    with branches.database.write_session(branch="import/1") as session:
        with session.transaction():
            result = session.write_rows(
                table="people",
                columns=["id", "name", "age"],
                rows=rows,
                collect_rejects=True,
                tagged=True,
            )
        assert session.row_count(table="people") == 5
    assert [(r.index, r.row) for r in result.rejected] == [(4, (1, "duplicate of row 1", 4))]
    stored = branches.scratch.run("SELECT id, name FROM people ORDER BY id", database=branches.work)
    assert stored[:2] == [(0, "person 0"), (1, "person 1")]


def test_wrong_number_of_values_is_rejected_by_position(branches: Branches) -> None:
    branches.scratch.run(PEOPLE, database=branches.work)
    rows = [(1, "a", 1), (2, "b"), (3, "c", 3)]
    with branches.database.write_session(branch="import/1") as session:
        result = session.insert_rows(
            table="people", columns=["id", "name", "age"], rows=rows, collect_rejects=True
        )
        with pytest.raises(ConstraintViolation, match="expected 3 values"):
            session.insert_rows(table="people", columns=["id", "name", "age"], rows=rows)
    assert result.inserted == 2
    assert [(r.index, r.reason) for r in result.rejected] == [(1, "expected 3 values, got 2")]


def test_refused_row_without_collecting_rolls_the_whole_insert_back(branches: Branches) -> None:
    branches.scratch.run(PEOPLE, database=branches.work)
    rows = [*people_rows(30), (5, "duplicate", 1)]
    with branches.database.write_session(branch="import/1") as session:
        with pytest.raises(ConstraintViolation, match=r"rows 21–31"):
            session.insert_rows(
                table="people", columns=["id", "name", "age"], rows=rows, batch_rows=20
            )
        assert session.row_count(table="people") == 0


def test_unknown_table_is_not_retried_row_by_row(branches: Branches) -> None:
    with (
        branches.database.write_session(branch="import/1") as session,
        pytest.raises(TableNotFound),
    ):
        session.insert_rows(table="nowhere", columns=["id"], rows=[(1,)], collect_rejects=True)


def test_transaction_rolls_back_on_exception(branches: Branches) -> None:
    branches.scratch.run(PEOPLE, database=branches.work)
    columns = ["id", "name", "age"]
    with branches.database.write_session(branch="import/1") as session:
        with pytest.raises(RuntimeError), session.transaction():
            session.insert_rows(table="people", columns=columns, rows=people_rows(5))
            assert session.row_count(table="people") == 5  # the session sees its own writes
            raise RuntimeError("boom")
        assert session.row_count(table="people") == 0

        with session.transaction():
            session.insert_rows(table="people", columns=columns, rows=people_rows(3))
            with pytest.raises(ConstraintViolation), session.transaction():
                session.insert_rows(table="people", columns=columns, rows=people_rows(2, start=10))
                session.insert_rows(table="people", columns=columns, rows=people_rows(1))
        assert session.row_count(table="people") == 3  # the inner level alone was undone
    assert branches.database.row_counts(ref="import/1") == {"people": 3}


def test_uncommitted_transaction_is_rolled_back_on_close(branches: Branches) -> None:
    branches.scratch.run(PEOPLE, database=branches.work)
    session = branches.database.write_session(branch="import/1")
    context = session.transaction()
    context.__enter__()
    session.insert_rows(table="people", columns=["id", "name", "age"], rows=people_rows(4))
    session.close()
    assert branches.database.row_counts(ref="import/1") == {"people": 0}


def test_delete_all_rows_returns_the_count(branches: Branches) -> None:
    branches.scratch.run(PEOPLE, database=branches.work)
    with branches.database.write_session(branch="import/1") as session:
        session.insert_rows(table="people", columns=["id", "name", "age"], rows=people_rows(12))
        assert session.delete_all_rows(table="people") == 12
        assert session.row_count(table="people") == 0


def test_names_are_validated_and_quoted(branches: Branches) -> None:
    branches.scratch.run(
        "CREATE TABLE `odd table` (`the key` INT PRIMARY KEY, `sélect` TEXT)",
        database=branches.work,
    )
    with branches.database.write_session(branch="import/1") as session:
        result = session.insert_rows(
            table="odd table", columns=["the key", "sélect"], rows=[(1, "it's; DROP TABLE x")]
        )
        assert result.inserted == 1
        assert session.row_count(table="odd table") == 1
        with pytest.raises(DoltError):
            session.insert_rows(table="dolt_branches", columns=["name"], rows=[("x",)])
        with pytest.raises(SqlError, match="%"):
            session.insert_rows(table="odd table", columns=["the key", "50%s"], rows=[(2, "x")])


# Dolt's result rows, read without a server ------------------------------------
# The rows below are the examples of Dolt's documentation (DOLT_DIFF_SUMMARY, DOLT_DIFF_STAT,
# DOLT_SCHEMA_DIFF, dolt_conflicts_<t>); a Dolt sql-server is the network edge we cannot reach.

INVENTORY_BEFORE = (
    "CREATE TABLE `inventory` (\n  `pk` int NOT NULL,\n  `name` varchar(50),\n"
    "  `quantity` int,\n  PRIMARY KEY (`pk`)\n"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_bin;"
)
INVENTORY_AFTER = INVENTORY_BEFORE.replace(
    "`quantity` int,", "`quantity` int,\n  `color` varchar(10),"
)
ITEMS = (
    "CREATE TABLE `items` (\n  `name` varchar(50)\n"
    ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_bin;"
)
EMPLOYEES = INVENTORY_BEFORE.replace("inventory", "employees")


class DocumentedAnswers:
    """Answers a Dolt sql-server gives to the review queries, from Dolt's documentation."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    def rows(self, sql: str, params: tuple = ()) -> list[dict]:
        self.queries.append(sql)
        nulls = dict.fromkeys(("rows_modified", "old_row_count", "new_row_count"))
        answers = {
            "DOLT_DIFF_SUMMARY": [
                summary_row("inventory", "inventory", "modified", 1, 1),
                summary_row("", "items", "added", 1, 1),
                summary_row("employees", "", "dropped", 1, 1),
                summary_row("dolt_schemas", "dolt_schemas", "modified", 1, 0),
            ],
            "DOLT_DIFF_STAT": [
                stat_row("inventory", 1, 1, 0, old_row_count=2, new_row_count=3),
                {"table_name": "items", "rows_added": 2, "rows_deleted": 0, **nulls},
                stat_row("employees", 0, 0, 3, old_row_count=3, new_row_count=0),
            ],
            "DOLT_SCHEMA_DIFF": [
                schema_row("inventory", "inventory", INVENTORY_BEFORE, INVENTORY_AFTER),
                schema_row("", "items", "", ITEMS),
                schema_row("employees", "", EMPLOYEES, ""),
            ],
        }
        return next(rows for word, rows in answers.items() if f"FROM {word}(" in sql)

    def scalar(self, sql: str, params: tuple = ()) -> int:
        self.queries.append(sql)
        assert sql == "SELECT COUNT(*) FROM `items`"  # keyless: Dolt leaves the counts NULL
        return 2


def summary_row(old: str, new: str, kind: str, data: int, schema: int) -> dict:
    return {
        "from_table_name": old,
        "to_table_name": new,
        "diff_type": kind,
        "data_change": data,
        "schema_change": schema,
    }


def stat_row(name: str, added: int, modified: int, deleted: int, **counts: int) -> dict:
    return {
        "table_name": name,
        "rows_added": added,
        "rows_modified": modified,
        "rows_deleted": deleted,
        **counts,
    }


def schema_row(old: str, new: str, before: str, after: str) -> dict:
    return {
        "from_table_name": old,
        "to_table_name": new,
        "from_create_statement": before,
        "to_create_statement": after,
    }


def test_diff_summary_from_documented_rows() -> None:
    answers = DocumentedAnswers()
    summary = read_diff_summary(answers, base="main", branch="import/1")  # type: ignore[arg-type]

    assert [t.name for t in summary.tables] == ["employees", "inventory", "items"]
    inventory, items = summary.table("inventory"), summary.table("items")
    assert (inventory.change, inventory.schema_changed, inventory.data_changed) == (
        TableChange.MODIFIED,
        True,
        True,
    )
    assert (inventory.rows_added, inventory.rows_modified, inventory.rows_deleted) == (1, 1, 0)
    assert (inventory.old_row_count, inventory.new_row_count) == (2, 3)
    assert inventory.schema_before == canonical_mysql(INVENTORY_BEFORE)
    assert inventory.schema_after == canonical_mysql(INVENTORY_AFTER)
    assert (items.change, items.rows_added, items.old_row_count, items.new_row_count) == (
        TableChange.ADDED,
        2,
        0,
        2,
    )
    assert items.schema_before is None and items.schema_after == canonical_mysql(ITEMS)
    employees = summary.table("employees")
    assert (employees.change, employees.rows_deleted, employees.old_row_count) == (
        TableChange.DROPPED,
        3,
        3,
    )
    assert employees.schema_after is None and "ENGINE" not in (employees.schema_before or "")


def test_diff_row_becomes_a_row_change_with_plain_names() -> None:
    meta = {"to_commit": "WORKING", "from_commit": "abc", "to_commit_date": None}
    modified = row_change(
        {"to_pk": 1, "to_name": "shirt", "from_pk": 1, "from_name": "tee", "diff_type": "modified"}
        | meta
    )
    added = row_change(
        {"to_pk": 4, "to_name": "hat", "from_pk": None, "from_name": None}
        | meta
        | {"diff_type": "added"}
    )
    removed = row_change(
        {"to_pk": None, "to_name": None, "from_pk": 2, "from_name": "shoes"}
        | meta
        | {"diff_type": "removed"}
    )
    assert modified == RowChange(
        RowChangeType.MODIFIED, {"pk": 1, "name": "tee"}, {"pk": 1, "name": "shirt"}
    )
    assert added == RowChange(RowChangeType.ADDED, None, {"pk": 4, "name": "hat"})
    assert removed == RowChange(RowChangeType.REMOVED, {"pk": 2, "name": "shoes"}, None)


def test_conflict_row_becomes_base_ours_theirs() -> None:
    row = {
        "from_root_ish": "abc",
        "base_id": None,
        "base_first_name": None,
        "our_id": 3,
        "our_first_name": "Bart",
        "our_diff_type": "added",
        "their_id": 3,
        "their_first_name": "Lisa",
        "their_diff_type": "added",
        "dolt_conflict_id": "hWDLmYufTrm+eVjFSVzPWw",
    }
    assert conflict_example(row) == {
        "base": None,
        "ours": {"id": 3, "first_name": "Bart"},
        "theirs": {"id": 3, "first_name": "Lisa"},
    }
    deleted = row | {"base_id": 3, "base_first_name": "Bart", "their_diff_type": "removed"}
    assert conflict_example(deleted)["theirs"] is None


# Dolt tests: MariaDB has none -------------------------------------------------


def test_mariadb_has_no_dolt_tests_and_the_review_says_so(branches: Branches) -> None:
    from agents.execution.review import TESTS_UNAVAILABLE, branch_tests
    from dolt.errors import TestsUnavailable
    from dolt.models import DoltTest

    with pytest.raises(TestsUnavailable, match="not available on this server"):
        branches.database.run_tests(ref="import/1")
    with (
        branches.database.write_session(branch="import/1") as session,
        pytest.raises(TestsUnavailable),
    ):
        session.write_tests([DoltTest(name="t", group="g", query="SELECT 0")])
    found = branch_tests(branches.database, branch="import/1")
    assert (found.tests, found.failing, found.note) == ([], [], TESTS_UNAVAILABLE)
    assert TESTS_UNAVAILABLE == "Dolt tests: not available on this server"
