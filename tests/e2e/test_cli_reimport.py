"""Re-runs never double main (issue 12, point 2), as a person meets it in a terminal: the
database's ledger says what each table holds; the same content again is stopped before
anything is written unless the person says how; two open branches that add the same keyless
rows are refused at merge, saying which import put them there."""

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from dolt import open_server
from tests.e2e.test_cli_import import importbot

LEDGER = "importbot_imports"


def _import(text, workspace, *args, check=True):
    return importbot("import", text, "--db", "doltlite:dbs", *args, cwd=workspace, check=check)


def _json(result):
    return json.loads(result.stdout)


def _words(result):
    """What the terminal said, its lines joined (the console wraps them at 80 columns)."""
    return " ".join((result.stdout + result.stderr).split())


def _imported_and_merged(text, workspace):
    out = _json(_import(text, workspace, "--yes", "--json"))
    importbot("merge", out["job"], "--db", "doltlite:dbs", cwd=workspace)
    return out


def _main(workspace, database):
    server = open_server(f"doltlite://{workspace / 'dbs'}")
    return server, server.database(name=database)


@pytest.fixture
def penguins(tmp_path):
    """palmerpenguins' penguins.csv (344 rows, no key), copied as a person would have it."""
    palmerpenguins = pytest.importorskip("palmerpenguins", reason="palmerpenguins is not installed")
    shutil.copy(Path(palmerpenguins.__file__).parent / "data" / "penguins.csv", tmp_path)
    return tmp_path


def test_the_same_file_twice_is_stopped_and_main_keeps_one_copy(penguins):
    text = "import penguins.csv into database zoo"
    first = _imported_and_merged(text, penguins)
    server, zoo = _main(penguins, "zoo")
    with server:
        (record,) = zoo.read_rows(table=LEDGER)
        commit = zoo.branch(name="main").head
    content = (penguins / "penguins.csv").read_bytes()
    assert record["sha256"] == hashlib.sha256(content).hexdigest()
    assert record["size"] == len(content)
    assert record["job_id"] == first["job"] and record["target_table"] == "penguins"
    assert record["rows_loaded"] == 344 and record["mode"] == "create"
    assert record["request"] == text and len(record["data_commit"]) >= 32

    out = _words(_import(text, penguins, "--yes"))  # --yes takes "stop" for an identical file
    assert "penguins.csv was already imported into zoo.penguins on" in out
    assert f"(commit {record['data_commit'][:8]})" in out
    assert "Stopped:" in out and "Nothing was written." in out
    as_json = _json(_import(text, penguins, "--yes", "--json"))
    assert as_json["status"] == "cancelled" and "already imported" in as_json["stopped_because"]
    server, zoo = _main(penguins, "zoo")
    with server:
        assert zoo.row_counts()["penguins"] == 344  # still one copy
        assert zoo.branch(name="main").head == commit  # nothing written
        assert [b.name for b in zoo.list_branches()] == ["main"]


def test_saying_the_mode_imports_the_same_file_again_knowingly(penguins):
    _imported_and_merged("import penguins.csv into database zoo", penguins)
    # append said in words: the file is asked about (append would double it); --yes stops
    said = _json(_import("append penguins.csv to zoo.penguins", penguins, "--yes", "--json"))
    assert said["status"] == "cancelled"
    # replace said in words: the same content replaces itself, nothing is doubled or asked
    replaced = _json(_import("replace zoo.penguins with penguins.csv", penguins, "--yes", "--json"))
    assert replaced["status"] == "awaiting_review"
    assert replaced["destructive"] == [  # named before anyone merges it
        "penguins: replace — merging deletes the 344 rows main holds and writes 344 rows"
    ]
    importbot("merge", replaced["job"], "--db", "doltlite:dbs", cwd=penguins)
    server, zoo = _main(penguins, "zoo")
    with server:
        assert zoo.row_counts()["penguins"] == 344
        modes = sorted(r["mode"] for r in zoo.read_rows(table=LEDGER))
    assert modes == ["create", "replace"]


def test_two_open_branches_with_the_same_keyless_rows_are_refused_at_the_second_merge(penguins):
    _imported_and_merged("import penguins.csv into database zoo", penguins)
    (penguins / "more.csv").write_text(
        (penguins / "penguins.csv").read_text().split("\n", 1)[0] + "\n"
        "Adelie,Torgersen,39.1,18.7,181,3750,male,2010\n"
        "Adelie,Torgersen,39.1,18.7,181,3750,male,2010\n"
    )
    text = "append more.csv to zoo.penguins"
    a = _json(_import(text, penguins, "--yes", "--json"))
    b = _json(_import(text, penguins, "--yes", "--json"))  # main does not hold it yet
    assert a["status"] == b["status"] == "awaiting_review"
    importbot("merge", a["job"], "--db", "doltlite:dbs", cwd=penguins)  # a first: b repeats it

    review = _json(importbot("diff", b["job"], "--json", "--db", "doltlite:dbs", cwd=penguins))
    (line,) = review["conflicts"]
    assert line.startswith("penguins: main already holds 2 identical row(s) this branch adds")
    assert f"imported by job {a['job']}" in line and "more.csv" in line
    refused = importbot("merge", b["job"], "--db", "doltlite:dbs", cwd=penguins, check=False)
    assert refused.returncode == 1
    said = _words(refused)
    assert "main already holds 2 identical row(s)" in said
    assert f"importbot discard {b['job']}: main holds those rows already" in said
    assert "mode upsert" not in said  # a table without a key cannot be upserted
    server, zoo = _main(penguins, "zoo")
    with server:
        assert zoo.row_counts()["penguins"] == 346  # 344 + 2, not + 4


