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
  ``[courtesy] append <sources> to|into <target> [clauses]`` (mode append), ``[courtesy] upsert
  <sources> into <target> [by|on <cols>] [clauses]`` (mode upsert, the key), or ``[courtesy]
  replace [the] <target> with <paths> [clauses]`` (mode replace). Courtesy: a
  greeting ``hi|hello|hey ...,`` then any of please, pls, kindly, can you, could you, would
  you, I want/would like/need (you) to.
* **Sources**: paths, globs or URLs separated by ``,``, ``and`` or ``, and``, optionally after
  ``the file(s)`` or ``the data|rows|records from|in``. Names with spaces or commas are quoted
  with ``"..."``, ``'...'`` or backticks; trailing ``. ! ,`` are not part of a bare name.
  ``all|every|each|the [<type>[ and|or|, <type>...]] file(s) in|under|from|inside|within [the]
  [directory|folder|dir] <dir>`` is ``<dir>/*.<ext>`` per type: csv, tsv, json (``*.json``
  only), jsonl, parquet, xlsx or excel (``*.xlsx``); without a type it is ``<dir>`` itself, and
  so is ``everything in <dir>``. Several directories (``in a and b``) give each its globs.
  ``... except|excluding|but not|other than <glob>[, ...]`` at the end leaves files out, and
  ``the <list> list of|from|in <file>`` imports one list of a JSON file.
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
  - ``where <col> is|equals|is equal to <value>`` (``is not``: ``<>``) is string equality in
    words: ``<col> = '<value>'``, quoted safely (a number stays a number; ``is null`` is SQL).
  - ``only|just [the] <Value> <noun>`` (a capitalised or quoted value: "just the Gentoo
    penguins") and ``only [the] [rows|years] YEAR and|or later|earlier``, ``only since|from|
    after|before|until YEAR``: a `ValueFilter` whose column the plan finds in the data
    (`agents.stages.value_filters`).
  - The overrides of `agents.stages.grammar_overrides` (types, foreign keys, null markers,
    delimiter, decimal comma, header row, sheets, except, JSON list, union by name, renames,
    tables left out, columns added to another table).
  - Checks in words (`agents.stages.grammar_checks`): ``check that <check>`` (also after
    ``and``/``also``) and ``checks: <check>; <check>``; a check runs to the end of its
    sentence, a ``;``, the next ``check that`` or a comma before another clause. They become
    Dolt tests once the tables are known (`agents.stages.check_words`).
  - Several filters are joined: ``(a) AND (b)``.
  - ``please``, ``thanks``, ``thank you``, ``thx``, ``cheers`` are ignored.

* A sentence that only describes a database server or a login is not the request: it adds
  `SERVER_NOTE` to the request's notes (nothing of it is used).
* `revise_request` reads a change said about a shown schema or plan strictly, the same way.
* Anything else in the import sentence is refused. Another sentence is ignored unless it
  starts like a filter (only, just, skip, exclude, excluding, except, ignore, omit, filter, keep,
  drop, remove, without, where: refused with a pointer to ``where <predicate>``), mentions
  key(s), mode, append, upsert, replace, overwrite, create, table(s), database, filter, import,
  type(s), delimiter, separator, header, sheet(s), rename, foreign, null, marker(s), union,
  decimal, reference(s) or check(s), or is left over after a clause the sentence began with
  (refused).
"""

from __future__ import annotations

import re

import sqlglot
from sqlglot import exp
from sqlglot.errors import ParseError, SqlglotError

from agents.artifacts import ImportRequest
from agents.errors import RequestNotUnderstood
from agents.stages.grammar_checks import check_clauses
from agents.stages.grammar_overrides import (
    _EXCEPT_IN_SOURCES,
    _JSON_LIST_OF,
    _OVERRIDE_CLAUSES,
    _items,
    _on_except,
    _on_json_list,
)
from agents.stages.grammar_request import _Found, _Handler
from agents.stages.grammar_text import (
    _COLUMNS,
    _LIST_SEP,
    _NAME,
    _ONLY,
    _PATH,
    _PATH_SEP,
    _QUOTED,
    _SENTENCE_END,
    EXAMPLES,
    GRAMMAR,
    _checked_name,
    _clause,
    _clean,
    _is_quoted,
    _not_understood,
    _Text,
    _unquote,
)
from dolt.models import WriteMode
from dolt.sql.names import validate_database_name, validate_identifier

__all__ = ["EXAMPLES", "GRAMMAR", "parse_request", "revise_request"]


def parse_request(text: str) -> ImportRequest:
    """Understand `text` as an import request, or raise `RequestNotUnderstood`."""
    return _read_request(text).request()


def revise_request(text: str, change: str) -> ImportRequest:
    """The request `text` with `change` — a change said about a shown artifact ("no foreign
    keys", "type zip VARCHAR(10)") — read strictly as clauses: a word the grammar cannot read
    refuses the change (`RequestNotUnderstood`), so nothing of it is silently dropped."""
    found = _read_request(text)
    change_text = _Text.of(_clean(change))
    if not change_text.raw:
        raise _not_understood("The change is empty.")
    for sentence in change_text.split(_SENTENCE_END):
        _read_clauses(sentence, 0, found, strict=True)
    return found.request()


def _read_request(text: str) -> _Found:
    request = _Text.of(_clean(text))
    if not request.raw:
        raise _not_understood("The request is empty.")
    sentences = request.split(_SENTENCE_END)
    import_sentences = [s for s in sentences if _is_import_sentence(s)]
    if not import_sentences:
        raise _not_understood('This does not look like an import request (it should say "import").')
    if len(import_sentences) > 1:
        raise _not_understood("Send one import request at a time.")
    found = _Found()
    _read_import_sentence(import_sentences[0], found)
    for sentence in sentences:
        if sentence is import_sentences[0]:
            continue
        if _describes_a_server(sentence):
            found.note(SERVER_NOTE)
            continue
        _read_clauses(sentence, 0, found, strict=False)
    return found


# Errors ----------------------------------------------------------------------------------
def check_predicate(predicate: str) -> str:
    """`predicate` if it is one plain SQL condition (the rules of `where <predicate>`)."""
    return _predicate(_Text.of(predicate))


# Patterns --------------------------------------------------------------------------------
_COURTESY = (
    r"(?:(?:hi|hello|hey)\b[^,]{0,30},\s*)?"
    r"(?:(?:please|pls|kindly|can\s+you|could\s+you|would\s+you"
    r"|i\s+(?:want|would\s+like|need)\s+(?:you\s+)?to)\s+)*"
)
_IMPORT_VERB = re.compile(rf"\s*{_COURTESY}(?P<verb>import|load|append|upsert)(?=\s|$)", re.I)
# "replace zoo.penguins with penguins_2024.csv": the target first, the sources after "with"
_REPLACE_WITH = re.compile(
    rf"\s*{_COURTESY}replace\s+"
    r"(?!(?:the\s+)?(?:existing\s+)?(?:tables?|rows|data|contents)\s+with\b)"  # a mode clause
    r"(?:the\s+)?(?:(?:data|rows|contents)\s+(?:of|in)\s+)?(?=.*?\swith(?:\s|$))",
    re.I,
)
_INTO = re.compile(r"(?:^|(?<=\s))into(?=\s|$)", re.I)
_TO_OR_INTO = re.compile(r"(?:^|(?<=\s))(?:to|into)(?=\s|$)", re.I)


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

# "all CSV and TSV files in /data" -> /data/*.csv, /data/*.tsv; "all files in /data" -> /data;
# "everything in /data" -> /data; "all CSV files in a and b" -> a/*.csv, b/*.csv
_DIRECTORY = rf"(?:(?:the\s+)?(?:(?:directory|folder|dir)\s+)?{_PATH})"
_ALL_FILES = re.compile(
    rf"""(?:everything|(?:all|every|each|the)\s+(?:(?:of\s+)?the\s+)?
    (?:(?P<types>(?:{_FILE_TYPE})(?:{_TYPE_SEP}(?:{_FILE_TYPE}))*)\s+)?files?)
    \s+(?:in|under|from|inside|within)\s+
    (?P<dirs>{_DIRECTORY}(?:{_LIST_SEP}{_DIRECTORY})*)""",
    re.I | re.X,
)
_DIRECTORY_WORDS = re.compile(r"(?:the\s+)?(?:(?:directory|folder|dir)\s+)?", re.I)
# "a.csv, b.csv and https://x/c.csv", optionally after "the files" or "the data from"
_PATH_LIST = re.compile(
    rf"""(?:(?:the\s+)?(?:data|rows|records)\s+(?:from|in)\s+)?(?:(?:the\s+)?files?\s+)?
    (?P<paths>{_PATH}(?:{_LIST_SEP}{_PATH})*)""",
    re.I | re.X,
)
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
    r",?\s+(?=(?:(?:with|using)\s+)?(?:primary\s+)?keys?\s*:?\s+[\w\"'`]|mode\s*:?\s+\w)"
    r"|[\s,]+(?:(?:and|then)\s+)?(?:also\s+)?(?=check\s+that\s|checks\s*:)",
    re.I,
)
_YEARS = r"(?:\s+years?(?:\s+old)?)?"
_AGE_COMPARISONS = (
    (rf"(?P<n>\d+){_YEARS}\s+(?:or|and)\s+(?:older|over|above)", ">="),
    (rf"at\s+least\s+(?P<n>\d+){_YEARS}", ">="),
    (rf"(?:older\s+than|over|above)\s+(?P<n>\d+){_YEARS}", ">"),
    (rf"(?P<n>\d+){_YEARS}\s+(?:or|and)\s+(?:younger|under|below)", "<="),
    (rf"(?:younger\s+than|under|below)\s+(?P<n>\d+){_YEARS}", "<"),
)
_LOOKS_LIKE_FILTER = re.compile(
    r"(?:only|just|skip|exclude|excluding|except|ignore|omit|filter|keep|drop|remove|without"
    r"|where)\b",
    re.I,
)
_LOOKS_LIKE_INSTRUCTION = re.compile(
    r"\b(?:keys?|mode|append|upsert|replace|overwrite|create|tables?|database|filter|import"
    r"|types?|delimiter|separator|header|sheets?|rename|foreign|null|markers?|union|decimal"
    r"|references?|checks?)\b",
    re.I,
)
_UPSERT_BY = re.compile(rf"\s*,?\s*(?:by|on)\s+{_COLUMNS}(?![\w'])", re.I)
_WITH = re.compile(r"\s+with\s+", re.I)
_SOURCES_BEFORE_CLAUSES = re.compile(rf"\s*{_items('paths')}", re.I)
# A sentence that describes a database server or a login, not an import.
_DESCRIBES_SERVER = re.compile(
    r"\b(?:(?:database|sql|dolt|mysql|mariadb)[\s-]+server|server\s+(?:is\s+)?running"
    r"|running\s+on|host(?:name)?|port\s+\d+|localhost|\d{1,3}(?:\.\d{1,3}){3}"
    r"|user(?:name)?\s+(?:is\s+)?\S|password|passwd|credentials?|log\s*in\s+as)\b",
    re.I,
)
SERVER_NOTE = (
    "The database server described in the request is not used: the import goes to the database "
    "server this bot is configured with. Credentials written in a message are never used."
)
_COURTESY_ONLY = re.compile(r"(?:please|thanks|thank\s+you|thx|cheers)?[\s.!,]*", re.I)
_MODE_WORDS = {mode.value: mode for mode in WriteMode} | {"update": WriteMode.UPSERT}


# The import sentence ----------------------------------------------------------------------
def _is_import_sentence(sentence: _Text) -> bool:
    return bool(_IMPORT_VERB.match(sentence.mask) or _REPLACE_WITH.match(sentence.mask))


def _read_import_sentence(sentence: _Text, found: _Found) -> None:
    if replace := _REPLACE_WITH.match(sentence.mask):
        _read_replace_sentence(sentence.cut(replace.end()), found)
        return
    verb = _IMPORT_VERB.match(sentence.mask)
    assert verb is not None
    body = sentence.cut(verb.end())
    word = verb["verb"].lower()
    connector = (_TO_OR_INTO if word == "append" else _INTO).search(body.mask)
    if connector is None:
        if not body.raw.strip():
            raise _not_understood("The request names nothing to import and no target database.")
        raise _not_understood('The request names no target: add "into <database>".')
    if word in ("append", "upsert"):
        found.settle("mode", WriteMode(word), "mode")
    _read_sources(body.cut(0, connector.start()), found)
    target = body.cut(connector.end())
    position = _read_target(target, found)
    if word == "upsert" and (by := _UPSERT_BY.match(target.mask, position)):
        position = _on_key(target, by, found)
    _read_clauses(target, position, found, strict=True)


def _read_replace_sentence(body: _Text, found: _Found) -> None:
    """`replace <db>.<table> with <sources> [clauses]`: mode replace."""
    found.settle("mode", WriteMode.REPLACE, "mode")
    position = _read_target(body, found)
    connector = _WITH.match(body.mask, position)
    if connector is None:
        raise _not_understood(
            f'I could not read "{body.raw.strip()}": write "replace <database>.<table> with '
            '<path|glob|url>".'
        )
    rest = body.cut(connector.end())
    sources = _SOURCES_BEFORE_CLAUSES.match(rest.mask)
    if sources is None:
        raise _not_understood('The request names nothing to replace the table with after "with".')
    _read_sources(rest.cut(0, sources.end()), found)
    _read_clauses(rest, sources.end(), found, strict=True)


def _read_sources(part: _Text, found: _Found) -> None:
    part, recursive = part.blank(_RECURSIVE)
    found.recursive = found.recursive or recursive
    part = part.strip()
    if excluded := _EXCEPT_IN_SOURCES.search(part.mask):
        _on_except(part, excluded, found)
        part = part.cut(0, excluded.start()).strip()
    if listed := _JSON_LIST_OF.match(part.mask):
        _on_json_list(part, listed, found)
        part = part.cut(listed.end()).strip()
    if not part.raw:
        raise _not_understood(
            'The request names nothing to import: put a path, a glob or a URL before "into".'
        )
    if match := _ALL_FILES.fullmatch(part.mask):
        dirs = part.group(match, "dirs")
        assert dirs is not None
        directories = [
            _unquote(d.cut(_DIRECTORY_WORDS.match(d.mask).end()))  # type: ignore[union-attr]
            for d in dirs.split(_PATH_SEP)
        ]
        for directory in directories:
            if "://" in directory:
                raise _not_understood(
                    f"Files at a URL ({directory}) cannot be listed: name each file."
                )
        types = part.group(match, "types")
        if types is None:
            found.sources, found.folders = directories, list(directories)
        else:
            extensions = [_FILE_TYPES[t.raw.lower()] for t in types.split(_TYPE_SEPARATOR)]
            found.sources = [
                f"{directory.rstrip('/')}/*.{ext}"
                for directory in directories
                for ext in dict.fromkeys(extensions)
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


# Clauses ----------------------------------------------------------------------------------


def _read_clauses(part: _Text, position: int, found: _Found, *, strict: bool) -> None:
    """Read clauses from `position` to the end of `part`.

    `strict` is for the import sentence: anything left over is an error. In other sentences a
    leftover is ignored unless it looks like a filter or another instruction, or follows a
    clause ("just the Gentoo penguins from Biscoe" is not read as only Gentoo).
    """
    read_some = False
    while True:
        separator = _SEPARATOR.match(part.mask, position)
        position = separator.end() if separator else position
        if position >= len(part.raw):
            return
        for pattern, handler in _CLAUSES:
            if match := pattern.match(part.mask, position):
                position, read_some = handler(part, match, found), True
                break
        else:
            _refuse_leftover(part.cut(position).strip(), strict=strict or read_some)
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
    condition = part.cut(match.end(), end)
    found.filters.append(_equality_in_words(condition) or _predicate(condition))
    return end


_WORDS_EQUALITY = re.compile(
    rf"(?P<column>{_NAME})\s+(?P<op>is\s+not|isn't|is\s+equal\s+to|equals|is)\s+"
    rf"(?P<value>{_QUOTED}|[^\s\"'`]+?)[.!]?",
    re.I,
)
_SQL_WORDS_AFTER_IS = frozenset({"null", "true", "false", "unknown", "not", "distinct"})
_PLAIN_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def _equality_in_words(text: _Text) -> str | None:
    """`species is Adelie` -> `species = 'Adelie'` (`is not` -> `<>`), the value quoted safely;
    None when the condition is not of that shape (it is then read as SQL)."""
    text = text.strip()
    match = _WORDS_EQUALITY.fullmatch(text.mask)
    if match is None:
        return None
    column, value = _unquote(text.group(match, "column")), text.group(match, "value")
    assert value is not None
    if not _is_quoted(value) and value.raw.lower() in _SQL_WORDS_AFTER_IS:
        return None
    _checked_name(validate_identifier, column, kind="column")
    if not _PLAIN_IDENTIFIER.fullmatch(column):
        column = "`" + column.replace("`", "``") + "`"
    operator = "=" if match["op"].lower() in ("is", "equals", "is equal to") else "<>"
    literal = value.raw[1:-1] if _is_quoted(value) else value.raw
    if "\\" in literal:  # MySQL and DuckDB read a backslash differently: write it as SQL
        return None
    if not _is_quoted(value) and _NUMBER.fullmatch(literal):
        return check_predicate(f"{column} {operator} {literal}")
    escaped = literal.replace("'", "''")
    return check_predicate(f"{column} {operator} '{escaped}'")


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


def _describes_a_server(sentence: _Text) -> bool:
    """A sentence about a server or a login, with nothing the grammar reads at its start."""
    if not _DESCRIBES_SERVER.search(sentence.mask):
        return False
    return not any(pattern.match(sentence.mask) for pattern, _ in _CLAUSES)


def _starts_clause(part: _Text, position: int) -> bool:
    """Whether a clause of the grammar starts at `position` (where a check's words end)."""
    return any(pattern.match(part.mask, position) for pattern, _ in _CLAUSES)


_TABLES = r"(?:table|tables|rows|data|contents)"
_CLAUSES: tuple[tuple[re.Pattern[str], _Handler], ...] = (
    *check_clauses(_starts_clause),
    *_OVERRIDE_CLAUSES,
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
        _clause(
            rf"(?:replace|overwrite)\s+(?:the\s+)?(?:existing\s+)?{_TABLES}"
            r"(?:\s+with\s+(?:the\s+)?(?:new\s+)?(?:data|rows|records|files?|ones|contents))?"
        ),
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
