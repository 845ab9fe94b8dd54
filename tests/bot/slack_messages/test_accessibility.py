"""Issue 15, point 10: buttons a screen reader can name, no bars drawn in block characters,
no link previews on messages that quote a request; point 7: the help card."""

from __future__ import annotations

import pytest

from agents.stages.grammar import GRAMMAR, parse_request
from bot.slack.help_words import asks_for_help
from bot.slack.messages import (
    render_final,
    render_plan,
    render_questions,
    render_review,
    render_schema,
    render_understanding,
)
from bot.slack.messages.actions import CANCEL, DISCARD, MERGE
from bot.slack.messages.asked import render_asked
from bot.slack.messages.checklist import TableProgress, render_checklist
from bot.slack.messages.help import EXAMPLE_REQUESTS, GRAMMAR_WIDTH, narrowed, render_help
from bot.slack.messages.home import HomeJob, home_view
from bot.slack.messages.limits import MAX_ACCESSIBILITY_LABEL
from tests.bot.slack_messages.blockkit import (
    assert_no_markup_from,
    assert_valid_message,
    elements,
    mrkdwn_text,
)
from tests.bot.slack_messages.factories import HOSTILE, ref
from workers.states import Status

BLOCK_CHARACTERS = set("█▉▊▋▌▍▎▏░▒▓■□▪▫")


def _labelled(blocks: list[dict], action_id: str) -> list[str]:
    found = [e for e in elements(blocks, "button") if e["action_id"] == action_id]
    assert found, f"no {action_id} button"
    labels = [e.get("accessibility_label", "") for e in found]
    assert all(0 < len(label) <= MAX_ACCESSIBILITY_LABEL for label in labels), labels
    return labels


def test_every_kind_of_cancel_says_what_it_cancels(request_artifact, questions, proposal, plan):
    for message in (
        render_understanding(request_artifact, ref=ref("understanding")),
        render_questions(questions, ref=ref("questions")),
        render_schema(proposal, ref=ref("schema"), snapshots=[]),
        render_plan(plan, ref=ref("plan")),
    ):
        assert_valid_message(message)  # slack_sdk's models accept the label
        (label,) = _labelled(message.blocks, CANCEL)
        assert label.startswith(f"Cancel import {ref('plan').job_id}")
        assert "delete its branch" in label


def test_merge_and_discard_name_the_import_in_the_review_and_the_home(review):
    message = render_review(review, ref=ref("review"))
    assert_valid_message(message)
    assert _labelled(message.blocks, MERGE) == [
        f"Merge import {ref('review').job_id} into main of families"
    ]
    assert _labelled(message.blocks, DISCARD)[0].startswith("Discard import ")
    job = HomeJob(
        job_id="j" * 90,  # a long id: the label is cut to Slack's 75 characters
        status=Status.AWAITING_REVIEW,
        summary="Import people",
        database="families",
        branch="import/x",
        channel="C0123",
        thread_ts="1700000000.000100",
        review_version=1,
    )
    view = home_view([job], viewer_can_merge=True)
    assert _labelled(view["blocks"], MERGE)[0].endswith("…")
    assert _labelled(view["blocks"], DISCARD)


def test_progress_is_said_in_words_not_drawn_in_blocks():
    shown = [
        render_checklist(
            "j1",
            [
                TableProgress("people", 1000, 500, started=1.0, updated=3.0),
                TableProgress("towns", 12),
            ],
        ),
    ]
    for message in shown:
        text = mrkdwn_text(message.blocks) + message.text
        assert not set(text) & BLOCK_CHARACTERS, text
        assert "500 of 1,000" in text


def test_messages_that_quote_the_request_ask_for_no_link_previews(request_artifact):
    assert render_understanding(request_artifact, ref=ref("understanding")).link_previews is False
    assert render_asked(user_id="U1", command="/import", text="x").link_previews is False
    final = render_final(
        job_id="j1", status=Status.FAILED, database="d", branch=None, user_id=None, detail="x"
    )
    assert final.link_previews is False


def test_the_import_echo_is_escaped():
    message = render_asked(user_id="U123", command="/import", text=HOSTILE)
    assert_valid_message(message)
    assert_no_markup_from("channel", message)
    assert mrkdwn_text(message.blocks).startswith("<@U123> asked: /import &lt;!channel&gt;")


def test_the_help_card_shows_what_examples_grammar_and_who_merges():
    card = render_help(grammar=GRAMMAR, mergers=["S0DATA", "U0GRACE"])
    assert_valid_message(card)
    text = mrkdwn_text(card.blocks)
    assert "CSV, TSV, JSON, JSONL, Parquet and Excel" in text and "attached" in text
    assert "import &lt;path|glob|url&gt;[, &lt;path|glob|url&gt;...]" in text  # the CLI's
    assert "*Who may merge:* <!subteam^S0DATA>, <@U0GRACE>." in text
    assert elements(card.blocks, "button") == []
    unlisted = mrkdwn_text(render_help(grammar=GRAMMAR, mergers=None).blocks)
    assert "*Who may merge:* the requester or an importer." in unlisted
    hostile = render_help(grammar=GRAMMAR, mergers=["<!channel>"])
    assert_no_markup_from("channel", hostile)


def test_the_cards_grammar_fits_a_thread_and_keeps_every_word():
    shown = narrowed(GRAMMAR)
    assert max(len(line) for line in shown.splitlines()) <= GRAMMAR_WIDTH
    assert shown.split() == GRAMMAR.split()
    assert "\n                   <dir> [recursively]" in shown  # under its column


@pytest.mark.parametrize("example", EXAMPLE_REQUESTS)
def test_the_help_cards_examples_are_requests_the_grammar_reads(example):
    request = parse_request(example)
    assert request.sources and request.database


@pytest.mark.parametrize(
    ("text", "helps"),
    [
        ("", True),
        ("hi", True),
        ("Hello there!", True),
        ("help", True),
        ("HELP.", True),
        ("?", True),
        ("what can you do?", True),
        ("hi, import people.csv into families", False),
        ("help me import people.csv into families", False),
        ("import people.csv into families", False),
        ("people.csv into families", False),
    ],
)
def test_what_asks_for_help(text, helps):
    assert asks_for_help(text) is helps
