"""The import's checks become Dolt tests (issue 14, point 3), on real doltlite files: written
on the branch as the group `import/<job>`, run for the review, merged into main with the data,
and run again on the merged result inside every merge — a failing one refuses it, by name."""

from pathlib import Path

import pytest

from agents import pipeline
from agents.execution.branches import branch_name
from agents.execution.executor import ExecutionInput, execute
from agents.execution.ledger import LEDGER_TABLE
from agents.execution.merging import merge_branch
from agents.execution.review import build_review
from agents.sources.resolve import SourcePolicy
from dolt.errors import MergeConflict, TestsFailed
from dolt.models import DoltTest
from tests.conftest import MERGER, REQUESTER

ADULTS = 'Import people.csv into database "crm" table "people" where age >= 21.'


@pytest.fixture
def root(tmp_path) -> Path:
    root = tmp_path / "data"
    root.mkdir()
    (root / "people.csv").write_text("id,name,age\n1,Ada,36\n2,Grace,45\n3,Tim,15\n")
    return root


def run_import(text, *, server, root, tmp_path, person_tests=(), job_id=None):
    """understand → inspect → propose → plan → execute (with the person's tests) → review."""
    request = pipeline.understand(text)
    database = server.database(name=request.database, create=True)
    job_id = job_id or pipeline.new_job_id()
    workdir = tmp_path / "jobs" / job_id
    workdir.mkdir(parents=True)
    inspection, staging = pipeline.inspect(
        request, database=database, policy=SourcePolicy(roots=(root,)), workdir=workdir
    )
    try:
        schema = pipeline.propose(request, inspection, database=database)
        plan = pipeline.plan(request, inspection, schema, staging=staging, database=database)
        report = execute(
            ExecutionInput(
                job_id=job_id,
                request_text=text,
                author=REQUESTER,
                schema=schema,
                plan=plan,
                sources=tuple(inspection.snapshots),
                person_tests=tuple(person_tests),
            ),
            database=database,
            duckdb=staging.duckdb,
            staged=staging.relations,
        )
    finally:
        staging.close()
    return database, build_review(database, branch=report.branch, report=report)


def merge(database, review):
    return merge_branch(
        database, branch=review.branch, message=f"Merge {review.branch}", author=MERGER
    )


def test_the_checks_are_dolt_tests_on_the_branch_and_reach_main_with_the_merge(
    doltlite_server, root, tmp_path
):
    database, review = run_import(ADULTS, server=doltlite_server, root=root, tmp_path=tmp_path)
    group = review.branch
    on_branch = database.run_tests(ref=group, selector=group)
    names = {result.name for result in on_branch}
    assert names == {
        f"{group}: people rows accounted for",
        f"{group}: people holds at least 2 rows",
        f"{group}: people keys unique",
        f"{group}: people rows satisfy age >= 21",
    }
    assert all(result.passed and result.group == group for result in on_branch)
    (filter_test,) = [r for r in on_branch if r.name.endswith("age >= 21")]
    assert filter_test.query == 'SELECT COUNT(*) FROM "people" WHERE NOT ("age" >= 21)'
    assert not any(LEDGER_TABLE in result.query for result in on_branch)
    # the review ran them all, and each ✓ is a check whose tests passed
    assert {t.name for t in review.tests} == names and all(t.passed for t in review.tests)
    assert review.tests_note is None and review.conflicts == []
    assert "every source row accounted for (3 rows)" in review.checks_passed
    assert "people: every row satisfies age >= 21" in review.checks_passed
    assert "people: 2 rows, keys and references intact" in review.checks_passed
    # dolt_tests is Dolt's, not the person's data: the review lists only people
    assert [t.name for t in review.tables] == ["people"]

    merge(database, review)
    on_main = database.run_tests(ref="main")
    assert {r.name for r in on_main} == names and all(r.passed for r in on_main)


