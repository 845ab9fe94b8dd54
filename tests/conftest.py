"""Shared fixtures. doltlite is loaded first, before anything can import sqlite3 (trap 1)."""

from dolt.embedded.loader import load_sqlite3

load_sqlite3()

import pytest  # noqa: E402

from tests.fakes.network_guard import install_network_guard, no_outside_network  # noqa: E402, F401

install_network_guard()  # no model (or anything else) beyond 127.0.0.1 during tests

from dolt.models import Author  # noqa: E402

REQUESTER = Author(name="Ada Lovelace", email="ada@example.com")
MERGER = Author(name="Grace Hopper", email="grace@example.com")


@pytest.fixture
def doltlite_server(tmp_path):
    from dolt import open_server

    with open_server(f"doltlite://{tmp_path / 'databases'}") as server:
        yield server


@pytest.fixture
def families(doltlite_server):
    """A fresh doltlite database `families` with a `people` table committed on main."""
    database = doltlite_server.create_database(name="families")
    with database.write_session(branch="main") as session:
        session.execute_ddl(
            sql="CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(80) NOT NULL, age INT)"
        )
        session.insert_rows(
            table="people",
            columns=["id", "name", "age"],
            rows=[(i, f"person {i}", 18 + i % 60) for i in range(1, 11)],
        )
        session.commit(message="people on main", author=REQUESTER)
    yield database
    database.close()
