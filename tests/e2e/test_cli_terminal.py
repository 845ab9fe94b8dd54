"""`importbot` on a real terminal (a pty that is the process's controlling terminal, so ^C is a
real Ctrl-C), and the screens a careful person reads: interrupts, errors, help, `rows`."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import subprocess
import termios
import time
from pathlib import Path

import pytest

from dolt import open_server
from tests.e2e.test_cli_import import IMPORTBOT, importbot, workspace  # noqa: F401

BIG_ROWS = 300_000
BIG_REQUEST = "import big.csv into database big table numbers"
STOPPED = "stopped: nothing reached main"


class Terminal:
    """importbot with a pty as its controlling terminal: what it wrote, and keys to type."""

    def __init__(self, args: list[str], *, cwd: Path) -> None:
        self.leader, follower = pty.openpty()
        self.process = subprocess.Popen(
            [*IMPORTBOT, *args],
            cwd=cwd,
            stdin=follower,
            stdout=follower,
            stderr=follower,
            preexec_fn=_controlling_terminal,
            env={
                **os.environ,
                "IMPORTBOT_AUTHOR": "Ada Lovelace <ada@example.com>",
                "COLUMNS": "120",
                "LINES": "40",
            },
        )
        os.close(follower)
        self.output = b""

    def wait_for(self, text: str, *, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while text.encode() not in self.output:
            if not self._read(deadline - time.monotonic()):
                raise AssertionError(f"{text!r} never came:\n{self.text}")

    def ctrl_c(self) -> float:
        """Press Ctrl-C; the seconds until the process ended."""
        pressed = time.monotonic()
        os.write(self.leader, b"\x03")
        while self._read(30):
            pass
        self.process.wait(timeout=30)
        return time.monotonic() - pressed

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.leader], [], [], max(timeout, 0))
        if not ready:
            return False
        try:
            chunk = os.read(self.leader, 65536)
        except OSError:  # the process ended and closed the terminal
            return False
        self.output += chunk
        return bool(chunk)

    @property
    def text(self) -> str:
        return self.output.decode(errors="replace")


def _controlling_terminal() -> None:
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


@pytest.fixture
def big_csv(workspace):  # noqa: F811
    with (workspace / "big.csv").open("w") as f:
        f.write("id,label,score\n")
        for i in range(BIG_ROWS):
            f.write(f"{i},row {i},{i % 1000}\n")
    return workspace


def _assert_stopped_and_cancelled(terminal: Terminal, root: Path, database: str) -> None:
    assert terminal.process.returncode == 130, terminal.text
    assert STOPPED in terminal.text
    assert "Traceback" not in terminal.text and "Aborted" not in terminal.text
    (job,) = json.loads(importbot("jobs", "--json", cwd=root).stdout)
    assert job["status"] == "cancelled"
    assert "cancelled" in importbot("show", job["job"], cwd=root).stdout
    # the database the stopped request made for itself is gone with it: nothing is left
    assert not (root / "dbs" / f"{database}.db").exists()


def _ctrl_c_when(text: str, args: list[str], *, cwd: Path, database: str) -> Terminal:
    """Run importbot, press Ctrl-C once `text` is on the screen; it must stop within 1 s."""
    terminal = Terminal([*args, "--db", "doltlite:dbs"], cwd=cwd)
    terminal.wait_for(text)
    assert terminal.ctrl_c() < 1.0
    _assert_stopped_and_cancelled(terminal, cwd, database)
    return terminal


def test_ctrl_c_at_a_prompt_stops_with_one_line_and_cancels_the_job(workspace):  # noqa: F811
    request = "import examples/families/people.csv into families"
    _ctrl_c_when("Looks right?", ["import", request], cwd=workspace, database="families")


def test_ctrl_c_while_staging_and_profiling_stops_within_a_second(big_csv):
    # the spinner names the step
    _ctrl_c_when(
        "Inspecting the sources", ["import", BIG_REQUEST, "--yes"], cwd=big_csv, database="big"
    )


def test_ctrl_c_in_the_middle_of_a_long_load_removes_the_branch(big_csv):
    # the first progress report: the load is under way
    terminal = _ctrl_c_when("rows/s", ["import", BIG_REQUEST, "--yes"], cwd=big_csv, database="big")
    assert f"{STOPPED}; the branch was removed" in terminal.text


def test_error_text_keeps_its_brackets(workspace):  # noqa: F811
    text = "import 'examples/[draft] people.csv' into families"
    failed = importbot("import", text, "--yes", "--db", "doltlite:dbs", cwd=workspace, check=False)
    assert failed.returncode == 1 and "[draft] people.csv" in failed.stderr, failed.stderr


REASON = "not [where age >= 21]"


def test_the_terminal_console_prints_brackets_as_text():
    from agents.artifacts import Reject, Review
    from bot.entrypoints import cli
    from bot.terminal import render

    review = Review(
        job_id="j",
        database="families",
        branch="import/j",
        commit=None,
        tables=[],
        rejected_rows=1,
        rejects=[
            Reject(table="people", file="[x].csv", line=2, column=None, value=None, reason=REASON)
        ],
        checks_passed=[],
        conflicts=[],
    )
    with cli.console.capture() as captured:
        cli.console.print(render.review_group(review))
        cli.console.print("note [database] families")
    shown = captured.get()
    assert "[x].csv" in shown and "[where age >= 21]" in shown and "[database]" in shown


def test_a_failed_request_with_json_prints_an_error_object_and_leaves_no_database(workspace):  # noqa: F811
    failed = importbot(
        "import",
        "import nothing.csv into newdb",
        "--yes",
        "--json",
        "--db",
        "doltlite:dbs",
        cwd=workspace,
        check=False,
    )
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    error = json.loads(failed.stdout)
    assert error["status"] == "failed" and "nothing.csv" in error["error"] and error["job"]
    assert not (workspace / "dbs" / "newdb.db").exists()
    not_a_request = importbot("import", "hello", "--json", cwd=workspace, check=False)
    assert json.loads(not_a_request.stdout)["status"] == "failed"
    unknown = importbot(
        "diff", "20990101-000000", "--json", "--db", "doltlite:dbs", cwd=workspace, check=False
    )
    assert unknown.returncode == 1 and json.loads(unknown.stdout)["job"] == "20990101-000000"


def test_import_keeps_its_jobs_in_importbot_jobs_dir(workspace):  # noqa: F811
    elsewhere = {"IMPORTBOT_JOBS_DIR": "elsewhere/jobs"}
    out = json.loads(
        importbot(
            "import",
            "import examples/families/people.csv into families",
            "--yes",
            "--json",
            "--db",
            "doltlite:dbs",
            cwd=workspace,
            env=elsewhere,
        ).stdout
    )
    assert (workspace / "elsewhere" / "jobs" / out["job"]).is_dir()
    assert not (workspace / ".importbot" / "jobs").exists()
    listed = json.loads(importbot("jobs", "--json", cwd=workspace, env=elsewhere).stdout)
    assert [j["job"] for j in listed] == [out["job"]]


def _import(workspace, text):  # noqa: F811
    return json.loads(
        importbot("import", text, "--yes", "--json", "--db", "doltlite:dbs", cwd=workspace).stdout
    )


def test_merging_twice_says_already_merged_and_a_refused_merge_says_what_to_do(workspace):  # noqa: F811
    first = _import(workspace, "import examples/families/people.csv into families")
    merged = importbot("merge", first["job"], "--db", "doltlite:dbs", cwd=workspace).stdout
    again = importbot("merge", first["job"], "--db", "doltlite:dbs", cwd=workspace)
    commit = merged.split("merge commit ")[1].strip(". \n")
    assert "already merged" in again.stdout and commit in again.stdout

    (workspace / "v1.csv").write_text("id,name,age\n1,Anna,30\n2,Bob,40\n")
    (workspace / "v2.csv").write_text("id,name,age\n1,Zed,31\n2,Bob,40\n")
    one = _import(workspace, "import v1.csv into families.people key id mode upsert")
    two = _import(workspace, "import v2.csv into families.people key id mode upsert")
    importbot("merge", one["job"], "--db", "doltlite:dbs", cwd=workspace)
    moved = importbot("merge", two["job"], "--db", "doltlite:dbs", cwd=workspace, check=False)
    assert moved.returncode == 1  # first, the review two's merger saw is outdated: shown again
    assert "main moved since the review" in " ".join(moved.stderr.split())
    refused = importbot("merge", two["job"], "--db", "doltlite:dbs", cwd=workspace, check=False)
    assert refused.returncode == 1
    said = " ".join(refused.stderr.split())
    assert "merge refused" in said and "people: the row where id = 1" in said
    assert f"importbot discard {two['job']}, then import again with `mode upsert`" in said
    for internal in ("dolt_conflicts", "Traceback", "sqlite", "stopped:"):
        assert internal not in refused.stderr
    as_json = importbot(
        "merge", two["job"], "--json", "--db", "doltlite:dbs", cwd=workspace, check=False
    )
    assert json.loads(as_json.stdout)["error"].startswith("merge refused")


def test_help_shows_switches_as_switches_and_import_shows_the_whole_grammar(workspace):  # noqa: F811
    from agents.stages.grammar import GRAMMAR

    shown = importbot("import", "--help", cwd=workspace, env={"COLUMNS": "140"}).stdout
    for line in GRAMMAR.splitlines():
        assert line.strip() in shown, line
    (yes,) = [line for line in shown.splitlines() if "--yes" in line]
    assert "<bool>" not in yes and "--no-yes" not in yes and "TEXT" not in yes
    (as_json,) = [line for line in shown.splitlines() if "--json" in line]
    assert "<bool>" not in as_json


def test_ddl_and_plan_sql_copy_paste_without_trailing_spaces(workspace):  # noqa: F811
    shown = importbot(
        "import",
        "import examples/families/people.csv into families",
        "--yes",
        "--db",
        "doltlite:dbs",
        cwd=workspace,
    ).stdout
    start = shown.index("CREATE TABLE")
    block = shown[start : shown.index(");", start) + 2].splitlines()
    assert len(block) > 3 and all(line == line.rstrip() for line in block)
    (select,) = [line for line in shown.splitlines() if line.startswith("SELECT")]
    assert select == select.rstrip()


def test_rows_shows_a_branch_as_stored_and_refuses_a_hostile_where(workspace):  # noqa: F811
    out = _import(workspace, "import examples/families/people.csv into families")
    shown = json.loads(
        importbot(
            "rows",
            out["job"],
            "people",
            "--limit",
            "2",
            "--where",
            "age >= 75 and name like 'L%'",
            "--json",
            "--db",
            "doltlite:dbs",
            cwd=workspace,
        ).stdout
    )
    assert shown["branch"] == out["branch"] and len(shown["rows"]) == 2
    assert all(r["age"] >= 75 and r["name"].startswith("L") for r in shown["rows"])
    text = importbot(
        "rows", out["branch"], "people", "--limit", "3", "--db", "doltlite:dbs", cwd=workspace
    ).stdout
    assert "people on " + out["branch"] + ": 3 row(s)" in text and "Frieda Neumann" in text
    for hostile, message in (
        ("1=1; DROP TABLE people", "must be a single condition"),
        ("id IN (SELECT id FROM people)", "subquery"),
        ("load_file('/etc/passwd') IS NOT NULL", "LOAD_FILE() is not allowed"),
        ("secret = 1", "Column 'secret' could not be resolved"),
    ):
        refused = importbot(
            "rows",
            out["job"],
            "people",
            "--where",
            hostile,
            "--db",
            "doltlite:dbs",
            cwd=workspace,
            check=False,
        )
        assert refused.returncode == 1 and message in " ".join(refused.stderr.split()), (
            hostile,
            refused.stderr,
        )
    with open_server(f"doltlite://{workspace / 'dbs'}") as server:
        database = server.database(name="families")
        assert database.count_rows(table="people", ref=out["branch"]) == 50
        assert database.list_tables() == []  # read-only: main untouched


FAMILY_FILES = "From 4 files: birthdays.csv, marriages.csv, parents.csv, people.csv"


@pytest.mark.parametrize("words", ["all files in", "everything in"])
def test_a_folder_is_said_as_its_files_then_counted_once_read(workspace, words):  # noqa: F811
    text = f"import {words} examples/families into families"
    shown = importbot(
        "import", text, "--yes", "--db", "doltlite:dbs", cwd=workspace, env={"COLUMNS": "200"}
    ).stdout
    (understanding,) = [line for line in shown.splitlines() if "my understanding" in line]
    assert "Import the files in examples/families into database families" in understanding
    assert "1 source" not in shown
    assert FAMILY_FILES in shown.splitlines()
    assert shown.index("my understanding") < shown.index(FAMILY_FILES) < shown.index("CREATE")


def test_the_review_shows_sample_rows_and_says_what_a_folder_imports(workspace):  # noqa: F811
    text = 'Import all CSV files in examples/families into the database: "families".'
    shown = importbot(
        "import", text, "--yes", "--db", "doltlite:dbs", cwd=workspace, env={"COLUMNS": "160"}
    ).stdout
    assert "Import all CSV files in examples/families into database families" in shown
    assert "1 source" not in shown
    assert FAMILY_FILES in shown
    assert "people: 3 sample row(s)" in shown and "Frieda Neumann" in shown
    (marriage,) = [line for line in shown.splitlines() if "1994-09-11" in line]
    assert "NULL" in marriage  # no divorce date
