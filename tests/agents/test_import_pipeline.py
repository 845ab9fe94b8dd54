"""The deterministic import, end to end on real doltlite files (no LLM)."""

import csv
import hashlib
import shutil
from pathlib import Path

import pytest

from agents import pipeline
from agents.errors import ExecutionFailed, PathOutsideRoots, ProposalInvalid
from agents.sources.resolve import SourcePolicy
from tests.conftest import REQUESTER
from tests.fakes.commits import commit_message

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "families"
FAMILIES_REQUEST = (
    'Import all CSV files in families into the database: "families". Create tables as needed.'
)


@pytest.fixture
def data_root(tmp_path):
    root = tmp_path / "data"
    shutil.copytree(EXAMPLES, root / "families")
    return root


def run_import(text, *, server, root, tmp_path, job_id=None, on_progress=None):
    """understand → inspect → propose → plan → execute → review, approving everything."""
    request = pipeline.understand(text)
    database = server.database(name=request.database, create=True)
    policy = SourcePolicy(roots=(root,))
    job_id = job_id or pipeline.new_job_id()
    workdir = tmp_path / "jobs" / job_id
    workdir.mkdir(parents=True, exist_ok=True)
    inspection, staging = pipeline.inspect(
        request, database=database, policy=policy, workdir=workdir
    )
    try:
        schema = pipeline.propose(request, inspection, database=database)
        plan = pipeline.plan(request, inspection, schema, staging=staging, database=database)
        review = pipeline.run(
            job_id=job_id,
            text=text,
            author=REQUESTER,
            schema=schema,
            import_plan=plan,
            database=database,
            staging=staging,
            on_progress=on_progress,
            sources=inspection.snapshots,
        )
    finally:
        staging.close()
    return database, schema, plan, review


def test_the_families_directory_becomes_four_related_tables(doltlite_server, data_root, tmp_path):
    main_before = doltlite_server.database(name="families", create=True).branch(name="main").head
    database, schema, _, review = run_import(
        FAMILIES_REQUEST, server=doltlite_server, root=data_root, tmp_path=tmp_path
    )
    assert schema.tables[0].name == "people"  # referenced table first
    counts = {t.name: (t.change, t.rows_added) for t in review.tables}
    assert counts == {
        "people": ("added", 50),
        "birthdays": ("added", 50),
        "marriages": ("added", 21),
        "parents": ("added", 44),
    }
    assert database.branch(name="main").head == main_before  # main untouched until merge
    statements = database.create_statements(ref=review.branch)
    assert "PRIMARY KEY (`id`)" in statements["people"]
    for table, column in (
        ("birthdays", "person_id"),
        ("parents", "mother_id"),
        ("parents", "father_id"),
        ("marriages", "person1_id"),
        ("marriages", "person2_id"),
    ):
        assert f"FOREIGN KEY (`{column}`) REFERENCES `people` (`id`)" in statements[table], table
    assert (
        database.count_rows(table="marriages", ref=review.branch, where="divorce_date IS NULL")
        == 18
    )
    assert review.rejected_rows == 0 and not review.conflicts
    info = database.branch(name=review.branch)
    assert info.author == REQUESTER.name  # the last commit records the sources in the ledger
    assert info.message == f"Record import {review.job_id} in importbot_imports: 4 source(s)"
    message = commit_message(database, review.commit)  # the rows' commit
    assert message.startswith(f"Import {review.job_id}:")
    files = sorted((data_root / "families").glob("*.csv"))
    digests = [hashlib.sha256(f.read_bytes()).hexdigest() for f in files]
    assert [(s.source, s.sha256) for s in review.sources] == [
        (f"families/{f.name}", digest) for f, digest in zip(files, digests, strict=True)
    ]
    sources = message.split("\n\nSources:\n", 1)[1].splitlines()
    assert [line.split(" (")[0] for line in sources] == [
        f"- families/{f.name} sha256:{digest}" for f, digest in zip(files, digests, strict=True)
    ]


def test_a_filter_loads_exactly_the_matching_rows(doltlite_server, data_root, tmp_path):
    text = 'Import families/people.csv into database "families" table "people" where age >= 21.'
    database, _, plan, review = run_import(
        text, server=doltlite_server, root=data_root, tmp_path=tmp_path
    )
    with (data_root / "families" / "people.csv").open() as f:
        expected = sorted(int(r["id"]) for r in csv.DictReader(f) if int(r["age"]) >= 21)
    (step,) = plan.steps
    assert (step.source_rows, step.expected_rows) == (50, len(expected)) == (50, 39)
    loaded = sorted(database.column_values(table="people", column="id", ref=review.branch))
    assert loaded == expected
    assert database.count_rows(table="people", ref=review.branch, where="age < 21") == 0
    assert any("every row satisfies age >= 21" in c for c in review.checks_passed)


