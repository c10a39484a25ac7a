"""Serving the Bolt app: HTTP (POST /slack/events, one thread per request) or Socket Mode."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from slack_bolt import App, BoltRequest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.errors import SlackApiError

from bot.app import BAD_TOKEN
from planner.domain.errors import ConfigError, PlannerError

log = logging.getLogger("planner.bot.server")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/slack/health"
MAX_BODY = 1_000_000
ACK_SWITCH_INTERVAL = 0.001  # Slack's payloads are far smaller; refuse anything absurd


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    bolt: App


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s " + format, self.address_string(), *args)

    def do_GET(self) -> None:
        if self.path.partition("?")[0] == HEALTH_PATH:
            self._send(200, {"content-type": ["text/plain"]}, "ok")
        else:
            self._send(404, {}, "")

    def do_POST(self) -> None:
        path, _, query = self.path.partition("?")
        length = int(self.headers.get("Content-Length") or 0)
        if path != EVENTS_PATH:
            self.rfile.read(min(length, MAX_BODY))
            self._send(404, {}, "")
            return
        if length > MAX_BODY:
            self.close_connection = True
            self._send(413, {}, "")
            return
        body = self.rfile.read(length).decode("utf-8", errors="replace")
        headers: dict[str, str | Sequence[str]] = {k.lower(): v for k, v in self.headers.items()}
        response = self.server.bolt.dispatch(BoltRequest(body=body, query=query, headers=headers))
        self._send(response.status, response.headers, response.body)

    def _send(self, status: int, headers: dict[str, Any], body: str) -> None:
        data = body.encode("utf-8")
        self.send_response(status)
        for name, values in headers.items():
            if name.lower() == "content-length":
                continue
            for value in values if isinstance(values, list | tuple) else [values]:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@dataclass
class RunningServer:
    """An HTTP server answering Slack in a background thread."""

    server: _Server
    thread: threading.Thread

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def url(self) -> str:
        host = str(self.server.server_address[0])
        return f"http://{host}:{self.port}{EVENTS_PATH}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def serve_http(app: App, *, host: str = "127.0.0.1", port: int = 3000) -> RunningServer:
    """Answer Slack at http://host:port/slack/events until stopped (port 0: any free port)."""
    # Acks wait for the GIL behind lazy work: a shorter switch interval (default 5 ms) lets a
    # request thread in sooner, which keeps ack latency low while answers are being built.
    sys.setswitchinterval(ACK_SWITCH_INTERVAL)
    server = _Server((host, port), _Handler)
    server.bolt = app
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.2}, name="planner-slack-http",
        daemon=True,
    )  # fmt: skip
    thread.start()
    return RunningServer(server, thread)


# apps.connections.open errors that mean the app-level token is wrong, not Slack.
BAD_APP_TOKEN = BAD_TOKEN | {"not_allowed_token_type", "missing_scope"}


def serve_socket(app: App, app_token: str) -> SocketModeHandler:
    """Connect to Slack over Socket Mode (no public URL); close() the handler to stop."""
    # The handler's client (slack_sdk's built-in one) opens the connection through the app's
    # WebClient, so apps.connections.open goes to [slack] api_base_url like every other call.
    handler = SocketModeHandler(app, app_token)
    try:
        handler.connect()
    except SlackApiError as exc:
        handler.close()  # its reader and worker threads started with it
        code = exc.response.get("error", "unknown") if exc.response is not None else "unknown"
        if code in BAD_APP_TOKEN:
            raise ConfigError(
                f"Slack did not accept the app-level token (apps.connections.open: {code})",
                hint="check [slack] app_token_env: an xapp-… token with connections:write",
            ) from None
        raise PlannerError(f"Slack refused the Socket Mode connection ({code})") from None
    except OSError as exc:
        handler.close()
        raise PlannerError(
            f"cannot reach Slack at {app.client.base_url} ({exc})",
            hint="check the network, or [slack] api_base_url",
        ) from None
    return handler
