"""Whether what someone wrote to the bot asks for help rather than an import: a greeting
("hi", "hello there!"), "help", "?", "what can you do" — the whole message, nothing else in it.
`@importbot hi, import a.csv into b` is a request (the grammar allows a greeting first)."""

from __future__ import annotations

import re

_HELP = re.compile(
    r"(?:(?:hi|hello|hey|hiya|yo|howdy)(?:\s+there)?|good\s+(?:morning|afternoon|evening)"
    r"|help(?:\s+me)?|usage|\?+|what\s+can\s+you\s+do|how\s+does\s+this\s+work"
    r"|how\s+do\s+i\s+use\s+(?:you|this|it))",
    re.I,
)


def asks_for_help(text: str) -> bool:
    """True for an empty message, a greeting or a request for help (mentions already removed)."""
    words = re.sub(r"\s+", " ", text).strip().strip(".!,:;").strip()
    return not words or _HELP.fullmatch(words.rstrip("?").strip() or "?") is not None
