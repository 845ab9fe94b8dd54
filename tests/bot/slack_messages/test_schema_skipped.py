"""The schema message names the files a folder held that are not imported, and why."""

from agents.artifacts import SkippedSource
from bot.slack.messages.schema import render_schema
from tests.bot.slack_messages.blockkit import assert_no_markup_from, assert_valid_message
from tests.bot.slack_messages.factories import HOSTILE, ref


def test_skipped_files_are_listed_with_their_reasons(proposal):
    skipped = [
        SkippedSource(source="data/notes.md", reason="not a data file"),
        SkippedSource(source="data/raw.txt", reason="not a consistent delimited file"),
    ]
    message = render_schema(proposal, ref=ref("schema"), skipped=skipped)
    assert_valid_message(message)
    assert (
        "Skipped 2 files: data/notes.md (not a data file), data/raw.txt (not a consistent"
        " delimited file)"
    ) in _texts(message)
    unskipped = render_schema(proposal, ref=ref("schema"))
    assert not any("Skipped" in text for text in _texts(unskipped))


def test_many_skipped_files_are_counted_and_hostile_names_cannot_break_out(proposal):
    skipped = [SkippedSource(source=f"{HOSTILE}{i}.md", reason="not a data file") for i in range(9)]
    message = render_schema(proposal, ref=ref("schema"), skipped=skipped)
    assert_valid_message(message)
    assert_no_markup_from("channel", message)
    (text,) = [t for t in _texts(message) if t.startswith("Skipped 9 files: ")]
    assert text.endswith("… and 4 more")


def _texts(message) -> list[str]:
    return [block["text"]["text"] for block in message.blocks if block.get("text")]
