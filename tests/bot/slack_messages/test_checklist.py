"""The load as a checklist: a line per table in words (no bar drawn only in block characters)."""

from bot.slack.messages.checklist import TableProgress, render_checklist
from tests.bot.slack_messages.blockkit import (
    assert_no_markup_from,
    assert_valid_message,
    elements,
    mrkdwn_text,
)
from tests.bot.slack_messages.factories import HOSTILE


def test_each_table_says_waiting_loading_at_a_rate_or_done():
    tables = [
        TableProgress(
            "people",
            100,
            done=100,
            started=0,
            updated=1,
            finished=True,
            outcome="+98 added · 2 rejected",
        ),
        TableProgress("towns", 5000, done=1200, started=10.0, updated=12.0),
        TableProgress("pets", 40),
    ]
    message = render_checklist("j1", tables)
    assert_valid_message(message)
    text = mrkdwn_text(message.blocks)
    assert text.startswith(":hourglass_flowing_sand: *Loading 2 of 3 tables* · 1,300 of 5,140 rows")
    assert ":white_check_mark: `people` — done · +98 added · 2 rejected" in text
    assert (
        ":hourglass_flowing_sand: `towns` — loading 1,200 of 5,000 rows (24%) at 600 rows/s" in text
    )
    assert ":white_small_square: `pets` — waiting (40 rows)" in text
    assert elements(message.blocks, "button") == []
    assert message.text.startswith("Loading 2 of 3 tables")


def test_done_with_rejects_is_done_and_a_stop_says_nothing_reached_main():
    done = [TableProgress("people", 100, done=98, finished=True, outcome="2 rejected")]
    assert mrkdwn_text(render_checklist("j", done).blocks).startswith(
        ":white_check_mark: *Loaded 1 table*"
    )
    stopped = [TableProgress("people", 100, done=40, started=1, updated=2, stopped=True)]
    text = mrkdwn_text(render_checklist("j", stopped).blocks)
    assert "*Stopped* after 40 rows: nothing reached main" in text
    assert "`people` — stopped at 40 rows" in text


def test_three_hundred_hostile_tables_stay_within_slacks_limits():
    tables = [TableProgress(f"{HOSTILE}{i}", 10) for i in range(300)]
    message = render_checklist(HOSTILE, tables)
    assert_valid_message(message)
    assert_no_markup_from("channel", message)
