"""The Merge button's confirm dialog says what merging does to main before anyone clicks it."""

from __future__ import annotations

from bot.slack.messages.actions import MERGE
from bot.slack.messages.review import render_review
from tests.bot.slack_messages.blockkit import assert_valid_message, elements
from tests.bot.slack_messages.factories import ref, table_review


def _merge_confirm(review) -> dict:
    message = render_review(review, ref=ref("review", 2))
    assert_valid_message(message)
    (merge,) = [e for e in elements(message.blocks, "button") if e["action_id"] == MERGE]
    return merge["confirm"]


def test_the_confirm_dialog_restates_the_impact_per_table(review):
    tables = [
        table_review("people", change="modified", rows_added=50, rows_modified=3, rows_deleted=0),
        table_review("pets", change="modified", rows_added=0, rows_modified=0, rows_deleted=2),
    ]
    confirm = _merge_confirm(review.model_copy(update={"tables": tables}))
    assert confirm["title"]["text"] == "Merge into main?"
    assert confirm["text"]["text"] == (
        "Adds 50 rows to people, changes 3, deletes 0 and changes its columns; adds 0 rows to "
        "pets, changes 0, deletes 2 and changes its columns (`import/20250101-abc123` into "
        "`main` of `families`)."
    )


def test_sixty_tables_stay_within_slacks_300_characters_and_say_how_many_more(review):
    tables = [table_review(f"t{i:02}_<!channel>", rows_added=i + 1) for i in range(60)]
    text = _merge_confirm(review.model_copy(update={"tables": tables}))["text"]["text"]
    assert len(text) <= 300
    assert text.startswith("Adds 1 row to t00_&lt;!channel&gt;, changes 0, deletes 0; adds 2 rows")
    assert " more tables (`import/20250101-abc123` into `main` of `families`)." in text
    assert "<!channel>" not in text and "…" not in text  # cut by tables, not mid-word
