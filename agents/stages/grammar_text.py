"""The request grammar's text: the grammar shown to people, its errors, the clean-up of Slack
markup, and the text-with-quote-mask every phrase is matched on (`agents.stages.grammar`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from agents.errors import RequestNotUnderstood
from dolt.errors import InvalidName

GRAMMAR = """\
import <path|glob|url>[, <path|glob|url>...] into [database] <db>[.<table> | table <t>]
       [where <predicate>] [key <col>[, <col>...]] [mode create|append|upsert|replace]
  <path|glob|url>  also: all [CSV|TSV|JSON|JSONL|Parquet|Excel] files in <dir> [recursively]
  <predicate>      one SQL condition (MySQL), e.g. age >= 21 and city = 'Oslo'
  also understood  "create tables as needed", "don't create tables",
                   "only people who are 21 or older" (a filter on the column age),
                   upsert <src> into <db>.<t> by <col>, replace <db>.<t> with <src>
  changes          type <col> <TYPE>, no foreign keys, null markers NA, -, delimiter ;,
                   decimal comma, header on row N, sheet <name>, all sheets, except <glob>,
                   rename table|column <a> to <b>, don't import <table>, union by name
  checks           check that <check> [and check that <check>], checks: <check>; <check>
                   <check>: <col> is never negative|null, is always between A and B,
                   is unique, is one of a, b, c; every <child>'s <parents> exist;
                   there are at least|at most|exactly N <table>"""

EXAMPLES = (
    "import data/*.csv, https://example.com/x.csv into sales.orders key id mode upsert",
    "Import all CSV files in /data/families into database families where age >= 21",
)


def _not_understood(problem: str) -> RequestNotUnderstood:
    examples = "\n".join(f"  {example}" for example in EXAMPLES)
    return RequestNotUnderstood(
        f"{problem}\n\nWrite the request like this:\n{GRAMMAR}\n\nFor example:\n{examples}"
    )


def _checked_name(validate: Callable[..., str], name: str, **kind: str) -> str:
    """Run a `dolt.sql.names` validator; its message becomes the person's error."""
    try:
        return validate(name, **kind)
    except InvalidName as error:
        raise _not_understood(str(error)) from None


# Text with its quote mask ----------------------------------------------------------------
_SLACK_REFERENCE = re.compile(r"<[@#!][^>\s]*>")  # <@U123>, <#C123|general>, <!here>
_SLACK_LINK = re.compile(r"<((?:https?|ftp|s3|gs)://[^|>\s]+)(?:\|[^>]*)?>")  # <url|label>
_TYPOGRAPHIC = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "\u00a0": " "})
_QUOTES = "\"'`"
_MASKED = "\x00"


def _clean(text: str) -> str:
    """Undo Slack's markup and typography so the text reads as the person typed it."""
    text = _SLACK_LINK.sub(r"\1", _SLACK_REFERENCE.sub(" ", text))
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return text.replace("```", " ").translate(_TYPOGRAPHIC).replace(_MASKED, "").strip()


@dataclass(frozen=True)
class _Text:
    """A piece of the request and its quote mask.

    `mask` has the length of `raw`, with everything inside quotes replaced by NUL: patterns are
    matched against `mask` (so nothing quoted is taken for a keyword) and values read from `raw`.
    A quote opens only at the start of a word, so the apostrophe in "don't" is not a quote.
    """

    raw: str
    mask: str

    @classmethod
    def of(cls, raw: str) -> _Text:
        chars, at = list(raw), 0
        while at < len(raw):
            quote = raw[at]
            if quote not in _QUOTES or (at > 0 and raw[at - 1].isalnum()):
                at += 1
                continue
            close = raw.find(quote, at + 1)
            if close < 0:
                raise _not_understood(f"A quote ({quote}) is opened but never closed.")
            chars[at + 1 : close] = _MASKED * (close - at - 1)
            at = close + 1
        return cls(raw, "".join(chars))

    def cut(self, start: int, end: int | None = None) -> _Text:
        return _Text(self.raw[start:end], self.mask[start:end])

    def strip(self) -> _Text:
        start = len(self.raw) - len(self.raw.lstrip())
        return self.cut(start, len(self.raw.rstrip()))

    def group(self, match: re.Match[str], name: str) -> _Text | None:
        start, end = match.span(name)
        return None if start < 0 else self.cut(start, end)

    def split(self, pattern: re.Pattern[str]) -> list[_Text]:
        """The non-empty pieces between matches of `pattern`, stripped."""
        pieces, start = [], 0
        for match in pattern.finditer(self.mask):
            pieces.append(self.cut(start, match.start()).strip())
            start = match.end()
        pieces.append(self.cut(start).strip())
        return [piece for piece in pieces if piece.raw]

    def blank(self, pattern: re.Pattern[str]) -> tuple[_Text, bool]:
        """This text with every match of `pattern` replaced by spaces, and whether any was."""
        raw, mask, hit = self.raw, self.mask, False
        for match in pattern.finditer(self.mask):
            start, end = match.span()
            raw = raw[:start] + " " * (end - start) + raw[end:]
            mask = mask[:start] + " " * (end - start) + mask[end:]
            hit = True
        return _Text(raw, mask), hit

    def squeezed(self) -> str:
        """`raw` with runs of whitespace outside quotes collapsed to one space."""
        out, last = [], 0
        for match in re.finditer(r"\s+", self.mask):
            out += [self.raw[last : match.start()], " "]
            last = match.end()
        return ("".join(out) + self.raw[last:]).strip()


