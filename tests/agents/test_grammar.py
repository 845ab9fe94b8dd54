"""The request grammar, driven by fixture files of accepted and rejected requests."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from agents.errors import RequestNotUnderstood
from agents.stages.grammar import EXAMPLES, GRAMMAR, parse_request

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
