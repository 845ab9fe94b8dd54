from agents.artifacts import SchemaProposal, TableProposal
from bot.slack.messages.actions import APPROVE_SCHEMA, CANCEL, CHANGE_SCHEMA, ButtonRef
from bot.slack.messages.schema import render_schema
from tests.bot.slack_messages.blockkit import (
    assert_no_markup_from,
    assert_valid_message,
    elements,
    mrkdwn_text,
)
from tests.bot.slack_messages.factories import HOSTILE, ref, snapshot, table_proposal


def test_schema_shows_notes_ddl_in_code_and_three_buttons(proposal):
    message = render_schema(proposal, ref=ref("schema", 2))
    assert_valid_message(message)
    text = mrkdwn_text(message.blocks)
    assert "• people.id is unique in every file" in text
    assert "```\nCREATE TABLE `people` (" in text and "PRIMARY KEY (`id`)\n);\n```" in text
    assert "*towns* — existing table" in text
    assert message.files == ()
    buttons = elements(message.blocks, "button")
    assert [x["action_id"] for x in buttons] == [APPROVE_SCHEMA, CHANGE_SCHEMA, CANCEL]
    assert [x["text"]["text"] for x in buttons] == ["Approve", "Request changes", "Cancel"]
    assert all(ButtonRef.decode(x["value"]) == ref("schema", 2) for x in buttons)


def test_huge_ddl_goes_out_as_a_file_and_the_message_stays_within_limits():
    proposal = SchemaProposal(tables=[table_proposal(f"table_{i}", 20) for i in range(300)])
    message = render_schema(proposal, ref=ref("schema"))
    assert_valid_message(message)
    assert len(message.blocks) <= 50
    assert all(len(b.get("text", {}).get("text", "")) <= 3000 for b in message.blocks)
    [file] = message.files
    assert file.filename == "ddl-20250101-abc123.sql"
    assert "full DDL is attached as a file" in mrkdwn_text(message.blocks)
    assert file.content.count("CREATE TABLE") == 300
    assert "CREATE TABLE `table_299`" in file.content
    assert "300 tables" in mrkdwn_text(message.blocks) and "more" in mrkdwn_text(message.blocks)
    assert elements(message.blocks, "button")  # the buttons survive


def test_one_table_with_ddl_longer_than_a_section_goes_to_a_file():
    message = render_schema(SchemaProposal(tables=[table_proposal("wide", 200)]), ref=ref("schema"))
    assert_valid_message(message)
    assert [f.filename for f in message.files] == ["ddl-20250101-abc123.sql"]


def test_hostile_names_notes_and_ddl_cannot_break_out():
    table = TableProposal(
        name=HOSTILE,
        action="create",
        ddl=[f"CREATE TABLE t (`c` TEXT DEFAULT '{HOSTILE}')"],
        relations=[HOSTILE],
    )
    proposal = SchemaProposal(tables=[table], notes=[HOSTILE])
    message = render_schema(proposal, ref=ref("schema"))
    assert_valid_message(message)
    assert_no_markup_from("channel", message)
    section = next(b for b in message.blocks if "CREATE TABLE" in b.get("text", {}).get("text", ""))
    code = section["text"]["text"].split("```\n", 1)[1].rsplit("\n```", 1)[0]
    assert "```" not in code


def test_cannot_propose_says_why():
    message = render_schema(SchemaProposal(status="cannot", reason="no files"), ref=ref("schema"))
    assert_valid_message(message)
    assert "no files" in mrkdwn_text(message.blocks)


def test_schema_says_how_many_files_it_comes_from_and_which(proposal):
    read = [snapshot(f"examples/families/{name}.csv") for name in ("a", "b", "c", "d")]
    message = render_schema(proposal, ref=ref("schema"), snapshots=read)
    assert_valid_message(message)
    blocks = message.blocks
    assert blocks[1]["text"]["text"] == "From 4 files: a.csv, b.csv, c.csv, d.csv"
    assert "From" not in mrkdwn_text(render_schema(proposal, ref=ref("schema")).blocks)


def test_many_files_are_counted_and_hostile_names_cannot_break_out(proposal):
    read = [snapshot(f"data/{HOSTILE}{i}.csv") for i in range(40)]
    message = render_schema(proposal, ref=ref("schema"), snapshots=read)
    assert_valid_message(message)
    assert_no_markup_from("channel", message)
    text = mrkdwn_text(message.blocks)
    assert "From 40 files: " in text and "… and 35 more" in text
