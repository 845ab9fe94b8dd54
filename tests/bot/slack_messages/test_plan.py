from agents.artifacts import ImportPlan, PlanStep
from bot.slack.messages.actions import CANCEL, CHANGE_PLAN, RUN_PLAN
from bot.slack.messages.plan import render_plan
from tests.bot.slack_messages.blockkit import (
    assert_no_markup_from,
    assert_valid_message,
    elements,
    mrkdwn_text,
)
from tests.bot.slack_messages.factories import HOSTILE, plan_step, ref


def test_plan_shows_each_step_with_its_select_checks_notes_and_buttons(plan):
    message = render_plan(plan, ref=ref("plan"))
    assert_valid_message(message)
    text = mrkdwn_text(message.blocks)
    assert "*people* — create · 1,000 source rows → 870 to load (130 filtered out)" in text
    assert "*towns* — create · 12 source rows → 12 to load" in text
    assert "```\nSELECT id, name, age FROM people_csv WHERE age &gt;= 21\n```" in text
    assert "every row satisfies `age &gt;= 21`" in text
    assert "130 people are younger than 21" in text
    buttons = elements(message.blocks, "button")
    assert [x["action_id"] for x in buttons] == [RUN_PLAN, CHANGE_PLAN, CANCEL]
    assert [x["text"]["text"] for x in buttons] == ["Run import", "Request changes", "Cancel"]
    assert message.files == ()


def test_a_long_plan_goes_out_as_a_file():
    plan = ImportPlan(steps=[plan_step(f"t{i}", 1000 + i, 1000) for i in range(200)])
    message = render_plan(plan, ref=ref("plan"))
    assert_valid_message(message)
    [file] = message.files
    assert file.filename == "plan-20250101-abc123.sql"
    assert file.content.count("SELECT") == 200
    text = mrkdwn_text(message.blocks)
    assert "full plan is attached as a file" in text and "*t0* — create" in text
    assert elements(message.blocks, "button")


def test_hostile_select_stays_inside_its_code_block():
    step = PlanStep(
        table=HOSTILE,
        select=f"SELECT '{HOSTILE}' AS x",
        mode="append",
        source_rows=1,
        expected_rows=1,
    )
    message = render_plan(
        ImportPlan(steps=[step], notes=[HOSTILE], checks=[HOSTILE]), ref=ref("plan")
    )
    assert_valid_message(message)
    assert_no_markup_from("channel", message)
