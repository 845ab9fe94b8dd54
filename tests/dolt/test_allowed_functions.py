"""Every function the SQL policy allows runs on every engine: DuckDB (plans), doltlite and
MariaDB standing in for Dolt sql-server (checks and a person's ``where``), each through the
translation the product uses (`dolt.sql.dialect.query_sql`). The calls are in
fixtures/functions/calls.sql, with the text every engine must return where it is fixed."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import mysql.connector
import pytest
import sqlglot
from sqlglot import exp

from dolt.embedded.connect import connect
from dolt.errors import UnavailableFunction
from dolt.sql import policy
from dolt.sql.dialect import query_sql
from dolt.sql.policy import ALLOWED_FUNCTIONS, check_select
from dolt.sqlserver.errors import map_mysql_error
from tests.conftest import REQUESTER
from tests.dolt.test_sqlserver_mariadb import MARIADB, mariadb_available

CALLS_FILE = Path(__file__).parent / "fixtures" / "functions" / "calls.sql"
COLUMNS = ("n", "s", "d", "ts", "j")
TABLE = "CREATE TABLE t (n INT, s VARCHAR(20), d DATE, ts DATETIME, j VARCHAR(40))"
ROW = (7, "Hello", "2024-01-31", "2024-01-31 10:20:30", '{"a": 1}')
_LINE = re.compile(r"^(?P<call>.+?)(?:\s+-- =>\s?(?P<expected>.*))?$")

Run = Callable[[str], Any]


@dataclass(frozen=True)
class Call:
    sql: str
    expected: str | None  # None: the value differs by engine or by time (NOW, LAG)

    def query(self) -> exp.Query:
        """The call as a policy-checked query over t, its value as text."""
        return check_select(
            f"SELECT CAST({self.sql} AS CHAR) AS v FROM t", relations={"t": COLUMNS}
        )


def read_calls() -> list[Call]:
    lines = CALLS_FILE.read_text(encoding="utf-8").splitlines()
    matches = [_LINE.match(line.strip()) for line in lines if not line.startswith("--")]
    return [Call(m["call"], m["expected"]) for m in matches if m]


CALLS = read_calls()


def _text(value: Any) -> str | None:
    """An engine's text for a value: MySQL hands CAST(.. AS CHAR) back as bytes or str."""
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes | bytearray) else str(value)


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def check_call(call: Call, run: Run) -> None:
    """The call runs; its text is the expected one (numbers compared as numbers: 1 = 1.0)."""
    value = _text(run(call.query()))
    if call.expected is None:
        return
    expected_number = _number(call.expected)
    if expected_number is not None:
        assert _number(value) == expected_number, call.sql
    else:
        assert value == call.expected, call.sql


def test_every_allowed_function_has_a_call() -> None:
    called = {
        type(function)
        for call in CALLS
        for function in call.query().find_all(exp.Func)
        if type(function) in ALLOWED_FUNCTIONS
    }
    functions = {f for f in ALLOWED_FUNCTIONS if issubclass(f, exp.Func)}

    assert sorted(f.__name__ for f in functions - called) == []


# --- DuckDB -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def duck() -> Iterator[Run]:
    con = duckdb.connect()
    con.execute(TABLE.replace("DATETIME", "TIMESTAMP"))
    con.execute("INSERT INTO t VALUES (?, ?, ?, ?, ?)", ROW)

    def run(query: exp.Query) -> Any:
        (value,) = con.execute(query_sql(query, dialect="duckdb")).fetchone() or (None,)
        return value

    yield run
    con.close()


@pytest.mark.parametrize("call", CALLS, ids=lambda call: call.sql)
def test_call_runs_on_duckdb(call: Call, duck: Run) -> None:
    check_call(call, duck)


# --- doltlite ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def doltlite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    from dolt import open_server

    folder = tmp_path_factory.mktemp("databases")
    with open_server(f"doltlite://{folder}") as server:
        database = server.create_database(name="functions")
        with database.write_session(branch="main") as session:
            session.execute_ddl(sql=TABLE)
            session.insert_rows(table="t", columns=list(COLUMNS), rows=[ROW])
            session.commit(message="one row", author=REQUESTER)
        database.close()
    con = connect(folder / "functions.db")

    def run(query: exp.Query) -> Any:
        (value,) = con.execute(query_sql(query, dialect="sqlite")).fetchone() or (None,)
        return value

    yield run
    con.close()


@pytest.mark.parametrize("call", CALLS, ids=lambda call: call.sql)
def test_call_runs_on_doltlite(call: Call, doltlite: Run) -> None:
    check_call(call, doltlite)


# --- MariaDB (Dolt sql-server's MySQL dialect) --------------------------------------------------


@pytest.fixture(scope="module")
def mariadb() -> Iterator[Run]:
    reason = mariadb_available()
    if reason:
        pytest.skip(reason)
    con = mysql.connector.connect(
        host=MARIADB.host,
        port=MARIADB.port,
        user=MARIADB.user,
        password=MARIADB.password,
        autocommit=True,
    )
    name = f"ib_{secrets.token_hex(4)}"
    cursor = con.cursor()
    cursor.execute(f"CREATE DATABASE `{name}`")
    cursor.execute(f"USE `{name}`")
    cursor.execute(TABLE)
    cursor.execute("INSERT INTO t VALUES (%s, %s, %s, %s, %s)", ROW)

    def run(query: exp.Query) -> Any:
        cursor.execute(query_sql(query, dialect="mysql"))
        (value,) = cursor.fetchone() or (None,)
        return value

    try:
        yield run
    finally:
        cursor.execute(f"DROP DATABASE `{name}`")
        con.close()


@pytest.mark.mariadb
@pytest.mark.parametrize("call", CALLS, ids=lambda call: call.sql)
def test_call_runs_on_mariadb(call: Call, mariadb: Run) -> None:
    check_call(call, mariadb)


# --- a function an engine lacks is named ---------------------------------------------------------


def test_doltlite_names_a_function_it_lacks(families, monkeypatch) -> None:
    monkeypatch.setattr(policy, "ALLOWED_FUNCTIONS", ALLOWED_FUNCTIONS | {exp.Pad})
    with pytest.raises(UnavailableFunction) as missing:
        families.count_rows(table="people", where="LPAD(name, 3, 'x') = 'x'")

    assert missing.value.function == "LPAD"


@pytest.mark.mariadb
def test_mariadb_names_a_function_it_lacks(mariadb: Run) -> None:
    with pytest.raises(mysql.connector.Error) as raised:
        mariadb(sqlglot.parse_one("SELECT INITCAP(s) AS v FROM t", read="mysql"))

    error = map_mysql_error(raised.value, context="test")
    assert isinstance(error, UnavailableFunction) and error.function == "INITCAP"
