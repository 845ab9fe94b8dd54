from bot.slack.messages.actions import CHANGES_MODAL_CALLBACK, ButtonRef
from bot.slack.messages.modal import changes_modal
from tests.bot.slack_messages.blockkit import assert_valid_view
from tests.bot.slack_messages.factories import ref


def test_changes_modal_carries_the_ref_and_one_multiline_input():
    view = changes_modal(ref=ref("schema", 5), title="Change the schema")
    assert_valid_view(view)
    assert view["type"] == "modal"
    assert view["callback_id"] == CHANGES_MODAL_CALLBACK
    assert ButtonRef.decode(view["private_metadata"]) == ref("schema", 5)
    [field] = [b for b in view["blocks"] if b["type"] == "input"]
    assert field["block_id"] == "feedback"
    assert field["element"]["action_id"] == "feedback"
    assert field["element"]["type"] == "plain_text_input" and field["element"]["multiline"]


def test_a_long_title_is_cut_to_slacks_24_characters():
    view = changes_modal(ref=ref("plan"), title="Request changes to the import plan please")
    assert_valid_view(view)
    assert len(view["title"]["text"]) <= 24
