"""The LLM stages against a scripted OpenAI-compatible server: real HTTP, real doltlite,
real DuckDB staging of the example data. The model only decides; what it says is checked."""

import shutil
from pathlib import Path

import pytest

from agents import pipeline
from agents.artifacts import (
    FollowUpQuestions,
    ImportPlan,
    ImportRequest,
    PlanStep,
    Question,
    SchemaEdit,
)
from agents.errors import RepairExhausted, RequestNotUnderstood
from agents.llm.client import LlmClient, LlmSettings
from agents.sources.resolve import SourcePolicy
from agents.stages import ask, understand
from agents.stages.schema import SchemaRevision
from tests.conftest import REQUESTER
from tests.fakes.openai_server import ScriptedOpenAI

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "families"
REQUEST_B = "Import all CSV files in families into the database families. Create tables as needed."


@pytest.fixture
def model():
    """A scripted model and a client talking to it; the script must be used up."""
    with ScriptedOpenAI() as server:
        settings = LlmSettings(models=("scripted",), api_key="sk-test", base_url=server.base_url)
        with LlmClient(settings, sleep=lambda _: None, job_id="test") as client:
            yield server, client
        server.assert_exhausted()


@pytest.fixture
def families(doltlite_server, tmp_path):
    root = tmp_path / "data"
    shutil.copytree(EXAMPLES, root / "families")
    request = ImportRequest(
        sources=["families/*.csv"], database="families", summary="import", understood_by="model"
    )
    database = doltlite_server.database(name="families", create=True)
    inspection, staging = pipeline.inspect(
        request, database=database, policy=SourcePolicy(roots=(root,)), workdir=tmp_path / "w"
    )
    yield request, database, inspection, staging
    staging.close()


def sent(server, index):
    return "\n".join(m["content"] for m in server.completions[index].messages)


# understand -----------------------------------------------------------------------------
def test_understand_returns_the_models_request(model):
    server, client = model
    server.add(
        [
            ImportRequest(
                sources=["examples/families/people.csv"],
                database="families",
                table="people",
                where="age >= 21",
                summary="Import people 21+.",
            )
        ]
    )
    request = understand.run(client, text="Only people 21 or older from people.csv, please")
    assert (request.table, request.where) == ("people", "age >= 21")
    assert "Only people 21 or older" in sent(server, 0)


def test_not_an_import_request(model):
    server, client = model
    server.add([ImportRequest(status="cannot", reason="It asks about the weather.")])
    with pytest.raises(RequestNotUnderstood, match="weather"):
        understand.run(client, text="What's the weather?")


def test_a_bad_answer_is_repaired_with_the_exact_error(model):
    server, client = model
    server.add(
        [
            ImportRequest(sources=["a.csv"], database="../etc", summary="x"),
            ImportRequest(sources=["a.csv"], database="sales", summary="x"),
        ]
    )
    assert understand.run(client, text="put a.csv in the sales db").database == "sales"
    assert "failed validation" in sent(server, 1) and "'../etc' is not allowed" in sent(server, 1)


def test_repair_is_bounded_and_says_what_failed(model):
    server, client = model
    server.add([ImportRequest(sources=[], database="sales", summary="x")] * 4)
    with pytest.raises(RepairExhausted, match="sources is empty"):
        understand.run(client, text="I have some files for the sales database")
    assert len(server.completions) == 4


def test_invalid_json_goes_back_to_the_model(model):
    server, client = model
    server.add(
        ['{"sources": "not a list"', ImportRequest(sources=["a.csv"], database="s", summary="x")]
    )
    assert understand.run(client, text="put a.csv in s").sources == ["a.csv"]


def test_a_hostile_filter_is_refused(model):
    server, client = model
    hostile = ImportRequest(
        sources=["a.csv"], database="s", where="1=1; DROP TABLE people", summary="x"
    )
    server.add([hostile] * 4)
    with pytest.raises(RepairExhausted, match="without ';'"):
        understand.run(client, text="put a.csv in s")


def test_a_request_the_grammar_reads_needs_no_model(model):
    server, client = model
    request = understand.run(client, text="import a.csv into sales where age >= 21")
    assert (request.database, request.where) == ("sales", "age >= 21")
    assert server.completions == []


# ask --------------------------------------------------------------------------------------
def test_questions_with_a_default_outside_the_choices_are_repaired(model, families):
    server, client = model
    request, _, inspection, _ = families
    bad = Question(
        id="key", text="Key of marriages?", choices=["none", "person ids"], default="x", why="w"
    )
    good = bad.model_copy(update={"default": "none"})
    server.add([FollowUpQuestions(questions=[bad]), FollowUpQuestions(questions=[good])])
    baseline = pipeline.baseline_schema(request, inspection)
    (question,) = ask.run(client, request=request, inspection=inspection, baseline=baseline)
    assert question.default == "none"


# schema -----------------------------------------------------------------------------------
def test_hostile_edits_never_reach_the_database(model, families):
    server, client = model
    request, database, inspection, _ = families
    baseline = pipeline.baseline_schema(request, inspection)
    for hostile in (
        SchemaEdit(
            action="set_type", table="people", columns=["age"], target="INT); DROP TABLE x; --"
        ),
        SchemaEdit(action="rename", table="people", target="dolt_branches"),
        SchemaEdit(action="fold_into", table="marriages", target="birthdays"),  # no key links them
    ):
        server.add([SchemaRevision(edits=[hostile])] * 4)
        proposal = pipeline.propose(request, inspection, database=database, llm=client)
        assert proposal.tables == baseline.tables  # fell back to the baseline
        assert "failed validation 4 times" in proposal.notes[0]
    assert [b.name for b in database.list_branches()] == ["main"]  # scratch branches removed


