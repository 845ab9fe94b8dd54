import pytest

from bot.slack.messages import actions as ids
from bot.slack.messages.actions import ButtonRef
from bot.slack.messages.decided import render_decided, render_error, render_final, render_notice
from bot.slack.messages.questions import render_questions
from bot.slack.messages.review import render_review
from tests.bot.slack_messages.blockkit import assert_valid_message, elements, mrkdwn_text
from tests.bot.slack_messages.factories import HOSTILE, ref
from workers.states import Status


def test_decided_removes_every_actions_block_and_names_the_user(review):
    original = render_review(review, ref=ref("review"))
    assert any(b["type"] == "actions" for b in original.blocks)
    decided = render_decided(original, decision="Merge into main", user_id="U0123ABC")
    assert_valid_message(decided)
    assert all(b["type"] != "actions" for b in decided.blocks)
    assert decided.blocks[-1]["type"] == "context"
    assert decided.blocks[-1]["elements"][0]["text"] == "<@U0123ABC> chose *Merge into main*"
    assert decided.blocks[:-1] == [b for b in original.blocks if b["type"] != "actions"]
    assert decided.files == ()
    assert decided.text.startswith("<@U0123ABC> chose Merge into main: Review of import/")


def test_decided_also_removes_question_selects(questions):
    decided = render_decided(
        render_questions(questions, ref=ref("questions")), decision="Skip", user_id="U1"
    )
    assert_valid_message(decided)
    assert elements(decided.blocks, "static_select") == []
    assert elements(decided.blocks, "button") == []


def test_decided_does_not_trust_its_arguments(review):
    decided = render_decided(
        render_review(review, ref=ref("review")), decision=HOSTILE, user_id="<!channel>"
    )
    assert_valid_message(decided)
    assert "<!channel>" not in mrkdwn_text(decided)


@pytest.mark.parametrize(
    ("status", "says"),
    [
        ("merged", "<@U0123ABC> merged `import/j` into `main` of `families`."),
        ("discarded", "<@U0123ABC> discarded `import/j`; `main` never saw it."),
        ("cancelled", "<@U0123ABC> cancelled the import; nothing was written to `main`."),
        ("failed", "The import failed; nothing was written to `main`."),
    ],
)
def test_final_states(status, says):
    message = render_final(
        job_id="j",
        status=Status(status),
        database="families",
        branch="import/j",
        user_id="U0123ABC",
        detail="DuckDB ran out of <memory>",
    )
    assert_valid_message(message)
    text = mrkdwn_text(message.blocks)
    assert says in text and "DuckDB ran out of &lt;memory&gt;" in text
    assert elements(message.blocks, "button") == []


def test_final_without_user_or_branch():
    message = render_final(
        job_id="j", status=Status.FAILED, database=None, branch=None, user_id=None
    )
    assert_valid_message(message)
    assert "The import failed" in mrkdwn_text(message.blocks)
    cancelled = render_final(
        job_id="j", status=Status.CANCELLED, database=None, branch=None, user_id=None
    )
    assert "The import was cancelled" in mrkdwn_text(cancelled.blocks)


def test_notice_and_error_escape_and_stay_within_limits():
    for render in (render_notice, render_error):
        message = render(HOSTILE * 200)
        assert_valid_message(message)
        assert "<!channel>" not in mrkdwn_text(message)


def test_a_failure_offers_retry_and_edit_request_carrying_the_job():
    retry = ButtonRef(job_id="j", stage="understanding", version=1)
    message = render_final(
        job_id="j",
        status=Status.FAILED,
        database="families",
        branch=None,
        user_id=None,
        detail="Gave up after 13 tries.",
        retry=retry,
    )
    assert_valid_message(message)
    buttons = elements(message.blocks, "button")
    assert [(e["action_id"], e["text"]["text"]) for e in buttons] == [
        (ids.RETRY, "Retry"),
        (ids.EDIT_FAILED_REQUEST, "Edit request"),
    ]
    assert {ButtonRef.decode(e["value"]) for e in buttons} == {retry}
    for status in (Status.MERGED, Status.DISCARDED, Status.CANCELLED):
        ended = render_final(
            job_id="j", status=status, database=None, branch=None, user_id=None, retry=retry
        )
        assert elements(ended.blocks, "button") == []


def test_an_older_version_folds_to_one_line_saying_what_changed():
    from bot.slack.messages.replaced import render_replaced

    folded = render_replaced("schema proposal", 1, 2, f"use id as the key {HOSTILE}")
    assert_valid_message(folded)
    assert [b["type"] for b in folded.blocks] == ["context"]
    text = mrkdwn_text(folded)
    assert "This schema proposal (version 1) was replaced by version 2 (what changed: " in text
    assert "<!channel>" not in text and elements(folded.blocks, "button") == []
    assert "what changed" not in render_replaced("questions", 1, 2, "answers").text


def test_a_submitted_answer_stays_visible_and_a_revision_says_revising(questions):
    from bot.slack.messages.actions import QuestionRef
    from bot.slack.messages.replaced import render_revising, render_shown_again

    original = render_questions(questions, ref=ref("questions"))
    first = next(b for b in original.blocks if b.get("accessory", {}).get("type"))
    decided = render_decided(
        original, decision="Submit", user_id="U1", chosen={first["block_id"]: f"id {HOSTILE}"}
    )
    assert_valid_message(decided)
    answered = next(b for b in decided.blocks if b.get("block_id") == first["block_id"])
    shown = answered["text"]["text"]
    assert "\n→ *id &lt;!channel&gt;" in shown and "<!channel>" not in shown
    assert QuestionRef.decode(answered["block_id"]).index == 0
    revising = render_revising(original, "use email as the key")
    assert_valid_message(revising)
    assert elements(revising.blocks, "static_select") == elements(revising.blocks, "button") == []
    assert "Revising “use email as the key”… the new version follows below." in mrkdwn_text(
        revising
    )
    assert "is shown again below" in render_shown_again("schema proposal", 2).text