def test_running_the_same_job_again_gives_the_same_branch_contents(
    doltlite_server, data_root, tmp_path
):
    text = 'Import families/people.csv into database "families" table "people".'
    database, *_, first = run_import(
        text, server=doltlite_server, root=data_root, tmp_path=tmp_path, job_id="again"
    )
    _, *_, second = run_import(
        text, server=doltlite_server, root=data_root, tmp_path=tmp_path, job_id="again"
    )
    assert first.branch == second.branch
    assert [t.rows_added for t in second.tables] == [50]
    assert database.count_rows(table="people", ref=second.branch) == 50


def branch_rows(database, branch, table):
    return sorted(
        (change.to_row for change in database.diff_rows(table=table, branch=branch)),
        key=repr,
    )


def test_the_native_loader_writes_what_the_python_writer_writes(
    doltlite_server, data_root, tmp_path, monkeypatch
):
    """The families import through DuckDB's Arrow stream (the default) and, turned off,
    through Python values: the same rows in every table, and the native path was taken."""
    from dolt.embedded.arrow import native_load_available
    from dolt.embedded.session import DoltliteWriteSession

    if not native_load_available():
        pytest.skip("the native loader was not compiled")
    natively_written = []
    load_arrow = DoltliteWriteSession.load_arrow

    def spy(self, **arguments):
        written = load_arrow(self, **arguments)
        natively_written.append((arguments["table"], written))
        return written

    monkeypatch.setattr(DoltliteWriteSession, "load_arrow", spy)
    database, _, _, native = run_import(
        FAMILIES_REQUEST, server=doltlite_server, root=data_root, tmp_path=tmp_path, job_id="n"
    )
    assert sorted(natively_written) == [
        ("birthdays", 50),
        ("marriages", 21),
        ("parents", 44),
        ("people", 50),
    ]
    monkeypatch.setenv("IMPORTBOT_NATIVE_LOAD", "0")
    _, _, _, python = run_import(
        FAMILIES_REQUEST, server=doltlite_server, root=data_root, tmp_path=tmp_path, job_id="p"
    )
    for table in ("people", "birthdays", "marriages", "parents"):
        rows = branch_rows(database, native.branch, table)
        assert rows == branch_rows(database, python.branch, table)
        assert len(rows) == {"people": 50, "birthdays": 50, "marriages": 21, "parents": 44}[table]


def test_rows_that_do_not_fit_are_quarantined_with_file_line_column_and_reason(
    doltlite_server, data_root, tmp_path
):
    database = doltlite_server.database(name="families", create=True)
    with database.write_session(branch="main") as session:
        session.execute_ddl(
            sql="CREATE TABLE people (id INT PRIMARY KEY, name VARCHAR(12), age TINYINT)"
        )
        session.insert_rows(
            table="people", columns=["id", "name", "age"], rows=[(3, "already here", 40)]
        )
        session.commit(message="people exists", author=REQUESTER)
    (data_root / "new.csv").write_text(
        "id,name,age\n100,Short,30\n101,A name far too long for twelve,31\n"
        "102,Old,300\n3,Dup,20\n103,Fine,22\n"
    )
    text = 'Import new.csv into database "families" table "people".'
    _, schema, _, review = run_import(
        text, server=doltlite_server, root=data_root, tmp_path=tmp_path
    )
    assert schema.tables[0].action == "existing"
    (people,) = review.tables
    assert people.rows_added == 2
    rejects = {(r.line, r.column): r for r in review.rejects}
    assert set(rejects) == {(3, "name"), (4, "age"), (5, None)}
    assert "VARCHAR(12)" in rejects[(3, "name")].reason
    assert rejects[(4, "age")].value == "300" and "TINYINT" in rejects[(4, "age")].reason
    assert (
        "UNIQUE" in rejects[(5, None)].reason.upper()
        or "PRIMARY" in rejects[(5, None)].reason.upper()
    )
    assert all(r.file == "new.csv" for r in review.rejects)
    assert review.rejected_rows == 3