# A sentence ends at . ! ? after a non-space and before a space or the end, or at a line break.
_SENTENCE_END = re.compile(r"(?<=\S)[.!?]+(?=\s|$)|\n+")
_QUOTED = r"\"[^\"]*\"|'[^']*'|`[^`]*`"
_PATH = rf"(?:{_QUOTED}|[^\s,\"'`]+)"
_NAME = rf"(?:{_QUOTED}|[^\s,;:\"'`]+)"
_LIST_SEP = r"(?:\s*,\s*(?:and\s+)?|\s+and\s+)"
# Words that start a clause: an unquoted column of a key list may not be one of them.
_CLAUSE_WORD = (
    r"(?:where|with|using|key|keys|primary|mode|in|and|create|creating|don't|do|never|without"
    r"|only|recursively|including|append|replace|overwrite|please|thanks|into|existing|is|as"
    r"|type|no|null|delimiter|decimal|header|skip|sheets?|except|excluding|rename|add|union"
    r"|instead|just|keep|treat|by|from|to|check|checks)"
)
_COLUMN = rf"(?!{_CLAUSE_WORD}(?:[\s,]|$)){_NAME}"
_COLUMNS = rf"(?P<columns>{_COLUMN}(?:{_LIST_SEP}{_COLUMN})*)"
_PATH_SEP = re.compile(_LIST_SEP, re.I)
_ONLY = r"only\s+(?:(?:import|load|keep|include)\s+)?(?:the\s+)?"


def _is_quoted(text: _Text) -> bool:
    return len(text.raw) >= 2 and text.raw[0] in _QUOTES and text.raw[-1] == text.raw[0]


def _unquote(text: _Text | None) -> str:
    """A name or path as meant: without its quotes, or without trailing . ! , when bare."""
    assert text is not None
    if _is_quoted(text):
        return text.raw[1:-1]
    stripped = text.raw.rstrip(".!,")
    return stripped if stripped.strip("/") else text.raw  # keep ".", ".." and "./"


def _clause(pattern: str) -> re.Pattern[str]:
    """A clause pattern, matched at a position and ending at a word boundary."""
    return re.compile(rf"(?:{pattern})(?![\w'])", re.I)


# Credentials written in a message ---------------------------------------------------------
_SECRET_WORD = r"(?:password|passwd|pwd|passphrase|token|secret|api[\s_-]?key)"
_SECRET_VALUE = r"(?:\"[^\"]*\"|'[^']*'|`[^`]*`|[^\s,;]+)"
_SECRET_SAID = re.compile(
    rf"(?P<said>\b{_SECRET_WORD}(?:\s+is|\s*[:=]|\s+(?=[\"'`])))\s*(?P<value>{_SECRET_VALUE})",
    re.I,
)
# scheme://user:password@host: people type @ and / in a password unescaped, so it runs to the
# @ after which only a host (and port) comes; the user may be empty.
_URL_PASSWORD = re.compile(
    r"(?P<said>\b[a-z][a-z0-9+.-]*://[^\s:/@|<>]*:)[^\s|<>?#]+?@"
    r"(?=[^\s@|<>/?#]*(?:[\s/?#|>]|$))",
    re.I,
)


def redact_credentials(text: str) -> str:
    """`text` with every password, token or key written in it replaced by ***, so a message
    that carries one is never stored, shown back or logged with it."""
    text = _URL_PASSWORD.sub(r"\g<said>***@", text)
    return _SECRET_SAID.sub(lambda m: f"{m['said'].rstrip()} ***", text)
