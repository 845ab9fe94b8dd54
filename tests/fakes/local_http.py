"""A threaded HTTP server on 127.0.0.1 (an ephemeral port) for the fakes, started and stopped
the same way."""

from __future__ import annotations

import http.server
import threading


def start_local_server(
    handler: type[http.server.BaseHTTPRequestHandler],
) -> tuple[http.server.ThreadingHTTPServer, threading.Thread]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
    )
    thread.start()
    return httpd, thread


def stop_local_server(
    httpd: http.server.ThreadingHTTPServer | None, thread: threading.Thread | None
) -> None:
    if httpd is not None:
        httpd.shutdown()
        httpd.server_close()
    if thread is not None:
        thread.join()
