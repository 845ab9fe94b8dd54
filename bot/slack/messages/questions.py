"""Stage 3: follow-up questions — a select per question (default chosen), Submit / Skip / Cancel.

Each question with choices is a section whose block_id is a `QuestionRef` and whose accessory is
a static_select (action_id ANSWER_QUESTION) with option values `"0"`, `"1"`, … (choice indexes).
Questions without choices are answered by a reply in the thread.
"""

from __future__ import annotations

from agents.artifacts import Question
from bot.slack.messages import blocks as b
from bot.slack.messages.actions import (
    ANSWER_QUESTION,
    SKIP_QUESTIONS,
    SUBMIT_ANSWERS,
    ButtonRef,
    QuestionRef,
)
from bot.slack.messages.limits import MAX_OPTION_TEXT, MAX_OPTIONS
from bot.slack.messages.message import Message, finish
from bot.slack.messages.mrkdwn import escape, inline_code, truncate

DEFAULT_MARK = " (default)"


def render_questions(questions: list[Question], *, ref: ButtonRef) -> Message:
    """Each question with its `why`; choices in a select, free text by thread reply."""
    blocks: list[dict]
    if not questions:
        blocks = [
            b.section("I have no questions: the request and the data answer everything."),
            b.actions("questions_actions", b.button("Continue", SKIP_QUESTIONS, ref)),
        ]
        return finish("No questions; continue?", blocks)
    blocks = [b.section("*A few questions before I propose the tables:*")]
    for index, question in enumerate(questions):
        blocks.append(_question_block(index, question, ref))
    buttons = []
    if any(q.choices for q in questions):
        buttons.append(b.button("Submit answers", SUBMIT_ANSWERS, ref, style="primary"))
    buttons += [b.button("Skip (take defaults)", SKIP_QUESTIONS, ref), b.cancel_button(ref)]
    blocks.append(b.actions("questions_actions", *buttons))
    count = f"{len(questions)} question{'s' if len(questions) != 1 else ''}"
    return finish(f"{count} before I import: {questions[0].text}", blocks)


def _question_block(index: int, question: Question, ref: ButtonRef) -> dict:
    text = f"*{index + 1}. {escape(question.text)}*\n_{escape(question.why)}_"
    if not question.choices:
        text += f"\nFree text: reply in this thread. Default: {inline_code(question.default)}"
        return b.section(text)
    text += f"\nDefault: {inline_code(question.default)}"
    block_id = QuestionRef(ref=ref, index=index, question_id=question.id).encode()
    return b.section(text, block_id=block_id, accessory=_select(question))


def _select(question: Question) -> dict:
    choices = question.choices
    indexes = list(range(min(len(choices), MAX_OPTIONS)))
    if question.default in choices and choices.index(question.default) >= MAX_OPTIONS:
        indexes[-1] = choices.index(question.default)  # keep the default selectable
    options = [_option(choices[i], str(i), default=choices[i] == question.default) for i in indexes]
    select: dict = {
        "type": "static_select",
        "action_id": ANSWER_QUESTION,
        "placeholder": b.plain("Choose", 150),
        "options": options,
    }
    default = [o for o, i in zip(options, indexes, strict=True) if choices[i] == question.default]
    if default:
        select["initial_option"] = default[0]
    return select


def _option(choice: str, value: str, *, default: bool) -> dict:
    mark = DEFAULT_MARK if default else ""
    label = truncate(choice.replace("\n", " "), MAX_OPTION_TEXT - len(mark)) + mark
    return {"text": b.plain(label, MAX_OPTION_TEXT), "value": value}
