"""Refining a loaded branch from the terminal (issue 14, point 5): each change is loaded again
as one new commit on the same branch; each review shows the change since the previous
revision; `importbot log` lists the revisions; merge brings exactly the last one to main."""

import json
import shutil

import pytest

from dolt import open_server
from tests.e2e.test_cli_import import REPO, importbot

REQUEST = "Import all CSV files in examples/families into fam. Create tables as needed."
LEDGER = "importbot_imports"


@pytest.fixture
def workspace(tmp_path):
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    return tmp_path


def _run(*args, cwd):
    db = () if args[0] == "log" else ("--db", "doltlite:dbs")
    return json.loads(importbot(*args, *db, cwd=cwd).stdout)


def _since(out):
    return {t["name"]: (t["rows_added"], t["rows_deleted"]) for t in out["since_previous"]}


def _fam(workspace):
    server = open_server(f"doltlite://{workspace / 'dbs'}")
    return server, server.database(name="fam")


def test_two_changes_make_two_revisions_on_one_branch_and_merge_brings_the_last(workspace):
    first = _run("import", REQUEST, "--yes", "--json", cwd=workspace)
    job, branch = first["job"], first["branch"]
    assert first["revision"] == 1 and first["since_previous"] == []

    # a filter: the plan is made again; 11 people under 21 go, and the rows naming them
    second = _run("change", job, "only rows where age >= 21", "--yes", "--json", cwd=workspace)
    assert second["status"] == "awaiting_review" and second["branch"] == branch
    assert second["revision"] == 2
    assert _since(second) == {"people": (0, 11), "birthdays": (0, 11), "parents": (0, 11)}
    assert {t["name"]: t["rows_added"] for t in second["tables"]}["people"] == 39

    # a schema change: no foreign keys, so the rows naming those people are loaded again
    third = _run("change", job, "no foreign keys", "--yes", "--json", cwd=workspace)
    assert third["revision"] == 3
    since = {t["name"]: t for t in third["since_previous"]}
    assert (since["birthdays"]["rows_added"], since["parents"]["rows_added"]) == (11, 11)
    assert since["birthdays"]["schema_change"] and "people" not in since
    against_main = {t["name"]: t["rows_added"] for t in third["tables"]}
    assert against_main == {"people": 39, "birthdays": 50, "marriages": 21, "parents": 44}

    log = _run("log", job, "--json", cwd=workspace)
    assert [(r["revision"], r["change"]) for r in log["revisions"]] == [
        (1, ""),
        (2, "only rows where age >= 21"),
        (3, "no foreign keys"),
    ]
    assert log["revisions"][2]["tables"]["birthdays"]["added"] == 50
    shown = importbot("log", job, cwd=workspace).stdout
    assert "only rows where age >= 21" in shown and log["revisions"][1]["commit"][:12] in shown

    server, fam = _fam(workspace)
    with server:
        messages = [m.splitlines()[0] for _, m in fam.commits(ref=branch)]
        data = [m for m in messages if not m.startswith("Record import")]
        assert data[:3] == [
            "Revision 3: no foreign keys",
            "Revision 2: only rows where age >= 21",
            f"Import {job}: {REQUEST}"[:71] + "…",
        ]
        assert [c for c, _ in fam.commits(ref=branch)][1] == log["revisions"][2]["commit"]
        ledger = fam.read_rows(table=LEDGER, ref=branch)
        assert len(ledger) == 4  # this revision's records only
        assert {r["data_commit"] for r in ledger} == {log["revisions"][2]["commit"]}
        assert {r["target_table"]: r["rows_loaded"] for r in ledger}["people"] == 39

    printed = importbot(
        "change", job, "only rows where age >= 30", "--yes", "--db", "doltlite:dbs", cwd=workspace
    )
    assert "Revision 4: only rows where age >= 30" in printed.stdout
    assert "Since revision 3:" in printed.stdout

    importbot("merge", job, "--db", "doltlite:dbs", cwd=workspace)
    server, fam = _fam(workspace)
    with server:
        assert fam.count_rows(table="people") == fam.count_rows(table="people", where="age >= 30")
        assert fam.row_counts()["birthdays"] == 50  # no foreign keys: every row kept
        assert "FOREIGN KEY" not in fam.create_statements()["birthdays"]
        (recorded,) = {r["data_commit"] for r in fam.read_rows(table=LEDGER)}
        assert recorded == _run("log", job, "--json", cwd=workspace)["revisions"][3]["commit"]


def test_a_change_the_grammar_cannot_read_is_refused_and_the_branch_stays(workspace):
    first = _run("import", REQUEST, "--yes", "--json", cwd=workspace)
    refused = importbot(
        "change", first["job"], "make it nicer", "--yes", "--db", "doltlite:dbs",
        cwd=workspace, check=False,
    )  # fmt: skip
    assert refused.returncode != 0
    assert "language model" in " ".join((refused.stdout + refused.stderr).split())
    log = _run("log", first["job"], "--json", cwd=workspace)
    assert len(log["revisions"]) == 1
