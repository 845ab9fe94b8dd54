import pytest

from bot.slack.messages.progress import progress_bar, render_progress
from tests.bot.slack_messages.blockkit import assert_valid_message, elements, mrkdwn_text


def test_progress_is_a_text_bar_without_buttons():
    message = render_progress(job_id="j1", table="people", done=500, expected=1000)
    assert_valid_message(message)
    text = mrkdwn_text(message.blocks)
    assert "Loading `people`: 500 of 1,000 rows" in text
    assert "██████████░░░░░░░░░░ 50%" in text
    assert elements(message.blocks, "button") == []
    assert all(b["type"] != "actions" for b in message.blocks)


def test_finished_progress_is_full():
    message = render_progress(job_id="j1", table="people", done=990, expected=1000, finished=True)
    assert_valid_message(message)
    assert "Loaded `people`" in mrkdwn_text(message.blocks)
    assert "████████████████████ 100%" in mrkdwn_text(message.blocks)


@pytest.mark.parametrize(
    ("share", "bar"),
    [(0, "░" * 20 + " 0%"), (-1, "░" * 20 + " 0%"), (2, "█" * 20 + " 100%"), (0.25, "█" * 5)],
)
def test_progress_bar(share, bar):
    assert progress_bar(share).startswith(bar)


def test_unknown_total_and_hostile_table():
    message = render_progress(job_id="<!here>", table="<!channel>`", done=10, expected=0)
    assert_valid_message(message)
    assert "<!" not in mrkdwn_text(message)
