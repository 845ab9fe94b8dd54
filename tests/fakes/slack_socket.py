"""Slack's Socket Mode endpoint on 127.0.0.1: a WebSocket server that says hello, delivers
envelopes (events, interactivity, slash commands) and records the acks the app sends back.

    with SlackSocketServer() as socket_mode:
        slack = SlackApiEmulator(socket_url=socket_mode.url)   # answers apps.connections.open
        ...
        socket_mode.wait_connected()
        envelope = socket_mode.deliver("events_api", event_callback(...))
        socket_mode.wait_for_ack(envelope)
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
import uuid
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve


class SlackSocketServer:
    def __init__(self) -> None:
        self._outbox: queue.Queue[str] = queue.Queue()
        self._acks: list[dict[str, Any]] = []
        self._connected = threading.Event()
        self._lock = threading.Lock()
        self._server = serve(self._handle, "127.0.0.1", 0, compression=None)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}/link"

    def __enter__(self) -> SlackSocketServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._thread.join(timeout=5)

    # -- what a test does --------------------------------------------------------------------
    def deliver(
        self,
        kind: str,
        payload: dict[str, Any],
        *,
        envelope_id: str | None = None,
        retry_attempt: int = 0,
    ) -> str:
        """Send an envelope (`events_api`, `interactive` or `slash_commands`); its id."""
        envelope_id = envelope_id or str(uuid.uuid4())
        self._outbox.put(
            json.dumps(
                {
                    "envelope_id": envelope_id,
                    "type": kind,
                    "payload": payload,
                    "accepts_response_payload": kind != "events_api",
                    "retry_attempt": retry_attempt,
                    "retry_reason": "timeout" if retry_attempt else "",
                }
            )
        )
        return envelope_id

    def wait_connected(self, timeout: float = 10.0) -> None:
        if not self._connected.wait(timeout):
            raise AssertionError("the app did not open a Socket Mode connection")

    def wait_for_ack(self, envelope_id: str, *, count: int = 1, timeout: float = 10.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.acks(envelope_id)) >= count:
                return
            time.sleep(0.02)
        raise AssertionError(f"envelope {envelope_id} acked {len(self.acks(envelope_id))} times")

    def acks(self, envelope_id: str) -> list[dict[str, Any]]:
        with self._lock:
            return [a for a in self._acks if a.get("envelope_id") == envelope_id]

    # -- the connection ----------------------------------------------------------------------
    def _handle(self, connection: ServerConnection) -> None:
        connection.send(
            json.dumps(
                {
                    "type": "hello",
                    "num_connections": 1,
                    "connection_info": {"app_id": "A0001"},
                    "debug_info": {"host": "emulated", "approximate_connection_time": 3600},
                }
            )
        )
        self._connected.set()
        try:
            while True:
                with contextlib.suppress(queue.Empty):
                    connection.send(self._outbox.get(timeout=0.05))
                try:
                    message = connection.recv(timeout=0.01)
                except TimeoutError:
                    continue
                with self._lock:
                    self._acks.append(json.loads(message))
        except ConnectionClosed:
            return
