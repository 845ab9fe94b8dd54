"""The one place that reads the environment; everything else takes arguments."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

DEFAULT_DOLT_URL = "doltlite:.importbot/databases"


@dataclass(frozen=True)
class Settings:
    dolt_url: str = DEFAULT_DOLT_URL

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(dolt_url=env.get("IMPORTBOT_DOLT_URL") or DEFAULT_DOLT_URL)
