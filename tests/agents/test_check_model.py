"""Checks in words the offline forms cannot read go to the model: real HTTP to the scripted
OpenAI-compatible server, a real doltlite database; the model's SELECT must pass the policy."""

from __future__ import annotations

import shutil
import sqlite3

import pytest

from agents import pipeline
from agents.artifacts import ImportRequest
from agents.errors import ExecutionFailed
from agents.llm.client import LlmClient, LlmSettings
from agents.sources.resolve import SourcePolicy
from agents.stages import understand
from agents.stages.check_tests import CheckQuery, checks_as_tests
from agents.stages.check_words import CheckNotUnderstood, table_shapes
from tests.agents.test_check_words import GROUP, families  # noqa: F401  (the fixture)
from tests.agents.test_stages import EXAMPLES
from tests.conftest import REQUESTER
from tests.fakes.openai_server import ScriptedOpenAI

MARRIED_TWICE = "nobody is married twice on the same day"
COUNT_TWICE = (
    "SELECT COUNT(*) FROM (SELECT person1_id, marriage_date FROM marriages "
    "GROUP BY person1_id, marriage_date HAVING COUNT(*) > 1) AS twice"
)


@pytest.fixture
def model():
    with ScriptedOpenAI() as server:
        settings = LlmSettings(models=("scripted",), api_key="sk-test", base_url=server.base_url)
        with LlmClient(settings, sleep=lambda _: None, job_id="test") as client:
            yield server, client
        server.assert_exhausted()


def _sent(server, index: int) -> str:
    return "\n".join(m["content"] for m in server.completions[index].messages)


def test_the_models_select_becomes_a_test_that_runs(model, families):  # noqa: F811
    server, client = model
    server.add([CheckQuery(query=COUNT_TWICE, comparator="==", expected=0)])
    shapes = table_shapes(families.create_statements())
    (test,) = checks_as_tests(
        [MARRIED_TWICE],
        tables=shapes,
        group=GROUP,
        dialect="sqlite",
        llm=client,
    )
    assert (test.name, test.group, test.comparator, test.value) == (
        f"check: {MARRIED_TWICE}",
        GROUP,
        "==",
        "0",
    )
    assert '"marriages"' in test.query  # written for doltlite, names quoted
    with sqlite3.connect(f"{families.path}@main") as connection:
        assert connection.execute(test.query).fetchone()[0] == 0
    prompt = _sent(server, 0)
    assert MARRIED_TWICE in prompt and "person1_id" in prompt and "-> people(id)" in prompt


def test_offline_forms_never_ask_the_model(model, families):  # noqa: F811
    server, client = model  # nothing scripted: a question to the model would get no answer
    tests = checks_as_tests(
        ["age is never negative"],
        tables=table_shapes(families.create_statements()),
        group=GROUP,
        dialect="sqlite",
        llm=client,
    )
    assert [t.name for t in tests] == ["check: age is never negative"]
    assert not server.completions


def test_a_failing_answer_gets_one_repair_turn_with_the_exact_error(model, families):  # noqa: F811
    server, client = model
    server.add(
        [
            CheckQuery(query="SELECT COUNT(*) FROM weddings", comparator="==", expected=0),
            CheckQuery(query="SELECT COUNT(*) FROM marriages", comparator=">=", expected=21),
        ]
    )
    (test,) = checks_as_tests(
        ["there are many weddings"],
        tables=table_shapes(families.create_statements()),
        group=GROUP,
        dialect="sqlite",
        llm=client,
    )
    assert (test.comparator, test.value) == (">=", "21")
    repair = _sent(server, 1)
    assert "failed validation" in repair and "weddings" in repair


