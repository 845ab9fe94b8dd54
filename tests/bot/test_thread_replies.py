"""Which messages in a job's thread the bot acts on (`bot.slack.thread_replies`): answers and
clear changes from the requester, cancel, mentions; chatter and colleagues' comments are left
alone."""

from __future__ import annotations

import pytest

from agents.artifacts import FollowUpQuestions, Question
from agents.stages.grammar import parse_request
from bot.slack.thread_replies import Reply, read_reply
from workers.job import Job, Person, Place
from workers.stage_table import Stage
from workers.states import Status

REQUEST = "import families/people.csv into database families table people where age >= 21"
ADA = Person(id="U_ADA", name="Ada")


def _job(status: Status, *, questions: list[Question] | None = None, text: str = REQUEST) -> Job:
    place = Place(kind="slack", channel="C1", thread_ts="1.0")
    job = Job(id="j1", requester=ADA, place=place, text=text)
    job.status, job.pending = status, None
    job.add_artifact(Stage.UNDERSTANDING, parse_request(REQUEST))
    if questions is not None:
        job.add_artifact(Stage.QUESTIONS, FollowUpQuestions(questions=questions))
    return job


KEY = Question(id="key", text="Which key?", choices=["id", "email"], default="id", why="w")
NOTE = Question(id="note", text="Anything else?", default="", why="w")
SCHEMA = Status.AWAITING_SCHEMA_APPROVAL


@pytest.mark.parametrize(
    "text",
    [
        "looks good to me",
        "thanks Grace!",
        "thanks <@U_GRACE>!",
        "lgtm :tada:",
        "no worries",
        "I think the age filter is right",
        "<@U_GRACE> can you use id as the key?",  # said to a colleague, not to the bot
        "",
    ],
)
def test_chatter_from_the_requester_is_left_alone(text):
    reading = read_reply(_job(SCHEMA), text=text, may_change=True, mentions_bot=False)
    assert reading.reply == Reply.IGNORE


@pytest.mark.parametrize(
    "text",
    [
        "use id as the key",
        "key id",  # read by the grammar only
        "no foreign keys",
        "type zip VARCHAR(10)",
        "only rows where age > 30",
        "rename people to persons",
        "call the table persons",
        "instead of people, put them in folks",
        "thanks! could you use name as the primary key",
        "please drop the age column",
    ],
)
def test_a_clear_change_from_the_requester_is_a_change(text):
    reading = read_reply(_job(SCHEMA), text=text, may_change=True, mentions_bot=False)
    assert reading.reply == Reply.CHANGE


def test_a_mention_of_the_bot_is_for_the_bot_unless_it_is_thanks():
    job = _job(SCHEMA)
    said = read_reply(job, text="<@UBOT> the ages look odd", may_change=True, mentions_bot=True)
    assert said.reply == Reply.CHANGE
    thanks = read_reply(job, text="<@UBOT> thanks!", may_change=True, mentions_bot=True)
    assert thanks.reply == Reply.IGNORE


def test_a_colleague_is_refused_a_change_and_their_comments_are_left_alone():
    job = _job(SCHEMA)
    change = read_reply(job, text="use id as the key", may_change=False, mentions_bot=False)
    assert change.reply == Reply.REFUSE_ONCE
    cancel = read_reply(job, text="cancel", may_change=False, mentions_bot=False)
    assert cancel.reply == Reply.REFUSE_ONCE
    comment = read_reply(job, text="nice, Ada", may_change=False, mentions_bot=False)
    assert comment.reply == Reply.IGNORE


def test_cancel_and_nothing_awaited():
    assert read_reply(_job(SCHEMA), text="Cancel.", may_change=True, mentions_bot=False).reply == (
        Reply.CANCEL
    )
    running = _job(Status.RUNNING)
    busy = read_reply(running, text="use id as the key", may_change=True, mentions_bot=False)
    assert busy.reply == Reply.NOT_NOW and "nothing to answer right now" in busy.note
    thanks = read_reply(running, text="thanks!", may_change=True, mentions_bot=False)
    assert thanks.reply == Reply.IGNORE


def test_a_question_with_choices_takes_only_a_choice():
    job = _job(Status.AWAITING_ANSWERS, questions=[KEY])
    for said in ("email", "Email.", "`email`", "2"):
        reading = read_reply(job, text=said, may_change=True, mentions_bot=False)
        assert (reading.reply, reading.answers) == (Reply.ANSWER, {"key": "email"}), said
    other = read_reply(job, text="the phone number", may_change=True, mentions_bot=False)
    assert other.reply == Reply.ASK_ONCE and "`id`, `email`" in other.note
    assert read_reply(job, text="thanks!", may_change=True, mentions_bot=False).reply == (
        Reply.IGNORE
    )


def test_a_free_text_question_takes_the_reply_and_a_choice_still_answers_its_question():
    job = _job(Status.AWAITING_ANSWERS, questions=[KEY, NOTE])
    free = read_reply(job, text="skip the retired ones", may_change=True, mentions_bot=False)
    assert (free.reply, free.answers) == (Reply.ANSWER, {"note": "skip the retired ones"})
    choice = read_reply(job, text="email", may_change=True, mentions_bot=False)
    assert choice.answers == {"key": "email"}
    thanks = read_reply(job, text="thank you", may_change=True, mentions_bot=False)
    assert thanks.reply == Reply.IGNORE


def test_a_decision_in_words_points_to_the_buttons_and_a_failed_job_to_retry():
    review = _job(Status.AWAITING_REVIEW)
    merge = read_reply(review, text="<@UBOT> merge it", may_change=True, mentions_bot=True)
    assert merge.reply == Reply.NOT_NOW and "buttons" in merge.note
    said = read_reply(review, text="merge it", may_change=True, mentions_bot=False)
    assert said.reply == Reply.IGNORE  # said to people: maybe to a merger
    failed = read_reply(
        _job(Status.FAILED), text="<@UBOT> try once more", may_change=True, mentions_bot=True
    )
    assert failed.reply == Reply.NOT_NOW and "*Retry*" in failed.note
