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


def test_titles_are_cut_at_a_word_never_inside_one():
    from bot.slack.messages.modal import modal_title

    assert modal_title("Change the schema proposal") == "Change the schema"
    assert modal_title("Change the understanding") == "Change the understanding"  # 24: fits
    assert modal_title("Request changes to the import plan") == "Request changes"
    view = changes_modal(ref=ref("schema"), title="Change the schema proposal")
    assert view["title"]["text"] == "Change the schema"
    assert modal_title("Supercalifragilisticexpialidocious") == "Supercalifragilisticexp"


def test_the_modal_shows_what_is_being_changed():
    from agents.artifacts import ImportPlan, SchemaProposal
    from bot.slack.messages.change_context import change_context
    from tests.bot.slack_messages.factories import plan_step, table_proposal

    schema = SchemaProposal(tables=[table_proposal("people"), table_proposal("<!channel>")])
    context = change_context(schema, version=2)
    assert context is not None and context.startswith("*The schema proposal (version 2):*")
    assert "`people` (new)" in context and "<!channel>" not in context
    view = changes_modal(ref=ref("schema", 2), title="Change the schema", context=context)
    assert_valid_view(view)
    assert view["blocks"][1]["text"]["text"] == context  # after the instruction, before the field
    plan = change_context(ImportPlan(steps=[plan_step("people", rows=50, expected=39)]))
    assert plan == "*The plan:*\n`people`: create, 39 of 50 rows"
    assert change_context(None) is None


def test_a_field_error_is_cut_at_a_word_under_the_change_field():
    from bot.slack.messages.modal import MAX_FIELD_ERROR, field_errors

    (block, message), *_ = field_errors("word " * 100).items()
    assert block == "feedback" and len(message) <= MAX_FIELD_ERROR and message.endswith("word…")
