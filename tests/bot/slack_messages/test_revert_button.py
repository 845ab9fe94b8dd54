"""The merged message offers Revert, asking first; no other final message does."""

import pytest

from bot.slack.messages import actions as ids
from bot.slack.messages.actions import ButtonRef
from bot.slack.messages.decided import render_final
from tests.bot.slack_messages.blockkit import assert_valid_message, elements
from workers.states import Status

REF = ButtonRef(job_id="20261207-abcdefghjk", stage="review", version=1)


def _final(status: Status, **more):
    return render_final(
        job_id=REF.job_id,
        status=status,
        database="families",
        branch=f"import/{REF.job_id}",
        user_id="U_GRACE1",
        revert=REF,
        **more,
    )


def test_the_merged_message_has_a_revert_button_that_asks_first():
    message = _final(Status.MERGED, detail="merge commit 0123456789ab")
    assert_valid_message(message)
    (button,) = elements(message.blocks, "button")
    assert (button["action_id"], button["text"]["text"]) == (ids.REVERT, "Revert")
    assert ButtonRef.decode(button["value"]) == REF
    dialog = button["confirm"]
    assert dialog["title"]["text"] == f"Revert import {REF.job_id}?"
    assert dialog["text"]["text"] == (
        "Makes a branch that undoes its merge; you review it before main changes."
    )
    assert "style" not in button  # not the obvious next step: a plain button


@pytest.mark.parametrize("status", [Status.DISCARDED, Status.CANCELLED, Status.FAILED])
def test_no_other_final_message_offers_revert(status):
    message = _final(status)
    assert_valid_message(message)
    assert ids.REVERT not in [b["action_id"] for b in elements(message.blocks, "button")]
