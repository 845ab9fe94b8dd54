"""The language-model client: one typed artifact per call, through the `openai` SDK.

`LlmClient.parse(stage=..., messages=..., output=SomeModel)` sends the messages with
`response_format` set to the model's strict JSON schema (`chat.completions.parse`) and returns a
validated `SomeModel`. It works with api.openai.com and any OpenAI-compatible server that honours
`response_format: {"type": "json_schema"}` (llama.cpp's server does).

What can happen, and what the caller gets:

- 429, 408/409, 5xx, a timeout or a failed connection: the same model is tried again
  `attempts_per_model` times, with exponential backoff and jitter (0.5 s, 1 s, 2 s … capped at
  8 s; a `Retry-After` up to 60 s is honoured, a longer one moves on at once), then the next
  model of `models`. When no model answered: `LlmUnavailable` (retryable) naming each model and
  its last error.
- 404 or `model_not_found`: the next model at once. If every model was missing: `LlmError`.
- 401/403: `LlmError` saying the key was refused; 400 and other 4xx: `LlmError` with the
  server's message. Neither is retried nor falls back: another model would fail the same way.
- An answer cut off at `max_output_tokens`: `LlmTruncated`; a refusal or the provider's content
  filter: `LlmRefused`; an answer that is not valid JSON for `output`: `LlmInvalidOutput`, whose
  text (the validation errors and the start of the answer) is meant to go back to the model.
  None of these is retried or sent to another model here: the stage's repair loop decides.

Every answer that came back (valid or not) is recorded as `LlmUsage` in `client.usage` and
passed to `on_usage`, because its tokens were spent. The API key is never logged and never put
in an exception; the SDK's own exceptions are not chained (they hold the request's headers).

The settings and usage records live in `agents.llm.settings` (re-exported here).
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

import openai
import pydantic
from pydantic import BaseModel

from agents.errors import LlmError, LlmInvalidOutput, LlmRefused, LlmTruncated, LlmUnavailable
from agents.llm.settings import OPENAI_API_URL, LlmSettings, LlmUsage, settings_from_env

__all__ = ["LlmClient", "LlmSettings", "LlmUsage", "settings_from_env"]

log = logging.getLogger("agents.llm")

M = TypeVar("M", bound=BaseModel)

NO_KEY = "no-key"  # sent to keyless local servers: the SDK refuses an empty key
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 8.0
RETRY_AFTER_LIMIT_SECONDS = 60.0
EXCERPT_CHARS = 300
_TRANSIENT_STATUSES = frozenset({408, 409, 429})
_SECRET_LIKE = re.compile(r"\b(?:sk|rk|pk)-[A-Za-z0-9_\-*.]{3,}")


@dataclass(frozen=True)
class _Failure:
    """Why one request to one model gave no answer."""

    reason: str  # for people: redacted, short
    transient: bool  # worth asking the same model again
    retry_after: float | None = None


class LlmClient:
    """Typed answers from the first model of `settings.models` that gives one."""

    def __init__(
        self,
        settings: LlmSettings,
        *,
        on_usage: Callable[[LlmUsage], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        job_id: str | None = None,
    ) -> None:
        self.settings = settings
        self.job_id = job_id
        self.usage: list[LlmUsage] = []
        self._on_usage = on_usage
        self._sleep = sleep
        self._random = random.Random()
        base_url = settings.base_url or OPENAI_API_URL
        self._endpoint = _shown_url(base_url)
        # The token limit's name: OpenAI's own API rejects `max_tokens` for reasoning models;
        # llama.cpp's server (and most compatible ones) read only `max_tokens`.
        native = urlsplit(base_url).hostname == "api.openai.com"
        self._limit_name = "max_completion_tokens" if native else "max_tokens"
        self._openai = openai.OpenAI(
            api_key=settings.api_key or NO_KEY,
            base_url=base_url,  # given explicitly, so the SDK never reads OPENAI_BASE_URL
            timeout=settings.timeout_seconds,
            max_retries=0,  # our loop retries, so backoff and fallback order are ours
        )

    def close(self) -> None:
        self._openai.close()

    def __enter__(self) -> LlmClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- the one call -----------------------------------------------------------------------
    def parse(self, *, stage: str, messages: Sequence[Mapping[str, str]], output: type[M]) -> M:
        """The answer to `messages` as a validated `output`; see the module text for errors."""
        sent = [dict(message) for message in messages]
        failures: dict[str, str] = {}
        any_transient = False
        attempt = 0
        for model in self.settings.models:
            for tries in range(1, self.settings.attempts_per_model + 1):
                attempt += 1
                started = time.monotonic()
                result = self._send(stage=stage, model=model, messages=sent, output=output)
                if not isinstance(result, _Failure):
                    latency = time.monotonic() - started
                    return self._read(result, stage, model, output, latency, attempt)
                if not result.transient:
                    failures[model] = result.reason
                    log.warning("llm stage=%s model=%s skipped: %s", stage, model, result.reason)
                    break
                any_transient = True
                failures[model] = f"{result.reason} ({tries} attempt{'s' if tries > 1 else ''})"
                pause = self._pause(tries, result.retry_after)
                if pause is None:
                    failures[model] += f"; it asked to wait {result.retry_after:g} s"
                if pause is None or tries == self.settings.attempts_per_model:
                    log.warning("llm stage=%s model=%s gave up: %s", stage, model, failures[model])
                    break
                log.warning(
                    "llm stage=%s model=%s attempt %d failed: %s; retrying in %.2f s",
                    stage,
                    model,
                    tries,
                    result.reason,
                    pause,
                )
                self._sleep(pause)
        listed = "; ".join(f"{model}: {reason}" for model, reason in failures.items())
        if not any_transient:
            raise LlmError(
                f"None of the configured models is available at {self._endpoint} ({listed});"
                " check IMPORTBOT_MODELS."
            )
        raise LlmUnavailable(
            f"No model could answer the {stage} step at {self._endpoint} ({listed});"
            " try again later."
        )

    def _send(
        self, *, stage: str, model: str, messages: list[dict[str, str]], output: type[M]
    ) -> tuple[Any, dict[str, Any]] | _Failure:
        """The raw response of one request and its JSON body, or why there is none (raises
        when asking again cannot help)."""
        options: dict[str, Any] = {self._limit_name: self.settings.max_output_tokens}
        if self.settings.temperature is not None:
            options["temperature"] = self.settings.temperature
        try:
            raw = self._openai.chat.completions.with_raw_response.parse(
                model=model,
                messages=cast(Any, messages),
                response_format=output,
                **options,
            )
        except openai.APITimeoutError:
            return _Failure(f"timed out after {self.settings.timeout_seconds:g} s", True)
        except openai.APIConnectionError as error:
            cause = error.__cause__
            detail = f": {self._redact(str(cause))}" if cause is not None and str(cause) else ""
            return _Failure(f"could not connect{detail}", True)
        except openai.APIStatusError as error:
            return self._status_failure(error, stage=stage, model=model)
        except openai.APIError as error:  # e.g. a response the SDK could not read
            return _Failure(f"unreadable response: {self._redact(error.message)}", True)
        try:
            body = raw.http_response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or not isinstance(body.get("choices"), list):
            shown = self._redact(raw.http_response.text)
            return _Failure(f"answered with something that is not a chat completion: {shown}", True)
        return raw, body

    def _status_failure(self, error: openai.APIStatusError, *, stage: str, model: str) -> _Failure:
        status = error.status_code
        message = self._server_message(error)
        shown = f"HTTP {status}" + (f": {message}" if message else "")
        if status in _TRANSIENT_STATUSES or status >= 500:
            return _Failure(shown, True, _retry_after(error.response.headers))
        if status == 404 or error.code == "model_not_found":
            return _Failure(f"model not found ({shown})", False)
        if status in (401, 403):
            reason = "" if status == 401 else f": {message}"
            raise LlmError(
                f"The API key was refused by {self._endpoint} (HTTP {status}) for model"
                f" {model}{reason}. Check OPENAI_API_KEY."
            ) from None
        raise LlmError(
            f"{self._endpoint} rejected the {stage} request to model {model} ({shown})."
        ) from None

    # -- reading an answer ------------------------------------------------------------------
    def _read(
        self,
        answer: tuple[Any, dict[str, Any]],
        stage: str,
        model: str,
        output: type[M],
        latency: float,
        attempt: int,
    ) -> M:
        raw, body = answer
        choices = body["choices"]
        first = choices[0] if choices and isinstance(choices[0], dict) else {}
        content = (first.get("message") or {}).get("content")
        content = content if isinstance(content, str) else ""
        try:
            completion = raw.parse()
        except openai.LengthFinishReasonError:
            self._record(stage, model, body, latency, attempt, "truncated")
            raise LlmTruncated(
                f"The {stage} answer from {model} was cut off at the limit of"
                f" {self.settings.max_output_tokens} output tokens; ask for less or raise"
                f" the limit. It began: {_excerpt(content)}"
            ) from None
        except openai.ContentFilterFinishReasonError:
            self._record(stage, model, body, latency, attempt, "refused")
            raise LlmRefused(
                f"The provider's content filter stopped the {stage} answer from {model}."
            ) from None
        except pydantic.ValidationError as error:
            self._record(stage, model, body, latency, attempt, "invalid_output")
            raise LlmInvalidOutput(_invalid_output_text(output, content, error)) from None
        if not completion.choices:
            self._record(stage, model, body, latency, attempt, "invalid_output")
            raise LlmInvalidOutput(f"The {stage} answer from {model} had no choices.")
        message = completion.choices[0].message
        if message.refusal:
            self._record(stage, model, body, latency, attempt, "refused")
            raise LlmRefused(f"{model} refused the {stage} step: {_excerpt(message.refusal)}")
        if message.parsed is None:
            self._record(stage, model, body, latency, attempt, "invalid_output")
            raise LlmInvalidOutput(
                f"The answer was empty; a JSON object for {output.__name__} was expected."
            )
        self._record(stage, model, body, latency, attempt, "ok")
        return cast(M, message.parsed)

    def _record(
        self,
        stage: str,
        model: str,
        body: Mapping[str, Any],
        latency: float,
        attempt: int,
        outcome: str,
    ) -> None:
        usage = body.get("usage")
        if not isinstance(usage, dict):
            usage = {}
        record = LlmUsage(
            job_id=self.job_id,
            stage=stage,
            model=model,
            prompt_tokens=_count(usage.get("prompt_tokens")),
            completion_tokens=_count(usage.get("completion_tokens")),
            latency_seconds=latency,
            attempt=attempt,
            outcome=outcome,
        )
        self.usage.append(record)
        log.info(
            "llm stage=%s model=%s outcome=%s latency=%.2fs prompt_tokens=%d"
            " completion_tokens=%d attempt=%d job=%s",
            stage,
            model,
            outcome,
            latency,
            record.prompt_tokens,
            record.completion_tokens,
            attempt,
            self.job_id,
        )
        if self._on_usage is not None:
            self._on_usage(record)

    # -- helpers ----------------------------------------------------------------------------
    def _pause(self, tries: int, retry_after: float | None) -> float | None:
        """Seconds to wait before trying the same model again; None: do not."""
        backoff = BACKOFF_BASE_SECONDS * 2 ** (tries - 1) * self._random.uniform(1.0, 1.25)
        backoff = min(BACKOFF_CAP_SECONDS, backoff)
        if retry_after is None:
            return backoff
        if retry_after > RETRY_AFTER_LIMIT_SECONDS:
            return None
        return max(retry_after, backoff)

    def _server_message(self, error: openai.APIStatusError) -> str:
        body = error.body
        if isinstance(body, dict):
            text = body.get("message") or body.get("error") or ""
        else:
            text = body if isinstance(body, str) else ""
        return self._redact(str(text))

    def _redact(self, text: str) -> str:
        key = self.settings.api_key
        if key:
            text = text.replace(key, "***")
        text = _SECRET_LIKE.sub("***", text)
        return _excerpt(" ".join(text.split()), limit=EXCERPT_CHARS)


def _invalid_output_text(
    output: type[BaseModel], content: str, error: pydantic.ValidationError
) -> str:
    """What goes back to the model: each problem, then the start of its answer."""
    lines = [f"The answer is not valid JSON for {output.__name__}:"]
    problems = error.errors(include_url=False)
    for problem in problems[:10]:
        where = ".".join(str(part) for part in problem["loc"]) or "(the whole answer)"
        got = problem.get("input")
        shown = ""
        if problem["type"] != "json_invalid" and isinstance(got, str | int | float | bool):
            shown = f" (got {_excerpt(repr(got), limit=60)})"
        lines.append(f"- {where}: {problem['msg']}{shown}")
    if len(problems) > 10:
        lines.append(f"- … and {len(problems) - 10} more")
    if len(content) > EXCERPT_CHARS:
        shown = f"first {EXCERPT_CHARS} of {len(content)} characters"
        lines.append(f"The answer received ({shown}): {_excerpt(content)}")
    else:
        lines.append(f"The answer received: {content}")
    return "\n".join(lines)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from `retry-after-ms` or `retry-after` (seconds or an HTTP date)."""
    milliseconds = headers.get("retry-after-ms")
    if milliseconds:
        try:
            return max(0.0, float(milliseconds) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _excerpt(text: str, *, limit: int = EXCERPT_CHARS) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def _count(value: object) -> int:
    return value if isinstance(value, int) and value >= 0 else 0


def _shown_url(url: str) -> str:
    """The base URL without credentials, query or fragment, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}".rstrip("/")