def test_revision_folds_birthdays_into_people(model, families):
    server, client = model
    request, database, inspection, staging = families
    baseline = pipeline.baseline_schema(request, inspection)
    feedback = "instead of creating a birthdays table, add a date_of_birth column to people"
    server.add(
        [
            SchemaRevision(
                edits=[
                    SchemaEdit(action="fold_into", table="birthdays", target="people"),
                ]
            )
        ]
    )
    schema = pipeline.propose(
        request,
        inspection,
        database=database,
        llm=client,
        previous=baseline,
        conversation=[f"person: change the schema: {feedback}"],
        feedback=feedback,
    )
    assert [t.name for t in schema.tables] == ["people", "marriages", "parents"]
    assert feedback in sent(server, 0) and "untrusted_sample_rows" in sent(server, 0)

    baseline_plan = pipeline.plan(request, inspection, schema, staging=staging, database=database)
    join = (
        "SELECT p.id, p.name, p.age, b.date_of_birth FROM people AS p "
        "LEFT JOIN birthdays AS b ON b.person_id = p.id"
    )
    wrong = ImportPlan(steps=[s for s in baseline_plan.steps if s.table != "people"])
    people_step = PlanStep(
        table="people",
        select=join,
        mode="create",
        relation="people",
        source_rows=0,
        expected_rows=0,
    )
    right = ImportPlan(steps=[people_step, *wrong.steps])
    server.add([wrong, right])
    plan = pipeline.plan(
        request, inspection, schema, staging=staging, database=database, llm=client
    )
    assert "missing: ['people']" in sent(server, 2)
    step = next(s for s in plan.steps if s.table == "people")
    assert (step.source_rows, step.expected_rows) == (50, 50)  # measured, not the model's zeros

    review = pipeline.run(
        job_id="fold",
        text=REQUEST_B,
        author=REQUESTER,
        schema=schema,
        import_plan=plan,
        database=database,
        staging=staging,
    )
    assert {t.name: t.rows_added for t in review.tables} == {
        "people": 50,
        "marriages": 21,
        "parents": 44,
    }
    assert (
        database.count_rows(table="people", ref=review.branch, where="date_of_birth IS NULL") == 0
    )


def test_a_plan_that_drops_a_table_is_refused_and_the_baseline_used(model, families):
    server, client = model
    request, database, inspection, staging = families
    schema = pipeline.baseline_schema(request, inspection)
    baseline_plan = pipeline.plan(request, inspection, schema, staging=staging, database=database)
    hostile = baseline_plan.model_copy(
        update={
            "steps": [
                baseline_plan.steps[0].model_copy(update={"select": "DROP TABLE people"}),
                *baseline_plan.steps[1:],
            ]
        }
    )
    server.add([hostile] * 4)
    plan = pipeline.plan(
        request, inspection, schema, staging=staging, database=database, llm=client
    )
    assert plan.steps == baseline_plan.steps and "DROP" in sent(server, 1)


def test_a_plan_that_widens_the_mode_is_refused_and_the_persons_mode_kept(model, families):
    """Issue 13, point 4: a model turning an append into a replace (which deletes every row
    of main's table) fails validation; after the repairs the baseline's mode stands."""
    server, client = model
    request, database, inspection, staging = families
    request = request.model_copy(update={"mode": "append"})
    schema = pipeline.baseline_schema(request, inspection)
    baseline_plan = pipeline.plan(request, inspection, schema, staging=staging, database=database)
    widened = baseline_plan.model_copy(
        update={
            "steps": [step.model_copy(update={"mode": "replace"}) for step in baseline_plan.steps]
        }
    )
    server.add([widened] * 4)
    plan = pipeline.plan(
        request, inspection, schema, staging=staging, database=database, llm=client
    )
    assert [step.mode for step in plan.steps] == ["append"] * len(plan.steps)
    assert "in replace mode; the mode is append" in sent(server, 1)


def test_usage_is_recorded_per_stage(model):
    server, client = model
    server.add([ImportRequest(sources=["a.csv"], database="s", summary="x")])
    understand.run(client, text="put a.csv in s")
    (usage,) = client.usage
    assert (usage.stage, usage.job_id, usage.model) == ("understand", "test", "scripted")
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0


def test_add_columns_to_a_table_is_read_as_folding_the_table_that_has_them(model, families):
    server, client = model
    request, database, inspection, _ = families
    server.add(
        [
            SchemaRevision(
                edits=[
                    SchemaEdit(
                        action="fold_into",
                        table="people",
                        target="people",
                        columns=["date_of_birth"],
                    ),
                ]
            )
        ]
    )
    schema = pipeline.propose(
        request,
        inspection,
        database=database,
        llm=client,
        feedback="add a date_of_birth column to people instead of birthdays",
    )
    assert [t.name for t in schema.tables] == ["people", "marriages", "parents"]
    assert "`date_of_birth` DATE" in schema.tables[0].ddl[0]


def test_a_grammar_request_without_answers_takes_the_baseline_without_asking(model, families):
    server, client = model
    request, database, inspection, staging = families
    exact = request.model_copy(update={"understood_by": "grammar"})
    schema = pipeline.propose(exact, inspection, database=database, llm=client)
    plan = pipeline.plan(exact, inspection, schema, staging=staging, database=database, llm=client)
    assert schema == pipeline.baseline_schema(exact, inspection) and len(plan.steps) == 4
    assert server.completions == []
