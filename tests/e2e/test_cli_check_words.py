"""Checks in words from the terminal: `importbot import "... and check that ..."` writes them as
Dolt tests on the import's branch; a check that cannot be one stops before anything is loaded."""

import json
import sqlite3

from dolt import open_server
from tests.e2e.test_cli_import import importbot, workspace  # noqa: F401  (the fixture)


def test_checks_in_words_are_dolt_tests_on_the_branch(workspace):  # noqa: F811
    text = (
        "Import examples/families into database fam, create tables as needed, and check that "
        "there are at least 50 people. Also check that every marriage's people exist"
    )
    out = json.loads(
        importbot("import", text, "--yes", "--json", "--db", "doltlite:dbs", cwd=workspace).stdout
    )
    assert out["status"] == "awaiting_review"
    branch = out["branch"]
    with sqlite3.connect(f"{workspace / 'dbs' / 'fam.db'}@{branch}") as connection:
        rows = connection.execute(
            "SELECT test_name, test_group, assertion_comparator, assertion_value FROM dolt_tests"
            " WHERE test_name LIKE 'check: %' ORDER BY test_name"
        ).fetchall()
    assert rows == [
        ("check: every marriage's people exist", branch, "==", "0"),
        ("check: there are at least 50 people", branch, ">=", "50"),
    ]
    with open_server(f"doltlite://{workspace / 'dbs'}") as server:
        results = server.database(name="fam").run_tests(ref=branch, selector=branch)
    assert {r.name: r.passed for r in results if r.name.startswith("check: ")} == {
        "check: every marriage's people exist": True,
        "check: there are at least 50 people": True,
    }


def test_a_check_naming_no_column_stops_before_the_load(workspace):  # noqa: F811
    text = "Import examples/families into database fam and check that agee is never negative"
    result = importbot("import", text, "--yes", "--db", "doltlite:dbs", cwd=workspace, check=False)
    said = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0
    assert "check: agee is never negative" in said  # the understanding shows the check
    assert 'No table has a column "agee". Did you mean age?' in said
    assert "Traceback" not in said
    assert not (workspace / "dbs" / "fam.db").exists()  # the database it created is gone


def test_a_check_only_a_model_can_read_is_refused_without_one(workspace):  # noqa: F811
    text = "Import examples/families into database fam and check that the weather is nice"
    result = importbot(
        "import",
        text,
        "--yes",
        "--db",
        "doltlite:dbs",
        cwd=workspace,
        check=False,
        env={"IMPORTBOT_LLM": "off"},
    )
    said = " ".join((result.stdout + result.stderr).split())
    assert result.returncode != 0
    assert 'I cannot read the check "the weather is nice" without a model' in said
    assert "there are at least 50 people" in said and "Traceback" not in said