def test_a_check_broken_on_main_after_the_review_refuses_the_merge_by_name(
    doltlite_server, root, tmp_path
):
    database = doltlite_server.database(name="crm", create=True)
    with database.write_session(branch="main") as session:
        session.execute_ddl(sql="CREATE TABLE people (id INT PRIMARY KEY, name TEXT, age INT)")
        session.insert_rows(table="people", columns=["id", "name", "age"], rows=[(8, "Joan", 52)])
        session.commit(message="people on main", author=MERGER)
    database, review = run_import(
        ADULTS.replace(" where", " mode append where"),
        server=doltlite_server,
        root=root,
        tmp_path=tmp_path,
    )
    assert review.conflicts == [] and all(t.passed for t in review.tests)
    with database.write_session(branch="main") as session:  # a person writes to main meanwhile
        session.insert_rows(table="people", columns=["id", "name", "age"], rows=[(9, "Kid", 5)])
        session.commit(message="a child, straight to main", author=MERGER)
    main = database.branch(name="main").head

    with pytest.raises(TestsFailed) as refused:
        merge(database, review)
    said = str(refused.value)
    assert f"Dolt test '{review.branch}: people rows satisfy age >= 21' fails" in said
    assert "fails: expected 0, got 1" in said and "Nothing was changed" in said
    assert [f.name for f in refused.value.failures] == [
        f"{review.branch}: people rows satisfy age >= 21"
    ]
    assert isinstance(refused.value, MergeConflict)  # the surfaces refuse it as a conflict
    assert database.branch(name="main").head == main
    assert database.row_counts() == {"people": 2}
    assert database.run_tests(ref="main") == []  # the tests did not reach main either


def test_a_failing_test_of_the_person_shows_in_the_review_and_refuses_the_merge(
    doltlite_server, tmp_path
):
    root = tmp_path / "data"
    root.mkdir()
    (root / "people.csv").write_text("id,name,age\n1,Ada,36\n2,Bug,-3\n")
    job_id = pipeline.new_job_id()
    never_negative = DoltTest(
        name=f"{branch_name(job_id)}: age is never negative",
        group=branch_name(job_id),
        query='SELECT COUNT(*) FROM "people" WHERE "age" < 0',
    )
    database, review = run_import(
        'Import people.csv into database "crm" table "people".',
        server=doltlite_server,
        root=root,
        tmp_path=tmp_path,
        person_tests=[never_negative],
        job_id=job_id,
    )
    (outcome,) = [t for t in review.tests if t.name == never_negative.name]
    assert outcome.status == "FAIL"
    assert outcome.message == "expected 0, got 1"  # Dolt's assertion said plainly
    assert review.conflicts == [f"Dolt test '{never_negative.name}' fails: expected 0, got 1"]
    assert all(t.passed for t in review.tests if t is not outcome)  # the import's own pass
    main = database.branch(name="main").head
    with pytest.raises(TestsFailed, match="age is never negative"):
        merge(database, review)
    assert database.branch(name="main").head == main
    assert database.list_tables() == []


def test_a_later_import_that_breaks_a_merged_test_is_refused(doltlite_server, root, tmp_path):
    database, first = run_import(ADULTS, server=doltlite_server, root=root, tmp_path=tmp_path)
    merge(database, first)
    (root / "more.csv").write_text("id,name,age\n10,Kid,5\n11,Alan,41\n")
    _, second = run_import(
        'Import more.csv into database "crm" table "people" mode append.',
        server=doltlite_server,
        root=root,
        tmp_path=tmp_path,
    )
    inherited = f"{first.branch}: people rows satisfy age >= 21"
    by_name = {t.name: t for t in second.tests}
    assert by_name[inherited].status == "FAIL"
    assert by_name[f"{first.branch}: people holds at least 2 rows"].passed  # appends only grow
    assert by_name[f"{second.branch}: people holds at least 2 rows"].passed
    assert f"Dolt test {inherited!r} fails: " in " ".join(second.conflicts)
    main = database.branch(name="main").head
    with pytest.raises(TestsFailed, match="age >= 21"):
        merge(database, second)
    assert database.branch(name="main").head == main
    assert database.row_counts()["people"] == 2


def test_a_later_replace_retires_the_row_counts_of_earlier_imports(doltlite_server, root, tmp_path):
    database, first = run_import(ADULTS, server=doltlite_server, root=root, tmp_path=tmp_path)
    merge(database, first)
    (root / "fewer.csv").write_text("id,name,age\n7,Joan,52\n")
    _, second = run_import(
        'Import fewer.csv into database "crm" table "people" mode replace.',
        server=doltlite_server,
        root=root,
        tmp_path=tmp_path,
    )
    names = {t.name for t in second.tests}
    assert f"{first.branch}: people holds at least 2 rows" not in names  # its rows are gone
    assert f"{first.branch}: people rows satisfy age >= 21" in names  # still holds
    assert f"{second.branch}: people holds at least 1 rows" in names
    assert all(t.passed for t in second.tests) and second.conflicts == []
    merge(database, second)
    assert database.row_counts()["people"] == 1
