"""Dolt's own commit verification around a gated merge on a Dolt sql-server: the merged tests'
groups are added to `dolt_commit_verification_groups` while the merge commits and taken out
after, leaving the operator's; a server without the variable is left alone (the bot's own
test run is the gate there).

No Dolt sql-server can run on these machines, so the server is a small stand-in that holds the
one GLOBAL variable and answers `SHOW GLOBAL VARIABLES` and `SET GLOBAL` the way Dolt does; the
same code path runs against the real server in tests/dolt/test_sqlserver_dolt.py when
IMPORTBOT_TEST_DOLT_URL is set.
"""

from __future__ import annotations

import pytest

from dolt.sqlserver.dolt_tests import VERIFICATION_VARIABLE, verified_by_dolt


class VariableServer:
    """Answers SHOW GLOBAL VARIABLES LIKE / SET GLOBAL for one variable (absent: None)."""

    def __init__(self, value: str | None) -> None:
        self.value = value
        self.seen: list[str] = []

    def tuples(self, sql: str, params=()) -> list[tuple]:
        assert sql == f"SHOW GLOBAL VARIABLES LIKE '{VERIFICATION_VARIABLE}'"
        return [] if self.value is None else [(VERIFICATION_VARIABLE, self.value)]

    def execute(self, sql: str, params=()) -> int:
        assert sql == f"SET GLOBAL {VERIFICATION_VARIABLE} = %s"
        (self.value,) = params
        self.seen.append(self.value)
        return 0


def test_the_import_groups_are_verified_while_the_merge_commits_and_the_operators_stay():
    server = VariableServer("nightly")
    with verified_by_dolt(server, {"import/j2", "import/j1"}):
        assert server.value == "nightly,import/j1,import/j2"
    assert server.value == "nightly"


def test_groups_already_verified_and_a_star_are_left_as_they_are():
    for value in ("*", "import/j1"):
        server = VariableServer(value)
        with verified_by_dolt(server, {"import/j1"}):
            pass
        assert server.seen == [] and server.value == value


def test_a_server_without_commit_verification_is_left_alone():
    server = VariableServer(None)
    with verified_by_dolt(server, {"import/j1"}):
        pass
    assert server.seen == []


def test_the_groups_come_out_again_when_the_commit_fails():
    server = VariableServer("")
    with pytest.raises(RuntimeError), verified_by_dolt(server, {"import/j1"}):
        assert server.value == "import/j1"
        raise RuntimeError("the commit was refused")
    assert server.value == ""
