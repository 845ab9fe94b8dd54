"""The LLM client against a scripted OpenAI-compatible server over real HTTP: no mocks.

Sleeps are injected (recorded, not slept), so retries and backoff cost no time.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import urllib.request
from collections.abc import Iterator

import pytest
from pydantic import BaseModel, Field

from agents.errors import (
    LlmError,
    LlmInvalidOutput,
    LlmRefused,
    LlmTruncated,
    LlmUnavailable,
)
from agents.llm.client import LlmClient, LlmSettings, LlmUsage, settings_from_env
from tests.fakes.network_guard import (
    NetworkBlocked,
    ResolutionBlocked,
    expect_blocked,
    install_network_guard,
    no_outside_network,  # noqa: F401 - the autouse fixture, until tests/conftest.py has it
)
from tests.fakes.openai_server import (
    ContentFiltered,
    Delay,
    HttpError,
    Refusal,
    ScriptedOpenAI,
    Truncated,
    prompt_tokens_for,
)

KEY = "sk-test-Zq8vKEYMUSTNOTLEAK1234"
MESSAGES = [
    {"role": "system", "content": "You turn import requests into JSON."},
    {"role": "user", "content": "Import /data/people.csv into families."},
]


class Target(BaseModel):
    database: str = Field(description="The database to import into")
    tables: list[str]
    rows: int


GOOD = Target(database="families", tables=["people"], rows=3)


@pytest.fixture(autouse=True, scope="module")
def guarded() -> None:
    install_network_guard()


class Harness:
    """A client pointed at a scripted server, with its sleeps and usage recorded."""

    def __init__(self, server: ScriptedOpenAI, **settings: object) -> None:
        options: dict = {"models": ("model-a", "model-b"), "api_key": KEY}
        options |= {"base_url": server.base_url, **settings}
        self.server = server
        self.sleeps: list[float] = []
        self.reported: list[LlmUsage] = []
        self.client = LlmClient(
            LlmSettings(**options),
            on_usage=self.reported.append,
            sleep=self.sleeps.append,
            job_id="job-42",
        )

    def parse(self, stage: str = "understand", messages: list | None = None) -> Target:
        return self.client.parse(stage=stage, messages=messages or MESSAGES, output=Target)

    def asked(self) -> list[str | None]:
        return [request.model for request in self.server.completions]


@pytest.fixture
def scripted() -> Iterator:
    """`scripted(script, **settings)` starts a server and returns a Harness for it."""
    opened: list[tuple[ScriptedOpenAI, Harness]] = []

    def start(script, *, server_key: str | None = None, **settings: object) -> Harness:
        server = ScriptedOpenAI(script, api_key=server_key).start()
        harness = Harness(server, **settings)
        opened.append((server, harness))
        return harness

    yield start
    for server, harness in opened:
        harness.client.close()
        server.close()


# -- answers -------------------------------------------------------------------------------
def test_a_good_answer_is_parsed_and_its_usage_recorded(scripted):
    llm = scripted([GOOD])
    assert llm.parse() == GOOD
    llm.server.assert_exhausted()

    [request] = llm.server.completions
    assert request.model == "model-a"
    assert request.messages == MESSAGES
    assert request.headers["authorization"] == f"Bearer {KEY}"
    schema = request.response_format
    assert schema["type"] == "json_schema"
    assert schema["json_schema"]["name"] == "Target"
    assert schema["json_schema"]["strict"] is True
    assert schema["json_schema"]["schema"]["required"] == ["database", "tables", "rows"]
    assert request.body["max_tokens"] == 2048  # llama.cpp reads max_tokens, not the newer name
    assert request.body["temperature"] == 0.0

    [usage] = llm.client.usage
    assert llm.reported == [usage]
    assert (usage.job_id, usage.stage, usage.model, usage.attempt) == (
        "job-42",
        "understand",
        "model-a",
        1,
    )
    assert usage.outcome == "ok"
    assert usage.prompt_tokens == prompt_tokens_for(MESSAGES)
    assert usage.completion_tokens == len(GOOD.model_dump_json()) // 4
    assert 0 <= usage.latency_seconds < 1


def test_usage_is_recorded_per_stage_and_job(scripted):
    longer = [*MESSAGES, {"role": "user", "content": "Only people aged 21 or older. " * 20}]
    llm = scripted([GOOD, GOOD])
    llm.parse(stage="understand")
    llm.parse(stage="plan", messages=longer)
    understand, plan = llm.client.usage
    assert [u.stage for u in llm.reported] == ["understand", "plan"]
    assert {u.job_id for u in llm.client.usage} == {"job-42"}
    assert understand.prompt_tokens == prompt_tokens_for(MESSAGES)
    assert plan.prompt_tokens == prompt_tokens_for(longer) > understand.prompt_tokens
    assert plan.attempt == 1


def test_temperature_none_is_left_to_the_server(scripted):
    llm = scripted([GOOD], temperature=None, max_output_tokens=100)
    llm.parse()
    assert "temperature" not in llm.server.completions[0].body
    assert llm.server.completions[0].body["max_tokens"] == 100


# -- retries and fallback ------------------------------------------------------------------
def test_server_errors_are_retried_with_backoff_then_the_next_model_answers(scripted):
    llm = scripted({"model-a": [HttpError(500)] * 3, "model-b": [GOOD]})
    assert llm.parse() == GOOD
    assert llm.asked() == ["model-a"] * 3 + ["model-b"]
    first, second = llm.sleeps  # none after the last try of model-a
    assert 0.5 <= first <= 0.625
    assert 1.0 <= second <= 1.25
    [usage] = llm.client.usage
    assert (usage.model, usage.attempt) == ("model-b", 4)
    llm.server.assert_exhausted()


def test_a_rate_limit_honours_retry_after(scripted):
    llm = scripted({"model-a": [HttpError(429, retry_after=2.5), GOOD]})
    assert llm.parse() == GOOD
    assert llm.asked() == ["model-a", "model-a"]
    [pause] = llm.sleeps
    assert 2.5 <= pause < 3
    llm.server.assert_exhausted()


def test_a_retry_after_beyond_the_limit_moves_to_the_next_model_at_once(scripted):
    llm = scripted({"model-a": [HttpError(429, retry_after=3600)], "model-b": [GOOD]})
    assert llm.parse() == GOOD
    assert llm.sleeps == []
    assert llm.asked() == ["model-a", "model-b"]


def test_a_timeout_is_retried(scripted):
    llm = scripted({"model-a": [Delay(5, then=GOOD), GOOD]}, timeout_seconds=0.2)
    started = time.monotonic()
    assert llm.parse() == GOOD
    assert time.monotonic() - started < 1
    assert llm.asked() == ["model-a", "model-a"]
    assert len(llm.sleeps) == 1
    assert llm.client.usage[0].attempt == 2


def test_a_missing_model_is_skipped_without_retry(scripted):
    llm = scripted({"model-b": [GOOD]})  # model-a answers 404 model_not_found
    assert llm.parse() == GOOD
    assert llm.asked() == ["model-a", "model-b"]
    assert llm.sleeps == []


def test_every_model_failing_is_unavailable_naming_each(scripted, caplog):
    caplog.set_level(logging.DEBUG)
    llm = scripted(
        {"model-a": [HttpError(503)] * 3, "model-b": [HttpError(502), Delay(5, then=GOOD)]},
        attempts_per_model=2,
        timeout_seconds=0.2,
    )
    with pytest.raises(LlmUnavailable) as raised:
        llm.parse()
    text = str(raised.value)
    assert raised.value.retryable is True
    assert "model-a: HTTP 503" in text and "(2 attempts)" in text
    assert "model-b: timed out after 0.2 s" in text
    assert "127.0.0.1" in text
    assert KEY not in text and KEY not in caplog.text
    assert len(llm.sleeps) == 2
    assert llm.server.remaining() == {"model-a": [HttpError(503)]}


def test_only_missing_models_is_a_configuration_error(scripted):
    llm = scripted({"another-model": [GOOD]})
    with pytest.raises(LlmError, match="model not found") as raised:
        llm.parse()
    assert not isinstance(raised.value, LlmUnavailable)
    assert "IMPORTBOT_MODELS" in str(raised.value)


# -- errors that are not retried -----------------------------------------------------------
def test_a_refused_key_is_an_error_without_retry_or_fallback(scripted, caplog):
    caplog.set_level(logging.DEBUG)
    llm = scripted([GOOD], server_key="sk-the-right-key-0000")
    with pytest.raises(LlmError, match=r"API key was refused .*HTTP 401") as raised:
        llm.parse()
    assert not isinstance(raised.value, LlmUnavailable)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert llm.asked() == ["model-a"]
    assert llm.sleeps == []
    assert KEY not in str(raised.value) and KEY[-4:] not in str(raised.value)
    assert KEY not in caplog.text


def test_a_bad_request_carries_the_servers_message_without_the_key(scripted, caplog):
    caplog.set_level(logging.DEBUG)
    echoed = f"Invalid schema for response_format 'Target' (sent with {KEY})"
    body = {"error": {"message": echoed, "type": "invalid_request_error", "code": None}}
    llm = scripted([HttpError(400, body=body)])
    with pytest.raises(LlmError, match="Invalid schema for response_format 'Target'") as raised:
        llm.parse(stage="plan")
    text = str(raised.value)
    assert "HTTP 400" in text and "plan" in text and "model-a" in text
    assert KEY not in text and KEY not in caplog.text
    assert llm.asked() == ["model-a"]


def test_a_refusal(scripted):
    llm = scripted([Refusal("I can't help with that request.")])
    with pytest.raises(LlmRefused, match="I can't help with that request"):
        llm.parse()
    assert llm.client.usage[0].outcome == "refused"


def test_the_content_filter_is_a_refusal(scripted):
    llm = scripted([ContentFiltered()])
    with pytest.raises(LlmRefused, match="content filter"):
        llm.parse()


def test_a_truncated_answer(scripted):
    llm = scripted([Truncated('{"database": "fami')], max_output_tokens=16)
    with pytest.raises(LlmTruncated, match="16 output tokens") as raised:
        llm.parse()
    assert '{"database": "fami' in str(raised.value)
    [usage] = llm.client.usage
    assert (usage.outcome, usage.completion_tokens) == ("truncated", 16)
    assert llm.asked() == ["model-a"]


def test_invalid_json_is_invalid_output_with_the_error_and_the_answer(scripted):
    llm = scripted(["Sure! Here is the JSON you asked for: {database: families}"])
    with pytest.raises(LlmInvalidOutput) as raised:
        llm.parse()
    text = str(raised.value)
    assert "not valid JSON for Target" in text
    assert "Invalid JSON" in text
    assert "Sure! Here is the JSON you asked for" in text
    assert llm.asked() == ["model-a"]  # no retry, no fallback: the repair loop decides
    assert llm.client.usage[0].outcome == "invalid_output"


def test_a_schema_mismatch_names_each_field(scripted):
    llm = scripted([{"database": "families", "tables": "people", "rows": "many"}])
    with pytest.raises(LlmInvalidOutput) as raised:
        llm.parse()
    text = str(raised.value)
    assert "- tables: Input should be a valid array (got 'people')" in text
    assert "- rows: Input should be a valid integer" in text and "(got 'many')" in text


def test_an_empty_answer_is_invalid_output(scripted):
    llm = scripted([""])
    with pytest.raises(LlmInvalidOutput, match="empty"):
        llm.parse()


def test_a_long_invalid_answer_is_quoted_only_in_part(scripted):
    llm = scripted(["x" * 5000])
    with pytest.raises(LlmInvalidOutput) as raised:
        llm.parse()
    assert "first 300 of 5000 characters" in str(raised.value)
    assert len(str(raised.value)) < 1000


def test_a_body_that_is_no_completion_is_retried_as_a_server_fault(scripted):
    not_a_completion = HttpError(200, body="<html>proxy login</html>")
    llm = scripted({"model-a": [not_a_completion], "model-b": [GOOD]}, attempts_per_model=1)
    assert llm.parse() == GOOD
    assert llm.asked() == ["model-a", "model-b"]


# -- the key stays secret ------------------------------------------------------------------
def test_the_key_is_never_logged(scripted, caplog):
    caplog.set_level(logging.DEBUG)
    llm = scripted({"model-a": [HttpError(500), GOOD]})
    llm.parse()
    assert KEY not in caplog.text
    records = [r for r in caplog.records if r.name == "agents.llm" and r.levelno == logging.INFO]
    [done] = records
    message = done.getMessage()
    assert "stage=understand" in message and "model=model-a" in message
    assert "prompt_tokens=" in message and "latency=" in message
    assert "people.csv" not in message  # no message contents at INFO


def test_settings_do_not_show_the_key():
    settings = LlmSettings(models=("m",), api_key=KEY)
    assert KEY not in repr(settings) and KEY not in str(settings)


def test_settings_need_a_model():
    with pytest.raises(ValueError, match="at least one model"):
        LlmSettings(models=(), api_key=KEY)
    with pytest.raises(ValueError, match="at least 1"):
        LlmSettings(models=("m",), api_key=KEY, attempts_per_model=0)


# -- settings from the environment ---------------------------------------------------------
def test_settings_from_env():
    assert settings_from_env({}) is None
    assert settings_from_env({"IMPORTBOT_MODELS": "a"}) is None
    plain = settings_from_env({"OPENAI_API_KEY": KEY})
    assert plain == LlmSettings(models=("gpt-4o-mini",), api_key=KEY)
    listed = settings_from_env(
        {
            "OPENAI_API_KEY": KEY,
            "OPENAI_BASE_URL": "http://127.0.0.1:8080/v1",
            "IMPORTBOT_MODELS": " model-a, ,model-b ",
        }
    )
    assert listed is not None
    assert listed.models == ("model-a", "model-b")
    assert listed.base_url == "http://127.0.0.1:8080/v1"
    keyless = settings_from_env({"OPENAI_BASE_URL": "http://127.0.0.1:8080/v1"})
    assert keyless is not None and keyless.api_key == ""


def test_a_keyless_local_server_works(scripted):
    llm = scripted([GOOD], api_key="")
    assert llm.parse() == GOOD
    assert llm.server.completions[0].headers["authorization"] == "Bearer no-key"


# -- the scripted server itself ------------------------------------------------------------
def test_the_scripted_server_lists_its_models_and_reports_leftovers():
    with ScriptedOpenAI({"model-a": [GOOD], "model-b": []}) as server:
        with urllib.request.urlopen(f"{server.base_url}/models", timeout=2) as response:
            listed = json.load(response)
        assert [model["id"] for model in listed["data"]] == ["model-a"]
        assert server.requests[0].method == "GET"
        with pytest.raises(AssertionError, match="unused answers"):
            server.assert_exhausted()


def test_the_scripted_server_flags_a_request_beyond_its_script(scripted):
    llm = scripted({"model-a": []}, attempts_per_model=1, models=("model-a",))
    with pytest.raises(LlmUnavailable, match="no answer left for model-a"):
        llm.parse()
    with pytest.raises(AssertionError, match="request without a scripted answer"):
        llm.server.assert_exhausted()


# -- the network guard ---------------------------------------------------------------------
def test_the_guard_refuses_a_connection_outside_this_machine_before_sending():
    with expect_blocked() as blocked, socket.socket() as sock:
        sock.settimeout(5)  # an unroutable address would hang here if a SYN were sent
        started = time.monotonic()
        with pytest.raises(NetworkBlocked, match=r"192\.0\.2\.1"):
            sock.connect(("192.0.2.1", 443))
        assert time.monotonic() - started < 0.5
    assert blocked == ["connect to ('192.0.2.1', 443)"]


def test_the_guard_refuses_dns_lookups_but_not_literals_or_localhost():
    with expect_blocked() as blocked, pytest.raises(ResolutionBlocked):
        socket.getaddrinfo("api.openai.com", 443)
    assert blocked == ["resolving 'api.openai.com'"]
    with pytest.raises(socket.gaierror):  # RFC 6761: never resolves; answered without a query
        socket.getaddrinfo("nothing.invalid", 80)
    assert socket.getaddrinfo("10.0.0.1", 80)  # a literal: no traffic, checked on connect
    assert socket.getaddrinfo("localhost", 80)


def test_the_guard_lets_loopback_through():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=1):
            pass
    if socket.has_ipv6:
        with socket.socket(socket.AF_INET6) as sock:
            try:
                sock.connect(("::1", 9))
            except NetworkBlocked:
                pytest.fail("::1 must be allowed")
            except OSError:
                pass  # refused or no IPv6 here: either way the guard let it through


def test_a_model_outside_this_machine_cannot_be_called():
    settings = LlmSettings(
        models=("gpt-4o-mini",), api_key=KEY, base_url="http://192.0.2.1/v1", timeout_seconds=5
    )
    sleeps: list[float] = []
    with expect_blocked() as blocked, LlmClient(settings, sleep=sleeps.append) as client:
        started = time.monotonic()
        with pytest.raises(LlmUnavailable, match="network guard") as raised:
            client.parse(stage="understand", messages=MESSAGES, output=Target)
        assert time.monotonic() - started < 1
    assert len(blocked) == 3 and all("192.0.2.1" in what for what in blocked)
    assert KEY not in str(raised.value)


def test_the_guard_removed_openai_settings_from_the_environment():
    assert not [name for name in os.environ if name.upper().startswith("OPENAI_")]
