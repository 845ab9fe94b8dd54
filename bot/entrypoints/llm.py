"""Which language model the stages use, composed at the entry point from the settings.

`IMPORTBOT_LLM`: `openai` (the default when OPENAI_API_KEY is set) — any OpenAI-compatible
endpoint (`OPENAI_BASE_URL`) with the fallback list `IMPORTBOT_MODELS`; `local` — the
Qwen2.5-Coder GGUF served in-process by llama.cpp (`importbot model fetch` first, or
`IMPORTBOT_LOCAL_MODEL=/path/model.gguf`); `off` — the request grammar and the baseline
(the default when nothing else is configured).

How patiently the model is asked: `IMPORTBOT_LLM_TIMEOUT` (seconds per request, default 120)
and `IMPORTBOT_LLM_ATTEMPTS` (tries per model, default 3), before the step's own retries
(`IMPORTBOT_TASK_RETRIES`) and then the job's failure.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from agents.errors import AgentError
from agents.llm.client import LlmClient, LlmSettings, settings_from_env

PROVIDERS = ("openai", "local", "off")


class ProviderError(AgentError):
    """The configured language model cannot be used."""


def provider_name(environ: Mapping[str, str]) -> str:
    chosen = (environ.get("IMPORTBOT_LLM") or "").strip().lower()
    if not chosen:
        return "openai" if environ.get("OPENAI_API_KEY") else "off"
    if chosen not in PROVIDERS:
        raise ProviderError(f"IMPORTBOT_LLM={chosen!r} is not one of {', '.join(PROVIDERS)}.")
    return chosen


@contextmanager
def open_llm(
    environ: Mapping[str, str], *, job_id: str | None = None
) -> Iterator[LlmClient | None]:
    """The client for the configured provider (None for `off`); a local server lives as long
    as the context."""
    name = provider_name(environ)
    if name == "off":
        yield None
        return
    if name == "openai":
        settings = settings_from_env(environ)
        if settings is None:
            raise ProviderError("IMPORTBOT_LLM=openai needs OPENAI_API_KEY.")
        with LlmClient(_patience(settings, environ), job_id=job_id) as client:
            yield client
        return
    with _local_server(environ) as server:
        settings = LlmSettings(models=(server.model,), api_key="local", base_url=server.base_url)
        with LlmClient(settings, job_id=job_id) as client:
            yield client


def _patience(settings: LlmSettings, environ: Mapping[str, str]) -> LlmSettings:
    timeout = environ.get("IMPORTBOT_LLM_TIMEOUT")
    attempts = environ.get("IMPORTBOT_LLM_ATTEMPTS")
    return replace(
        settings,
        timeout_seconds=float(timeout) if timeout else settings.timeout_seconds,
        attempts_per_model=int(attempts) if attempts else settings.attempts_per_model,
    )


@contextmanager
def _local_server(environ: Mapping[str, str]):
    from agents.llm.local_model import (
        DEFAULT_MODEL,
        MODELS,
        LocalModelServer,
        ModelServerFailed,
        cached_model,
        default_cache_dir,
    )

    configured = environ.get("IMPORTBOT_LOCAL_MODEL")
    spec = MODELS[DEFAULT_MODEL]
    path = (
        Path(configured) if configured else cached_model(spec, cache_dir=default_cache_dir(environ))
    )
    if path is None or not path.is_file():
        raise ProviderError(
            f"No local model {spec.name}: run `importbot model fetch` or set IMPORTBOT_LOCAL_MODEL."
        )
    server = LocalModelServer(path)
    try:
        server.start()
    except ModelServerFailed as error:
        raise ProviderError(str(error)) from error
    try:
        yield server
    finally:
        server.stop()
