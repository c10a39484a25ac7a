"""Serving the Bolt app: HTTP (uvicorn + Starlette, Bolt's own adapter) or Socket Mode.

HTTP answers every request: 401 for a missing, bad or stale Slack signature (checked before the
body is parsed), 400 for a body or `payload` that is not a JSON object, 404/405 for other paths
and methods, 413 for a body over 1 MB (refused before it is read), 408 for a body that stalls.
No rejected body is logged: only the method, path, status and reason.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import version

import h11
import uvicorn
from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.starlette.handler import to_bolt_request, to_starlette_response
from slack_bolt.request.internals import parse_body
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from bot.app import BAD_TOKEN
from planner.domain.errors import ConfigError, PlannerError

log = logging.getLogger("planner.bot.server")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/slack/health"
MAX_BODY = 1_000_000  # Slack's payloads are far smaller; refuse anything absurd
MAX_HEADERS = 16_384  # bytes of a request's head (h11's limit); more gets 400
MAX_AGE = 5 * 60  # Slack: refuse a request whose timestamp is more than five minutes off
ACK_SWITCH_INTERVAL = 0.001


@dataclass(frozen=True)
class HttpLimits:
    """How long and how much the HTTP server waits for and takes from a client."""

    read_timeout: int = 15  # seconds for a request's head, each body read, and idle keep-alive
    max_body: int = MAX_BODY
    max_connections: int = 200  # more at once get 503 (uvicorn's limit_concurrency)
    graceful_seconds: int = 20  # on stop, requests in flight get this long to finish


class BodyTooLarge(Exception):
    """A request body (streamed without Content-Length) went past the limit."""


class BodyTimeout(Exception):
    """A client stopped sending its request body."""


class RequestLimits:
    """ASGI middleware: 413 for a body over `max_body` (by Content-Length before reading, or by
    counting streamed bytes), and a read timeout on each part of the body."""

    def __init__(self, app: ASGIApp, *, max_body: int, read_timeout: int) -> None:
        self.app, self.max_body, self.read_timeout = app, max_body, read_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        if declared.isdigit() and int(declared) > self.max_body:
            await _refuse(scope, 413, f"body over {self.max_body} bytes", send)
            return
        await self.app(scope, self._limited(receive), send)

    def _limited(self, receive: Receive) -> Receive:
        seen = 0
        done = False

        async def limited() -> Message:
            nonlocal seen, done
            if done:
                return await receive()
            try:
                async with asyncio.timeout(self.read_timeout):
                    message = await receive()
            except TimeoutError:
                raise BodyTimeout from None
            seen += len(message.get("body", b""))
            done = not message.get("more_body", False)
            if seen > self.max_body:
                raise BodyTooLarge
            return message

        return limited


async def _refuse(scope: Scope, status: int, reason: str, send: Send) -> None:
    log.info("refused %s %s: %d %s", scope.get("method"), scope.get("path"), status, reason)
    response = JSONResponse({"ok": False, "error": reason}, status_code=status)
    response.headers["connection"] = "close"
    await response(scope, _nothing, send)


async def _nothing() -> Message:
    return {"type": "http.disconnect"}


def refusal(
    verifier: SignatureVerifier, headers: Mapping[str, str], body: bytes, *, now: float
) -> tuple[int, str] | None:
    """Why Slack did not send this request (401), or why Bolt cannot read it (400); None: fine."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not timestamp or not signature:
        return 401, "no X-Slack-Signature or X-Slack-Request-Timestamp"
    if not (timestamp.isascii() and timestamp.isdigit()):
        return 401, "X-Slack-Request-Timestamp is not a number"
    if abs(now - int(timestamp)) > MAX_AGE:
        return 401, "stale X-Slack-Request-Timestamp (over 5 minutes off)"
    try:
        text = body.decode("utf-8")  # Slack signs UTF-8 text; the verifier needs it decoded
    except UnicodeDecodeError:
        return 400, "body is not UTF-8 text"
    if not verifier.is_valid(text, timestamp, signature):
        return 401, "bad signature"
    return malformed(text, headers.get("content-type"))


def malformed(body: str, content_type: str | None) -> tuple[int, str] | None:
    """400 when the body is not what Bolt parses: form fields or a JSON object."""
    kind = content_type.split(";")[0].strip() if content_type else None
    try:
        parsed = parse_body(body, kind)
    except ValueError:
        return 400, "body or payload is not valid form data or JSON"
    if not isinstance(parsed, dict):
        return 400, "payload is not a JSON object"
    return None


