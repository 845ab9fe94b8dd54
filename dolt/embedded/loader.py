"""Load doltlite into this process and into every process we start.

doltlite replaces the SQLite library behind the stdlib `sqlite3` module. Two traps
(notes/doltlite.md, traps 1 and 2):

1. `import doltlite` sets `_DOLTLITE_BOOTSTRAPPED=1` in the environment. A child process
   (subprocess, spawn/forkserver multiprocessing) inherits it, skips loading and silently
   gets stock SQLite. We fix that for every child by putting libdoltlite into `LD_PRELOAD`
   of this process's environment as soon as it is loaded, so whatever we start inherits a
   process that has doltlite from its first instruction.
2. Every SQLite file this process creates is a doltlite file, so no other SQLite user may
   live in a process that loads doltlite; `require_doltlite` refuses to go on when the
   loaded library is stock SQLite.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Mapping
from types import ModuleType
from typing import TYPE_CHECKING

from dolt.errors import NotADoltDatabase

if TYPE_CHECKING:
    import sqlite3  # for its types only; at run time load_sqlite3() imports it after doltlite

_MARKER = "_DOLTLITE_BOOTSTRAPPED"
_PRELOAD = "LD_PRELOAD"


def load_sqlite3() -> ModuleType:
    """Return the stdlib `sqlite3` module backed by doltlite (loading doltlite if needed)."""
    if os.environ.get(_MARKER) == "1" and not _preloaded(os.environ):
        # An inherited marker without the preload: doltlite would skip loading (trap 1).
        del os.environ[_MARKER]
    # Order matters and must survive import sorting: doltlite first, then sqlite3.
    importlib.import_module("doltlite")
    sqlite3 = importlib.import_module("sqlite3")

    if sys.platform.startswith("linux"):
        os.environ.update(_preload_environment(os.environ))
    return sqlite3


def _preloaded(env: Mapping[str, str]) -> bool:
    return _library_path_without_bootstrap() in env.get(_PRELOAD, "").split()


def library_path() -> str:
    """Absolute path of the libdoltlite shared library of the installed doltlite package."""
    from doltlite import libdoltlite_path  # the import bootstraps, which is what we want

    return libdoltlite_path()


def child_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """An environment for a child process that makes it load doltlite at start."""
    env = dict(os.environ if base is None else base)
    env.update(_preload_environment(env))
    return env


def _preload_environment(env: Mapping[str, str]) -> dict[str, str]:
    lib = _library_path_without_bootstrap()
    preload = env.get(_PRELOAD, "").split()
    if lib not in preload:
        preload.insert(0, lib)
    # With the library preloaded, `import doltlite` in the child must not bootstrap again.
    return {_PRELOAD: " ".join(preload), _MARKER: "1"}


def _library_path_without_bootstrap() -> str:
    from importlib.util import find_spec
    from pathlib import Path

    override = os.environ.get("DOLTLITE_LIB")
    if override:
        return override
    spec = find_spec("doltlite")
    if spec is None or spec.origin is None:
        raise NotADoltDatabase("The doltlite package is not installed: pip install doltlite.")
    return str(Path(spec.origin).parent / "_lib" / "libdoltlite.so")


def require_doltlite(connection: sqlite3.Connection) -> str:
    """Return doltlite's version for an open connection; raise if it is stock SQLite."""
    try:
        (version,) = connection.execute("SELECT dolt_version()").fetchone()
    except Exception as exc:
        raise NotADoltDatabase(
            "This process has stock SQLite, not doltlite: it was started without the "
            "doltlite loader (see notes/doltlite.md, trap 1). Start it through `importbot` "
            "or with dolt.embedded.loader.child_environment()."
        ) from exc
    return str(version)
