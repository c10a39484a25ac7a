"""A small stateful Slack Web API stand-in on 127.0.0.1: records calls, keeps messages and files.

Speaks what the bot uses: auth.test, chat.postMessage/update/postEphemeral, the three steps of
files_upload_v2 (getUploadURLExternal, the upload URL, completeUploadExternal),
usergroups.users.list, apps.connections.open (the app-level token; hands out `socket_url`);
plus response_url webhooks. Slack's error bodies (`{"ok": false, "error":
…}`), a bad token answered `invalid_auth`, and injectable failures (429 with Retry-After, 5xx,
or an error code) for a method.

Slack's awkward parts it models (sources in docs/slack-behaviour.md): chat.update keeps the
blocks (and text) it is not sent; chat.update is rate limited per message (one edit a second)
and per method (Tier 3, 50 a minute); a response_url takes 5 uses within 30 minutes, then
answers 404; Block Kit limits (50 blocks, text lengths, confirmation dialogs) are checked and
an overflow is answered `invalid_blocks`. Its clock (`now`, `advance`) is the tests' to move.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

# Slack's side lives in slack_requests; other tests import these names from here too.
from slack_requests import (  # noqa: F401  (re-exported)
    SlackSide,
    action_body,
    action_payload,
    example,
    sign,
    slash_body,
    slash_fields,
)

if TYPE_CHECKING:
    from planner.demo import DemoSeller


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    token: str | None


@dataclass
class Failure:
    status: int = 429
    retry_after: int = 1
    error: str = "ratelimited"
    times: int = 1


RESPONSE_URL_USES, RESPONSE_URL_SECONDS = 5, 30 * 60  # Slack: 5 uses within 30 minutes
UPDATE_GAP_SECONDS = 1.0  # one edit of a message a second (Slack: one message a second/channel)
UPDATES_PER_MINUTE = 50  # chat.update is Tier 3: 50+ a minute


@dataclass
class Standin:
    token: str = "xoxb-test-token"
    app_token: str = "xapp-test-token"  # Socket Mode's app-level token
    socket_url: str | None = None  # what apps.connections.open hands out (a local WebSocket)
    groups: dict[str, list[str]] = field(default_factory=dict)
    not_in: set[str] = field(default_factory=set)  # channels the bot was not invited to
    calls: list[Call] = field(default_factory=list)
    responses: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    uploads: dict[str, bytes] = field(default_factory=dict)
    failures: dict[str, Failure] = field(default_factory=dict)
    ephemerals: list[dict[str, Any]] = field(default_factory=list)  # chat.postEphemeral
    refused: list[tuple[str, str]] = field(default_factory=list)  # (method or respond:name, why)
    clock: Callable[[], float] = time.monotonic  # Slack's clock; `advance` moves it on
    skew: float = 0.0

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._issued: dict[str, float] = {}  # response_url name → when Slack handed it out
        self._uses: dict[str, int] = {}
        self._edits: dict[tuple[str, str], float] = {}  # message → its last chat.update
        self._update_times: list[float] = []
        self._ts = itertools.count(1)
        self._server: ThreadingHTTPServer | None = None

    # -- life cycle -----------------------------------------------------------------------

    def start(self) -> Standin:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return None

            def do_GET(self) -> None:
                standin._handle(self, b"")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                standin._handle(self, self.rfile.read(length))

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def response_url(self, name: str) -> str:
        """A response_url Slack hands out now (its 30 minutes start here)."""
        with self._lock:
            self._issued.setdefault(name, self.now())
        return f"{self.base}/respond/{name}"

    def now(self) -> float:
        return self.clock() + self.skew

    def advance(self, seconds: float) -> None:
        """Move Slack's clock on (response_urls expire; rate limit windows pass)."""
        with self._lock:
            self.skew += seconds

    # -- what tests look at ---------------------------------------------------------------

    def fail(self, method: str, failure: Failure) -> None:
        with self._lock:
            self.failures[method] = failure

    def called(self, method: str) -> list[Call]:
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def answers(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            return [body for n, body in self.responses if n == name]

    def wait_for(self, check: Callable[[], Any], timeout: float = 20.0) -> Any:
        """Poll until check() returns something truthy (lazy listeners answer later)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = check()
            if found:
                return found
            time.sleep(0.02)
        raise AssertionError(f"timed out after {timeout}s waiting for the bot")

    # -- serving --------------------------------------------------------------------------

    def _handle(self, request: BaseHTTPRequestHandler, raw: bytes) -> None:
        url = urlsplit(request.path)
        parts = url.path.strip("/").split("/")
        if parts[0] == "respond" and len(parts) == 2:
            self._respond(request, parts[1], raw)
        elif parts[0] == "upload" and len(parts) == 2:
            with self._lock:
                self.uploads[parts[1]] = raw
            self._send(request, 200, f"OK - {len(raw)}".encode(), "text/plain")
        elif parts[0] == "api" and len(parts) == 2:
            self._api(request, parts[1], url.query, raw)
        else:
            self._send(request, 404, b"not found", "text/plain")

    def _failure(self, name: str) -> Failure | None:
        with self._lock:
            failure = self.failures.get(name)
            if failure is None:
                return None
            failure.times -= 1
            if failure.times <= 0:
                del self.failures[name]
            return failure

    def _respond(self, request: BaseHTTPRequestHandler, name: str, raw: bytes) -> None:
        failure = self._failure(f"respond:{name}")
        if failure is not None:
            self._fail(request, failure, webhook=True)
            return
        body = json.loads(raw or b"{}")
        with self._lock:
            why = self._url_refusal(name)
            if why is None and (invalid := _invalid_blocks(body.get("blocks") or [])):
                why = f"invalid_blocks: {invalid}"
            if why is None:
                self._uses[name] = self._uses.get(name, 0) + 1
                self.responses.append((name, body))
            else:
                self.refused.append((f"respond:{name}", why))
        if why is None:
            self._send(request, 200, b"ok", "text/plain")
        else:  # Slack answers an expired or used-up response_url 404, a bad message 400
            status = 400 if why.startswith("invalid_blocks") else 404
            self._send(request, status, why.split(":")[0].encode(), "text/plain")

    def _url_refusal(self, name: str) -> str | None:
        """Why Slack would refuse this use of a response_url (called under the lock)."""
        issued = self._issued.setdefault(name, self.now())
        if self.now() - issued > RESPONSE_URL_SECONDS:
            return "expired_url"
        if self._uses.get(name, 0) >= RESPONSE_URL_USES:
            return "used_url"
        return None

    def _rate_limited(self, method: str, params: dict[str, Any]) -> bool:
        """chat.update: one edit of a message a second, 50 edits a minute (Tier 3)."""
        if method != "chat.update":
            return False
        key, now = (str(params.get("channel")), str(params.get("ts"))), self.now()
        with self._lock:
            recent = [t for t in self._update_times if now - t < 60.0]
            last = self._edits.get(key)
            limited = (last is not None and now - last < UPDATE_GAP_SECONDS) or (
                len(recent) >= UPDATES_PER_MINUTE
            )
            if limited:
                self.refused.append((method, "ratelimited"))
            else:
                self._edits[key] = now
                recent.append(now)
            self._update_times = recent
        return limited

    def _api(self, request: BaseHTTPRequestHandler, method: str, query: str, raw: bytes) -> None:
        params: dict[str, Any] = {k: v[0] for k, v in parse_qs(query).items()}
        kind = request.headers.get("Content-Type", "")
        if raw and "json" in kind:
            params.update(json.loads(raw))
        elif raw:
            params.update({k: v[0] for k, v in parse_qs(raw.decode()).items()})
        auth = request.headers.get("Authorization", "")
        token = auth.removeprefix("Bearer ") if auth.startswith("Bearer ") else params.get("token")
        with self._lock:
            self.calls.append(Call(method, params, token))
        failure = self._failure(method)
        if failure is None and self._rate_limited(method, params):
            failure = Failure(status=429, retry_after=1)
        if failure is not None:
            self._fail(request, failure, webhook=False)
            return
        # Slack accepts only the app-level token for apps.connections.open, the bot token elsewhere.
        if token != (self.app_token if method == "apps.connections.open" else self.token):
            self._json(request, {"ok": False, "error": "invalid_auth"})
            return
        handler = getattr(self, "_m_" + method.replace(".", "_"), None)
        if handler is None:
            self._json(request, {"ok": False, "error": "unknown_method"})
            return
        if method.startswith("chat.") and (invalid := _invalid_blocks(_blocks(params))):
            with self._lock:
                self.refused.append((method, f"invalid_blocks: {invalid}"))
            self._json(request, {"ok": False, "error": "invalid_blocks", "errors": [invalid]})
            return
        self._json(request, handler(params))

    def _fail(self, request: BaseHTTPRequestHandler, failure: Failure, *, webhook: bool) -> None:
        body = (
            b"rate limited"
            if webhook
            else json.dumps({"ok": False, "error": failure.error}).encode()
        )
        request.send_response(failure.status)
        if failure.status == 429:
            request.send_header("Retry-After", str(failure.retry_after))
        request.send_header("Content-Type", "text/plain" if webhook else "application/json")
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    def _json(self, request: BaseHTTPRequestHandler, body: dict[str, Any]) -> None:
        self._send(request, 200, json.dumps(body).encode(), "application/json; charset=utf-8")

    @staticmethod
    def _send(request: BaseHTTPRequestHandler, status: int, body: bytes, kind: str) -> None:
        request.send_response(status)
        request.send_header("Content-Type", kind)
        request.send_header("Content-Length", str(len(body)))
        request.end_headers()
        request.wfile.write(body)

    # -- methods --------------------------------------------------------------------------

    def _channel(self, name: str) -> str:
        return "C" + name.lstrip("#").upper().replace("-", "") if name.startswith("#") else name

    def _m_auth_test(self, p: dict[str, Any]) -> dict[str, Any]:
        return {
            "ok": True, "url": "https://example.slack.com/", "team": "Example", "user": "planner",
            "team_id": "T111", "user_id": "UBOT", "bot_id": "BBOT", "is_enterprise_install": False,
        }  # fmt: skip

    def _m_chat_postMessage(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(str(p.get("channel", "")))
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if channel in self.not_in:
            return {"ok": False, "error": "not_in_channel"}
        ts = f"{1700000000 + next(self._ts)}.000100"
        message = {"text": p.get("text"), "blocks": _blocks(p), "thread_ts": p.get("thread_ts")}
        with self._lock:
            self.messages[(channel, ts)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _m_chat_update(self, p: dict[str, Any]) -> dict[str, Any]:
        """As Slack: blocks (and text) left out of the call stay; `blocks=[]` removes them."""
        key = (str(p.get("channel")), str(p.get("ts")))
        with self._lock:
            if key not in self.messages:
                return {"ok": False, "error": "message_not_found"}
            message = dict(self.messages[key])
            if "text" in p:
                message["text"] = p["text"]
            if "blocks" in p:
                message["blocks"] = _blocks(p)
            self.messages[key] = message
        return {"ok": True, "channel": key[0], "ts": key[1], "text": message["text"]}

    def _m_chat_postEphemeral(self, p: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(str(p.get("channel", "")))
        if not channel or not p.get("user"):
            return {"ok": False, "error": "channel_not_found" if not channel else "user_not_found"}
        if channel in self.not_in:
            return {"ok": False, "error": "not_in_channel"}
        with self._lock:
            self.ephemerals.append(
                {"channel": channel, "user": p["user"], "text": p.get("text"),
                 "blocks": _blocks(p)}
            )  # fmt: skip
        return {"ok": True, "message_ts": f"{1700000000 + next(self._ts)}.000200"}

    def _m_files_getUploadURLExternal(self, p: dict[str, Any]) -> dict[str, Any]:
        if not p.get("filename") or not str(p.get("length", "")).isdigit():
            return {"ok": False, "error": "invalid_arguments"}
        file_id = f"F{next(self._ts):08d}"
        return {"ok": True, "upload_url": f"{self.base}/upload/{file_id}", "file_id": file_id}

    def _m_files_completeUploadExternal(self, p: dict[str, Any]) -> dict[str, Any]:
        files = json.loads(p.get("files") or "[]")
        channel = p.get("channel_id")
        if channel in self.not_in:
            return {"ok": False, "error": "not_in_channel"}
        with self._lock:
            missing = [f["id"] for f in files if f["id"] not in self.uploads]
        if missing:
            return {"ok": False, "error": "file_not_found"}
        return {"ok": True, "files": [{"id": f["id"], "title": f.get("title", "")} for f in files]}

    def _m_apps_connections_open(self, p: dict[str, Any]) -> dict[str, Any]:
        if self.socket_url is None:
            return {"ok": False, "error": "not_allowed_token_type"}
        return {"ok": True, "url": self.socket_url}

    def _m_usergroups_users_list(self, p: dict[str, Any]) -> dict[str, Any]:
        group = str(p.get("usergroup", ""))
        if group not in self.groups:
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(self.groups[group])}


def _blocks(p: dict[str, Any]) -> list[dict[str, Any]]:
    blocks = p.get("blocks") or []
    return json.loads(blocks) if isinstance(blocks, str) else list(blocks)


# Block Kit's limits Slack checks (docs/slack-behaviour.md): characters of a text by where it is.
MAX_BLOCKS, MAX_SECTION_TEXT, MAX_FIELD_TEXT, MAX_HEADER_TEXT = 50, 3000, 2000, 150
MAX_BUTTON_TEXT, MAX_BUTTON_VALUE, MAX_ID = 75, 2000, 255
CONFIRM_LIMITS = {"title": 100, "text": 300, "confirm": 30, "deny": 30}


def _invalid_blocks(blocks: list[dict[str, Any]]) -> str | None:
    """What Slack would call invalid in these blocks (the first problem), or None."""
    if len(blocks) > MAX_BLOCKS:
        return f"{len(blocks)} blocks, more than {MAX_BLOCKS}"
    for i, block in enumerate(blocks):
        if len(str(block.get("block_id", ""))) > MAX_ID:
            return f"block {i}: block_id longer than {MAX_ID}"
        limit = MAX_HEADER_TEXT if block.get("type") == "header" else MAX_SECTION_TEXT
        if len(block.get("text", {}).get("text", "")) > limit:
            return f"block {i}: text longer than {limit}"
        if any(len(f.get("text", "")) > MAX_FIELD_TEXT for f in block.get("fields", [])):
            return f"block {i}: a field longer than {MAX_FIELD_TEXT}"
        elements = [*block.get("elements", []), *([block["accessory"]] if "accessory" in block
                                                   else [])]  # fmt: skip
        for element in elements:
            problem = _invalid_element(element)
            if problem:
                return f"block {i}: {problem}"
    return None


def _invalid_element(element: dict[str, Any]) -> str | None:
    if element.get("type") == "button":
        if len(element.get("text", {}).get("text", "")) > MAX_BUTTON_TEXT:
            return f"button text longer than {MAX_BUTTON_TEXT}"
        if len(str(element.get("value", ""))) > MAX_BUTTON_VALUE:
            return f"button value longer than {MAX_BUTTON_VALUE}"
    if len(str(element.get("action_id", ""))) > MAX_ID:
        return f"action_id longer than {MAX_ID}"
    confirm = element.get("confirm")
    if confirm is not None:
        for part, limit in CONFIRM_LIMITS.items():
            text = (confirm.get(part) or {}).get("text", "")
            if not text or len(text) > limit:
                return f"confirm {part} empty or longer than {limit}"
    return None


# --- a demo store for the bot's end-to-end tests and bench: built once, copied per test ---------

DEMO_SEED, DEMO_VARIANTS = 3, 20
_TEMPLATE: dict[str, Path] = {}
_TEMPLATE_LOCK, _SELLER_LOCK = threading.Lock(), threading.Lock()


_SELLER: list[DemoSeller] = []


def demo_seller() -> DemoSeller:
    """The demo seller of demo_store (one per process): the Amazon sandbox serves it too."""
    from datetime import date

    from planner.demo import generate_seller

    with _SELLER_LOCK:
        if not _SELLER:
            _SELLER.append(
                generate_seller(seed=DEMO_SEED, variants=DEMO_VARIANTS, today=date.today())
            )
        return _SELLER[0]


def demo_store(directory: Path) -> tuple[Path, Path]:
    """planner.db (demo seller, planned) and review.xlsx (published) in `directory`."""
    import atexit
    import shutil
    import tempfile
    from datetime import date

    from planner.demo.seeding import load_seller
    from planner.services.plan_inputs import PlanningOptions
    from planner.services.planning import plan_and_save
    from planner.services.review import publish
    from planner.store.admin import reset, set_meta
    from planner.store.database import make_engine
    from planner.store.uow import SqlUnitOfWork
    from sheets.xlsx import XlsxReviewSheet

    with _TEMPLATE_LOCK:
        if "dir" not in _TEMPLATE:
            where = Path(tempfile.mkdtemp(prefix="planner-bot-template-"))
            atexit.register(shutil.rmtree, where, ignore_errors=True)
            engine = make_engine(f"sqlite:///{where / 'planner.db'}")
            reset(engine)
            uow = SqlUnitOfWork(engine)
            seller = demo_seller()
            with uow:
                load_seller(uow, seller)
                uow.commit()
            plan_and_save(lambda: uow, today=date.today(), options=PlanningOptions())
            # The built-in Amazon sandbox serves this same seller (for `/planner sync`).
            for key, value in (("demo_seed", DEMO_SEED), ("demo_variants", DEMO_VARIANTS)):
                set_meta(engine, key, str(value))
            publish(lambda: uow, XlsxReviewSheet(where / "review.xlsx"), actor="setup")
            engine.dispose()
            _TEMPLATE["dir"] = where
        template = _TEMPLATE["dir"]
    directory.mkdir(parents=True, exist_ok=True)
    db, sheet = directory / "planner.db", directory / "review.xlsx"
    shutil.copy(template / "planner.db", db)
    shutil.copy(template / "review.xlsx", sheet)
    return db, sheet


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


SECRET_ENV, TOKEN_ENV = "PLANNER_TEST_SLACK_SIGNING_SECRET", "PLANNER_TEST_SLACK_BOT_TOKEN"
APP_TOKEN_ENV = "PLANNER_TEST_SLACK_APP_TOKEN"


def write_config(
    directory: Path, api_url: str, *, port: int, mode: str = "http", extra: str = ""
) -> Path:
    """planner.toml for the bot under test: HTTP on `port`, Web API at the stand-in.

    `extra` is appended as is (more sections, such as [amazon] pointed at a running sandbox).
    """
    path = directory / "planner.toml"
    path.write_text(
        f"""
[database]
url = "sqlite:///{directory / "planner.db"}"

[paths]
data_dir = "{directory}"

[sheets]
path = "{directory / "review.xlsx"}"

[slack]
mode = "{mode}"
port = {port}
api_base_url = "{api_url}"
digest_channel = "#inventory"
bot_token_env = "{TOKEN_ENV}"
signing_secret_env = "{SECRET_ENV}"
app_token_env = "{APP_TOKEN_ENV}"

[slack.roles]
viewers = ["U0VIEWER"]
approvers = ["U0APPROVER", "S0BUYERS"]
admins = ["U0ADMIN"]
"""
        + extra,
        "utf-8",
    )
    return path