def build_asgi(app: App, signing_secret: str, limits: HttpLimits = HttpLimits()) -> Starlette:
    """The Starlette app: POST /slack/events to Bolt, GET /slack/health."""
    verifier = SignatureVerifier(signing_secret)

    async def events(request: Request) -> Response:
        body = await request.body()
        refused = refusal(verifier, request.headers, body, now=time.time())
        if refused is not None:
            status, reason = refused
            log.info("refused POST %s: %d %s", request.url.path, status, reason)
            return JSONResponse({"ok": False, "error": reason}, status_code=status)
        # Bolt's Starlette adapter converts both ways; its handler would run App.dispatch on the
        # event loop and hold every other connection while an ack is built, so a thread does.
        answer = await run_in_threadpool(app.dispatch, to_bolt_request(request, body))
        return to_starlette_response(answer)

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True, "service": "planner", "version": version("planner")})

    async def too_large(request: Request, exc: Exception) -> Response:
        log.info("refused %s %s: 413 body over %d bytes", request.method, request.url.path,
                 limits.max_body)  # fmt: skip
        return JSONResponse({"ok": False, "error": "body too large"}, 413, {"connection": "close"})

    async def stalled(request: Request, exc: Exception) -> Response:
        log.info("refused %s %s: 408 body not sent within %ss", request.method, request.url.path,
                 limits.read_timeout)  # fmt: skip
        return JSONResponse({"ok": False, "error": "body timeout"}, 408, {"connection": "close"})

    return Starlette(
        routes=[
            Route(EVENTS_PATH, events, methods=["POST"]),
            Route(HEALTH_PATH, health, methods=["GET"]),
        ],
        middleware=[
            Middleware(RequestLimits, max_body=limits.max_body, read_timeout=limits.read_timeout)
        ],
        exception_handlers={BodyTooLarge: too_large, BodyTimeout: stalled},
    )


class HeadTimeoutProtocol(H11Protocol):
    """uvicorn's h11 protocol, plus a deadline for each request's head.

    uvicorn times out idle keep-alive connections only after a response; a client that opens a
    connection (or starts a request) and stalls mid-header would hold it for ever. Here the head
    must be complete within the keep-alive timeout, else the connection is closed.
    """

    _head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_head()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self._await_head()  # still (or again, on a kept-alive connection) waiting
        else:
            self._cancel_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head()
        super().connection_lost(exc)

    def _await_head(self) -> None:
        if self._head_timer is None:
            self._head_timer = self.loop.call_later(self.timeout_keep_alive, self._head_late)

    def _cancel_head(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_late(self) -> None:
        self._head_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            log.info("closed a connection: no whole request in %ss", self.timeout_keep_alive)
            self.transport.close()


class _PathOnly(logging.Filter):
    """uvicorn's access log without query strings: method, path, status."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and len(record.args) == 5:
            args = list(record.args)
            args[2] = str(args[2]).partition("?")[0]
            record.args = tuple(args)
        return True


def _access_log_without_queries() -> None:
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _PathOnly) for f in access.filters):
        access.addFilter(_PathOnly())


@dataclass
class RunningServer:
    """uvicorn answering Slack in a background thread."""

    server: uvicorn.Server
    thread: threading.Thread
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{EVENTS_PATH}"

    def stop(self) -> None:
        """Stop accepting, let requests in flight finish (up to the graceful limit), close."""
        self.server.should_exit = True
        self.thread.join(timeout=(self.server.config.timeout_graceful_shutdown or 0) + 10)


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        raise PlannerError(
            f"cannot listen on {host}:{port} ({os.strerror(exc.errno) if exc.errno else exc})",
            hint="set another [slack] port (or --host), or stop what is using it",
        ) from None


def serve_http(
    app: App,
    signing_secret: str,
    *,
    host: str = "127.0.0.1",
    port: int = 3000,
    limits: HttpLimits = HttpLimits(),
) -> RunningServer:
    """Answer Slack at http://host:port/slack/events until stopped (port 0: any free port)."""
    # Acks wait for the GIL behind lazy work: a shorter switch interval (default 5 ms) lets a
    # request thread in sooner, which keeps ack latency low while answers are being built.
    sys.setswitchinterval(ACK_SWITCH_INTERVAL)
    _access_log_without_queries()
    sock = _listen(host, port)
    config = uvicorn.Config(
        build_asgi(app, signing_secret, limits), http=HeadTimeoutProtocol, lifespan="off",
        log_config=None,
        timeout_keep_alive=limits.read_timeout,
        limit_concurrency=limits.max_connections,
        timeout_graceful_shutdown=limits.graceful_seconds,
        h11_max_incomplete_event_size=MAX_HEADERS, server_header=False,
    )  # fmt: skip
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="planner-slack-http", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            sock.close()
            raise PlannerError(f"the Slack HTTP server did not start on {host}:{port}")
        time.sleep(0.01)
    return RunningServer(server, thread, host, int(sock.getsockname()[1]))


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