def test_a_refused_row_deep_in_a_long_load_keeps_its_line_and_progress_is_reported(
    doltlite_server, data_root, tmp_path
):
    """45 batches of rows: the row the database refuses (a key already on main) is named by
    its own file line, every other row is loaded, and progress comes every 20,000 rows and
    at the end."""
    database = doltlite_server.database(name="shop", create=True)
    with database.write_session(branch="main") as session:
        session.execute_ddl(sql="CREATE TABLE items (id INT PRIMARY KEY, label VARCHAR(20))")
        session.insert_rows(table="items", columns=["id", "label"], rows=[(7, "on main")])
        session.commit(message="items exists", author=REQUESTER)
    lines = ["id,label", *(f"{i},item {i}" for i in range(100, 45_099))]
    lines.insert(31_234, "7,clashes with main")  # file line 31,235
    (data_root / "items.csv").write_text("\n".join(lines) + "\n")
    progress = []
    _, _, _, review = run_import(
        'Import items.csv into database "shop" table "items".',
        server=doltlite_server,
        root=data_root,
        tmp_path=tmp_path,
        on_progress=lambda table, done, expected: progress.append((table, done, expected)),
    )
    (items,) = review.tables
    assert items.rows_added == 44_999
    (reject,) = review.rejects
    assert (reject.file, reject.line) == ("items.csv", 31_235)
    assert "clashes with main" in reject.value
    assert progress == [
        ("items", 20_000, 45_000),
        ("items", 40_000, 45_000),
        ("items", 45_000, 45_000),
    ]


def test_references_that_form_a_cycle_import_with_the_weaker_one_left_out(
    doltlite_server, tmp_path
):
    """employees.team_id → teams and teams.lead_id → employees: the tables are created and
    loaded parents first with the reference the column name announces, and a note says
    which was left out (and that employees.manager_id points into its own table)."""
    root = tmp_path / "data"
    (root / "org").mkdir(parents=True)
    employees = ["id,name,manager_id,team_id"] + [
        f"{i},emp {i},{'' if i == 1 else i // 2},{1 + i % 4}" for i in range(1, 41)
    ]
    (root / "org" / "employees.csv").write_text("\n".join(employees) + "\n")
    teams = ["team_id,name,lead_id"] + [f"{t},team {t},{t * 3}" for t in range(1, 5)]
    (root / "org" / "teams.csv").write_text("\n".join(teams) + "\n")
    _, schema, _, review = run_import(
        'Import all CSV files in org into database "org"',
        server=doltlite_server,
        root=root,
        tmp_path=tmp_path,
    )
    assert [t.name for t in schema.tables] == ["teams", "employees"]
    assert "REFERENCES `teams` (`team_id`)" in schema.tables[1].ddl[0]
    assert "REFERENCES" not in schema.tables[0].ddl[0]
    assert any(n.startswith("teams.lead_id → employees.id is not declared") for n in schema.notes)
    assert any(n.startswith("employees.manager_id → employees.id") for n in schema.notes)
    assert {t.name: t.rows_added for t in review.tables} == {"employees": 40, "teams": 4}
    assert review.rejected_rows == 0


def test_a_filter_on_a_column_no_source_has_is_refused(doltlite_server, data_root, tmp_path):
    text = 'Import families/people.csv into database "families" where salary > 10.'
    with pytest.raises((ProposalInvalid, ExecutionFailed), match="salary"):
        run_import(text, server=doltlite_server, root=data_root, tmp_path=tmp_path)


def test_paths_outside_the_allowed_roots_are_refused(doltlite_server, data_root, tmp_path):
    outside = tmp_path / "secret.csv"
    outside.write_text("a\n1\n")
    for text in (f"import {outside} into families", "import ../secret.csv into families"):
        with pytest.raises(PathOutsideRoots):
            run_import(text, server=doltlite_server, root=data_root, tmp_path=tmp_path)
    assert doltlite_server.database(name="families").list_branches()[0].name == "main"


def test_nested_json_becomes_a_parent_and_a_linked_child_table(doltlite_server, tmp_path):
    root = tmp_path / "data"
    root.mkdir()
    (root / "orders.json").write_text(
        '{"orders": ['
        '{"id": 1, "customer": {"name": "Ada", "city": "London"}, '
        '"items": [{"sku": "A1", "qty": 2}, {"sku": "B2", "qty": 1}]},'
        '{"id": 2, "customer": {"name": "Grace", "city": "NYC"}, '
        '"items": [{"sku": "A1", "qty": 5}]}'
        "]}"
    )
    database, _, _, review = run_import(
        "import orders.json into shop", server=doltlite_server, root=root, tmp_path=tmp_path
    )
    counts = {t.name: t.rows_added for t in review.tables}
    assert counts == {"orders": 2, "orders__items": 3}
    columns = database.create_statements(ref=review.branch)
    assert "`customer__name`" in columns["orders"] and "`customer__city`" in columns["orders"]
    assert database.count_rows(table="orders__items", ref=review.branch, where="qty = 5") == 1


