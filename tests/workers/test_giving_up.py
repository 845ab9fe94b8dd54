"""What a job's failure says when a step gives up: the cause and what to do next."""

from __future__ import annotations

from celery.exceptions import SoftTimeLimitExceeded

from agents.errors import LlmUnavailable
from dolt.errors import Busy
from workers import giving_up
from workers.stage_table import Step


def test_used_up_retries_name_the_part_that_did_not_answer_and_how_to_retry():
    model = giving_up.retries_used_up(
        "J1", Step.UNDERSTAND, LlmUnavailable("No model could answer."), tries=13
    )
    assert model.startswith("Gave up after 13 tries. The language model did not answer")
    assert "(No model could answer)" in model and "OPENAI_BASE_URL" in model
    assert "`importbot retry J1`" in model and "Nothing reached main" in model
    database = giving_up.retries_used_up("J1", Step.EXECUTE, Busy("database is locked"), tries=2)
    assert "The database did not answer while loading the branch" in database


def test_the_time_limit_is_named_and_a_bug_is_named_without_its_text():
    limit = giving_up.step_error("J1", Step.PLAN, SoftTimeLimitExceeded())
    assert limit.startswith("Planning the import ran into the task time limit")
    assert "IMPORTBOT_TASK_TIME_LIMIT" in limit and "importbot retry J1" in limit
    bug = giving_up.step_error("J1", Step.PLAN, KeyError("secret"))
    assert bug == "Internal error in plan: KeyError. Nothing was merged."


def test_a_missing_model_setting_and_a_worker_that_keeps_stopping():
    missing = giving_up.model_not_configured(
        "J1", Step.UNDERSTAND, "IMPORTBOT_LLM=openai needs OPENAI_API_KEY."
    )
    assert "needs OPENAI_API_KEY" in missing and "operator" in missing
    assert "stopped 3 times" in giving_up.worker_stopped("J1", Step.EXECUTE, restarts=2)
    assert "stopped once" in giving_up.worker_stopped("J1", Step.EXECUTE, restarts=0)
    waiting = giving_up.waiting(Step.UNDERSTAND, LlmUnavailable("HTTP 503."), tries=13)
    assert waiting.startswith("Still reading the request: HTTP 503. Trying again")
