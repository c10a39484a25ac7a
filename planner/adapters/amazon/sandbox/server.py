"""The built-in Amazon sandbox: an HTTP server speaking SP-API (and Login with Amazon) locally.

Every request is routed and validated against the packaged models before it is answered;
requests that do not conform get Amazon's error body and a 400, and are counted. Per-operation
usage plans (rate, burst) are enforced per seller account. Reports go IN_QUEUE → IN_PROGRESS →
DONE (or CANCELLED when there is no data) and their documents are gzip-compressed TSV files
downloaded from a separate, unauthenticated URL, as from S3. Faults can be injected per operation.

`speed` makes sandbox time run faster: rates × speed, report processing ÷ speed. The rate the
sandbox enforces is announced in x-amzn-RateLimit-Limit, as Amazon does.
"""

from __future__ import annotations

import secrets
import threading
import time
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from planner.adapters.amazon import specs
from planner.adapters.amazon.sandbox import documents
from planner.adapters.amazon.sandbox.operations import Operations
from planner.adapters.amazon.sandbox.seller import Account, SandboxSeller
from planner.adapters.amazon.sandbox.settings import (
    FAULT_KINDS,
    Fault,
    SandboxCredentials,
    SandboxSettings,
    SandboxStats,
    TokenBucket,
)
from planner.adapters.amazon.sandbox.validation import Rejected, response_problem, validate_request
from planner.adapters.amazon.sandbox.wire import (
    DOCUMENT_PREFIX,
    DROP,
    Handler,
    Reply,
    error_body,
    json_reply,
    static_match,
)

__all__ = [  # the sandbox package and the CLI import these from here
    "DOCUMENT_PREFIX",
    "AmazonSandbox",
    "Fault",
    "SandboxCredentials",
    "SandboxSettings",
    "SandboxStats",
    "fault_operations",
    "parse_fault",
    "utc_now",
]

TOKEN_PATH = "/auth/o2/token"


