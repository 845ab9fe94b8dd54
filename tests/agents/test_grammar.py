"""The request grammar, driven by fixture files of accepted and rejected requests."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from agents.errors import RequestNotUnderstood
from agents.stages.grammar import EXAMPLES, GRAMMAR, parse_request, revise_request
from agents.stages.grammar_checks import checks_in
from agents.stages.grammar_text import redact_credentials

FIXTURES = Path(__file__).parent / "fixtures" / "grammar"


def _cases(name: str) -> list[Any]:
    """One pytest param per line of a fixture file, with the request text as its id."""
    params = []
    for number, line in enumerate((FIXTURES / name).read_text().splitlines(), start=1):
        case = json.loads(line)
        words = re.sub(r"[^a-z0-9*./]+", "-", case["text"].lower()).strip("-")
        params.append(pytest.param(case, id=f"{number}-{words[:70] or 'empty'}"))
    return params


@pytest.mark.parametrize("case", _cases("accepted.jsonl"))
def test_accepted(case: dict[str, Any]) -> None:
    request = parse_request(case["text"])
    understood = request.model_dump(mode="json")
    assert request.status == "ok"
    assert {field: understood[field] for field in case["expect"]} == case["expect"]
    assert request.summary.startswith("Import ") and request.summary.endswith(".")


@pytest.mark.parametrize("case", _cases("rejected.jsonl"))
def test_rejected(case: dict[str, Any]) -> None:
    with pytest.raises(RequestNotUnderstood) as raised:
        parse_request(case["text"])
    assert case["expect_error"] in str(raised.value)


@pytest.mark.parametrize("case", _cases("rejected.jsonl"))
def test_every_rejection_shows_the_grammar_and_examples(case: dict[str, Any]) -> None:
    with pytest.raises(RequestNotUnderstood) as raised:
        parse_request(case["text"])
    message = str(raised.value)
    assert GRAMMAR in message
    assert all(example in message for example in EXAMPLES)


@pytest.mark.parametrize("example", EXAMPLES)
def test_the_examples_shown_to_people_are_accepted(example: str) -> None:
    assert parse_request(example).status == "ok"


def test_fixture_files_are_big_enough() -> None:
    assert len(_cases("accepted.jsonl")) >= 25
    assert len(_cases("rejected.jsonl")) >= 12


@pytest.mark.parametrize(
    ("said", "kept"),
    [
        ("user 'root' and password 's3cret!'.", "user 'root' and password ***."),
        ("password: hunter2, then", "password: ***, then"),
        ("the api key = sk-123 please", "the api key = *** please"),
        ("mysql://root:pw@127.0.0.1:3306/db", "mysql://root:***@127.0.0.1:3306/db"),
        # a password typed in a URL, @ and / included, in Slack's <url|label> too
        ("https://ada:p@ss@h.example/x.csv", "https://ada:***@h.example/x.csv"),
        ("https://ada:pa/ss@h.example:8443/x.csv", "https://ada:***@h.example:8443/x.csv"),
        (
            "<https://:pw@h/x.csv|https://:pw@h/x.csv>",
            "<https://:***@h/x.csv|https://:***@h/x.csv>",
        ),
        ("https://a:b@h/x.csv,https://c:d@i/y.csv", "https://a:***@h/x.csv,https://c:***@i/y.csv"),
        ("https://h:8080/x.csv?mail=bob@example.com", "https://h:8080/x.csv?mail=bob@example.com"),
        ("user 'root' with no password. Import x", "user 'root' with no password. Import x"),
        ("use the password column as key", "use the password column as key"),
    ],
)
def test_credentials_written_in_a_message_are_replaced(said: str, kept: str) -> None:
    assert redact_credentials(said) == kept


def test_a_change_is_read_strictly_with_the_request() -> None:
    request = "Import all CSV files in data into shop. Null markers NA."
    revised = revise_request(request, "no foreign keys. Type zip VARCHAR(10).")
    assert revised.overrides.foreign_keys is False and revised.read.null_markers == ["NA"]
    assert [(t.column, t.type) for t in revised.overrides.types] == [("zip", "VARCHAR(10)")]
    with pytest.raises(RequestNotUnderstood, match='could not understand "make it pretty"'):
        revise_request(request, "no foreign keys and make it pretty")


def test_a_check_said_as_a_change_is_added_to_the_request() -> None:
    request = revise_request(
        "Import people.csv into fam and check that id is unique",
        "check that age is never negative",
    )
    assert request.checks == ["id is unique", "age is never negative"]


def test_checks_are_found_in_a_request_the_model_reads() -> None:
    text = (
        "bring the penguins from x.csv over to zoo and check that body_mass is never negative,"
        " thanks. Checks: island is one of Biscoe, Dream; 'id' is unique"
    )
    assert checks_in(text) == [
        "body_mass is never negative",
        "island is one of Biscoe, Dream",
        "'id' is unique",
    ]
