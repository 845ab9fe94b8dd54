"""Serve a local GGUF model over the OpenAI chat API with xllamacpp, in a child process.

`xllamacpp.Server` embeds llama.cpp's own HTTP server (it honours `response_format` json_schema,
so `chat.completions.parse(..., response_format=SomeModel)` works unchanged). It has no stop
method: it serves until its process ends. `LocalModelServer` therefore runs it in a child
(`python -m agents.llm.local_model serve`), bound to 127.0.0.1 on a port the child picks itself
(port 0, so there is no race for a free port), and reads the address from the child's first
line of output. The child exits when its stdin closes, so it never outlives this process.

The child inherits our environment, including the LD_PRELOAD that loads doltlite; that is
harmless as long as nothing in it imports sqlite3, and nothing does.

xllamacpp is the optional extra `local`; it is imported only in the child.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from agents.errors import AgentError

HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 180.0
STOP_TIMEOUT_SECONDS = 10.0
LOG_TAIL_LINES = 15
NOT_INSTALLED = (
    "xllamacpp is not installed; install the extra: pip install 'dolt-import-bot[local]'."
)
_REPO_ROOT = Path(__file__).resolve().parents[2]
_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class ModelServerFailed(AgentError):
    """The local model server could not be started, or stopped answering."""


class LocalModelServer:
    """A llama.cpp server for one GGUF file on 127.0.0.1; use it as a context manager.

    After `start()`, `base_url` ("http://127.0.0.1:PORT/v1") and `model` (the name to put in
    requests) are what an OpenAI client needs; any api_key is accepted.
    """

    def __init__(
        self,
        model_path: Path,
        *,
        n_ctx: int = 8192,
        threads: int = 2,
        port: int | None = None,
        model_name: str | None = None,
        start_timeout: float = START_TIMEOUT_SECONDS,
        log_dir: Path | None = None,
        python: str = sys.executable,
    ) -> None:
        self.model_path = Path(model_path)
        self.n_ctx = n_ctx
        self.threads = threads
        self.port = port
        self.model = model_name or self.model_path.stem
        self.start_timeout = start_timeout
        self.log_dir = log_dir  # where llama.cpp's log goes (default: the temp directory)
        self.python = python
        self.log_path: Path | None = None
        self._process: subprocess.Popen[str] | None = None
        self._base_url: str | None = None

    @property
    def base_url(self) -> str:
        if self._base_url is None:
            raise ModelServerFailed("The local model server is not running; call start() first.")
        return self._base_url

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> None:
        """Start the child and wait until GET /health answers ok, or raise ModelServerFailed."""
        if self._process is not None:
            return
        if importlib.util.find_spec("xllamacpp") is None:
            raise ModelServerFailed(NOT_INSTALLED)
        if not self.model_path.is_file():
            raise ModelServerFailed(f"{self.model_path}: no such model file; fetch it first.")
        log_fd, log_name = tempfile.mkstemp(
            prefix="importbot-llm-", suffix=".log", dir=self.log_dir
        )
        self.log_path = Path(log_name)
        command = [
            self.python,
            "-m",
            "agents.llm.local_model",
            "serve",
            "--model",
            str(self.model_path),
            "--port",
            str(self.port or 0),
            "--n-ctx",
            str(self.n_ctx),
            "--threads",
            str(self.threads),
            "--alias",
            self.model,
            "--exit-on-stdin-eof",
        ]
        with os.fdopen(log_fd, "w") as log:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
                env=_child_environment(),
            )
        deadline = time.monotonic() + self.start_timeout
        try:
            self._base_url = self._read_base_url(deadline)
            self._wait_healthy(deadline)
        except BaseException:
            self._stop(keep_log=True)
            raise

    def stop(self) -> None:
        """Stop the child (closing its stdin, then SIGTERM, then SIGKILL); idempotent.

        The log file is deleted after a clean stop and kept after a failure.
        """
        self._stop(keep_log=False)

    def _stop(self, *, keep_log: bool) -> None:
        process, self._process, self._base_url = self._process, None, None
        if process is None:
            return
        with contextlib.suppress(OSError):
            if process.stdin:
                process.stdin.close()
        for signal_child in (None, process.terminate, process.kill):
            if signal_child is not None:
                with contextlib.suppress(ProcessLookupError):
                    signal_child()
            try:
                process.wait(timeout=STOP_TIMEOUT_SECONDS)
                break
            except subprocess.TimeoutExpired:
                continue
        if self.log_path is not None and not keep_log and process.returncode in (0, -15):
            self.log_path.unlink(missing_ok=True)
            self.log_path = None

    def _read_base_url(self, deadline: float) -> str:
        """The base URL from the child's announcement line (other output is ignored)."""
        assert self._process is not None and self._process.stdout is not None
        lines = _lines_in_background(self._process.stdout)
        while (remaining := deadline - time.monotonic()) > 0:
            try:
                line = lines.get(timeout=min(remaining, 0.5))
            except queue.Empty:
                if self._process.poll() is not None:
                    raise self._failure("exited while loading the model") from None
                continue
            if line is None:
                raise self._failure("exited while loading the model")
            with contextlib.suppress(ValueError, TypeError, KeyError):
                return str(json.loads(line)["base_url"])
        raise self._failure(f"did not start within {self.start_timeout:.0f} s")

    def _wait_healthy(self, deadline: float) -> None:
        health = self.base_url.removesuffix("/v1") + "/health"
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError, ValueError),
                _NO_PROXY.open(health, timeout=5) as response,
            ):
                if json.loads(response.read()).get("status") == "ok":
                    return
            if self._process is None or self._process.poll() is not None:
                raise self._failure("exited before answering /health")
            time.sleep(0.2)
        raise self._failure(f"did not answer ok on {health} within {self.start_timeout:.0f} s")

    def _failure(self, what: str) -> ModelServerFailed:
        tail = ""
        if self.log_path is not None:
            with contextlib.suppress(OSError):
                lines = self.log_path.read_text(errors="replace").splitlines()
                tail = "\n".join(lines[-LOG_TAIL_LINES:])
        name = self.model_path.name
        return ModelServerFailed(
            f"The local model server for {name} {what}. Log {self.log_path}:\n{tail}"
        )


