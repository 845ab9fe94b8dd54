"""The native bulk loader (`dolt/native/arrow_load.c`) seen from Python.

It writes the rows of an Arrow C stream (a DuckDB relation, say) into a doltlite branch with
no Python object per value — about twice as fast as binding Python values, and it releases
the GIL while it works. It is compiled when the package is installed; where it could not be
compiled, or `IMPORTBOT_NATIVE_LOAD=0`, `load_arrow_stream` returns None and callers write
rows through Python instead.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import cache

from dolt.embedded.loader import library_path
from dolt.errors import Busy, ConstraintViolation, SqlError
from dolt.interface import ArrowStream

_OK, _REFUSED, _FAILED, _UNSUPPORTED, _STOPPED = 0, 1, 2, 3, 4
_PROGRESS = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_longlong)
"""Called with the rows written so far; a nonzero answer stops the load (rolled back)."""
_ERROR_SIZE = 2000


def native_load_available() -> bool:
    return _enabled_loader() is not None


def load_arrow_stream(
    *,
    target: str,
    insert_sql: str,
    group_sql: str,
    group_rows: int,
    source: ArrowStream,
    rows_per_transaction: int,
    progress_every: int,
    on_progress: Callable[[int], None] | None = None,
) -> int | None:
    """Insert every row of `source` (anything with `__arrow_c_stream__`) on the connection
    `target` (`file.db@branch`): `group_sql` takes `group_rows` rows at a time and
    `insert_sql` one; row r's column c is parameter r × columns + c + 1. Returns the rows
    written, or None when there is no native path for them (not compiled, turned off, or a
    column type it does not bind: nothing written).

    The first row the database refuses raises `ConstraintViolation`; the rows of the
    transactions committed before it stay on the branch. Ctrl-C (SIGINT, in the main thread)
    stops the load at the next progress report — the loader runs in C without the GIL, so
    Python would not see it before the end — and raises `KeyboardInterrupt`. So does an error
    `on_progress` raises (a cancelled job's): the load stops there and the error is raised.
    """
    loader = _enabled_loader()
    if loader is None:
        return None
    capsule = source.__arrow_c_stream__()
    stream = _capsule_pointer(capsule)
    written = ctypes.c_longlong(0)
    error = ctypes.create_string_buffer(_ERROR_SIZE)
    raised: list[BaseException] = []
    with _interrupt_noticed() as interrupted:
        callback = _PROGRESS(_reporter(on_progress, interrupted, raised))
        code = loader(
            library_path().encode(),
            target.encode(),
            insert_sql.encode(),
            group_sql.encode(),
            group_rows,
            stream,
            rows_per_transaction,
            progress_every,
            callback,
            ctypes.byref(written),
            error,
            _ERROR_SIZE,
        )
    if raised:
        raise raised[0]
    if code == _STOPPED or interrupted:
        raise KeyboardInterrupt
    message = error.value.decode(errors="replace")
    if code == _OK:
        return written.value
    if code == _UNSUPPORTED:
        return None
    if code == _REFUSED:
        raise ConstraintViolation(message)
    if "locked" in message or "busy" in message:
        raise Busy(f"The database is busy: {message}")
    raise SqlError(f"Loading rows failed: {message}")


def _reporter(
    on_progress: Callable[[int], None] | None,
    interrupted: list[bool],
    raised: list[BaseException],
) -> Callable[[int], int]:
    """The callback the loader calls between statements: reports progress, then tells it to
    stop (1) once Ctrl-C was pressed or `on_progress` raised (kept in `raised`: ctypes would
    print and swallow it). Running Python here lets the signal handler run."""

    def report(done: int) -> int:
        _check_signals()
        if interrupted or raised:
            return 1
        if on_progress is not None:
            try:
                on_progress(done)
            except BaseException as error:
                raised.append(error)
                return 1
        return 1 if interrupted else 0

    return report


@contextmanager
def _interrupt_noticed() -> Iterator[list[bool]]:
    """While the loader runs, SIGINT only marks the list (non-empty = interrupted); the
    default handler would raise inside the C callback, where ctypes swallows it. Afterwards
    the handler that was there is called once for the interrupt."""
    if threading.current_thread() is not threading.main_thread():
        yield []
        return
    interrupted: list[bool] = []
    previous = signal.signal(signal.SIGINT, lambda *_: interrupted.append(True))
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous)
    if interrupted and callable(previous):
        previous(signal.SIGINT, None)  # the caller's handler hears of it (and raises, usually)


def _enabled_loader() -> Callable[..., int] | None:
    return _loader() if os.environ.get("IMPORTBOT_NATIVE_LOAD", "1") != "0" else None


@cache
def _loader() -> Callable[..., int] | None:  # the C function; restype c_int
    spec = importlib.util.find_spec("dolt._arrow_load")
    if spec is None or spec.origin is None:
        return None
    try:
        function = ctypes.CDLL(spec.origin).importbot_arrow_load  # ctypes releases the GIL
    except (OSError, AttributeError):  # built for another machine, or an older build
        return None
    function.restype = ctypes.c_int
    function.argtypes = [
        ctypes.c_char_p,  # the doltlite library
        ctypes.c_char_p,  # file.db@branch
        ctypes.c_char_p,  # the one-row INSERT
        ctypes.c_char_p,  # the INSERT of group_rows rows
        ctypes.c_int,  # group_rows
        ctypes.c_void_p,  # struct ArrowArrayStream *
        ctypes.c_longlong,  # rows per transaction
        ctypes.c_longlong,  # progress every this many rows
        _PROGRESS,
        ctypes.POINTER(ctypes.c_longlong),  # rows written
        ctypes.c_char_p,  # error message
        ctypes.c_int,
    ]
    return function


# Prototypes of our own, rather than setting argtypes on the process-wide ctypes.pythonapi.
_check_signals = ctypes.PYFUNCTYPE(ctypes.c_int)(("PyErr_CheckSignals", ctypes.pythonapi))

_capsule_get_pointer = ctypes.PYFUNCTYPE(ctypes.c_void_p, ctypes.py_object, ctypes.c_char_p)(
    ("PyCapsule_GetPointer", ctypes.pythonapi)
)


def _capsule_pointer(capsule: object) -> int:
    pointer = _capsule_get_pointer(capsule, b"arrow_array_stream")
    if not pointer:
        raise SqlError("The rows did not come as an Arrow C stream.")
    return pointer
