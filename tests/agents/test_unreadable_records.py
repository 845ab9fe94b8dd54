"""Records the reader cannot parse are rejected rows like any other (issue 12, point 1).

Through the real pipeline on doltlite: a ragged CSV row, bad quoting and a broken JSONL line
are counted in the table's source rows and rejected rows, listed with file, line and reason,
and "every source row accounted for" counts the physical records of the file.
"""

import json
import shutil
from importlib.util import find_spec
from pathlib import Path

import pytest

from tests.agents.test_import_pipeline import run_import
from tests.fakes.commits import commit_message


def write(root: Path, name: str, text: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    path = root / name
    path.write_text(text, encoding="utf-8")
    return path


def accounted(review) -> str:
    (check,) = [c for c in review.checks_passed if c.startswith("every source row")]
    return check


def test_a_five_record_csv_with_two_ragged_rows_reports_five_read_three_loaded_two_rejected(
    doltlite_server, tmp_path
):
    root = tmp_path / "data"
    write(root, "t.csv", "id,name,age\n1,a,10\n2,b\n3,c,30\n4,d,40,extra\n5,e,50\n")
    database, _, plan, review = run_import(
        "import t.csv into database zoo", server=doltlite_server, root=root, tmp_path=tmp_path
    )
    (step,) = plan.steps
    assert (step.source_rows, step.expected_rows, step.unreadable_rows) == (5, 3, 2)
    assert review.rejected_rows == 2
    assert accounted(review) == "every source row accounted for (5 rows)"
    assert [(r.table, r.file, r.line, r.value) for r in review.rejects] == [
        ("t", "t.csv", 3, "2,b"),
        ("t", "t.csv", 5, "4,d,40,extra"),
    ]
    assert review.rejects[0].reason == "unreadable record: too few fields: expected 3, found 2"
    assert review.rejects[1].reason == "unreadable record: too many fields: expected 3, found 4"
    assert sorted(database.column_values(table="t", column="id", ref=review.branch)) == [1, 3, 5]
    assert "2 rejected" in commit_message(database, review.commit)


def test_bad_quoting_is_a_rejected_row_with_its_line(doltlite_server, tmp_path):
    root = tmp_path / "data"
    write(root, "q.csv", 'id,name\n1,"abc"def\n2,ok\n3,"x""y"\n')
    _, _, plan, review = run_import(
        "import q.csv into database zoo", server=doltlite_server, root=root, tmp_path=tmp_path
    )
    assert (plan.steps[0].source_rows, plan.steps[0].unreadable_rows) == (3, 1)
    (reject,) = review.rejects
    assert (reject.file, reject.line, reject.value) == ("q.csv", 2, '1,"abc"def')
    assert reject.reason.startswith("unreadable record: unparseable quoting")
    assert review.rejected_rows == 1
    assert accounted(review) == "every source row accounted for (3 rows)"


def test_a_broken_jsonl_line_is_a_rejected_row_of_the_parent_table(doltlite_server, tmp_path):
    root = tmp_path / "data"
    lines = [
        '{"id": 1, "items": [{"sku": "a"}]}',
        '{"id": 2, "items": [{"sku": "b"}',
        '{"id": 3, "items": [{"sku": "c"}, {"sku": "d"}]}',
    ]
    write(root, "orders.jsonl", "\n".join(lines) + "\n")
    _, _, plan, review = run_import(
        "import orders.jsonl into database shop",
        server=doltlite_server,
        root=root,
        tmp_path=tmp_path,
    )
    steps = {s.table: s for s in plan.steps}
    assert (steps["orders"].source_rows, steps["orders"].unreadable_rows) == (3, 1)
    assert steps["orders__items"].unreadable_rows == 0
    loads = {t.name: t.rows_added for t in review.tables}
    assert loads == {"orders": 2, "orders__items": 3}
    (reject,) = review.rejects
    assert (reject.table, reject.file, reject.line) == ("orders", "orders.jsonl", 2)
    assert reject.value == lines[1] and reject.reason == "unreadable record: not valid JSON"
    assert accounted(review) == "every source row accounted for (6 rows)"


def test_unreadable_records_of_a_relation_no_table_reads_are_named_in_a_note(
    doltlite_server, tmp_path
):
    from agents import pipeline
    from agents.sources.resolve import SourcePolicy

    root = tmp_path / "data"
    write(root, "t.csv", "id,name\n1,a\n2\n3,c\n")
    write(root, "u.csv", "id,other\n1,x\n")
    request = pipeline.understand("import t.csv, u.csv into database zoo")
    database = doltlite_server.database(name="zoo", create=True)
    workdir = tmp_path / "job"
    workdir.mkdir()
    inspection, staging = pipeline.inspect(
        request, database=database, policy=SourcePolicy(roots=(root,)), workdir=workdir
    )
    try:
        schema = pipeline.propose(request, inspection, database=database)
        only_u = schema.model_copy(update={"tables": [t for t in schema.tables if t.name == "u"]})
        plan = pipeline.plan(request, inspection, only_u, staging=staging, database=database)
    finally:
        staging.close()
    assert plan.notes == [
        "1 unreadable record(s) of t are not counted in any table: no table reads t."
    ]
    assert plan.steps[0].unreadable_rows == 0


VEGA = "vega_datasets"


def vega_file(name: str) -> Path:
    pytest.importorskip(VEGA, reason="vega-datasets (the dev extra) is not installed")
    spec = find_spec(VEGA)
    assert spec is not None and spec.origin is not None
    path = Path(spec.origin).parent / "_data" / name
    if not path.is_file():
        pytest.skip(f"vega-datasets has no {name} at {path}")
    return path


def test_a_real_csv_with_a_ragged_and_a_badly_quoted_line_appended(doltlite_server, tmp_path):
    root = tmp_path / "data"
    root.mkdir()
    copy = root / "seattle-weather.csv"
    shutil.copyfile(vega_file("seattle-weather.csv"), copy)
    original = copy.read_text(encoding="utf-8")
    records = len(original.strip().splitlines()) - 1
    with copy.open("a", encoding="utf-8") as handle:
        if not original.endswith("\n"):
            handle.write("\n")
        handle.write("2016-01-01,0.0,5.0\n")  # too few fields
        handle.write('2016-01-02,0.0,5.0,1.0,2.0,"sun"ny\n')  # bad quoting
    _, _, plan, review = run_import(
        "import seattle-weather.csv into database weather",
        server=doltlite_server,
        root=root,
        tmp_path=tmp_path,
    )
    (step,) = plan.steps
    assert (step.source_rows, step.unreadable_rows) == (records + 2, 2)
    assert {t.name: t.rows_added for t in review.tables} == {"seattle_weather": records}
    assert review.rejected_rows == 2
    assert [r.line for r in review.rejects] == [records + 2, records + 3]
    assert review.rejects[0].reason.startswith("unreadable record: too few fields")
    assert review.rejects[1].reason.startswith("unreadable record: unparseable quoting")
    assert accounted(review) == f"every source row accounted for ({records + 2} rows)"


def test_a_real_json_file_as_jsonl_with_a_broken_line(doltlite_server, tmp_path):
    cars = json.loads(vega_file("cars.json").read_text(encoding="utf-8"))
    lines = [json.dumps(car) for car in cars]
    lines.insert(10, lines[10][:-5])  # a truncated copy of record 11, before it
    root = tmp_path / "data"
    write(root, "cars.jsonl", "\n".join(lines) + "\n")
    _, _, plan, review = run_import(
        "import cars.jsonl into database garage",
        server=doltlite_server,
        root=root,
        tmp_path=tmp_path,
    )
    assert (plan.steps[0].source_rows, plan.steps[0].unreadable_rows) == (len(cars) + 1, 1)
    assert {t.name: t.rows_added for t in review.tables} == {"cars": len(cars)}
    (reject,) = review.rejects
    assert (reject.file, reject.line, reject.reason) == (
        "cars.jsonl",
        11,
        "unreadable record: not valid JSON",
    )
    assert accounted(review) == f"every source row accounted for ({len(cars) + 1} rows)"


def test_a_relation_read_by_two_steps_counts_its_unreadable_records_once_and_says_where():
    from agents.artifacts import PlanStep
    from agents.execution.unreadable import unreadable_owners

    def step(table: str, select: str) -> PlanStep:
        return PlanStep(table=table, select=select, mode="create", source_rows=0, expected_rows=0)

    steps = [
        step("people", "SELECT id, name FROM t"),
        step("ages", "SELECT t.id, u.age FROM t JOIN u ON u.id = t.id"),
    ]
    owners, notes = unreadable_owners(
        steps,
        relations={"t": ["id", "name"], "u": ["id", "age"], "v": ["id"]},
        unreadable={"t": 2, "u": 1, "v": 0},
    )
    assert owners == {"people": ["t"], "ages": ["u"]}
    assert notes == [
        "2 unreadable record(s) of t are counted as rejected in people; ages also read t."
    ]
