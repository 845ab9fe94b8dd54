"""Safe mrkdwn: data in our messages is hostile (a cell may hold `<!channel>` or a ``` fence).

Everything that came from a person or a file goes through `escape`, `inline_code` or `code_block`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from bot.slack.messages.limits import MAX_FALLBACK_TEXT, MAX_SECTION_TEXT

_ELLIPSIS = "…"
_UNFINISHED_ENTITY = re.compile(r"&[a-z]{0,3}$")


def escape_entities(text: object) -> str:
    """Escape `&`, `<` and `>` as Slack requires, so data cannot mention or link."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def escape(text: object) -> str:
    """Data for prose: entities escaped, and backticks made ˋ so data opens no code span."""
    return escape_entities(text).replace("`", "ˋ")


def truncate(text: str, limit: int) -> str:
    """Cut `text` (already escaped) to `limit` characters, never inside an `&amp;` entity."""
    if len(text) <= limit:
        return text
    cut = _UNFINISHED_ENTITY.sub("", text[: limit - len(_ELLIPSIS)])
    return cut + _ELLIPSIS


def inline_code(text: object, limit: int = 200) -> str:
    """`text` as inline code; backticks inside become ˋ so they cannot end it."""
    body = truncate(escape(str(text).replace("\n", " ")), limit)
    return f"`{body}`" if body.strip() else "` `"


def defuse_code(text: str) -> str:
    """Escape `text` for a ``` block and put a zero-width space between adjacent backticks."""
    return re.sub("`(?=`)", "`\u200b", escape_entities(text))


def code_block(text: str, limit: int = MAX_SECTION_TEXT) -> str:
    """`text` in a ``` block of at most `limit` characters (cut with a note when longer)."""
    body = defuse_code(text.rstrip("\n")) or " "
    if len(body) + 8 > limit:
        note = "\n… (cut here)"
        body = truncate(body, limit - 8 - len(note)).removesuffix(_ELLIPSIS) + note
    return f"```\n{body}\n```"


def join_limited(items: Iterable[str], limit: int, sep: str = ", ") -> str:
    """Join `items` (already safe) up to `limit` characters, then say how many were left out."""
    items = list(items)
    out: list[str] = []
    used = 0
    for index, item in enumerate(items):
        rest = len(items) - index
        tail = len(f"{sep}… and {rest} more")
        if used + len(sep) * bool(out) + len(item) + (tail if rest > 1 else 0) > limit:
            out.append(f"… and {rest} more")
            break
        out.append(item)
        used += len(sep) * (len(out) > 1) + len(item)
    return truncate(sep.join(out), limit)


def bullets(items: Iterable[str], limit: int = MAX_SECTION_TEXT) -> str:
    """Plain strings as an escaped `•` list of at most `limit` characters."""
    return join_limited((f"• {escape(item)}" for item in items), limit, sep="\n")


def safe_filename(prefix: str, job_id: str, extension: str) -> str:
    """`<prefix>-<job id>.<extension>` with anything but letters, digits, `_.-` replaced."""
    return f"{prefix}-{re.sub(r'[^A-Za-z0-9_.-]', '_', job_id)[:100]}.{extension}"


def fallback_text(text: str) -> str:
    """The notification text (Slack reads it as mrkdwn): escaped and short."""
    return truncate(escape(text), MAX_FALLBACK_TEXT)
