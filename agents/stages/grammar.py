"""The request grammar: how a request is understood when no LLM is configured.

`parse_request` turns *"Import all CSV files in /data/families into the database families.
Only import people that are 21 or older."* into an `ImportRequest`, or raises
`RequestNotUnderstood` saying what is missing, with `GRAMMAR` and two `EXAMPLES`. It never
guesses: words that look like an instruction but are none of the phrasings below are refused.

Recognised, case-insensitively:

* **Clean-up.** Slack mentions and references (``<@U123>``, ``<#C1|x>``, ``<!here>``) are
  dropped, links (``<https://x/y.csv|y.csv>``, ``<https://x/y.csv>``) become their URL,
  ``&lt; &gt; &amp;`` are unescaped, typographic quotes become plain ones.
* **Sentences** end at ``.``, ``!`` or ``?`` before a space or the end (never inside quotes),
  and at line breaks. Exactly one sentence is the import sentence; the others may add clauses.
* **Import sentence**: ``[courtesy] import|load <sources> into <target> [clauses]`` or
  ``[courtesy] append <sources> to|into <target> [clauses]`` (mode append). Courtesy: a
  greeting ``hi|hello|hey ...,`` then any of please, pls, kindly, can you, could you, would
  you, I want/would like/need (you) to.
* **Sources**: paths, globs or URLs separated by ``,``, ``and`` or ``, and``, optionally after
  ``the file(s)`` or ``the data|rows|records from|in``. Names with spaces or commas are quoted
  with ``"..."``, ``'...'`` or backticks; trailing ``. ! ,`` are not part of a bare name.
  ``all|every|each|the [<type>[ and|or|, <type>...]] file(s) in|under|from|inside|within [the]
  [directory|folder|dir] <dir>`` is ``<dir>/*.<ext>`` per type: csv, tsv, json (``*.json``
  only), jsonl, parquet, xlsx or excel (``*.xlsx``); without a type it is ``<dir>`` itself.
  ``recursively``, ``including [all] subdirectories|subfolders|subdirs`` and ``and|with [all]
  its|their subdirectories`` set recursive; ``under`` alone does not.
* Nested JSON lists: ``keep [the] [nested] lists as JSON [columns]`` keeps each list in a JSON
  column; ``keep lists as child|separate|linked tables`` (the default) makes child tables.
* **Target**: ``[the] [database|db][:] <db>``, then optionally ``.<table>`` or ``[,] [and]
  [in|into] [the] table[:] <table>``; or ``[the] table <table> in|of|from [the] [database] <db>``.
* **Clauses**, after the target or in their own sentences, joined by ``,``, ``and``, ``also``,
  ``then`` or ``please``:

  - ``where <predicate>``, up to a following ``[with|using] [primary] key <col>``, ``mode
    <word>`` or the end of the sentence (so columns named key or mode need backticks). It must
    be one SQL condition in the MySQL dialect: no ``;``, comments, subqueries, ORDER BY, UNION.
    It is kept as written, whitespace outside quotes collapsed, a trailing ``.`` removed.
  - Keys: ``[with|using] [the|a] [primary] key(s)[:] <cols>``, ``use|using <cols> as [the|a]
    [primary] key``, ``[the] [primary] key is|should be <cols>``; ``<cols>`` separated by ``,``
    or ``and`` (grammar words such as mode, and, in, with must be quoted).
  - Modes: ``[in] mode[:] <m>`` or ``in <m> mode``, ``<m>`` one of create, append, upsert,
    replace, or update (= upsert); ``append [them|it] to [the] existing table(s)|rows|data``
    (append); ``replace|overwrite [the] [existing] table(s)|rows|data|contents`` (replace).
    Other uses of these words are refused, not guessed.
  - ``create|creating [the|any|new] table(s) [as|if|when needed|necessary|required]`` (the
    default); ``don't|do not|never|without create|creating [any|new] table(s)`` and ``[only]
    [into] existing tables [only]`` forbid new tables.
  - Age filters: ``only [import|load|keep|include] [the] people|persons that are|who are|aged``
    then ``N [years [old]] or|and older|over|above`` or ``at least N`` (``age >= N``),
    ``older than|over|above N`` (``age > N``), ``N [years [old]] or|and younger|under|below``
    (``age <= N``), ``younger than|under|below N`` (``age < N``).
  - ``only [import|load|keep|include] [the] [rows|records|people|entries] where <predicate>``.
  - Several filters are joined: ``(a) AND (b)``.
  - ``please``, ``thanks``, ``thank you``, ``thx``, ``cheers`` are ignored.

* Anything else in the import sentence is refused. Another sentence is ignored unless it
  starts like a filter (only, skip, exclude, excluding, except, ignore, omit, filter, keep,
  drop, remove, without, where: refused with a pointer to ``where <predicate>``) or mentions
  key(s), mode, append, upsert, replace, overwrite, create, table(s), database, filter or import
  (refused).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError

from agents.artifacts import ImportRequest
from agents.errors import RequestNotUnderstood
from dolt.errors import InvalidName
from dolt.models import WriteMode
from dolt.sql.names import validate_database_name, validate_identifier

__all__ = ["EXAMPLES", "GRAMMAR", "parse_request"]

GRAMMAR = """\
import <path|glob|url>[, <path|glob|url>...] into [database] <db>[.<table> | table <t>]
       [where <predicate>] [key <col>[, <col>...]] [mode create|append|upsert|replace]
  <path|glob|url>  also: all [CSV|TSV|JSON|JSONL|Parquet|Excel] files in <dir> [recursively]
  <predicate>      one SQL condition (MySQL), e.g. age >= 21 and city = 'Oslo'
  also understood  "create tables as needed", "don't create tables",
                   "only people who are 21 or older" (a filter on the column age)"""

EXAMPLES = (
    "import data/*.csv, https://example.com/x.csv into sales.orders key id mode upsert",
    "Import all CSV files in /data/families into database families where age >= 21",
)


def parse_request(text: str) -> ImportRequest:
    """Understand `text` as an import request, or raise `RequestNotUnderstood`."""
    request = _Text.of(_clean(text))
    if not request.raw:
        raise _not_understood("The request is empty.")
    sentences = request.split(_SENTENCE_END)
    import_sentences = [s for s in sentences if _IMPORT_VERB.match(s.mask)]
    if not import_sentences:
        raise _not_understood('This does not look like an import request (it should say "import").')
    if len(import_sentences) > 1:
        raise _not_understood("Send one import request at a time.")
    found = _Found()
    _read_import_sentence(import_sentences[0], found)
    for sentence in sentences:
        if sentence is not import_sentences[0]:
            _read_clauses(sentence, 0, found, strict=False)
    return found.request()


# Errors ----------------------------------------------------------------------------------
def check_predicate(predicate: str) -> str:
    """`predicate` if it is one plain SQL condition (the rules of `where <predicate>`)."""
    return _predicate(_Text.of(predicate))


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


# Patterns --------------------------------------------------------------------------------
# A sentence ends at . ! ? after a non-space and before a space or the end, or at a line break.
_SENTENCE_END = re.compile(r"(?<=\S)[.!?]+(?=\s|$)|\n+")
_COURTESY = (
    r"(?:(?:hi|hello|hey)\b[^,]{0,30},\s*)?"
    r"(?:(?:please|pls|kindly|can\s+you|could\s+you|would\s+you"
    r"|i\s+(?:want|would\s+like|need)\s+(?:you\s+)?to)\s+)*"
)
_IMPORT_VERB = re.compile(rf"\s*{_COURTESY}(?P<verb>import|load|append)(?=\s|$)", re.I)
_INTO = re.compile(r"(?:^|(?<=\s))into(?=\s|$)", re.I)
_TO_OR_INTO = re.compile(r"(?:^|(?<=\s))(?:to|into)(?=\s|$)", re.I)

_QUOTED = r"\"[^\"]*\"|'[^']*'|`[^`]*`"
_PATH = rf"(?:{_QUOTED}|[^\s,\"'`]+)"
_NAME = rf"(?:{_QUOTED}|[^\s,;:\"'`]+)"
_LIST_SEP = r"(?:\s*,\s*(?:and\s+)?|\s+and\s+)"
# Words that start a clause: an unquoted column of a key list may not be one of them.
_CLAUSE_WORD = (
    r"(?:where|with|using|key|keys|primary|mode|in|and|create|creating|don't|do|never|without"
    r"|only|recursively|including|append|replace|overwrite|please|thanks|into|existing|is|as)"
)
_COLUMN = rf"(?!{_CLAUSE_WORD}(?:[\s,]|$)){_NAME}"
_COLUMNS = rf"(?P<columns>{_COLUMN}(?:{_LIST_SEP}{_COLUMN})*)"

# The file types "all <type> files in <dir>" knows, and the extension each globs for.
_FILE_TYPES = {
    "csv": "csv",
    "tsv": "tsv",
    "json": "json",
    "jsonl": "jsonl",
    "parquet": "parquet",
    "xlsx": "xlsx",
    "excel": "xlsx",
}
_FILE_TYPE = "|".join(sorted(_FILE_TYPES, key=len, reverse=True))
_TYPE_SEP = r"(?:\s*,\s*|\s+(?:and|or)\s+|\s*/\s*)"
_TYPE_SEPARATOR = re.compile(_TYPE_SEP, re.I)

# "all CSV and TSV files in /data" -> /data/*.csv, /data/*.tsv; "all files in /data" -> /data
_ALL_FILES = re.compile(
    rf"""(?:all|every|each|the)\s+(?:(?:of\s+)?the\s+)?
    (?:(?P<types>(?:{_FILE_TYPE})(?:{_TYPE_SEP}(?:{_FILE_TYPE}))*)\s+)?
    files?\s+(?:in|under|from|inside|within)\s+(?:the\s+)?(?:(?:directory|folder|dir)\s+)?
    (?P<dir>{_PATH})""",
    re.I | re.X,
)
# "a.csv, b.csv and https://x/c.csv", optionally after "the files" or "the data from"
_PATH_LIST = re.compile(
    rf"""(?:(?:the\s+)?(?:data|rows|records)\s+(?:from|in)\s+)?(?:(?:the\s+)?files?\s+)?
    (?P<paths>{_PATH}(?:{_LIST_SEP}{_PATH})*)""",
    re.I | re.X,
)
_PATH_SEP = re.compile(_LIST_SEP, re.I)
_RECURSIVE_WORDS = (
    r"(?:recursively|including\s+(?:all\s+)?sub-?(?:directories|folders|dirs)"
    r"|(?:and|with)\s+(?:all\s+)?(?:its|their)\s+sub-?(?:directories|folders|dirs))"
)
_RECURSIVE = re.compile(rf",?\s*\b{_RECURSIVE_WORDS}\b", re.I)

_DATABASE = rf"(?!(?:the|database|db|table)(?:[\s:]|$)){_NAME}"
_TARGET = re.compile(
    rf"""(?:the\s+)?
    (?:table(?:\s*:\s*|\s+)(?P<table_first>{_NAME})\s+(?:in|of|from)\s+(?:the\s+)?)?
    (?:(?:database|db)(?:\s*:\s*|\s+))?
    (?P<database>{_DATABASE})
    (?:\.(?P<table_dotted>{_NAME}))?
    (?:\s*,?\s+(?:(?:and\s+)?(?:in|into)\s+)?(?:the\s+)?table(?:\s*:\s*|\s+)(?P<table>{_NAME}))?
    (?=[\s,]|$)""",
    re.I | re.X,
)

_SEPARATOR = re.compile(r"[\s,]*(?:(?:and|also|then|please|pls)\s+)*", re.I)
# Where a `where` predicate stops: before a key or mode clause.
_WHERE_STOP = re.compile(
    r",?\s+(?=(?:(?:with|using)\s+)?(?:primary\s+)?keys?\s*:?\s+[\w\"'`]|mode\s*:?\s+\w)", re.I
)
_ONLY = r"only\s+(?:(?:import|load|keep|include)\s+)?(?:the\s+)?"
_YEARS = r"(?:\s+years?(?:\s+old)?)?"
_AGE_COMPARISONS = (
    (rf"(?P<n>\d+){_YEARS}\s+(?:or|and)\s+(?:older|over|above)", ">="),
    (rf"at\s+least\s+(?P<n>\d+){_YEARS}", ">="),
    (rf"(?:older\s+than|over|above)\s+(?P<n>\d+){_YEARS}", ">"),
    (rf"(?P<n>\d+){_YEARS}\s+(?:or|and)\s+(?:younger|under|below)", "<="),
    (rf"(?:younger\s+than|under|below)\s+(?P<n>\d+){_YEARS}", "<"),
)
_LOOKS_LIKE_FILTER = re.compile(
    r"(?:only|skip|exclude|excluding|except|ignore|omit|filter|keep|drop|remove|without|where)\b",
    re.I,
)
_LOOKS_LIKE_INSTRUCTION = re.compile(
    r"\b(?:keys?|mode|append|upsert|replace|overwrite|create|tables?|database|filter|import)\b",
    re.I,
)
_COURTESY_ONLY = re.compile(r"(?:please|thanks|thank\s+you|thx|cheers)?[\s.!,]*", re.I)
_MODE_WORDS = {mode.value: mode for mode in WriteMode} | {"update": WriteMode.UPSERT}


# What the request says, gathered clause by clause -----------------------------------------
@dataclass
class _Found:
    sources: list[str] = field(default_factory=list)
    database: str | None = None
    table: str | None = None
    filters: list[str] = field(default_factory=list)
    key: list[str] = field(default_factory=list)
    mode: WriteMode | None = None
    create_tables: bool | None = None
    recursive: bool = False
    nested_lists: Literal["child_tables", "json_column"] | None = None

    def settle(self, attribute: str, value: object, label: str) -> None:
        """Set `attribute` once; saying two different things is an error."""
        current = getattr(self, attribute)
        if current not in (None, [], value):
            raise _not_understood(
                f"The request says two different things about the {label}: "
                f"{_describe(current)} and {_describe(value)}."
            )
        setattr(self, attribute, value)

    def request(self) -> ImportRequest:
        if self.mode is WriteMode.CREATE and self.create_tables is False:
            raise _not_understood("Mode create makes new tables, but the request says not to.")
        where = None
        if self.filters:
            where = (
                self.filters[0]
                if len(self.filters) == 1
                else " AND ".join(f"({condition})" for condition in self.filters)
            )
        request = ImportRequest(
            sources=self.sources,
            database=self.database,
            table=self.table,
            where=where,
            key=self.key,
            mode=self.mode,
            create_tables=self.create_tables is not False,
            recursive=self.recursive,
            nested_lists=self.nested_lists or "child_tables",
        )
        return request.model_copy(update={"summary": _summary(request)})


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return "create tables" if value else "don't create tables"
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return str(value)


def _summary(request: ImportRequest) -> str:
    """One plain sentence of what will be done."""
    count = len(request.sources)
    sources = ", ".join(request.sources)
    if request.recursive:
        sources += ", including subdirectories"
    plural = "s" if count > 1 else ""
    parts = [f"Import {count} source{plural} ({sources}) into database {request.database}"]
    parts.append(f"table {request.table}" if request.table else "one table per file")
    if request.key:
        parts.append(f"with key ({', '.join(request.key)})")
    if request.mode:
        parts.append(f"in {request.mode.value} mode")
    parts.append(
        "creating tables as needed" if request.create_tables else "only into existing tables"
    )
    if request.where:
        parts.append(f"keeping rows where {request.where}")
    return ", ".join(parts) + "."


# The import sentence ----------------------------------------------------------------------
def _read_import_sentence(sentence: _Text, found: _Found) -> None:
    verb = _IMPORT_VERB.match(sentence.mask)
    assert verb is not None
    body = sentence.cut(verb.end())
    appending = verb["verb"].lower() == "append"
    connector = (_TO_OR_INTO if appending else _INTO).search(body.mask)
    if connector is None:
        if not body.raw.strip():
            raise _not_understood("The request names nothing to import and no target database.")
        raise _not_understood('The request names no target: add "into <database>".')
    if appending:
        found.settle("mode", WriteMode.APPEND, "mode")
    _read_sources(body.cut(0, connector.start()), found)
    target = body.cut(connector.end())
    _read_clauses(target, _read_target(target, found), found, strict=True)


def _read_sources(part: _Text, found: _Found) -> None:
    part, recursive = part.blank(_RECURSIVE)
    found.recursive = found.recursive or recursive
    part = part.strip()
    if not part.raw:
        raise _not_understood(
            'The request names nothing to import: put a path, a glob or a URL before "into".'
        )
    if match := _ALL_FILES.fullmatch(part.mask):
        directory = _unquote(part.group(match, "dir"))
        if "://" in directory:
            raise _not_understood(f"Files at a URL ({directory}) cannot be listed: name each file.")
        types = part.group(match, "types")
        if types is None:
            found.sources = [directory]
        else:
            extensions = [_FILE_TYPES[t.raw.lower()] for t in types.split(_TYPE_SEPARATOR)]
            found.sources = [
                f"{directory.rstrip('/')}/*.{ext}" for ext in dict.fromkeys(extensions)
            ]
    elif match := _PATH_LIST.fullmatch(part.mask):
        paths = part.group(match, "paths")
        assert paths is not None
        found.sources = [_unquote(path) for path in paths.split(_PATH_SEP)]
    else:
        raise _not_understood(
            f'I could not read the sources "{part.raw}": name paths, globs or URLs separated '
            'by commas (quote names with spaces), or say "all CSV files in <directory>".'
        )


def _read_target(part: _Text, found: _Found) -> int:
    """Read `<db>[.<table>]` and its variants at the start of `part`; return where it ends."""
    start = len(part.raw) - len(part.raw.lstrip())
    match = _TARGET.match(part.mask, start)
    if match is None:
        if not part.raw.strip():
            raise _not_understood('The request names no target database after "into".')
        raise _not_understood(f'I could not read the target database in "{part.raw.strip()}".')
    database_text = part.group(match, "database")
    assert database_text is not None
    database, table = _unquote(database_text), None
    tables = [
        _unquote(text)
        for name in ("table_first", "table_dotted", "table")
        if (text := part.group(match, name)) is not None
    ]
    if len(tables) > 1:
        raise _not_understood(f"The request names two tables: {tables[0]} and {tables[1]}.")
    if tables:
        table = tables[0]
    elif not _is_quoted(database_text):
        database, table = _split_dotted(database)
    found.database = _checked_name(validate_database_name, database)
    if table is not None:
        found.table = _checked_name(validate_identifier, table, kind="table")
    return match.end()


def _split_dotted(name: str) -> tuple[str, str | None]:
    """`families.people` -> (families, people); anything else stays a database name."""
    database, dot, table = name.partition(".")
    if dot and database and table and "." not in table:
        return database, table
    return name, None


def _is_quoted(text: _Text) -> bool:
    return len(text.raw) >= 2 and text.raw[0] in _QUOTES and text.raw[-1] == text.raw[0]


def _unquote(text: _Text | None) -> str:
    """A name or path as meant: without its quotes, or without trailing . ! , when bare."""
    assert text is not None
    if _is_quoted(text):
        return text.raw[1:-1]
    stripped = text.raw.rstrip(".!,")
    return stripped if stripped.strip("/") else text.raw  # keep ".", ".." and "./"


# Clauses ----------------------------------------------------------------------------------
_Handler = Callable[[_Text, re.Match[str], _Found], int]


def _read_clauses(part: _Text, position: int, found: _Found, *, strict: bool) -> None:
    """Read clauses from `position` to the end of `part`.

    `strict` is for the import sentence: anything left over is an error. In other sentences a
    leftover is ignored unless it looks like a filter or another instruction.
    """
    while True:
        separator = _SEPARATOR.match(part.mask, position)
        position = separator.end() if separator else position
        if position >= len(part.raw):
            return
        for pattern, handler in _CLAUSES:
            if match := pattern.match(part.mask, position):
                position = handler(part, match, found)
                break
        else:
            _refuse_leftover(part.cut(position).strip(), strict=strict)
            return


def _refuse_leftover(rest: _Text, *, strict: bool) -> None:
    if _COURTESY_ONLY.fullmatch(rest.mask):
        return
    if _LOOKS_LIKE_FILTER.match(rest.mask):
        raise _not_understood(
            f'I cannot turn "{rest.raw}" into a filter. Write it as "where <predicate>", '
            'for example "where age >= 21" or "where state = \'TX\'".'
        )
    if strict or _LOOKS_LIKE_INSTRUCTION.search(rest.mask):
        raise _not_understood(f'I could not understand "{rest.raw}".')


def _on_where(part: _Text, match: re.Match[str], found: _Found) -> int:
    stop = _WHERE_STOP.search(part.mask, match.end())
    end = stop.start() if stop else len(part.raw)
    found.filters.append(_predicate(part.cut(match.end(), end)))
    return end


def _predicate(text: _Text) -> str:
    """The predicate as written (whitespace collapsed), if it is one SQL condition."""
    predicate = text.squeezed().rstrip(".").rstrip()

    def refuse(problem: str) -> RequestNotUnderstood:
        return _not_understood(f'The filter "where {predicate}" {problem}.')

    if ";" in text.mask:
        raise refuse("must be a single condition, without ';'")
    if any(marker in text.mask for marker in ("--", "#", "/*")):
        raise refuse("must not contain SQL comments")
    try:
        statements = sqlglot.parse(f"SELECT 1 WHERE {predicate}", read="mysql")
    except ParseError as error:
        detail = error.errors[0].get("description") if error.errors else str(error)
        raise refuse(
            f"is not a SQL condition I can read ({detail}); quote a column named key or mode "
            "with backticks"
        ) from None
    except SqlglotError as error:
        raise refuse(f"is not a SQL condition I can read ({error})") from None
    select = statements[0] if len(statements) == 1 else None
    if not isinstance(select, exp.Select) or {
        name for name, value in select.args.items() if value
    } - {"expressions", "where"}:
        raise refuse("must be a plain condition (no ORDER BY, LIMIT, UNION, ...)")
    if select.find(exp.Subquery, exp.Exists) or len(list(select.find_all(exp.Select))) > 1:
        raise refuse("must not contain a subquery")
    condition = select.args["where"].this
    while isinstance(condition, exp.Paren):
        condition = condition.this
    if not isinstance(condition, exp.Predicate | exp.Connector | exp.Not | exp.Boolean):
        raise refuse("must be a condition, such as age >= 21")
    return predicate


def _on_age(operator: str) -> _Handler:
    def handler(part: _Text, match: re.Match[str], found: _Found) -> int:
        found.filters.append(f"age {operator} {int(match['n'])}")
        return match.end()

    return handler


def _on_key(part: _Text, match: re.Match[str], found: _Found) -> int:
    columns = part.group(match, "columns")
    assert columns is not None
    names = [
        _checked_name(validate_identifier, _unquote(column), kind="key column")
        for column in columns.split(_PATH_SEP)
    ]
    found.settle("key", names, "key")
    return match.end()


def _on_mode(part: _Text, match: re.Match[str], found: _Found) -> int:
    word = match["mode"] or match["mode_before"]
    if word.lower() not in _MODE_WORDS:
        raise _not_understood(f'Unknown mode "{word}": use create, append, upsert or replace.')
    found.settle("mode", _MODE_WORDS[word.lower()], "mode")
    return match.end()


def _sets(attribute: str, value: object, label: str) -> _Handler:
    def handler(part: _Text, match: re.Match[str], found: _Found) -> int:
        found.settle(attribute, value, label)
        return match.end()

    return handler


def _on_recursive(part: _Text, match: re.Match[str], found: _Found) -> int:
    found.recursive = True
    return match.end()


def _clause(pattern: str) -> re.Pattern[str]:
    """A clause pattern, matched at a position and ending at a word boundary."""
    return re.compile(rf"(?:{pattern})(?![\w'])", re.I)


_TABLES = r"(?:table|tables|rows|data|contents)"
_CLAUSES: tuple[tuple[re.Pattern[str], _Handler], ...] = (
    (re.compile(r"where\s+(?=\S)", re.I), _on_where),
    (
        re.compile(rf"{_ONLY}(?:(?:rows|records|people|entries)\s+)?where\s+(?=\S)", re.I),
        _on_where,
    ),
    *(
        (
            _clause(rf"{_ONLY}(?:people|persons)\s+(?:(?:that|who)\s+are|aged)\s+{comparison}"),
            _on_age(operator),
        )
        for comparison, operator in _AGE_COMPARISONS
    ),
    (_clause(rf"(?:the\s+)?(?:primary\s+)?key\s+(?:is|should\s+be)\s+{_COLUMNS}"), _on_key),
    (
        _clause(rf"(?:use|using)\s+{_COLUMNS}\s+as\s+(?:(?:the|a)\s+)?(?:primary\s+)?key"),
        _on_key,
    ),
    (
        _clause(
            rf"(?:(?:with|using)\s+)?(?:(?:the|a)\s+)?(?:primary\s+)?keys?(?:\s*:\s*|\s+){_COLUMNS}"
        ),
        _on_key,
    ),
    (
        _clause(r"(?:in\s+)?mode(?:\s*:\s*|\s+)(?P<mode>\w+)|in\s+(?P<mode_before>\w+)\s+mode"),
        _on_mode,
    ),
    (
        _clause(rf"append\s+(?:them\s+|it\s+)?to\s+(?:the\s+)?existing\s+{_TABLES}"),
        _sets("mode", WriteMode.APPEND, "mode"),
    ),
    (
        _clause(rf"(?:replace|overwrite)\s+(?:the\s+)?(?:existing\s+)?{_TABLES}"),
        _sets("mode", WriteMode.REPLACE, "mode"),
    ),
    (
        _clause(
            r"(?:don't|do\s+not|never|without)\s+(?:create|creating)\s+(?:(?:any|new)\s+)*tables?"
            r"|(?:only\s+)?(?:into\s+)?existing\s+tables(?:\s+only)?"
        ),
        _sets("create_tables", False, "creation of tables"),
    ),
    (
        _clause(
            r"(?:create|creating)\s+(?:(?:the|any|new)\s+)*tables?"
            r"(?:\s+(?:as|if|when)\s+(?:needed|necessary|required))?"
        ),
        _sets("create_tables", True, "creation of tables"),
    ),
    (_clause(_RECURSIVE_WORDS), _on_recursive),
    (
        _clause(
            r"(?:keep|store|import|with)\s+(?:(?:the|nested)\s+)*lists?\s+as\s+"
            r"(?:a\s+)?json(?:\s+columns?)?"
        ),
        _sets("nested_lists", "json_column", "nested lists"),
    ),
    (
        _clause(
            r"(?:keep|store|import|with)\s+(?:(?:the|nested)\s+)*lists?\s+as\s+"
            r"(?:child|separate|linked)\s+tables?"
        ),
        _sets("nested_lists", "child_tables", "nested lists"),
    ),
)
