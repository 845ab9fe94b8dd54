"""A scripted OpenAI-compatible HTTP server on 127.0.0.1, for tests that must not reach a model.

It speaks the real chat-completions protocol over real HTTP, so the `openai` SDK under test runs
unchanged: `POST /v1/chat/completions` replays the next scripted answer, `GET /v1/models` lists the
scripted models. Every request is recorded; `assert_exhausted()` checks the script was used up.

    with ScriptedOpenAI({"model-a": [HttpError(500)], "model-b": [Answer(ok=True)]}) as server:
        client = LlmClient(LlmSettings(models=("model-a", "model-b"), api_key="sk-test",
                                       base_url=server.base_url))
        ...
        server.assert_exhausted()

A script is either one list (any model takes the next answer) or a mapping from model name to
its own list; a model missing from a mapping gets a 404 `model_not_found`, as from OpenAI.
"""

from __future__ import annotations

import http.server
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, TypeAlias

from pydantic import BaseModel

from tests.fakes.local_http import start_local_server, stop_local_server


# -- what the server can answer ------------------------------------------------------------
@dataclass(frozen=True)
class Refusal:
    """The model refuses: `message.refusal` is set, `content` is null."""

    text: str


@dataclass(frozen=True)
class Truncated:
    """The answer stops at the token limit: `finish_reason` is "length"."""

    partial: str = ""


@dataclass(frozen=True)
class ContentFiltered:
    """The provider's filter stopped the answer: `finish_reason` is "content_filter"."""

    partial: str = ""


@dataclass(frozen=True)
class HttpError:
    """An HTTP answer that is no completion: `body=None` sends OpenAI's error object for the
    status; a string is sent as text (e.g. `HttpError(200, "<html>")` for a broken proxy)."""

    status: int
    body: Mapping[str, Any] | str | None = None
    retry_after: float | None = None


@dataclass(frozen=True)
class Delay:
    """Wait `seconds` before answering `then` (the server's close interrupts the wait)."""

    seconds: float
    then: Answer


Answer: TypeAlias = (
    BaseModel | Mapping[str, Any] | str | Refusal | Truncated | ContentFiltered | HttpError | Delay
)
Script: TypeAlias = Sequence[Answer] | Mapping[str, Sequence[Answer]]

ANY_MODEL = "*"
_ERROR_TYPES = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    403: ("invalid_request_error", "unsupported_country_region_territory"),
    404: ("invalid_request_error", "model_not_found"),
    429: ("requests", "rate_limit_exceeded"),
}


