"""No stale merges (issue 14, point 4), in a terminal: `importbot merge` says what merging does
before it merges, and refuses (showing the review as it is now) when main moved since the
review in a way that changes it; main moving elsewhere does not stop it."""

from __future__ import annotations

import pytest

from bot.entrypoints.settings import JOBS_DIR
from dolt import open_server
from tests.conftest import REQUESTER
from tests.e2e.test_cli_import import importbot
from tests.e2e.test_cli_reimport import _import, _imported_and_merged, _json, _words
from workers.file_store import FileJobStore
from workers.states import Status


@pytest.fixture
def staff(tmp_path):
    """staff.people on main (three people), and two upserts that both change Ada's city."""
    (tmp_path / "people.csv").write_text("id,name,city\n1,Ada,London\n2,Grace,NYC\n3,Alan,Leeds\n")
    (tmp_path / "paris.csv").write_text("id,name,city\n1,Ada,Paris\n4,Edsger,Austin\n")
    (tmp_path / "rome.csv").write_text("id,name,city\n1,Ada,Rome\n")
    _imported_and_merged("import people.csv into database staff", tmp_path)
    return tmp_path


def _merge(job, workspace):
    return importbot("merge", job, "--db", "doltlite:dbs", cwd=workspace, check=False)


def _main_head(workspace):
    with open_server(f"doltlite://{workspace / 'dbs'}") as server:
        return server.database(name="staff").branch(name="main").head


def test_main_moved_under_a_review_refuses_the_merge_and_shows_the_review_again(staff):
    paris = _json(_import("upsert paris.csv into staff.people by id", staff, "--yes", "--json"))
    rome = _json(_import("upsert rome.csv into staff.people by id", staff, "--yes", "--json"))
    merged = _merge(rome["job"], staff)  # another import changes Ada's row first
    assert merged.returncode == 0, merged.stderr
    assert "Adds 0 rows to people, changes 1, deletes 0." in _words(merged)
    main_before = _main_head(staff)

    refused = _merge(paris["job"], staff)
    said = _words(refused)
    assert refused.returncode == 1
    assert "Adds 1 row to people, changes 1, deletes 0." in said  # what the review shown said
    assert "Merge refused, nothing changed on main: main moved since the review" in said
    assert "new conflict (people: 1 conflicting row(s))" in said
    assert f"importbot diff {paris['job']}" in said
    assert "Not ready to merge people: 1 conflicting row(s)" in said  # the review, shown again
    assert f"importbot discard {paris['job']}, then import again with `mode upsert`" in said
    assert "Traceback" not in said and str(staff) not in said
    assert _main_head(staff) == main_before

    job = FileJobStore(staff / JOBS_DIR).get(paris["job"])
    assert job.status == Status.AWAITING_REVIEW and job.pending is None
    shown, now = job.artifacts["review"]
    assert (shown.version, now.version) == (1, 2)
    assert shown.artifact["conflicts"] == []
    assert now.artifact["conflicts"] == ["people: 1 conflicting row(s)"]
    assert now.artifact["main_head"] == main_before != shown.artifact["main_head"]
    assert any(e.action == "merge refused" for e in job.audit)

    again = _merge(paris["job"], staff)  # main quiet since: the conflicts refuse it, as ever
    assert again.returncode == 1 and "main moved" not in _words(again)
    assert "people: 1 row(s) were changed on main since this import started" in _words(again)
    assert _main_head(staff) == main_before


def test_main_moving_in_another_table_does_not_stop_the_merge(staff):
    paris = _json(_import("upsert paris.csv into staff.people by id", staff, "--yes", "--json"))
    with open_server(f"doltlite://{staff / 'dbs'}") as server:
        database = server.database(name="staff")
        with database.write_session(branch="main") as session:
            session.execute_ddl(sql="CREATE TABLE pets (id INT PRIMARY KEY, name TEXT)")
            session.insert_rows(table="pets", columns=["id", "name"], rows=[(1, "Rex")])
            session.commit(message="pets, straight on main", author=REQUESTER)
        moved = database.branch(name="main").head
    merged = _merge(paris["job"], staff)
    said = _words(merged)
    assert merged.returncode == 0, merged.stderr
    assert "main moved" not in said and "Merged import/" in said
    job = FileJobStore(staff / JOBS_DIR).get(paris["job"])
    assert job.status == Status.MERGED and len(job.artifacts["review"]) == 1
    assert job.review().main_head != moved
    with open_server(f"doltlite://{staff / 'dbs'}") as server:
        database = server.database(name="staff")
        counts = database.row_counts()
        assert (counts["people"], counts["pets"]) == (4, 1)
        assert database.read_rows(table="people", where="id = 1")[0]["city"] == "Paris"