class AmazonSandbox:
    """An SP-API stand-in serving one seller; `start()` it, point the client at `url`."""

    def __init__(
        self,
        seller: SandboxSeller,
        settings: SandboxSettings | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.seller = seller
        self.settings = settings or SandboxSettings()
        self.stats = SandboxStats()
        self.faults: list[Fault] = []
        self._lock = threading.RLock()
        self._tokens: dict[str, tuple[Account, float]] = {}
        self._buckets: dict[tuple[str, str], TokenBucket] = {}
        # Page tokens the repeat_token fault made up for a first page: the page they repeat.
        self._repeats: dict[str, dict[str, Any]] = {}
        self._host = host
        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._server.sandbox = self  # type: ignore[attr-defined]
        self._thread: threading.Thread | None = None
        self.operations = Operations(self)

    # -- life cycle -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self._server.server_port}"

    @property
    def token_url(self) -> str:
        return self.url + TOKEN_PATH

    def start(self) -> AmazonSandbox:
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="amazon-sandbox",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> AmazonSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def credentials(self, connection: str) -> SandboxCredentials:
        account = next((a for a in self.seller.accounts if a.name == connection), None)
        token = account.refresh_token if account else f"Atzr|planner-sandbox-{connection}"
        return SandboxCredentials(self.settings.client_id, self.settings.client_secret, token)

    # -- faults -----------------------------------------------------------------------------------

    def inject(
        self, operation: str, kind: str, *, times: int | None = 1, seconds: float = 0.0
    ) -> Fault:
        """Make the next `times` calls of `operation` fail this way (None: all of them)."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {', '.join(FAULT_KINDS)}")
        fault = Fault(operation, kind, times, seconds)
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def fault_for(self, operation: str, kinds: tuple[str, ...]) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.kind in kinds and fault.operation in (operation, "*") and fault.take():
                    self.stats.faults[f"{operation}:{fault.kind}"] += 1
                    return fault
        return None

    def reject(self, operation: str, message: str) -> Reply:
        with self._lock:
            self.stats.rejections.append((operation, message))
        return Reply(400, error_body("InvalidInput", message), {"Content-Type": "application/json"})

    # -- requests ---------------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        url = urlsplit(target)
        if url.path == TOKEN_PATH:
            return self._login(method, body)
        if url.path.startswith(DOCUMENT_PREFIX):
            return self._download(url.path[len(DOCUMENT_PREFIX) :])
        found = specs.route(method, url.path)
        if found is None:
            with self._lock:
                self.stats.rejections.append(("?", f"{method} {url.path}"))
            return Reply(404, error_body("NotFound", "Resource not found."))
        name, op, path_params = found
        with self._lock:
            self.stats.requests[name] += 1
        early = self._early_fault(name)
        if early is not None:
            return early
        account = self._account(headers)
        if isinstance(account, Reply):
            return account
        rate = op.rate * self.settings.speed
        limit = {"x-amzn-RateLimit-Limit": f"{rate:g}"}
        with self._lock:
            bucket = self._buckets.setdefault((account.name, name), TokenBucket(rate, op.burst))
            allowed = bucket.take()
            if not allowed:
                self.stats.throttled[name] += 1
        if not allowed:
            return Reply(
                429,
                error_body("QuotaExceeded", "You exceeded your quota for the requested resource."),
                {"Content-Type": "application/json", **limit},
            )
        try:
            params, payload = validate_request(name, path_params, url.query, headers, body)
        except Rejected as exc:
            return self.reject(name, exc.message)
        if self.settings.static_examples:
            example = static_match(op, params, payload)
            if example is not None:
                return json_reply(example.status, example.response, limit)
        repeat = self._repeats.get(_page_token(name, params) or "")
        status, data = self.operations.answer(name, account, repeat or params, payload)
        if 200 <= status < 300:
            self._repeat_token(name, params, data)
        if self.settings.validate_responses and 200 <= status < 300:
            problem = response_problem(name, status, data)
            if problem:
                with self._lock:
                    self.stats.response_problems.append(problem)
        return json_reply(status, data, limit if 200 <= status < 300 else None)

    def _repeat_token(self, name: str, params: dict[str, Any], data: Any) -> None:
        """The repeat_token fault: the answer leads back to the page just served.

        A request with a token gets that token again. A first page with more to come is
        left alone (the fault waits for the second); a listing of one page gets a token of its
        own that serves that page again (and is repeated while the fault lasts).
        """
        if name not in PAGED or not isinstance(data, dict):
            return
        given = _page_token(name, params)
        if name == "getShipments":
            answered = (data.get("payload") or {}).get("NextToken")
        else:
            answered = (data.get("pagination") or {}).get("nextToken")
        if not given and answered:
            return
        if self.fault_for(name, ("repeat_token",)) is None:
            return
        token = given
        if not token:
            token = "repeat-" + secrets.token_hex(8)
            with self._lock:
                self._repeats[token] = dict(params)
        if name == "getShipments":
            data.setdefault("payload", {})["NextToken"] = token
        else:
            data.setdefault("pagination", {})["nextToken"] = token

    def _early_fault(self, name: str) -> Reply | None:
        fault = self.fault_for(
            name, ("throttle", "error500", "error503", "slow", "drop", "expire_token")
        )
        if fault is None:
            return None
        if fault.kind == "throttle":
            rate = specs.operation(name).rate * self.settings.speed
            return Reply(
                429,
                error_body("QuotaExceeded", "You exceeded your quota for the requested resource."),
                {"Content-Type": "application/json", "x-amzn-RateLimit-Limit": f"{rate:g}"},
            )
        if fault.kind == "error500":
            return Reply(
                500,
                error_body(
                    "InternalFailure", "We encountered an internal error. Please try again."
                ),
            )
        if fault.kind == "error503":
            return Reply(
                503,
                error_body(
                    "ServiceUnavailable", "Service temporarily unavailable. Please try again."
                ),
            )
        if fault.kind == "slow":
            time.sleep(fault.seconds)
            return None
        if fault.kind == "drop":
            return DROP
        with self._lock:  # expire_token
            self._tokens = {t: (a, 0.0) for t, (a, _) in self._tokens.items()}
        return None

    def _account(self, headers: dict[str, str]) -> Account | Reply:
        lowered = {k.lower(): v for k, v in headers.items()}
        token = lowered.get("x-amz-access-token", "")
        with self._lock:
            found = self._tokens.get(token)
        denied = "Access to requested resource is denied."
        if found is None:
            return Reply(
                403,
                error_body(
                    "Unauthorized",
                    denied,
                    "The access token you provided is revoked, malformed or invalid.",
                ),
            )
        account, expires = found
        if time.monotonic() >= expires:
            return Reply(
                403,
                error_body("Unauthorized", denied, "The access token you provided has expired."),
            )
        return account

    def _login(self, method: str, body: bytes) -> Reply:
        with self._lock:
            self.stats.requests["lwa"] += 1
        fault = self.fault_for("lwa", ("error500", "error503", "slow", "drop"))
        if fault is not None:
            if fault.kind == "drop":
                return DROP
            if fault.kind == "slow":
                time.sleep(fault.seconds)
            else:
                return json_reply(
                    int(fault.kind[-3:]),
                    {"error": "server_error", "error_description": "Try again."},
                )
        form = {k: v[0] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        if method != "POST" or form.get("grant_type") != "refresh_token":
            return json_reply(
                400,
                {
                    "error": "unsupported_grant_type",
                    "error_description": "Use grant_type=refresh_token.",
                },
            )
        s = self.settings
        if s.strict_credentials and (
            form.get("client_id") != s.client_id or form.get("client_secret") != s.client_secret
        ):
            return json_reply(
                401,
                {"error": "invalid_client", "error_description": "Client authentication failed"},
            )
        account = self.seller.account(form.get("refresh_token", ""))
        if account is None:
            if s.strict_credentials or not form.get("refresh_token"):
                return json_reply(
                    400,
                    {
                        "error": "invalid_grant",
                        "error_description": (
                            "The request has an invalid grant parameter : refresh_token"
                        ),
                    },
                )
            account = self.seller.whole_seller()
        token = "Atza|" + secrets.token_urlsafe(24)
        with self._lock:
            self._tokens[token] = (account, time.monotonic() + s.token_lifetime)
        return json_reply(
            200,
            {
                "access_token": token,
                "refresh_token": form["refresh_token"],
                "token_type": "bearer",
                "expires_in": s.token_lifetime,
            },
        )

    def _download(self, document_id: str) -> Reply:
        with self._lock:
            self.stats.requests["document"] += 1
        document = self.operations.document(document_id.split("?")[0])
        if document is None:
            return Reply(
                404, b"<Error><Code>NoSuchKey</Code></Error>", {"Content-Type": "application/xml"}
            )
        fault = self.fault_for("document", ("truncate", "malformed", "drop", "error500", "slow"))
        data = document.data
        if fault is not None:
            if fault.kind == "truncate":
                data = data[: max(len(data) // 2, 1)]
            elif fault.kind == "malformed":
                damaged = documents.damaged(document.text)
                data = documents.compress(damaged, document.charset, bom=document.bom)
            elif fault.kind == "drop":
                return DROP
            elif fault.kind == "slow":
                time.sleep(fault.seconds)
            else:
                return Reply(500, b"<Error><Code>InternalError</Code></Error>")
        return Reply(200, data, {"Content-Type": f"text/plain; charset={document.charset}"})


# The paged operations the connector follows, and the query parameter carrying the page token.
PAGED = {
    "getInventorySummaries": "nextToken",
    "getShipments": "NextToken",
    "listInboundPlans": "paginationToken",
    "listPackingOptions": "paginationToken",
    "listPlacementOptions": "paginationToken",
    "listTransportationOptions": "paginationToken",
    "listShipmentBoxes": "paginationToken",
    "listShipmentItems": "paginationToken",
    "listDeliveryWindowOptions": "paginationToken",
}
# Faults that only some operations can show (the others apply to any SP-API operation).
_FAULTS_FIT: dict[str, set[str]] = {
    "fatal": {"createReport"},
    "long_report": {"createReport"},
    "listed_late": {"createInboundPlan"},
    "truncate": {"document"},
    "malformed": {"document"},
    "repeat_token": {"*", *PAGED},
}
_FAULTS_OF = {
    "lwa": ("error500", "error503", "slow", "drop"),
    "document": ("truncate", "malformed", "drop", "error500", "slow"),
}


def fault_operations() -> tuple[str, ...]:
    """What a fault can be injected into: every SP-API operation the sandbox serves (or "*"
    for all of them), "lwa" (Login with Amazon) and "document" (report downloads)."""
    served = sorted(n[3:] for n in dir(Operations) if n.startswith("op_"))
    return ("*", "lwa", "document", *served)


def parse_fault(spec: str) -> Fault:
    """`OPERATION:KIND[:TIMES[:SECONDS]]` as a fault to inject; ValueError says what is wrong.

    TIMES is a whole number of calls (default 1) or `always`; SECONDS (for slow) defaults to 5.
    """
    parts = spec.split(":")
    if not 2 <= len(parts) <= 4 or not all(p.strip() for p in parts):
        raise ValueError(
            f"{spec!r} is not OPERATION:KIND[:TIMES[:SECONDS]] (e.g. getInventorySummaries:"
            "repeat_token:always or createReport:throttle:2)"
        )
    operation, kind = parts[0].strip(), parts[1].strip()
    operations = fault_operations()
    if operation not in operations:
        raise ValueError(f"unknown operation {operation!r}; one of {', '.join(operations)}")
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; one of {', '.join(FAULT_KINDS)}")
    fits = _FAULTS_FIT.get(kind)
    if fits is not None and operation not in fits and not (operation == "*" and "*" in fits):
        raise ValueError(f"a {kind} fault applies only to {', '.join(sorted(fits))}")
    if operation in ("lwa", "document") and kind not in _FAULTS_OF[operation]:
        raise ValueError(
            f"{operation} can fail only as {', '.join(_FAULTS_OF[operation])}, not {kind}"
        )
    times: int | None = 1
    if len(parts) > 2:
        text = parts[2].strip().lower()
        if text == "always":
            times = None
        elif text.isdigit() and int(text) > 0:
            times = int(text)
        else:
            raise ValueError(f"TIMES must be a whole number from 1 or 'always', got {parts[2]!r}")
    seconds = 5.0
    if len(parts) > 3:
        try:
            seconds = float(parts[3])
        except ValueError:
            seconds = -1.0
        if not 0 <= seconds <= 3600:
            raise ValueError(f"SECONDS must be a number from 0 to 3600, got {parts[3]!r}")
    return Fault(operation, kind, times, seconds)


def _page_token(name: str, params: dict[str, Any]) -> str | None:
    key = PAGED.get(name)
    value = params.get(key) if key else None
    return str(value) if value else None


def utc_now() -> datetime:
    return datetime.now(UTC)
