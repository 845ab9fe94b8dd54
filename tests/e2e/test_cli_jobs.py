"""`importbot jobs`, `importbot show` and `importbot worker` as a person runs them."""

from __future__ import annotations

import json

from tests.e2e.test_cli_import import importbot, workspace  # noqa: F401  (the fixture)

REQUEST = "import examples/families/people.csv into database families where age >= 21"


def test_terminal_jobs_are_listed_and_shown_with_their_audit_log(workspace):  # noqa: F811
    out = json.loads(
        importbot(
            "import", REQUEST, "--yes", "--json", "--db", "doltlite:dbs", cwd=workspace
        ).stdout
    )
    listed = json.loads(importbot("jobs", "--json", cwd=workspace).stdout)
    assert [(j["job"], j["status"]) for j in listed] == [(out["job"], "awaiting_review")]
    assert json.loads(importbot("jobs", "--status", "merged", "--json", cwd=workspace).stdout) == []

    importbot("merge", out["job"], "--db", "doltlite:dbs", cwd=workspace)
    shown = json.loads(importbot("show", out["job"], "--json", cwd=workspace).stdout)
    assert shown["status"] == "merged" and shown["merge_commit"]
    moves = [entry["status_to"] for entry in shown["audit"] if entry["status_to"]]
    assert moves[0] == "awaiting_confirmation" and moves[-2:] == ["awaiting_review", "merged"]
    assert [v["version"] for v in shown["artifacts"]["schema"]] == [1]
    text = importbot("show", out["job"], cwd=workspace).stdout
    assert "Audit log" in text and "merged" in text


def test_jobs_refuses_an_unknown_status_and_show_an_unknown_job(workspace):  # noqa: F811
    wrong = importbot("jobs", "--status", "done", cwd=workspace, check=False)
    assert wrong.returncode == 2 and "awaiting_review" in wrong.stderr
    missing = importbot("show", "20990101-000000", cwd=workspace, check=False)
    assert missing.returncode == 1 and "no job" in missing.stderr.lower()


def test_a_doltlite_queue_gets_one_writer(workspace):  # noqa: F811
    refused = importbot(
        "worker", "--queues", "stages,doltlite.0", "--concurrency", "2", cwd=workspace, check=False
    )
    assert refused.returncode == 2 and "one writer" in refused.stderr
