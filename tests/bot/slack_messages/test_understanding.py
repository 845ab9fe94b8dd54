from agents.artifacts import ImportRequest
from bot.slack.messages.actions import (
    CANCEL,
    CONFIRM_UNDERSTANDING,
    EDIT_UNDERSTANDING,
    ButtonRef,
)
from bot.slack.messages.understanding import render_understanding
from tests.bot.slack_messages.blockkit import (
    all_text,
    assert_no_markup_from,
    assert_valid_message,
    elements,
)
from tests.bot.slack_messages.factories import HOSTILE, ref


def test_understanding_shows_summary_details_and_three_buttons(request_artifact):
    message = render_understanding(request_artifact, ref=ref("understanding"))
    assert_valid_message(message)
    text = all_text(message.blocks)
    assert "Import every CSV file in examples/families" in text
    assert "`examples/families/*.csv`" in text and "`families`" in text
    assert "`age &gt;= 21`" in text and "create" in text
    buttons = elements(message.blocks, "button")
    assert [x["action_id"] for x in buttons] == [CONFIRM_UNDERSTANDING, EDIT_UNDERSTANDING, CANCEL]
    assert [x["text"]["text"] for x in buttons] == ["Looks right", "Edit", "Cancel"]
    assert buttons[0]["style"] == "primary" and "confirm" in buttons[2]
    assert {ButtonRef.decode(x["value"]) for x in buttons} == {ref("understanding")}
    assert message.text.startswith("This is my understanding")


def test_hostile_request_is_escaped():
    request = ImportRequest(
        sources=[HOSTILE] * 300, database="d", where=HOSTILE, summary=HOSTILE[:600]
    )
    message = render_understanding(request, ref=ref("understanding"))
    assert_valid_message(message)
    assert_no_markup_from("channel", message)
    assert "&lt;!channel&gt;" in message.text


def test_not_an_import_request_offers_edit_and_cancel_only():
    request = ImportRequest(status="cannot", reason="That is a question about the weather.")
    message = render_understanding(request, ref=ref("understanding"))
    assert_valid_message(message)
    assert "weather" in all_text(message.blocks)
    assert [x["action_id"] for x in elements(message.blocks, "button")] == [
        EDIT_UNDERSTANDING,
        CANCEL,
    ]


def test_the_checks_in_words_are_listed():
    request = ImportRequest(
        sources=["examples/families"],
        database="fam",
        summary="Import examples/families into database fam.",
        checks=["there are at least 50 people", "every marriage's people exist", HOSTILE],
    )
    message = render_understanding(request, ref=ref("understanding"))
    assert_valid_message(message)
    assert_no_markup_from("channel", message)
    text = all_text(message.blocks)
    assert "*Checks* (Dolt tests on the branch):" in text
    assert "• there are at least 50 people\n• every marriage's people exist" in text