def _lines_in_background(stream: IO[str]) -> queue.Queue[str | None]:
    """Lines of `stream` as they come, then None at its end."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        with stream:  # closed here, at the child's exit, not under a blocked read
            for line in stream:
                lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, name="local-model-stdout", daemon=True).start()
    return lines


def _child_environment() -> dict[str, str]:
    """Our environment (LD_PRELOAD included) with this checkout importable by `-m agents…`."""
    env = dict(os.environ)
    path = env.get("PYTHONPATH", "")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(_REPO_ROOT), path) if p)
    return env


def serve(
    model_path: Path,
    *,
    port: int,
    n_ctx: int,
    threads: int,
    alias: str,
    exit_on_stdin_eof: bool,
) -> None:
    """Run the server in this process until it ends; announce the address on stdout first."""
    try:
        import xllamacpp
    except ImportError as exc:
        raise ModelServerFailed(NOT_INSTALLED) from exc
    params = xllamacpp.CommonParams()
    params.model.path = str(model_path)
    params.model_alias = {alias}
    params.n_ctx = n_ctx
    params.n_parallel = 1
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.hostnames = [HOST]
    params.port = port
    try:
        server = xllamacpp.Server(params)  # returns once the model is loaded and the port bound
    except RuntimeError as exc:
        raise ModelServerFailed(f"{model_path}: llama.cpp could not load it ({exc}).") from exc
    address = server.listening_address  # "http://127.0.0.1:PORT", the real port when port=0
    print(json.dumps({"base_url": f"{address}/v1", "model": alias}), flush=True)
    try:
        if exit_on_stdin_eof:
            sys.stdin.buffer.read()  # returns when our parent closes the pipe, or dies
        else:
            threading.Event().wait()
    except KeyboardInterrupt:
        pass
    os._exit(0)  # the server's threads would keep the process alive; end it now
