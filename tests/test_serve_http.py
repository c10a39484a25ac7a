"""`planner serve`'s HTTP side against bad clients, as a real process (uvicorn + Starlette).

Every bad request gets an HTTP answer (never a dropped connection, a 200 for an error, or a 500),
nothing of a rejected body reaches the log, a client that stalls is cut off after
`[slack] read_timeout_seconds`, and SIGTERM lets a request in flight finish.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
from slack_requests import sign, slash_body
from slack_standin import SECRET_ENV, TOKEN_ENV, Standin, free_port, write_config

SECRET = "serve-http-signing-secret"
MARKER = "MARKER-7f3a9c"  # in every rejected body: it must never reach the log
READ_TIMEOUT = 2


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int
    log: Path
    output: Path
    standin: Standin

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def logged(self) -> str:
        return self.log.read_text("utf-8", errors="replace") + self.output.read_text(
            "utf-8", errors="replace"
        )


def _start(tmp_path: Path, standin: Standin) -> Served:
    port = free_port()
    config = write_config(tmp_path, standin.api_url, port=port)
    text = config.read_text("utf-8")
    config.write_text(
        text.replace(f"port = {port}\n", f"port = {port}\nread_timeout_seconds = {READ_TIMEOUT}\n")
    )
    output = tmp_path / "serve.out"
    env = {**os.environ, SECRET_ENV: SECRET, TOKEN_ENV: standin.token}
    process = subprocess.Popen(
        [sys.executable, "-m", "planner", "--config", str(config), "serve"],
        env=env, stdout=output.open("wb"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    served = Served(process, port, tmp_path / "planner.log", output, standin)
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, output.read_text()
        try:
            with urlopen(served.url("/slack/health"), timeout=2):
                return served
        except OSError:
            assert time.monotonic() < deadline, "planner serve never answered"
            time.sleep(0.2)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    standin = Standin().start()
    s = _start(tmp_path_factory.mktemp("serve-http"), standin)
    try:
        yield s
    finally:
        if s.process.poll() is None:
            s.process.kill()
        s.process.wait()
        standin.stop()


def _post(url: str, body: bytes, headers: dict[str, str], method: str = "POST") -> tuple[int, str]:
    request = Request(url, data=body if method == "POST" else None, method=method, headers=headers)
    try:
        with urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except HTTPError as exc:
        return exc.code, exc.read().decode()


def _signed(body: bytes, *, secret: str = SECRET, timestamp: str | None = None) -> dict[str, str]:
    ts = timestamp or str(int(time.time()))
    return {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": sign(secret, ts, body),
    }


def _raw(port: int, data: bytes, *, timeout: float = 10) -> bytes:
    """Send bytes as they are; everything the server answers until it closes."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(data)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def _status(raw: bytes) -> int:
    return int(raw.split(b" ", 2)[1])


LATIN1 = f"text={MARKER} caf\xe9".encode("latin-1")
SLASH = slash_body(f"sku {MARKER}", user="U0VIEWER", response_url=f"http://x/{MARKER}")


def _stale() -> dict[str, str]:
    return _signed(SLASH, timestamp=str(int(time.time()) - 600))


def _not_a_number() -> dict[str, str]:
    return {
        **_signed(SLASH),
        "X-Slack-Request-Timestamp": "12ab",
        "X-Slack-Signature": "v0=" + "0" * 64,
    }


BAD_REQUESTS = {
    "wrong secret": ("/slack/events", SLASH, lambda: _signed(SLASH, secret="not-it"), 401),
    "stale timestamp": ("/slack/events", SLASH, _stale, 401),
    "non-numeric timestamp": ("/slack/events", SLASH, _not_a_number, 401),
    "unsigned": ("/slack/events", SLASH, lambda: {}, 401),
    "payload not json": (
        "/slack/events", f"payload={{not{MARKER}".encode(),
        lambda: _signed(f"payload={{not{MARKER}".encode()), 400,
    ),
    "payload a list": (
        "/slack/events", f'payload=["{MARKER}"]'.encode(),
        lambda: _signed(f'payload=["{MARKER}"]'.encode()), 400,
    ),
    "body not utf-8": ("/slack/events", LATIN1, lambda: _signed(LATIN1), 400),
    "wrong path": ("/slack/other", SLASH, lambda: _signed(SLASH), 404),
}  # fmt: skip


@pytest.mark.parametrize("case", list(BAD_REQUESTS))
def test_a_bad_request_gets_its_status_and_its_body_is_not_logged(
    served: Served, case: str
) -> None:
    path, body, headers, expected = BAD_REQUESTS[case]
    status, answer = _post(served.url(path + f"?q={MARKER}"), body, headers())
    assert status == expected, answer
    assert MARKER not in answer
    assert served.process.poll() is None
    assert MARKER not in served.logged()
    # The refusal itself is logged, with its path and status and without the query string.
    assert f'{path} HTTP/1.1" {expected}' in served.logged()


