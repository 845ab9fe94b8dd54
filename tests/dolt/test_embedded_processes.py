"""Processes: the loader trap (1) and one writer per file (3)."""

import multiprocessing
import os
import subprocess
import sys
import textwrap
import time

from dolt.embedded.loader import child_environment

DOLT_VERSION = (
    "import sqlite3; "
    "print(sqlite3.connect(':memory:').execute('SELECT dolt_version()').fetchone()[0])"
)


def test_a_child_started_by_us_gets_doltlite_without_importing_it():
    result = subprocess.run([sys.executable, "-c", DOLT_VERSION], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("v0.")


def test_the_trap_is_real_without_our_environment():
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    env["_DOLTLITE_BOOTSTRAPPED"] = "1"
    script = "import doltlite; " + DOLT_VERSION
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert "no such function: dolt_version" in result.stderr
    fixed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=child_environment(env)
    )
    assert fixed.returncode == 0 and fixed.stdout.startswith("v0."), fixed.stderr


def test_an_inherited_marker_is_repaired_by_our_loader():
    env = dict(os.environ)
    env.pop("LD_PRELOAD", None)
    env["_DOLTLITE_BOOTSTRAPPED"] = "1"
    script = (
        "from dolt.embedded.loader import load_sqlite3, require_doltlite; "
        "print(require_doltlite(load_sqlite3().connect(':memory:')))"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert result.returncode == 0 and result.stdout.startswith("v0."), result.stderr


def _version_in_spawned_child(queue):
    import sqlite3

    queue.put(sqlite3.connect(":memory:").execute("SELECT dolt_version()").fetchone()[0])


def test_a_spawned_multiprocessing_child_gets_doltlite():
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_version_in_spawned_child, args=(queue,))
    process.start()
    process.join(60)
    assert process.exitcode == 0
    assert queue.get(timeout=5).startswith("v0.")


WRITER = textwrap.dedent(
    """
    import sys
    from dolt import open_server
    from dolt.models import Author

    directory, branch, first = sys.argv[1], sys.argv[2], int(sys.argv[3])
    with open_server(f"doltlite://{directory}") as server:
        database = server.database(name="families")
        for start in range(first, first + 20_000, 2_000):
            with database.write_session(branch=branch) as session:
                session.insert_rows(
                    table="people", columns=["id", "name", "age"],
                    rows=[(i, f"p{i}", 30) for i in range(start, start + 2_000)],
                )
                session.commit(message=f"rows from {start}", author=Author("W", "w@example.com"))
    print("done")
    """
)


def test_two_processes_write_two_branches_of_one_file_while_a_reader_reads(families, tmp_path):
    for branch in ("import/p1", "import/p2"):
        families.create_branch(name=branch)
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(families.path.parent), branch, str(first)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=child_environment(),
            cwd=os.getcwd(),
        )
        for branch, first in (("import/p1", 1_000), ("import/p2", 100_000))
    ]
    reads = 0
    while any(w.poll() is None for w in writers):
        assert families.row_counts() == {"people": 10}  # readers never block and main is untouched
        reads += 1
        time.sleep(0.01)
    for writer in writers:
        out, err = writer.communicate()
        assert writer.returncode == 0 and out.strip() == "done", err
    assert reads > 5
    assert families.row_counts(ref="import/p1") == {"people": 20_010}
    assert families.row_counts(ref="import/p2") == {"people": 20_010}
    assert len(families.diff_summary(branch="import/p1").tables) == 1
