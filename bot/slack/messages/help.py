"""The help card: what the bot imports, three example requests, the request grammar and who
may merge — shown for "hi", "help" and `/import help` instead of a job that would fail."""

from __future__ import annotations

import re

from bot.slack.messages import blocks as b
from bot.slack.messages.message import Message, finish
from bot.slack.messages.mrkdwn import code_block, inline_code

EXAMPLE_REQUESTS = (
    "import families/people.csv into database families table people where age >= 21",
    "import all CSV files in sales/2024 into database sales key order_id mode upsert",
    "import products.csv into database shop",  # with products.csv attached to the message
)
GRAMMAR_WIDTH = 72  # characters of a code line Slack shows unwrapped in a thread
CONTINUED = 7  # the indent of a broken line that has no label column
_SLACK_ID = re.compile(r"[SUW][A-Z0-9_]{1,40}")
_EXAMPLE_NOTES = ("", "", " (with `products.csv` attached to the message)")
WHAT_IT_IMPORTS = (
    "Files and whole folders the import server can read, `http(s)` URLs, and files attached "
    "to your message. Formats: CSV, TSV, JSON, JSONL, Parquet and Excel (.xlsx)."
)


def render_help(*, grammar: str, mergers: list[str] | None) -> Message:
    """The card; `grammar` is the request grammar as the CLI shows it, `mergers` the user and
    user-group ids allowed to merge (None: the requester or an importer)."""
    examples = "\n".join(
        f"• {inline_code(text, 300)}{note}"
        for text, note in zip(EXAMPLE_REQUESTS, _EXAMPLE_NOTES, strict=True)
    )
    blocks = [
        b.header("Import data into Dolt, reviewed before it reaches main"),
        b.section(f"*What I can import*\n{WHAT_IT_IMPORTS}"),
        b.section(
            "*Ask me* by mentioning me in a channel, in a direct message, or with "
            f"`/import &lt;request&gt;`. For example:\n{examples}"
        ),
        b.section("*Write the request like this:*\n" + code_block(narrowed(grammar))),
        b.section(f"*Who may merge:* {_who_may_merge(mergers)}"),
        b.context(
            "I answer in a thread and ask before each step: what I understood, the tables, "
            "the plan. Everything is loaded on a branch; nothing reaches `main` until "
            "someone allowed to merge clicks Merge. Reply `cancel` in the thread to stop."
        ),
    ]
    return finish("How to ask me for an import: " + EXAMPLE_REQUESTS[0], blocks)


def narrowed(grammar: str, width: int = GRAMMAR_WIDTH) -> str:
    """The grammar with lines longer than `width` broken at a space, each continuation
    indented to where the line's text starts after its label (`  changes          type …`),
    so the columns still line up in Slack's narrower code block."""
    out = []
    for line in grammar.splitlines():
        label = re.match(r"\s*(?:\S+(?: \S+)*\s{2,})?", line)
        start = label.end() if label else 0
        indent = " " * (start if 0 < start < width // 2 else CONTINUED)
        while len(line) > width:
            cut = line.rfind(" ", len(indent) + 1, width + 1)
            if cut <= len(indent):
                break
            out.append(line[:cut].rstrip())
            line = indent + line[cut:].lstrip()
        out.append(line)
    return "\n".join(out)


def _who_may_merge(mergers: list[str] | None) -> str:
    if not mergers:
        return "the requester or an importer."
    return ", ".join(_mention(i) for i in sorted(mergers)) + "."


def _mention(slack_id: str) -> str:
    """A user group as `<!subteam^S…>`, a person as `<@U…>`; anything else shown as code."""
    if not _SLACK_ID.fullmatch(slack_id):
        return inline_code(slack_id)
    return f"<!subteam^{slack_id}>" if slack_id.startswith("S") else f"<@{slack_id}>"
