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


def test_a_failed_import_is_retried_then_cancelled_and_jobs_shows_stuck_ones(workspace):  # noqa: F811
    later = "import examples/families/later.csv into database later"
    failed = importbot(
        "import", later, "--yes", "--json", "--db", "doltlite:dbs", cwd=workspace, check=False
    )
    error = json.loads(failed.stdout)
    assert failed.returncode == 1 and error["status"] == "failed" and "later.csv" in error["error"]
    job = error["job"]

    (workspace / "examples" / "families" / "later.csv").write_text("id,name\n1,Ada\n2,Grace\n")
    retried = json.loads(
        importbot("retry", job, "--yes", "--json", "--db", "doltlite:dbs", cwd=workspace).stdout
    )
    assert (retried["job"], retried["status"]) == (job, "awaiting_review")
    assert [t["rows_added"] for t in retried["tables"]] == [2]

    cancelled = json.loads(
        importbot("cancel", job, "--json", "--db", "doltlite:dbs", cwd=workspace).stdout
    )
    assert cancelled["status"] == "discarded" and "discarding" in cancelled["message"]
    again = importbot("cancel", job, "--db", "doltlite:dbs", cwd=workspace)
    assert "already discarded" in again.stdout

    # a job whose terminal died while it ran: it owes a step nobody is doing
    record = workspace / ".importbot" / "jobs" / job / "job.json"
    data = json.loads(record.read_text())
    data.update(status="running", pending="execute", updated_at="2026-01-01T00:00:00Z")
    record.write_text(json.dumps(data))
    (listed,) = json.loads(importbot("jobs", "--json", cwd=workspace).stdout)
    assert listed["stuck"].startswith("loading the branch: not begun for")
    assert listed["stuck_seconds"] > 3600
    assert "not begun" in importbot("jobs", cwd=workspace).stdout


def test_cancel_from_another_terminal_stops_a_running_load_within_seconds(workspace):  # noqa: F811
    import os
    import subprocess
    import time

    from tests.e2e.test_cli_import import IMPORTBOT

    rows = 6_000_000
    with (workspace / "numbers.csv").open("w") as f:
        f.write("id,label\n")
        f.writelines(f"{i},row {i}\n" for i in range(rows))
    env = {**os.environ, "IMPORTBOT_AUTHOR": "Ada Lovelace <ada@example.com>"}
    running = subprocess.Popen(
        [
            *IMPORTBOT,
            "import",
            "import numbers.csv into database big",
            "--yes",
            "--db",
            "doltlite:dbs",
        ],
        cwd=workspace,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    jobs = workspace / ".importbot" / "jobs"
    deadline = time.monotonic() + 120
    job = None
    while time.monotonic() < deadline and job is None:
        for record in jobs.glob("*/job.json"):
            with_status = json.loads(record.read_text() or "{}")
            if with_status.get("status") == "running":
                job = with_status["id"]
        time.sleep(0.05)
    assert job is not None, running.communicate(timeout=60)
    said = importbot("cancel", job, "--json", "--db", "doltlite:dbs", cwd=workspace)
    cancelled = time.monotonic()
    assert json.loads(said.stdout)["status"] == "cancelled"
    out, err = running.communicate(timeout=60)
    assert time.monotonic() - cancelled < 5
    assert running.returncode == 130, (out[-2000:], err[-2000:])
    assert "stopped: nothing reached main; the branch was removed" in err
    branches = importbot("branches", "--json", "--db", "doltlite:dbs", cwd=workspace).stdout
    assert [b["name"] for b in json.loads(branches).get("big", [])] in ([], ["main"])
