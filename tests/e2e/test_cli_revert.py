"""Undo after merge (issue 14, point 6), as a person meets it in a terminal: `importbot revert`
makes a new job whose branch reverts the import's merge, shown for review; main changes only
when that is merged, and then the import's rows — and its ledger records — are gone."""

import json
import re
import sqlite3

import pytest

from dolt import open_server
from tests.e2e import test_cli_import
from tests.e2e.test_cli_import import importbot

FAMILIES = (
    'Import all CSV files in examples/families into the database: "fam". Create tables as needed.'
)
ROWS = {"people": 50, "birthdays": 50, "marriages": 21, "parents": 44}
LEDGER = "importbot_imports"
workspace = test_cli_import.workspace  # the fixture: examples/ copied into tmp_path


def _run(*args, cwd, check=True):
    return importbot(*args, "--db", "doltlite:dbs", cwd=cwd, check=check)


def _json(result):
    return json.loads(result.stdout)


def _words(result):
    return " ".join((result.stdout + result.stderr).split())


def _imported(workspace, text=FAMILIES):
    return _json(_run("import", text, "--yes", "--json", cwd=workspace))


def _merged(workspace, text=FAMILIES):
    job = _imported(workspace, text)["job"]
    _run("merge", job, cwd=workspace)
    return job


def _main(workspace):
    """main of `fam`: its head, its tables' row counts, and the ledger's jobs."""
    with open_server(f"doltlite://{workspace / 'dbs'}") as server:
        fam = server.database(name="fam")
        try:
            counts = fam.row_counts()
            ledger = (
                sorted({r["job_id"] for r in fam.read_rows(table=LEDGER)})
                if LEDGER in counts
                else []
            )
            branches = sorted(b.name for b in fam.list_branches())
            return fam.branch(name="main").head, counts, ledger, branches
        finally:
            fam.close()


def test_a_revert_is_reviewed_then_merged_and_the_rows_are_gone_from_main(workspace):
    job = _merged(workspace)
    head, counts, ledger, _ = _main(workspace)
    assert {t: counts[t] for t in ROWS} == ROWS and ledger == [job]

    shown = _run("revert", job, cwd=workspace)
    said = _words(shown)
    revert = re.search(r"importbot merge (\S+)`", said)[1]  # the new job, reviewed like any
    assert revert != job
    assert f"Reverting import {job} as job {revert}" in said
    assert f"Review: import/{revert}" in said or f"import/{revert}" in said
    assert f"people: revert of import {job} — merging deletes the 50 rows it added" in said
    assert f"`importbot merge {revert}` or `importbot discard {revert}`" in said
    after_review = _main(workspace)
    assert after_review[:3] == (head, counts, ledger)  # main unchanged until the merge
    assert f"import/{revert}" in after_review[3]

    diff = _json(_run("diff", revert, "--json", cwd=workspace))
    deleted = {t["name"]: t["rows_deleted"] for t in diff["tables"]}
    assert deleted == ROWS and all(t["rows_added"] == 0 for t in diff["tables"])
    shown = _json(importbot("show", revert, "--json", cwd=workspace))
    assert shown["reverts"] == job and shown["text"] == f"Revert import {job}"
    assert shown["status"] == "awaiting_review"

    _run("merge", revert, cwd=workspace)
    head_after, counts_after, ledger_after, branches = _main(workspace)
    assert head_after != head and branches == ["main"]
    assert not set(ROWS) & set(counts_after)  # the tables the import created are gone
    assert ledger_after == []  # its records went with it

    again = _imported(workspace)  # the same files are no longer "already imported"
    assert again["status"] == "awaiting_review" and again["stopped_because"] is None
    assert {t["name"]: t["rows_added"] for t in again["tables"]} == ROWS

    twice = _run("revert", job, cwd=workspace, check=False)
    assert twice.returncode == 1
    assert f"Job {job} was already reverted by job {revert}" in _words(twice)
    unmerged = _run("revert", again["job"], cwd=workspace, check=False)
    assert unmerged.returncode == 1
    assert f"Job {again['job']} was not merged; nothing to revert." in _words(unmerged)
    assert "Traceback" not in _words(twice) + _words(unmerged)


def test_reverting_one_import_keeps_the_others_and_their_ledger_records(workspace):
    first = _merged(workspace, 'Import examples/families/people.csv into the database: "fam".')
    second = _merged(workspace, 'Import examples/families/birthdays.csv into the database: "fam".')
    out = _json(_run("revert", second, "--yes", "--json", cwd=workspace))
    assert out["status"] == "merged" and out["reverts"] == second
    _, counts, ledger, _ = _main(workspace)
    assert counts["people"] == 50 and "birthdays" not in counts
    assert ledger == [first]
    people = _json(
        _run(
            "import",
            'Import examples/families/people.csv into "fam".',
            "--yes",
            "--json",
            cwd=workspace,
        )
    )
    assert people["status"] == "cancelled" and "already imported" in people["stopped_because"]
    birthdays = _imported(workspace, 'Import examples/families/birthdays.csv into "fam".')
    assert birthdays["status"] == "awaiting_review"


def test_a_revert_whose_rows_main_changed_since_is_refused_and_main_is_untouched(workspace):
    job = _merged(workspace)
    with sqlite3.connect(workspace / "dbs" / "fam.db") as connection:  # someone edits main
        connection.execute("UPDATE people SET age = age + 1 WHERE id = 1")
        connection.commit()
        connection.execute("SELECT dolt_commit('-Am', 'birthday')")
    before = _main(workspace)

    refused = _run("revert", job, cwd=workspace, check=False)
    said = _words(refused)
    assert refused.returncode == 1
    assert f"Import {job} cannot be reverted: main changed people since it was merged" in said
    assert "Nothing was changed on main." in said
    assert "Traceback" not in said and "dbs/" not in said
    assert _main(workspace) == before  # no branch left, main as it was

    with sqlite3.connect(workspace / "dbs" / "fam.db") as connection:  # undone by hand ...
        connection.execute("UPDATE people SET age = age - 1 WHERE id = 1")
        connection.commit()
        connection.execute("SELECT dolt_commit('-Am', 'undo birthday')")
    out = _json(_run("revert", job, "--json", cwd=workspace))  # ... the failed revert is no claim
    assert out["status"] == "awaiting_review" and out["reverts"] == job
    assert out["branch"] == f"import/{out['job']}" and out["job"] != job


@pytest.mark.parametrize("missing", ["20260101-nosuchjob0"])
def test_reverting_an_unknown_job_says_so(workspace, missing):
    result = _run("revert", missing, cwd=workspace, check=False)
    assert result.returncode == 1 and f"There is no job {missing!r}" in _words(result)
