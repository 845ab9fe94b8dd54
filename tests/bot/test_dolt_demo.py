import subprocess
import sys

from bot.dolt_demo import run_demo
from dolt.models import TableChange


def test_the_demo_imports_on_a_branch_then_modifies_and_adds_on_the_next_run(doltlite_server):
    database = doltlite_server.database(name="demo", create=True)
    first = run_demo(database)
    (people,) = first.summary.tables
    assert (people.change, people.rows_added) == (TableChange.ADDED, 5)
    assert "KEY `people_age` (`age`)" in people.schema_after
    assert first.preview.clean and not first.merge.fast_forward
    second = run_demo(database)
    (people,) = second.summary.tables
    assert (people.rows_added, people.rows_modified, people.rows_deleted) == (1, 1, 0)
    assert second.main_rows == {"people": 6}
    assert [b.name for b in database.list_branches()] == ["main"]


def test_the_demo_command_runs_from_a_fresh_directory(tmp_path):
    importbot = [sys.executable, "-c", "from bot.cli import main; main()"]
    result = subprocess.run(
        [*importbot, "demo", "--db", "doltlite:dbs"], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "Merged import/demo-" in result.stdout and (tmp_path / "dbs" / "demo.db").is_file()
    missing = subprocess.run(
        [*importbot, "branches", "-d", "nope", "--db", "doltlite:dbs"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert missing.returncode == 1 and "no database 'nope'" in missing.stderr
