"""Slack's Socket Mode side on 127.0.0.1: the WebSocket that apps.connections.open hands out.

As Slack does, it greets a new connection with `hello`, then sends envelopes (slash commands,
block actions) and waits for the app's acknowledgement: a message with the same `envelope_id`
(and, for a command, optionally the answer as `payload`) within 3 seconds. The Web API stand-in
(slack_standin.Standin) hands out this server's URL; `websockets` speaks the protocol (framing,
ping/pong, closing) so the test exercises slack_sdk's own client, not a hand-made one.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

APP_ID = "A111"


@dataclass(frozen=True)
class Acked:
    """An acknowledgement the app sent: which envelope, its payload, how long it took."""

    envelope_id: str
    payload: dict[str, Any] | None
    seconds: float


class SocketStandin:
    """One Socket Mode endpoint: `url` for apps.connections.open, `send` envelopes, read acks."""

    def __init__(self) -> None:
        self._server: Server | None = None
        self._connection: ServerConnection | None = None
        self._sent: dict[str, float] = {}
        self._acks: dict[str, Acked] = {}
        self._changed = threading.Condition()
        self.connections = 0
        self.unexpected: list[str] = []  # messages that acknowledge nothing we sent

    def start(self) -> SocketStandin:
        server = serve(self._session, "127.0.0.1", 0)
        self._server = server
        threading.Thread(target=server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()

    @property
    def url(self) -> str:
        assert self._server is not None
        port = self._server.socket.getsockname()[1]
        return f"ws://127.0.0.1:{port}/link/?ticket=local-ticket&app_id={APP_ID}"

    # -- what tests do --------------------------------------------------------------------

    def wait_connected(self, timeout: float = 10.0) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: self._connection is not None, timeout):
                raise AssertionError(f"the app did not connect over Socket Mode in {timeout}s")

    def send(self, kind: str, payload: dict[str, Any]) -> str:
        """Send an envelope of `kind` (slash_commands, interactive, events_api); its id."""
        self.wait_connected()
        envelope_id = str(uuid.uuid4())
        envelope = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind != "events_api",
        }
        with self._changed:
            connection = self._connection
            self._sent[envelope_id] = time.monotonic()
        assert connection is not None
        connection.send(json.dumps(envelope))
        return envelope_id

    def ack(self, envelope_id: str, timeout: float = 10.0) -> Acked:
        """The app's acknowledgement of an envelope (waits for it)."""
        with self._changed:
            if not self._changed.wait_for(lambda: envelope_id in self._acks, timeout):
                raise AssertionError(f"no acknowledgement of {envelope_id} within {timeout}s")
            return self._acks[envelope_id]

    # -- serving --------------------------------------------------------------------------

    def _session(self, connection: ServerConnection) -> None:
        connection.send(json.dumps(_hello()))
        with self._changed:
            self._connection = connection
            self.connections += 1
            self._changed.notify_all()
        try:
            for message in connection:
                self._received(message if isinstance(message, str) else message.decode())
        except ConnectionClosed:
            pass
        finally:
            with self._changed:
                if self._connection is connection:
                    self._connection = None

    def _received(self, text: str) -> None:
        now = time.monotonic()
        try:
            message = json.loads(text)
            envelope_id = str(message["envelope_id"])
        except (ValueError, KeyError, TypeError):
            self.unexpected.append(text)
            return
        with self._changed:
            sent = self._sent.get(envelope_id)
            if sent is None or envelope_id in self._acks:
                self.unexpected.append(text)
                return
            self._acks[envelope_id] = Acked(envelope_id, message.get("payload"), now - sent)
            self._changed.notify_all()


def _hello() -> dict[str, Any]:
    """What Slack sends first on every Socket Mode connection."""
    return {
        "type": "hello",
        "num_connections": 1,
        "debug_info": {"host": "applink-local", "approximate_connection_time": 18060},
        "connection_info": {"app_id": APP_ID},
    }
