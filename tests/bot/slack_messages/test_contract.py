"""The names other modules code against, and every renderer under the worst inputs."""

import pytest

from agents.artifacts import ImportPlan, ImportRequest, Question, Review, SchemaProposal
from bot.slack.messages import actions
from bot.slack.messages.checklist import TableProgress, render_checklist
from bot.slack.messages.decided import render_decided, render_error, render_final, render_notice
from bot.slack.messages.plan import render_plan
from bot.slack.messages.questions import render_questions
from bot.slack.messages.review import render_review, render_review_details
from bot.slack.messages.schema import render_schema
from bot.slack.messages.understanding import render_understanding
from tests.bot.slack_messages.blockkit import assert_no_markup_from, assert_valid_message
from tests.bot.slack_messages.factories import (
    HOSTILE,
    plan_step,
    ref,
    reject,
    snapshot,
    table_proposal,
    table_review,
)
from workers.states import Status


def test_action_ids_are_the_agreed_strings():
    assert {
        name: getattr(actions, name)
        for name in (
            "CONFIRM_UNDERSTANDING",
            "EDIT_UNDERSTANDING",
            "CANCEL",
            "ANSWER_QUESTION",
            "SKIP_QUESTIONS",
            "SUBMIT_ANSWERS",
            "APPROVE_SCHEMA",
            "CHANGE_SCHEMA",
            "RUN_PLAN",
            "CHANGE_PLAN",
            "MERGE",
            "DISCARD",
            "CHANGES_MODAL_CALLBACK",
        )
    } == {
        "CONFIRM_UNDERSTANDING": "confirm_understanding",
        "EDIT_UNDERSTANDING": "edit_understanding",
        "CANCEL": "cancel_job",
        "ANSWER_QUESTION": "answer_question",
        "SKIP_QUESTIONS": "skip_questions",
        "SUBMIT_ANSWERS": "submit_answers",
        "APPROVE_SCHEMA": "approve_schema",
        "CHANGE_SCHEMA": "change_schema",
        "RUN_PLAN": "run_plan",
        "CHANGE_PLAN": "change_plan",
        "MERGE": "merge_import",
        "DISCARD": "discard_import",
        "CHANGES_MODAL_CALLBACK": "request_changes",
    }
    assert actions.DECIDED_STAGES == ("understanding", "questions", "schema", "plan", "review")


BIG = (HOSTILE + " ") * 40


def worst_review() -> Review:
    tables = [
        table_review(
            f"{HOSTILE}{i}",
            change="modified",
            schema_before=BIG,
            schema_after=BIG + "x",
            samples=[{"change": "added", "v": BIG}] * 10,
        )
        for i in range(7)
    ]
    return Review(
        job_id="j",
        database=HOSTILE,
        branch="import/j",
        commit=None,
        tables=tables,
        rejected_rows=3,
        rejects=[reject(1, BIG)] * 3,
        conflicts=[BIG] * 30,
        checks_passed=[BIG] * 30,
    )


WORST = {
    "understanding": lambda: render_understanding(
        ImportRequest(sources=[BIG] * 50, database=HOSTILE, where=BIG, summary=BIG[:600]),
        ref=ref("understanding"),
    ),
    "questions": lambda: render_questions(
        [Question(id=BIG, text=BIG[:300], choices=[BIG] * 200, default=BIG, why=BIG[:300])] * 30,
        ref=ref("questions"),
    ),
    "schema": lambda: render_schema(
        SchemaProposal(tables=[table_proposal("t", 500)] * 3, notes=[BIG] * 50),
        ref=ref("schema"),
        snapshots=[snapshot(BIG)] * 500,
    ),
    "plan": lambda: render_plan(
        ImportPlan(steps=[plan_step(BIG)] * 100, checks=[BIG] * 50, notes=[BIG] * 50),
        ref=ref("plan"),
    ),
    "progress": lambda: render_checklist(
        BIG, [TableProgress(BIG, 3, done=10**12, started=0.0, updated=1.0)] * 200
    ),
    "review": lambda: render_review(
        worst_review(), ref=ref("review"), mergers=[BIG, "U1", "<!channel>"]
    ),
    "review_details": lambda: render_review_details(worst_review(), ref=ref("review")),
    "decided": lambda: render_decided(
        render_review(worst_review(), ref=ref("review")), decision=BIG, user_id=BIG
    ),
    "final": lambda: render_final(
        job_id=BIG, status=Status.FAILED, database=BIG, branch=BIG, user_id=BIG, detail=BIG * 10
    ),
    "notice": lambda: render_notice(BIG * 10),
    "error": lambda: render_error(BIG * 10),
}


@pytest.mark.parametrize("name", WORST)
def test_every_renderer_stays_valid_and_escaped_under_the_worst_inputs(name):
    message = WORST[name]()
    assert_valid_message(message)
    assert_no_markup_from("channel", message)
    for block in message.blocks:
        text = block.get("text", {}).get("text", "")
        assert text.count("```") % 2 == 0


def test_the_worst_review_attaches_what_it_could_not_show():
    assert not WORST["review"]().files  # the first screen: everything else is in the reply
    message = WORST["review_details"]()
    review, rejects = message.files
    assert (review.filename, rejects.filename) == (
        "review-20250101-abc123.txt",
        "rejects-20250101-abc123.csv",
    )
    assert review.content.count("✓") == 30 and rejects.content.count("people.csv") == 3