def test_nested_lists_can_be_kept_as_a_json_column_instead(doltlite_server, tmp_path):
    root = tmp_path / "data"
    root.mkdir()
    (root / "orders.jsonl").write_text(
        '{"id": 1, "items": [{"sku": "A1", "qty": 2}]}\n{"id": 2, "items": []}\n'
    )
    database, _, _, review = run_import(
        "import orders.jsonl into shop, keep nested lists as JSON columns",
        server=doltlite_server,
        root=root,
        tmp_path=tmp_path,
    )
    assert [t.name for t in review.tables] == ["orders"]
    assert "`items` JSON" in database.create_statements(ref=review.branch)["orders"]


def test_write_modes_append_upsert_replace_and_create(doltlite_server, tmp_path):
    root = tmp_path / "data"
    root.mkdir()
    (root / "people.csv").write_text("id,name\n1,Ada\n2,Grace\n")
    (root / "more.csv").write_text("id,name\n2,Grace Hopper\n3,Alan\n")
    database, *_, first = run_import(
        "import people.csv into crm.people", server=doltlite_server, root=root, tmp_path=tmp_path
    )
    database.merge(branch=first.branch, message="first", author=REQUESTER)

    def changes(text):
        *_, review = run_import(text, server=doltlite_server, root=root, tmp_path=tmp_path)
        (table,) = review.tables
        return (table.rows_added, table.rows_modified, table.rows_deleted, review.rejected_rows)

    assert changes("import more.csv into crm.people mode append") == (1, 0, 0, 1)  # 2 exists
    assert changes("import more.csv into crm.people mode upsert") == (1, 1, 0, 0)
    assert changes("import more.csv into crm.people mode replace") == (1, 1, 1, 0)
    with pytest.raises(ProposalInvalid, match="already exists"):
        run_import(
            "import more.csv into crm.people mode create",
            server=doltlite_server,
            root=root,
            tmp_path=tmp_path,
        )


def test_gzipped_csv_and_parquet_import_like_plain_files(doltlite_server, tmp_path):
    import gzip

    import duckdb

    root = tmp_path / "data"
    root.mkdir()
    with gzip.open(root / "zeros.csv.gz", "wt") as handle:
        handle.write("code,amount\n007,1.50\n010,2.25\n123,3.00\n")
    duckdb.connect().execute(
        f"COPY (SELECT range AS id, range * 2 AS doubled FROM range(1000)) "
        f"TO '{root / 'numbers.parquet'}' (FORMAT parquet)"
    )
    database, *_, review = run_import(
        "import zeros.csv.gz, numbers.parquet into mixed",
        server=doltlite_server,
        root=root,
        tmp_path=tmp_path,
    )
    assert {t.name: t.rows_added for t in review.tables} == {"zeros": 3, "numbers": 1000}
    codes = sorted(database.column_values(table="zeros", column="code", ref=review.branch))
    assert codes == ["007", "010", "123"]  # leading zeros survive as text
    assert "DECIMAL(3, 2)" in database.create_statements(ref=review.branch)["zeros"]


def test_duckdb_running_out_of_memory_resets_the_branch_and_says_what_to_do(
    doltlite_server, data_root, tmp_path, monkeypatch
):
    """A DuckDB error while loading (here its memory limit) is said in words, not as DuckDB's
    tuning advice or a traceback, and leaves the branch where it started."""
    import duckdb

    from agents.errors import ExecutionFailed
    from agents.execution import executor

    def out_of_memory(*args, **kwargs):
        raise duckdb.OutOfMemoryException("Out of Memory Error: failed to allocate\n\nPossible…")

    monkeypatch.setattr(executor, "_load_plan", out_of_memory)
    text = "Import families/people.csv into database families"
    with pytest.raises(ExecutionFailed) as refused:
        run_import(text, server=doltlite_server, root=data_root, tmp_path=tmp_path, job_id="j-oom")
    said = str(refused.value)
    assert said.startswith("The import stopped and its branch was reset: converting the values")
    assert "IMPORTBOT_DUCKDB_MEMORY_LIMIT" in said and "Possible" not in said
    database = doltlite_server.database(name="families")
    branch = database.branch(name="import/j-oom")
    assert branch.head == database.branch(name="main").head  # nothing kept on the branch
