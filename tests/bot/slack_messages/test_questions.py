from agents.artifacts import Question
from bot.slack.messages.actions import (
    ANSWER_QUESTION,
    CANCEL,
    SKIP_QUESTIONS,
    SUBMIT_ANSWERS,
    QuestionRef,
)
from bot.slack.messages.questions import render_questions
from tests.bot.slack_messages.blockkit import (
    all_text,
    assert_no_markup_from,
    assert_valid_message,
    elements,
)
from tests.bot.slack_messages.factories import HOSTILE, ref


def test_questions_with_choices_get_a_select_with_the_default_chosen(questions):
    message = render_questions(questions, ref=ref("questions", 2))
    assert_valid_message(message)
    [select] = elements(message.blocks, "static_select")
    assert select["action_id"] == ANSWER_QUESTION
    labels = [o["text"]["text"] for o in select["options"]]
    assert labels == ["id (default)", "email", "name"]
    assert [o["value"] for o in select["options"]] == ["0", "1", "2"]
    assert select["initial_option"] == select["options"][0]
    [block] = [blk for blk in message.blocks if blk.get("accessory") is select]
    question = QuestionRef.decode(block["block_id"])
    assert question.ref == ref("questions", 2)
    assert (question.index, question.question_id) == (0, "people_key")


def test_each_question_says_why_and_free_text_says_reply_in_thread(questions):
    text = all_text(render_questions(questions, ref=ref("questions")).blocks)
    assert "It becomes the primary key" in text and "It is the commit message." in text
    assert "Free text: reply in this thread" in text and "`families import`" in text


def test_buttons_submit_skip_cancel(questions):
    buttons = elements(render_questions(questions, ref=ref("questions")).blocks, "button")
    assert [x["action_id"] for x in buttons] == [SUBMIT_ANSWERS, SKIP_QUESTIONS, CANCEL]
    assert buttons[1]["text"]["text"] == "Skip (take defaults)"


def test_free_text_only_has_no_submit_and_no_select():
    only_free = [Question(id="q", text="Name?", default="x", why="y")]
    message = render_questions(only_free, ref=ref("questions"))
    assert_valid_message(message)
    assert elements(message.blocks, "static_select") == []
    assert SUBMIT_ANSWERS not in [x["action_id"] for x in elements(message.blocks, "button")]


def test_long_and_many_choices_and_hostile_text_stay_valid():
    choices = [f"{HOSTILE} {i} " + "x" * 100 for i in range(150)]
    question = Question(
        id="q" * 300, text=HOSTILE, choices=choices, default=choices[120], why=HOSTILE
    )
    message = render_questions([question] * 4, ref=ref("questions"))
    assert_valid_message(message)
    selects = elements(message.blocks, "static_select")
    assert all(len(s["options"]) == 100 for s in selects)
    assert all(s["initial_option"]["value"] == "120" for s in selects)
    assert_no_markup_from("channel", message)


def test_no_questions_offers_continue():
    message = render_questions([], ref=ref("questions"))
    assert_valid_message(message)
    assert [x["action_id"] for x in elements(message.blocks, "button")] == [SKIP_QUESTIONS]