def test_still_failing_after_the_repair_turn_tells_the_person(model, families):  # noqa: F811
    server, client = model
    server.add(
        [
            CheckQuery(query="SELECT name, age FROM people", expected=0),
            CheckQuery(query="DELETE FROM people", expected=0),
        ]
    )
    with pytest.raises(CheckNotUnderstood) as raised:
        checks_as_tests(
            ["people look fine"],
            tables=table_shapes(families.create_statements()),
            group=GROUP,
            dialect="sqlite",
            llm=client,
        )
    message = str(raised.value)
    assert message.startswith('I could not turn the check "people look fine" into a test')
    assert "is never negative" in message  # the offline forms, to write it another way
    assert "single number" in _sent(server, 1)  # the first answer's exact error went back
    assert len(server.completions) == 2


def test_the_model_saying_cannot_is_told_in_words(model, families):  # noqa: F811
    server, client = model
    server.add([CheckQuery(status="cannot", reason="The weather is not in these tables.")])
    with pytest.raises(CheckNotUnderstood, match="The weather is not in these tables"):
        checks_as_tests(
            ["the weather is nice"],
            tables=table_shapes(families.create_statements()),
            group=GROUP,
            dialect="sqlite",
            llm=client,
        )


@pytest.fixture
def staged(doltlite_server, tmp_path):
    """examples/families inspected and staged for a database `fam` that has no tables yet."""
    root = tmp_path / "data"
    shutil.copytree(EXAMPLES, root / "families")
    request = ImportRequest(sources=["families/*.csv"], database="fam", summary="import")
    database = doltlite_server.database(name="fam", create=True)
    inspection, staging = pipeline.inspect(
        request, database=database, policy=SourcePolicy(roots=(root,)), workdir=tmp_path / "w"
    )
    yield request, database, inspection, staging
    staging.close()


def test_the_models_test_is_written_on_the_branch_at_execute(model, staged):
    server, client = model
    request, database, inspection, staging = staged
    checks = ["there are at least 50 people", MARRIED_TWICE]
    schema = pipeline.propose(
        request.model_copy(update={"checks": checks}), inspection, database=database, llm=client
    )
    assert f'The check "{MARRIED_TWICE}" is written as a test by the model' in schema.notes[-1]
    plan = pipeline.plan(request, inspection, schema, staging=staging, database=database)
    server.add([CheckQuery(query=COUNT_TWICE, comparator="==", expected=0)])
    review = pipeline.run(
        job_id="checks",
        text="import",
        author=REQUESTER,
        schema=schema,
        import_plan=plan,
        database=database,
        staging=staging,
        checks=checks,
        llm=client,
    )
    tests = {r.name: r for r in database.run_tests(ref=review.branch, selector="import/checks")}
    assert tests["check: there are at least 50 people"].passed
    assert tests[f"check: {MARRIED_TWICE}"].passed
    assert len(server.completions) == 1  # only the check no offline form reads


def test_a_check_that_cannot_be_a_test_fails_the_execute_in_words(model, staged):
    server, client = model
    request, database, inspection, staging = staged
    schema = pipeline.baseline_schema(request, inspection)
    plan = pipeline.plan(request, inspection, schema, staging=staging, database=database)
    server.add([CheckQuery(query="SELECT 1 FROM nowhere", expected=0)] * 2)
    with pytest.raises(ExecutionFailed, match='I could not turn the check "people look fine"'):
        pipeline.run(
            job_id="bad-check",
            text="import",
            author=REQUESTER,
            schema=schema,
            import_plan=plan,
            database=database,
            staging=staging,
            checks=["people look fine"],
            llm=client,
        )
    assert "import/bad-check" not in {b.name for b in database.list_branches()}


def test_a_request_the_model_reads_keeps_its_checks_in_words(model):
    server, client = model
    server.add([ImportRequest(sources=["zoo/penguins.csv"], database="zoo", summary="Import.")])
    request = understand.run(
        client,
        text="bring the penguins over from zoo/penguins.csv to zoo, and check that "
        "body_mass is never negative",
    )
    assert request.understood_by == "model"
    assert request.checks == ["body_mass is never negative"]
