"""One review for every surface (issue 14, points 1 and 2), on real doltlite: the verdict
first, the totals, a line per table with its schema change in short, the rows of main that
change before → after, and the commands that show the whole diff; the same review in Slack
fits on one screen, even for 60 tables."""

import csv
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from rich.console import Console

from agents.sources.resolve import SourcePolicy
from bot.slack.messages.actions import MERGE, ButtonRef
from bot.slack.messages.limits import text_length
from bot.slack.messages.review import render_review, render_review_details
from bot.terminal.port import TerminalPort
from dolt import open_server
from dolt.models import Author
from tests.bot.slack_messages.blockkit import assert_valid_message, elements, mrkdwn_text
from tests.e2e.test_cli_import import REPO, importbot
from workers import local_jobs

FAMILIES = "Import all CSV files in examples/families into database fam, create tables as needed"
AUTHOR = Author("Ada Lovelace", "ada@example.com")


@pytest.fixture
def workspace(tmp_path):
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    return tmp_path


def _json(*args, cwd):
    return json.loads(importbot(*args, "--db", "doltlite:dbs", "--json", cwd=cwd).stdout)


def _words(result) -> str:
    return " ".join(result.stdout.split())


def _changed_people(workspace: Path) -> Path:
    """people.csv with three names changed and one person more."""
    rows = list(csv.DictReader((workspace / "examples/families/people.csv").open()))
    for row in rows[:3]:
        row["name"] += " Jr."
    rows.append({**rows[0], "id": "999", "name": "Nova Neu"})
    path = workspace / "people-update.csv"
    with path.open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_the_json_and_the_terminal_say_the_verdict_totals_and_schema_in_short(workspace):
    out = _json("import", FAMILIES, "--yes", cwd=workspace)
    assert out["verdict"]["ready"] is True and out["verdict"]["headline"] == "Ready to merge"
    assert "merges cleanly into main" in out["verdict"]["reasons"]
    assert out["totals"] == {
        "added": 165,
        "modified": 0,
        "deleted": 0,
        "rejected": 0,
        "filtered": 0,
    }
    schema = {t["name"]: t["schema_summary"] for t in out["tables"]}
    assert schema["people"] == "new table, 3 columns, key id"
    assert schema["parents"] == "new table, 3 columns, key person_id, references people.id"
    shown = importbot("diff", out["job"], "--db", "doltlite:dbs", cwd=workspace)
    words = _words(shown)
    assert shown.stdout.lstrip().startswith("✓ Ready to merge")
    assert words.index("Ready to merge") < words.index("165 rows added") < words.index("people")
    assert "CREATE TABLE" not in shown.stdout
    assert f"importbot diff {out['job']} --table people --all" in words
    assert f"SELECT * FROM \"dolt_diff_people\"('main...import/{out['job']}')" in words


def test_an_upsert_shows_the_three_overwritten_rows_before_and_after_everywhere(workspace):
    first = _json("import", FAMILIES, "--yes", cwd=workspace)
    importbot("merge", first["job"], "--db", "doltlite:dbs", cwd=workspace)
    _changed_people(workspace)
    out = _json(
        "import", "import people-update.csv into fam.people mode upsert", "--yes", cwd=workspace
    )
    assert out["totals"]["added"] == 1 and out["totals"]["modified"] == 3
    assert out["destructive"] == [
        "people: upsert — merging overwrites 3 rows of main with the file's values"
    ]
    (people,) = out["tables"]
    assert people["schema_summary"] == "schema unchanged"
    words = _words(importbot("diff", out["job"], "--db", "doltlite:dbs", cwd=workspace))
    assert "1 row added, 3 modified, 0 deleted" in words
    assert "Frieda Neumann → Frieda Neumann Jr." in words
    # the same diff, as Dolt shows it on the doltlite file
    server = open_server(f"doltlite://{workspace / 'dbs'}")
    with server:
        fam = server.database(name="fam")
        with sqlite3.connect(fam.path) as connection:
            kinds = sorted(
                kind
                for (kind,) in connection.execute(
                    f"SELECT diff_type FROM \"dolt_diff_people\"('main...import/{out['job']}')"
                )
            )
    assert kinds == ["added", "modified", "modified", "modified"]


def test_a_replace_shows_the_deleted_rows(workspace):
    people = "examples/families/people.csv"
    first = _json("import", f"import {people} into solo.people", "--yes", cwd=workspace)
    importbot("merge", first["job"], "--db", "doltlite:dbs", cwd=workspace)
    rows = list(csv.DictReader((workspace / people).open()))
    with (workspace / "fewer.csv").open("w", newline="") as out:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows[:45])
    out = _json("import", "import fewer.csv into solo.people mode replace", "--yes", cwd=workspace)
    assert out["totals"]["deleted"] == 5 and out["totals"]["added"] == 0
    words = _words(importbot("diff", out["job"], "--db", "doltlite:dbs", cwd=workspace))
    assert "removed" in words and rows[45]["name"] in words


def _review_in_process(workspace: Path, text: str):
    setup = local_jobs.LocalSetup(
        server=open_server(f"doltlite://{workspace / 'dbs'}"),
        policy=SourcePolicy.from_env({}, cwd=workspace),
        jobs_dir=workspace / ".importbot" / "jobs",
        author=AUTHOR,
    )
    port = TerminalPort(ask=False, quiet=True, console=Console(), person=setup.person)
    outcome = local_jobs.run_import(text, setup=setup, port=port)
    assert outcome.review is not None, outcome.error
    return outcome.review


def test_a_60_table_import_reviews_on_one_slack_screen_with_the_rest_in_the_reply(tmp_path):
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(60):
        (folder / f"t{i:02}.csv").write_text(f"id,value\n1,a{i}\n2,b{i}\n")
    review = _review_in_process(tmp_path, "import all CSV files in many into database wide")
    assert len(review.tables) == 60
    ref = ButtonRef(job_id=review.job_id, stage="review", version=1)
    message = render_review(review, ref=ref, mergers=["U_GRACE"])
    assert_valid_message(message)
    assert len(message.blocks) <= 8 and text_length(message.blocks) <= 1600
    assert [b["type"] for b in message.blocks].index("actions") <= 3
    assert MERGE in [e["action_id"] for e in elements(message.blocks, "button")]
    assert "… and 52 more tables, in the reply below" in mrkdwn_text(message)
    details = render_review_details(review, ref=ref)
    assert_valid_message(details)
    names = [f.filename for f in details.files]
    assert f"review-{review.job_id}.txt" in names
    assert sum(1 for n in names if n.startswith("diff-")) == 10  # MAX_DIFF_FILES
    (report,) = [f for f in details.files if f.filename.endswith(".txt")]
    assert all(f"t{i:02}" in report.content for i in range(60))
    text = mrkdwn_text(details)
    assert f"`importbot diff {review.job_id} --csv DIR` writes them all, 50 more table(s)" in text
    assert f"`importbot diff {review.job_id} --table TABLE --all`" in text