def test_health_answers_json(served: Served) -> None:
    with urlopen(served.url("/slack/health"), timeout=5) as answer:
        assert answer.status == 200
        assert json.loads(answer.read())["ok"] is True


def test_get_on_events_is_405_and_post_on_health_is_405(served: Served) -> None:
    assert _post(served.url("/slack/events"), b"", {}, method="GET")[0] == 405
    assert _post(served.url("/slack/health"), SLASH, _signed(SLASH))[0] == 405


def test_a_signed_slash_command_is_acked(served: Served) -> None:
    body = slash_body("help", user="U0VIEWER", response_url="")
    status, answer = _post(served.url("/slack/events"), body, _signed(body))
    assert status == 200 and "/planner" in answer


def _head(content_length: str, extra: str = "") -> bytes:
    return (
        f"POST /slack/events HTTP/1.1\r\nHost: planner\r\nConnection: close\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {content_length}\r\n"
        f"{extra}\r\n"
    ).encode()


def test_a_two_megabyte_body_is_refused_before_it_is_read(served: Served) -> None:
    started = time.monotonic()
    answer = _raw(served.port, _head("2000000") + f"text={MARKER}".encode() * 1000)
    assert _status(answer) == 413
    assert time.monotonic() - started < READ_TIMEOUT  # answered at once, not after reading
    assert MARKER not in served.logged()


def test_a_streamed_body_over_one_megabyte_is_refused(served: Served) -> None:
    """Chunked, with no Content-Length: the server counts and answers 413 past 1 MB."""
    data = (f"text={MARKER}".encode() * 70_000)[:1_000_001]
    head = _head("0").replace(b"Content-Length: 0\r\n", b"Transfer-Encoding: chunked\r\n")
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as conn:
        conn.sendall(head)
        # Paced, so the server has read every byte when the last one crosses the limit (a
        # server closing on unread bytes resets the connection, as any would).
        for start in range(0, len(data), 65536):
            part = data[start : start + 65536]
            conn.sendall(f"{len(part):x}\r\n".encode() + part + b"\r\n")
            time.sleep(0.02)
        answer = conn.recv(65536)
    assert _status(answer) == 413
    assert MARKER not in served.logged()


def test_a_non_numeric_content_length_gets_400(served: Served) -> None:
    assert _status(_raw(served.port, _head("abc") + MARKER.encode())) == 400
    assert MARKER not in served.logged()


def test_stalled_clients_are_cut_off(served: Served) -> None:
    started = time.monotonic()
    # Headers never finished: the connection is closed, nothing is answered.
    assert _raw(served.port, b"POST /slack/events HTTP/1.1\r\nHost: planner\r\n") == b""
    # A body that stops coming: 408.
    assert _status(_raw(served.port, _head("100") + b"text=")) == 408
    # A connection that sends nothing at all.
    assert _raw(served.port, b"") == b""
    assert time.monotonic() - started < 3 * READ_TIMEOUT + 3
    with urlopen(served.url("/slack/health"), timeout=5) as answer:  # still serving
        assert answer.status == 200


def test_sigterm_lets_a_request_in_flight_finish(served: Served) -> None:
    """Runs last: it stops the module's process."""
    body = slash_body(
        "sku TEA-0001", user="U0VIEWER", response_url=served.standin.response_url("inflight")
    )
    with socket.create_connection(("127.0.0.1", served.port), timeout=10) as conn:
        head = _head(str(len(body)), "".join(f"{k}: {v}\r\n" for k, v in _signed(body).items()))
        conn.sendall(head + body[:10])
        time.sleep(0.2)  # the server has the head: the request is in flight
        served.process.send_signal(signal.SIGTERM)
        _wait_refusing(served.port)  # shutting down: no new connections
        conn.sendall(body[10:])
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    assert _status(answer) == 200
    assert served.process.wait(timeout=30) == 0, served.logged()
    assert served.standin.answers("inflight")  # the lazy work after the ack finished too
    assert served.logged().rstrip().endswith("stopped")


def _wait_refusing(port: int) -> None:
    deadline = time.monotonic() + READ_TIMEOUT - 0.3
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        except OSError:
            return
        time.sleep(0.05)
    raise AssertionError("planner serve still accepts connections after SIGTERM")


def test_a_port_in_use_is_refused_with_the_setting_to_change() -> None:
    from slack_bolt import App

    from bot.server import serve_http
    from planner.domain.errors import PlannerError

    app = App(signing_secret=SECRET, authorize=lambda **_: None)
    busy = socket.create_server(("127.0.0.1", 0))
    with busy, pytest.raises(PlannerError, match=r"cannot listen on 127\.0\.0\.1") as refused:
        serve_http(app, SECRET, port=busy.getsockname()[1])
    assert "[slack] port" in (refused.value.hint or "")