def test_an_existing_table_is_never_appended_to_silently(tmp_path):
    (tmp_path / "people.csv").write_text("id,name\n1,Ada\n2,Grace\n")
    (tmp_path / "more_people.csv").write_text("id,name\n2,Grace H.\n3,Edsger\n")
    _imported_and_merged("import people.csv into database staff", tmp_path)

    said = _words(_import("import more_people.csv into staff.people", tmp_path, "--yes"))
    assert "The table already exists on main: people." in said
    assert "(append / upsert by id / replace) — default: append" in said
    out = _json(_import("import more_people.csv into staff.people", tmp_path, "--yes", "--json"))
    # the safest that loses no row: append; the taken key is a reject, not an overwrite
    assert out["rejected_rows"] == 1 and out["rejects"][0]["line"] == 2
    assert {t["name"]: t["rows_added"] for t in out["tables"]} == {"people": 1}
    upserted = _json(
        _import("upsert more_people.csv into staff.people by id", tmp_path, "--yes", "--json")
    )
    assert {t["name"]: (t["rows_added"], t["rows_modified"]) for t in upserted["tables"]} == {
        "people": (1, 1)
    }
    assert upserted["destructive"] == [
        "people: upsert — merging overwrites 1 row of main with the file's values"
    ]
    assert out["destructive"] == []  # append deletes and overwrites nothing


def test_the_same_file_on_two_open_branches_into_a_new_table_is_refused_once_merged(penguins):
    text = "import penguins.csv into database zoo"
    a = _json(_import(text, penguins, "--yes", "--json"))
    b = _json(_import(text, penguins, "--yes", "--json"))  # before a is merged: not asked
    importbot("merge", a["job"], "--db", "doltlite:dbs", cwd=penguins)
    refused = importbot("merge", b["job"], "--db", "doltlite:dbs", cwd=penguins, check=False)
    assert refused.returncode == 1
    assert "main already holds 344 identical row(s)" in _words(refused)
    server, zoo = _main(penguins, "zoo")
    with server:
        assert zoo.row_counts()["penguins"] == 344


def _diff(job, workspace, *args):
    return importbot("diff", job, "--db", "doltlite:dbs", *args, cwd=workspace)


@pytest.fixture
def staff(tmp_path):
    """staff.people on main: five people, one without a city."""
    (tmp_path / "people.csv").write_text(
        "id,name,city,age\n1,Ada,London,36\n2,Grace,NYC,45\n3,Edsger,,40\n4,Alan,Wilmslow,41\n"
        "5,Barbara,Boston,50\n"
    )
    _imported_and_merged("import people.csv into database staff", tmp_path)
    return tmp_path


def test_an_upsert_shows_the_rows_it_overwrites_before_and_after_with_only_their_changed_cells(
    staff,
):
    (staff / "update.csv").write_text(
        "id,name,city,age\n1,Ada,Paris,36\n2,Grace,NYC,46\n3,Edsger,Austin,40\n"
        "6,Donald,Stanford,\n7,John,,60\n"
    )
    out = _json(_import("upsert update.csv into staff.people by id", staff, "--yes", "--json"))
    assert {
        t["name"]: (t["rows_added"], t["rows_modified"], t["rows_deleted"]) for t in out["tables"]
    } == {"people": (2, 3, 0)}
    review = _json(_diff(out["job"], staff, "--json"))
    (people,) = review["tables"]
    modified = [s for s in people["samples"] if s["change"] == "modified"]
    assert [(s["row"], s["before"]) for s in modified] == [
        ({"id": 1, "city": "Paris"}, {"city": "London"}),
        ({"id": 2, "age": 46}, {"age": 45}),
        ({"id": 3, "city": "Austin"}, {"city": None}),
    ]
    said = _words(_diff(out["job"], staff))
    assert "London → Paris" in said and "45 → 46" in said and "NULL → Austin" in said
    assert "None" not in said


def test_a_replace_shows_the_rows_it_deletes(staff):
    (staff / "fewer.csv").write_text("id,name,city,age\n1,Ada,London,36\n2,Grace,NYC,45\n")
    out = _json(_import("replace staff.people with fewer.csv", staff, "--yes", "--json"))
    assert {
        t["name"]: (t["rows_added"], t["rows_modified"], t["rows_deleted"]) for t in out["tables"]
    } == {"people": (0, 0, 3)}
    review = _json(_diff(out["job"], staff, "--json"))
    removed = [s["row"] for s in review["tables"][0]["samples"] if s["change"] == "removed"]
    assert [r["name"] for r in removed] == ["Edsger", "Alan", "Barbara"]
    assert removed[0]["city"] is None
    said = _words(_diff(out["job"], staff))
    assert "removed" in said and "Barbara" in said and "NULL" in said and "None" not in said


def test_the_whole_diff_of_a_table_is_shown_and_written_as_formula_safe_csv(staff):
    (staff / "update.csv").write_text(
        'id,name,city,age\n1,Ada,=HYPERLINK("x"),36\n2,Grace,NYC,46\n8,@SUM(A1),-1,\n'
    )
    out = _json(_import("upsert update.csv into staff.people by id", staff, "--yes", "--json"))
    said = _words(_diff(out["job"], staff, "--table", "people", "--all"))
    assert "people: 3 changed row(s)" in said
    assert "London → =HYPERLINK" in said and "45 → 46" in said
    _diff(out["job"], staff, "--table", "people", "--csv", "diffs")
    assert (staff / "diffs" / "people.csv").read_text().splitlines() == [
        "change,id,name,city,age",
        "modified-before,1,Ada,London,36",
        'modified-after,1,Ada,"\'=HYPERLINK(""x"")",36',
        "modified-before,2,Grace,NYC,45",
        "modified-after,2,Grace,NYC,46",
        "added,8,'@SUM(A1),'-1,",  # a spreadsheet would run these as formulas
    ]
