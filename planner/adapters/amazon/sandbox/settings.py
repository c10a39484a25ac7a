"""What a sandbox is set up with and keeps count of: settings, credentials, injected faults,
usage-plan buckets and request statistics.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

FAULT_KINDS = (
    "throttle",  # 429 with x-amzn-RateLimit-Limit
    "error500",
    "error503",
    "slow",  # answer after `seconds`
    "drop",  # close the connection without an answer
    "expire_token",  # every access token issued so far expires now
    "fatal",  # createReport: the report ends FATAL
    "truncate",  # document download: half the bytes
    "malformed",  # document download: a damaged line
    "long_report",  # createReport: the report stays in progress `seconds` longer than usual
    "repeat_token",  # a paged listing: the answer's next token is the one the request gave
    "listed_late",  # createInboundPlan: listInboundPlans shows the plan only `seconds` later
)


@dataclass(frozen=True)
class SandboxSettings:
    speed: float = 1.0
    queue_seconds: float = 20.0
    processing_seconds: float = 40.0
    inventory_page_size: int = 50
    shipments_page_size: int = 50
    # Strict: only the sandbox's client id/secret and its accounts' refresh tokens log in.
    # Open (planner sandbox serve): any credentials; unknown refresh tokens see the whole seller.
    strict_credentials: bool = True
    validate_responses: bool = False
    static_examples: bool = False  # answer requests matching a model's static example with it
    # Honour reportOptions.preferredReportDocumentLocale (English headers for Japan's listings
    # report). Off: Japan's listings report keeps its Japanese headers whatever is asked.
    honour_report_locale: bool = False
    token_lifetime: int = 3600
    client_id: str = "amzn1.application-oa2-client.planner-sandbox"
    client_secret: str = field(default="planner-sandbox-secret", repr=False)


@dataclass(frozen=True)
class SandboxCredentials:
    client_id: str
    client_secret: str = field(repr=False)
    refresh_token: str = field(repr=False)


@dataclass
class Fault:
    operation: str  # an operationId, "lwa", "document", or "*" for every SP-API operation
    kind: str
    times: int | None = 1  # None: every time
    seconds: float = 0.0
    hits: int = 0

    def take(self) -> bool:
        if self.times is not None and self.hits >= self.times:
            return False
        self.hits += 1
        return True


@dataclass
class SandboxStats:
    requests: Counter[str] = field(default_factory=Counter)
    rejections: list[tuple[str, str]] = field(default_factory=list)
    throttled: Counter[str] = field(default_factory=Counter)  # 429s the usage plans caused
    faults: Counter[str] = field(default_factory=Counter)
    unserved: list[str] = field(default_factory=list)
    response_problems: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(v for k, v in self.requests.items() if k not in ("lwa", "document"))


class TokenBucket:
    """One usage plan (rate per second, burst) of one operation for one seller account."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst = rate, max(burst, 1)
        self.tokens = float(self.burst)
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(float(self.burst), self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False
