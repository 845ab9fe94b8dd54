"""What the LLM client needs to know (`LlmSettings`) and what each answer cost (`LlmUsage`).

Only `settings_from_env` looks at environment variables, and only in the mapping it is given:
entry points pass `os.environ`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_MODELS = ("gpt-4o-mini",)
OPENAI_API_URL = "https://api.openai.com/v1"


@dataclass(frozen=True)
class LlmSettings:
    """Which models to ask, where, and how patiently. Built by the entry point."""

    models: tuple[str, ...]  # IMPORTBOT_MODELS, the first preferred
    api_key: str = field(repr=False)
    base_url: str | None = None  # None: api.openai.com
    timeout_seconds: float = 120.0
    attempts_per_model: int = 3
    max_output_tokens: int = 2048
    temperature: float | None = 0.0  # None: the server's default (reasoning models want that)

    def __post_init__(self) -> None:
        names = (self.models,) if isinstance(self.models, str) else self.models
        models = tuple(model.strip() for model in names)
        if not models or not all(models):
            raise ValueError("LlmSettings.models needs at least one model name.")
        object.__setattr__(self, "models", models)
        if self.attempts_per_model < 1:
            raise ValueError("LlmSettings.attempts_per_model must be at least 1.")
        if self.timeout_seconds <= 0 or self.max_output_tokens < 1:
            raise ValueError("LlmSettings needs a positive timeout and max_output_tokens.")


@dataclass(frozen=True)
class LlmUsage:
    """One answer that came back: what it cost and how long it took."""

    job_id: str | None
    stage: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    latency_seconds: float
    attempt: int  # requests this parse() had sent, this one included (1 = first try)
    outcome: str = "ok"  # ok | invalid_output | truncated | refused


def settings_from_env(environ: Mapping[str, str]) -> LlmSettings | None:
    """Settings from OPENAI_API_KEY, OPENAI_BASE_URL and IMPORTBOT_MODELS (comma-separated);
    None when neither a key nor a base URL is set. A base URL alone is a keyless local server."""
    api_key = (environ.get("OPENAI_API_KEY") or "").strip()
    base_url = (environ.get("OPENAI_BASE_URL") or "").strip() or None
    if not api_key and base_url is None:
        return None
    listed = (environ.get("IMPORTBOT_MODELS") or "").split(",")
    models = tuple(name.strip() for name in listed if name.strip()) or DEFAULT_MODELS
    return LlmSettings(models=models, api_key=api_key, base_url=base_url)
