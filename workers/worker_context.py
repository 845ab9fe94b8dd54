"""The stage context of this worker process, built on its first task by a factory the entry
point registers: tasks run in the forked pool processes, so each builds its own connections
and model client (the parent that forks them never builds one)."""

from __future__ import annotations

import threading
from collections.abc import Callable

from workers.context import StageContext
from workers.permissions import Permissions

_factory: Callable[[], tuple[StageContext, Permissions]] | None = None
_built: tuple[StageContext, Permissions] | None = None
_building = threading.Lock()  # the watchdog's thread and the first task may both ask


def register(factory: Callable[[], tuple[StageContext, Permissions]]) -> None:
    global _factory, _built
    _factory, _built = factory, None


def current() -> tuple[StageContext, Permissions]:
    global _built
    with _building:
        if _built is None:
            if _factory is None:
                raise RuntimeError(
                    "Start workers with `importbot worker`: it sets up their context."
                )
            _built = _factory()
        return _built
