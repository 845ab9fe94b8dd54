"""Ask, validate, and send the exact error back: at most `attempts` repairs."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from pydantic import BaseModel

from agents.errors import AgentError, LlmInvalidOutput, RepairExhausted
from dolt.errors import DoltError

log = logging.getLogger("agents.stages")

M = TypeVar("M", bound=BaseModel)
REPAIR_ATTEMPTS = 3


class Parses(Protocol):
    def parse(self, *, stage: str, messages: Sequence[dict[str, str]], output: type[M]) -> M: ...


def ask_and_validate(
    llm: Parses,
    *,
    stage: str,
    messages: list[dict[str, str]],
    output: type[M],
    validate: Callable[[M], M],
    attempts: int = REPAIR_ATTEMPTS,
) -> M:
    """The first artifact that passes `validate`, or `RepairExhausted` with the last error.

    An artifact whose `status` is "cannot" is returned as it is: the model says why.
    """
    history = list(messages)
    error = ""
    for attempt in range(attempts + 1):
        try:
            artifact = llm.parse(stage=stage, messages=history, output=output)
        except LlmInvalidOutput as invalid:
            error = str(invalid)
            answer = "(an answer that was not valid JSON for the schema)"
        else:
            if getattr(artifact, "status", "ok") == "cannot" and not getattr(
                artifact, "edits", None
            ):
                return artifact
            try:
                return validate(artifact)
            except (AgentError, DoltError, ValueError) as failure:
                error = str(failure)
                answer = artifact.model_dump_json()
        log.info("stage %s: answer %d failed validation", stage, attempt + 1)
        log.debug("stage %s validation error: %s", stage, error)
        history += [
            {"role": "assistant", "content": answer},
            {
                "role": "user",
                "content": f"That answer failed validation:\n{error}\n"
                "Return a corrected answer in the same JSON format.",
            },
        ]
    raise RepairExhausted(
        f"The model's {stage} failed validation {attempts + 1} times; last error: {error}"
    )