def prompt_tokens_for(messages: object) -> int:
    """The prompt size the server reports: a deterministic function of the messages."""
    return max(1, len(json.dumps(messages, ensure_ascii=False)) // 4)


def error_body(status: int, message: str) -> dict[str, Any]:
    kind, code = _ERROR_TYPES.get(status, ("server_error", None))
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


# -- what it records -----------------------------------------------------------------------
@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def model(self) -> str | None:
        return self.body.get("model")

    @property
    def messages(self) -> list[dict[str, Any]]:
        return self.body.get("messages") or []

    @property
    def response_format(self) -> dict[str, Any] | None:
        return self.body.get("response_format")


# -- the server ----------------------------------------------------------------------------
class ScriptedOpenAI:
    """A real HTTP server replaying `script`; use as a context manager (or start()/close())."""

    def __init__(self, script: Script = (), *, api_key: str | None = None) -> None:
        self.api_key = api_key  # when set, other bearer tokens get OpenAI's 401
        self.requests: list[RecordedRequest] = []
        self.unscripted: list[str] = []  # requests that found no answer left
        self._queues: dict[str, deque[Answer]] = {}
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._ids = itertools.count(1)
        self._httpd: http.server.ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.add(script)

    # script ------------------------------------------------------------------------------
    def add(self, script: Script) -> None:
        """Append answers: a list for any model, or a mapping of model name to answers."""
        by_model = script if isinstance(script, Mapping) else {ANY_MODEL: script} if script else {}
        with self._lock:
            for model, answers in by_model.items():
                self._queues.setdefault(model, deque()).extend(answers)

    def remaining(self) -> dict[str, list[Answer]]:
        with self._lock:
            return {model: list(queue) for model, queue in self._queues.items() if queue}

    def assert_exhausted(self) -> None:
        left = self.remaining()
        problems = [f"unused answers: {left!r}"] if left else []
        problems += [f"request without a scripted answer: {text}" for text in self.unscripted]
        assert not problems, "; ".join(problems)

    @property
    def completions(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    # lifecycle ---------------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._httpd is not None, "the server is not running"
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def client_env(self) -> dict[str, str]:
        """The environment that points importbot (CLI or worker) at this server."""
        return {
            "IMPORTBOT_LLM": "openai",
            "OPENAI_API_KEY": "sk-test",
            "OPENAI_BASE_URL": self.base_url,
            "IMPORTBOT_MODELS": "scripted",
        }

    def start(self) -> ScriptedOpenAI:
        handler = type("Handler", (_Handler,), {"scripted": self})
        self._httpd, self._thread = start_local_server(handler)
        return self

    def close(self) -> None:
        self._closing.set()
        stop_local_server(self._httpd, self._thread)
        self._httpd = self._thread = None

    def __enter__(self) -> ScriptedOpenAI:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # answering ---------------------------------------------------------------------------
    def _next_answer(self, model: str) -> Answer | None:
        """The answer for `model`; None when the script has none left for it."""
        with self._lock:
            queue = self._queues.get(model, self._queues.get(ANY_MODEL))
            if queue is None and self._queues:  # a script by model that does not name this one
                message = f"The model `{model}` does not exist or you do not have access to it."
                return HttpError(404, error_body(404, message))
            return queue.popleft() if queue else None

    def _wait(self, seconds: float) -> bool:
        """False when the server closed during the wait."""
        return not self._closing.wait(seconds)

    def _completion(self, body: dict[str, Any], answer: Answer) -> dict[str, Any]:
        content: str | None
        refusal: str | None = None
        finish_reason = "stop"
        if isinstance(answer, Refusal):
            content, refusal = None, answer.text
        elif isinstance(answer, Truncated):
            content, finish_reason = answer.partial, "length"
        elif isinstance(answer, ContentFiltered):
            content, finish_reason = answer.partial, "content_filter"
        elif isinstance(answer, BaseModel):
            content = answer.model_dump_json()
        elif isinstance(answer, Mapping):
            content = json.dumps(answer)
        else:
            content = str(answer)
        limit = body.get("max_completion_tokens") or body.get("max_tokens")
        completion_tokens = max(1, len(content or refusal or "") // 4)
        if finish_reason == "length" and isinstance(limit, int):
            completion_tokens = limit
        prompt_tokens = prompt_tokens_for(body.get("messages"))
        return {
            "id": f"chatcmpl-scripted-{next(self._ids)}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model"),
            "system_fingerprint": "scripted",
            "choices": [
                {
                    "index": 0,
                    "message": {
                        "role": "assistant",
                        "content": content,
                        "refusal": refusal,
                        "annotations": [],
                    },
                    "logprobs": None,
                    "finish_reason": finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }


class _Handler(http.server.BaseHTTPRequestHandler):
    scripted: ScriptedOpenAI
    server_version = "ScriptedOpenAI/1"

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._record({})
        if self.path.rstrip("/") != "/v1/models":
            self._send_json(404, error_body(404, f"Unknown path {self.path}"))
            return
        models = [m for m in self.scripted.remaining() if m != ANY_MODEL] or ["scripted"]
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "tests"} for m in models]
        self._send_json(200, {"object": "list", "data": data})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = None
        self._record(body if isinstance(body, dict) else {"unparsed": raw.decode(errors="replace")})
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send_json(404, error_body(404, f"Unknown path {self.path}"))
            return
        if not isinstance(body, dict):
            self._send_json(400, error_body(400, "The request body is not a JSON object."))
            return
        if not self._authorized():
            return
        model, messages = body.get("model"), body.get("messages")
        if not isinstance(model, str) or not isinstance(messages, list) or not messages:
            self._send_json(
                400, error_body(400, "`model` and a non-empty `messages` are required.")
            )
            return
        answer = self.scripted._next_answer(model)
        if answer is None:
            self.scripted.unscripted.append(f"{model}: {json.dumps(messages)[:200]}")
            self._send_json(500, error_body(500, f"ScriptedOpenAI: no answer left for {model}"))
            return
        self._answer(body, answer)

    def _answer(self, body: dict[str, Any], answer: Answer) -> None:
        while isinstance(answer, Delay):
            if not self.scripted._wait(answer.seconds):
                return
            answer = answer.then
        if isinstance(answer, HttpError):
            payload = answer.body
            if payload is None:
                payload = error_body(answer.status, f"Scripted HTTP {answer.status}")
            headers = {}
            if answer.retry_after is not None:
                headers["Retry-After"] = f"{answer.retry_after:g}"
            self._send_json(answer.status, payload, headers)
            return
        self._send_json(200, self.scripted._completion(body, answer))

    def _authorized(self) -> bool:
        expected = self.scripted.api_key
        given = self.headers.get("Authorization", "")
        if expected is None or given == f"Bearer {expected}":
            return True
        token = given.removeprefix("Bearer ")
        masked = f"{token[:3]}{'*' * max(0, len(token) - 7)}{token[-4:]}" if token else ""
        message = (
            f"Incorrect API key provided: {masked}. You can find your API key at "
            "https://platform.openai.com/account/api-keys."
        )
        self._send_json(401, error_body(401, message))
        return False

    def _record(self, body: dict[str, Any]) -> None:
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.scripted.requests.append(RecordedRequest(self.command, self.path, headers, body))

    def _send_json(
        self, status: int, payload: object, headers: Mapping[str, str] | None = None
    ) -> None:
        data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
        with suppress(BrokenPipeError, ConnectionResetError):
            self.send_response(status)
            content_type = "text/plain" if isinstance(payload, str) else "application/json"
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-request-id", f"req_scripted_{next(self.scripted._ids)}")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
