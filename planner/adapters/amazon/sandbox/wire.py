"""The sandbox on the wire: replies, Amazon's error bodies, static examples, the HTTP handler."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Protocol

from planner.adapters.amazon import specs

# Where the sandbox serves report documents (unauthenticated, as from S3).
DOCUMENT_PREFIX = "/sandbox-documents/"


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


DROP = Reply(0, b"")


def error_body(code: str, message: str, details: str = "") -> bytes:
    return json.dumps({"errors": [{"code": code, "message": message, "details": details}]}).encode()


def json_reply(status: int, data: Any, headers: dict[str, str] | None = None) -> Reply:
    """A JSON reply with these extra headers."""
    return Reply(
        status,
        json.dumps(data).encode(),
        {"Content-Type": "application/json", **(headers or {})},
    )


def static_match(
    op: specs.Operation, params: dict[str, Any], body: Any
) -> specs.StaticExample | None:
    """The operation's static example whose parameters are exactly these, if any."""
    given = dict(params)
    if body is not None:
        given["body"] = body
    for example in op.static_examples:
        if {k: _norm(v) for k, v in example.parameters.items()} == {
            k: _norm(v) for k, v in given.items()
        }:
            return example
    return None


def _norm(value: Any) -> Any:
    if isinstance(value, list):
        return [_norm(v) for v in value]
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


class Serving(Protocol):
    """What the HTTP handler needs of the sandbox (server.AmazonSandbox): a reply per request."""

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply: ...


class Handler(BaseHTTPRequestHandler):
    """Hands every request to the server's sandbox and writes its reply back."""

    protocol_version = "HTTP/1.1"
    server_version = "planner-amazon-sandbox"
    # Headers and body go out in two writes; without this, Nagle's algorithm and delayed ACKs
    # add ~40 ms to every keep-alive request.
    disable_nagle_algorithm = True

    def _serve(self) -> None:
        sandbox: Serving = self.server.sandbox  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        try:
            reply = sandbox.handle(self.command, self.path, dict(self.headers.items()), body)
        except Exception as exc:  # a sandbox bug answers like Amazon's 500, with the reason
            reply = Reply(
                500, error_body("InternalFailure", f"sandbox error: {type(exc).__name__}: {exc}")
            )
        if reply is DROP:
            self.close_connection = True
            return
        try:
            self.send_response(reply.status)
            headers = {"Content-Type": "application/json", **reply.headers}
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
            self.send_header("Content-Length", str(len(reply.body)))
            self.end_headers()
            self.wfile.write(reply.body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

    def log_message(self, format: str, *args: Any) -> None:
        return
