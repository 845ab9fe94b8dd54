"""A check the database cannot run (a function the policy let through but the branch's engine
lacks) fails the import in words and resets the branch: no "Internal error", nothing left
uncommitted."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlglot import exp

from agents import pipeline
from agents.errors import VerificationFailed
from agents.execution.branches import branch_name
from agents.sources.resolve import SourcePolicy
from dolt.sql import policy
from tests.conftest import REQUESTER

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "families"
REQUEST = 'Import families/people.csv into database "families" table "people" where age >= 21.'


def test_a_check_with_a_function_doltlite_lacks_resets_the_branch_and_names_it(
    doltlite_server, tmp_path, monkeypatch
):
    shutil.copytree(EXAMPLES, tmp_path / "data" / "families")
    request = pipeline.understand(REQUEST)
    database = doltlite_server.database(name="families", create=True)
    inspection, staging = pipeline.inspect(
        request,
        database=database,
        policy=SourcePolicy(roots=(tmp_path / "data",)),
        workdir=tmp_path / "job",
    )
    schema = pipeline.propose(request, inspection, database=database)
    plan = pipeline.plan(request, inspection, schema, staging=staging, database=database)
    # as if the policy allowed MD5, which DuckDB has and doltlite does not
    monkeypatch.setattr(policy, "ALLOWED_FUNCTIONS", policy.ALLOWED_FUNCTIONS | {exp.MD5})
    checked = plan.model_copy(update={"checks": [*plan.checks, "MD5(name) <> ''"]})

    with pytest.raises(VerificationFailed) as failed:
        pipeline.run(
            job_id="md5",
            text=REQUEST,
            author=REQUESTER,
            schema=schema,
            import_plan=checked,
            database=database,
            staging=staging,
        )
    staging.close()

    assert str(failed.value) == (
        "The check MD5(name) <> '' on people cannot run: function MD5() is not available on "
        "this database, so the branch was reset. Write the condition without MD5()."
    )
    branch = branch_name("md5")
    assert database.branch(name=branch).head == database.branch(name="main").head
    assert database.list_tables(ref=branch) == database.list_tables(ref="main")  # no rows kept
