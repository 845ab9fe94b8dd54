"""A real HTTP server on 127.0.0.1 for download tests, and a recorder of outgoing connections.

Routes are plain functions of the request handler, so each test states exactly what the server
answers. The server binds port 0 and never leaves the loopback interface.
"""

from __future__ import annotations

import http.server
import shutil
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

Route = Callable[[http.server.BaseHTTPRequestHandler], None]


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]


@dataclass
class LocalServer:
    """The running server: add routes, build URLs, read the requests it received."""

    port: int
    scheme: str = "http"
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[RecordedRequest] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str, *, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.port}{path}"


def send_body(
    handler: http.server.BaseHTTPRequestHandler,
    body: bytes,
    *,
    status: int = 200,
    headers: Iterable[tuple[str, str]] = (),
) -> None:
    handler.send_response(status)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in headers:
        handler.send_header(name, value)
    handler.end_headers()
    handler.wfile.write(body)


def send_chunked(handler: http.server.BaseHTTPRequestHandler, chunks: Iterable[bytes]) -> None:
    """A body with Transfer-Encoding: chunked and no Content-Length."""
    handler.send_response(200)
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    try:
        for chunk in chunks:
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        handler.wfile.write(b"0\r\n\r\n")
    except OSError:
        pass  # the client hung up, as it should when the body is too large


def redirect(location: str, *, status: int = 302) -> Route:
    def route(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return route


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        state = self.server.state
        state.requests.append(RecordedRequest(self.path, dict(self.headers.items())))
        route = state.routes.get(urlsplit(self.path).path)
        if route is None:
            send_body(self, b"not found", status=404)
        else:
            route(self)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    state: LocalServer

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients that hang up early are part of the tests


@contextmanager
def local_server(*, tls: ssl.SSLContext | None = None) -> Iterator[LocalServer]:
    """Serve on 127.0.0.1, port 0, in a thread; HTTPS when a server TLS context is given."""
    server = _Server(("127.0.0.1", 0), _Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    server.state = LocalServer(port=server.server_address[1], scheme="https" if tls else "http")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.state
    finally:
        server.state.stopping.set()
        server.shutdown()
        server.server_close()
        thread.join()


def write_self_signed_certificate(folder: Path) -> tuple[Path, Path] | None:
    """A certificate for IP 127.0.0.1 made with the openssl command, or None without it."""
    if shutil.which("openssl") is None:
        return None
    cert, key = folder / "cert.pem", folder / "key.pem"
    command = ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    command += ["-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"]
    command += ["-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)]
    subprocess.run(command, check=True, capture_output=True)
    return cert, key


# -- outgoing connections ------------------------------------------------------------------
_recorders: dict[int, list[object]] = {}


def _audit(event: str, args: tuple[object, ...]) -> None:
    if event == "socket.connect":
        recorder = _recorders.get(threading.get_ident())
        if recorder is not None:
            recorder.append(args[1])


sys.addaudithook(_audit)  # audit hooks cannot be removed; it records only inside the block


@contextmanager
def recorded_connections() -> Iterator[list[object]]:
    """Every address this thread tries to connect to inside the block."""
    recorder: list[object] = []
    _recorders[threading.get_ident()] = recorder
    try:
        yield recorder
    finally:
        del _recorders[threading.get_ident()]
