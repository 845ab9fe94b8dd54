"""`importbot` as a person runs it: real processes, a real doltlite directory."""

import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dolt import open_server
from tests.fakes.commits import commit_message

REPO = Path(__file__).resolve().parents[2]
IMPORTBOT = [sys.executable, "-c", "from bot.entrypoints.cli import main; main()"]


@pytest.fixture
def workspace(tmp_path):
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    return tmp_path


def importbot(*args, cwd, check=True, env=None):
    result = subprocess.run(
        [*IMPORTBOT, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "IMPORTBOT_AUTHOR": "Ada Lovelace <ada@example.com>", **(env or {})},
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_import_json_then_diff_then_merge(workspace):
    text = (
        'Import all CSV files in examples/families into the database: "families". '
        "Create tables as needed."
    )
    out = json.loads(
        importbot("import", text, "--yes", "--json", "--db", "doltlite:dbs", cwd=workspace).stdout
    )
    assert out["status"] == "awaiting_review" and out["database"] == "families"
    assert out["branch"] == f"import/{out['job']}" and out["rejected_rows"] == 0
    assert {t["name"]: t["rows_added"] for t in out["tables"]} == {
        "people": 50,
        "birthdays": 50,
        "marriages": 21,
        "parents": 44,
    }
    assert all(
        t["schema_change"] and t["rows_modified"] == t["rows_deleted"] == 0 for t in out["tables"]
    )

    diff = json.loads(
        importbot("diff", out["job"], "--json", "--db", "doltlite:dbs", cwd=workspace).stdout
    )
    assert diff["branch"] == out["branch"] and diff["conflicts"] == []

    with open_server(f"doltlite://{workspace / 'dbs'}") as server:
        assert server.database(name="families").list_tables() == []  # nothing on main yet
    merged = json.loads(
        importbot("merge", out["job"], "--json", "--db", "doltlite:dbs", cwd=workspace).stdout
    )
    assert merged["status"] == "merged"
    with open_server(f"doltlite://{workspace / 'dbs'}") as server:
        database = server.database(name="families")
        assert database.row_counts() == {
            "birthdays": 50,
            "importbot_imports": 4,  # the ledger: one record per table and source
            "marriages": 21,
            "parents": 44,
            "people": 50,
        }
        main = database.branch(name="main")
        assert main.author == "Ada Lovelace" and [b.name for b in database.list_branches()] == [
            "main"
        ]


def test_discard_removes_the_branch(workspace):
    text = "import examples/families/people.csv into families"
    out = json.loads(
        importbot("import", text, "--yes", "--json", "--db", "doltlite:dbs", cwd=workspace).stdout
    )
    importbot("discard", out["job"], "--db", "doltlite:dbs", cwd=workspace)
    with open_server(f"doltlite://{workspace / 'dbs'}") as server:
        assert [b.name for b in server.database(name="families").list_branches()] == ["main"]


def test_unreadable_records_are_rejected_rows_in_json_and_in_the_diff(workspace):
    (workspace / "t.csv").write_text("id,name,age\n1,a,10\n2,b\n3,c,30\n4,d,40,extra\n5,e,50\n")
    out = json.loads(
        importbot(
            "import",
            "import t.csv into zoo",
            "--yes",
            "--json",
            "--db",
            "doltlite:dbs",
            cwd=workspace,
        ).stdout
    )
    assert out["rejected_rows"] == 2
    assert {t["name"]: t["rows_added"] for t in out["tables"]} == {"t": 3}
    assert [(r["table"], r["file"], r["line"], r["value"]) for r in out["rejects"]] == [
        ("t", "t.csv", 3, "2,b"),
        ("t", "t.csv", 5, "4,d,40,extra"),
    ]
    assert out["rejects"][0]["reason"] == "unreadable record: too few fields: expected 3, found 2"
    diff = json.loads(
        importbot("diff", out["job"], "--json", "--db", "doltlite:dbs", cwd=workspace).stdout
    )
    assert diff["rejected_rows"] == 2 and diff["rejects"] == out["rejects"]
    assert "every source row accounted for (5 rows)" in diff["checks_passed"]
    shown = importbot(
        "diff", out["job"], "--db", "doltlite:dbs", cwd=workspace, env={"COLUMNS": "200"}
    ).stdout
    assert "Rejected rows (2)" in shown and "4,d,40,extra" in shown
    assert "unreadable record: too many fields: expected 3, found 4" in shown


def test_bad_requests_get_a_clear_error_and_write_nothing(workspace):
    for text, message in (
        ("what's the weather", "import <path"),
        ("import /etc/passwd into families", "outside"),
        ("import examples/nope.csv into families", "nope.csv"),
        ("import http://169.254.169.254/latest into families", "169.254.169.254"),
    ):
        result = importbot(
            "import", text, "--yes", "--db", "doltlite:dbs", cwd=workspace, check=False
        )
        assert result.returncode == 1, (text, result.stdout, result.stderr)
        assert message in result.stderr, (text, result.stderr)
        assert "Traceback" not in result.stderr
    assert not (workspace / "dbs" / "families.db").exists() or not any(
        b.name.startswith("import/")
        for b in open_server(f"doltlite://{workspace / 'dbs'}")
        .database(name="families")
        .list_branches()
    )


KILLED_IMPORT = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    from agents import pipeline
    from agents.sources.resolve import SourcePolicy
    from dolt import open_server
    from dolt.models import Author

    root, job = Path(sys.argv[1]), sys.argv[2]
    text = 'import big.csv into database "big" table "numbers"'
    request = pipeline.understand(text)
    with open_server(f"doltlite://{root / 'dbs'}") as server:
        database = server.database(name="big", create=True)
        workdir = root / "jobs" / job
        workdir.mkdir(parents=True, exist_ok=True)
        inspection, staging = pipeline.inspect(
            request, database=database, policy=SourcePolicy(roots=(root,)), workdir=workdir
        )
        schema = pipeline.propose(request, inspection, database=database)
        plan = pipeline.plan(request, inspection, schema, staging=staging, database=database)

        def die_midway(table, done, expected):
            if done >= expected // 2:
                os.kill(os.getpid(), signal.SIGKILL)

        pipeline.run(
            job_id=job, text=text, author=Author("A", "a@example.com"), schema=schema,
            import_plan=plan, database=database, staging=staging, on_progress=die_midway,
        )
    """
)


def test_a_process_killed_mid_load_leaves_main_untouched_and_the_rerun_is_exact(tmp_path):
    with (tmp_path / "big.csv").open("w") as f:
        f.write("id,label\n")
        for i in range(60_000):
            f.write(f"{i},row {i}\n")
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_IMPORT, str(tmp_path), "killed-job"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    with open_server(f"doltlite://{tmp_path / 'dbs'}") as server:
        database = server.database(name="big")
        assert database.list_tables() == []  # main untouched
        assert database.branch(name="import/killed-job")  # the half-done branch is there
    rerun = subprocess.run(
        [
            sys.executable,
            "-c",
            KILLED_IMPORT.replace("on_progress=die_midway", "on_progress=None"),
            str(tmp_path),
            "killed-job",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rerun.returncode == 0, rerun.stderr
    with open_server(f"doltlite://{tmp_path / 'dbs'}") as server:
        database = server.database(name="big")
        assert database.count_rows(table="numbers", ref="import/killed-job") == 60_000
        (table,) = database.diff_summary(branch="import/killed-job").tables
        assert (table.rows_added, table.rows_deleted) == (60_000, 0)
        assert database.list_tables() == []


def _run_on_a_terminal(args, *, cwd, answers: bytes, env=None) -> str:
    """Run importbot with a pseudo-terminal as stdin/stdout, typing `answers`."""
    import pty
    import select

    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [*IMPORTBOT, *args],
        cwd=cwd,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env={
            **os.environ,
            "IMPORTBOT_AUTHOR": "Ada Lovelace <ada@example.com>",
            "COLUMNS": "120",
            **(env or {}),
        },
    )
    os.close(follower)
    output = b""
    pending = answers.split(b"\n")[:-1]
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            process.kill()
            raise AssertionError(f"no output for 60 s:\n{output.decode(errors='replace')}")
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
        if pending and output.rstrip().endswith(b"]:"):
            os.write(leader, pending.pop(0) + b"\n")
    process.wait(timeout=60)
    os.close(leader)
    return output.decode(errors="replace")


def test_on_a_terminal_each_stage_asks_and_no_stops_before_writing(workspace):
    text = "import examples/families/people.csv into families"
    output = _run_on_a_terminal(
        ["import", text, "--db", "doltlite:dbs"], cwd=workspace, answers=b"y\nn\n"
    )
    assert "Looks right?" in output and "Approve this schema?" in output
    assert "Stopped at the schema proposal; nothing was written." in output
    with open_server(f"doltlite://{workspace / 'dbs'}") as server:
        assert "families" not in server.list_databases()  # the database it made is gone again


def test_on_a_terminal_approving_everything_runs_to_review(workspace):
    text = "import examples/families/people.csv into families"
    output = _run_on_a_terminal(
        ["import", text, "--db", "doltlite:dbs"], cwd=workspace, answers=b"y\ny\ny\n"
    )
    assert "Run the import?" in output and "importbot merge" in output
    people = (workspace / "examples" / "families" / "people.csv").read_bytes()
    sha256 = hashlib.sha256(people).hexdigest()
    shown = f"source examples/families/people.csv · {len(people)} bytes · sha256 {sha256[:12]}"
    assert shown in output
    assert sha256 not in output  # screens show 12 digits
    with open_server(f"doltlite://{workspace / 'dbs'}") as server:
        database = server.database(name="families")
        (branch,) = [b.name for b in database.list_branches() if b.name != "main"]
        job = json.loads(importbot("show", branch, "--json", cwd=workspace).stdout)
        message = commit_message(database, job["commit"])  # the rows' commit, named by the job
    assert (
        f"\n\nSources:\n- examples/families/people.csv sha256:{sha256} ({len(people)} bytes)"
        in message
    )


def test_import_uses_the_configured_model(workspace):
    """IMPORTBOT_LLM=openai with OPENAI_BASE_URL on a scripted local server: every stage asks it."""
    from tests.fakes.openai_server import ScriptedOpenAI
    from tests.fakes.scripted_import import grown_ups_script

    script = grown_ups_script(
        data_root=workspace, scratch=workspace / "scratch", folder="examples/families", questions=()
    )
    with ScriptedOpenAI(script) as model:
        env = model.client_env
        text = "Please bring in the grown-ups from the people file of examples/families"
        out = json.loads(
            importbot(
                "import", text, "--yes", "--json", "--db", "doltlite:dbs", cwd=workspace, env=env
            ).stdout
        )
        model.assert_exhausted()
        stages = [r.messages[0]["content"].split("\n")[0] for r in model.completions]
    assert len(stages) == 4 and text in model.completions[0].messages[1]["content"]
    assert out["tables"] == [
        {
            "name": "people",
            "rows_added": 39,
            "rows_modified": 0,
            "rows_deleted": 0,
            "rows_rejected": 0,
            "rows_filtered": 11,
            "schema_change": True,
            "schema_summary": "new table, 3 columns, key id",
        }
    ]
    saved = json.loads((workspace / ".importbot" / "jobs" / out["job"] / "job.json").read_text())
    assert [u["stage"] for u in saved["llm_usage"]] == [
        "understand",
        "ask",
        "propose_schema",
        "plan",
    ]


def test_on_a_terminal_a_change_in_your_own_words_revises_the_schema(workspace):
    from agents.artifacts import FollowUpQuestions, SchemaEdit
    from agents.stages.schema import SchemaRevision
    from tests.fakes.openai_server import ScriptedOpenAI

    fold = SchemaEdit(action="fold_into", table="birthdays", target="people")
    with ScriptedOpenAI([FollowUpQuestions(), SchemaRevision(edits=[fold])]) as model:
        env = model.client_env
        text = "Import all CSV files in examples/families into the database families."
        change = b"instead of creating a birthdays table, add a date_of_birth column to people"
        output = _run_on_a_terminal(
            ["import", text, "--db", "doltlite:dbs"],
            cwd=workspace,
            answers=b"y\n" + change + b"\ny\ny\n",
            env=env,
        )
        model.assert_exhausted()
        revision_prompt = model.completions[1].messages[1]["content"]
    assert f'The person asks for this change: "{change.decode()}"' in revision_prompt
    assert "birthdays (create" not in output.split("Approve this schema?")[-2]
    with open_server(f"doltlite://{workspace / 'dbs'}") as server:
        database = server.database(name="families")
        (branch,) = [b.name for b in database.list_branches() if b.name != "main"]
        tables = sorted(database.list_tables(ref=branch))
        assert tables == ["importbot_imports", "marriages", "parents", "people"]
        assert database.count_rows(table="people", ref=branch, where="date_of_birth IS NULL") == 0


def test_on_a_terminal_a_change_the_grammar_reads_revises_the_schema_without_a_model(workspace):
    text = "Import all CSV files in examples/families into the database families."
    output = _run_on_a_terminal(
        ["import", text, "--db", "doltlite:dbs"],
        cwd=workspace,
        answers=b"y\nno foreign keys\ny\ny\n",
        env={"IMPORTBOT_LLM": "off"},
    )
    output = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", output)  # colours of the DDL
    first, revised = output.split("Approve this schema?")[:2]
    assert "FOREIGN KEY" in first and "FOREIGN KEY" not in revised
    assert "language model" not in output
    assert output.count("Approve this schema?") == 2
    with open_server(f"doltlite://{workspace / 'dbs'}") as server:
        database = server.database(name="families")
        (branch,) = [b.name for b in database.list_branches() if b.name != "main"]
        statements = database.create_statements(ref=branch)
    assert sorted(statements) == [
        "birthdays",
        "importbot_imports",
        "marriages",
        "parents",
        "people",
    ]
    assert not any("FOREIGN KEY" in sql for sql in statements.values())


def test_on_a_terminal_questions_are_answered_and_the_answer_reaches_the_model(workspace):
    from agents.artifacts import FollowUpQuestions, Question
    from agents.stages.schema import SchemaRevision
    from tests.fakes.openai_server import ScriptedOpenAI

    question = Question(
        id="marriage_key",
        text="What identifies a marriage?",
        choices=["nothing", "both ids"],
        default="nothing",
        why="A key refuses duplicate marriages on the next import.",
    )
    with ScriptedOpenAI([FollowUpQuestions(questions=[question]), SchemaRevision()]) as model:
        env = model.client_env
        text = "Import all CSV files in examples/families into the database families."
        output = _run_on_a_terminal(
            ["import", text, "--db", "doltlite:dbs"],
            cwd=workspace,
            answers=b"y\nboth ids\nn\n",
            env=env,
        )
        model.assert_exhausted()
        schema_prompt = model.completions[1].messages[1]["content"]
    assert "What identifies a marriage?" in output
    assert '"marriage_key":"both ids"' in schema_prompt
    assert "Stopped at the schema proposal" in output


def test_a_bug_is_one_line_without_a_traceback_unless_asked_for(tmp_path):
    """An error nobody foresaw (here a ZeroDivisionError planted in the import) is one line
    and exit 1; IMPORTBOT_DEBUG=1 shows the traceback."""
    planted = (
        "import workers.local_jobs as jobs; "
        "jobs.run_import = lambda *a, **k: 1 / 0; "
        "from bot.entrypoints.cli import main; main()"
    )
    command = [sys.executable, "-c", planted, "import", "import a.csv into x"]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    said = result.stdout + result.stderr
    assert "internal error (ZeroDivisionError: division by zero)" in said
    assert "Traceback" not in said and "╭" not in said
    debug = subprocess.run(
        command,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "IMPORTBOT_DEBUG": "1"},
    )
    assert "ZeroDivisionError" in debug.stderr and debug.returncode == 1
