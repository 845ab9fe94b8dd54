"""The README's promises: the request examples it shows parse, and the two commands exist."""

import re
from pathlib import Path

import pytest

from agents.stages.grammar import GRAMMAR, parse_request

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
EXAMPLES = [
    example
    for line in README.splitlines()
    if line.startswith("- `")
    for example in re.findall(r"`([^`]+)`", line)
    if re.match(r"(?i)(please )?(import|append) ", example)
]


def test_the_readme_shows_request_examples():
    assert len(EXAMPLES) >= 5


@pytest.mark.parametrize("text", EXAMPLES)
def test_every_request_example_in_the_readme_parses(text):
    request = parse_request(text)
    assert request.sources and request.database


def test_the_readme_names_exactly_the_two_make_commands():
    block = re.search(r"```sh\n(make demo.*?)\n```", README, re.S).group(1)
    assert [line.split()[:2] for line in block.splitlines()] == [["make", "demo"], ["make", "test"]]


def test_the_readme_shows_the_grammar_that_errors_and_import_help_show():
    block = re.search(r"### The request grammar \(no LLM needed\)\n\n```\n(.*?)\n```", README, re.S)
    assert block is not None and block.group(1) == GRAMMAR
