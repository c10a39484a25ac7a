"""One SP-API call, paced by its token bucket and retried on throttling, 5xx and timeouts."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
from sp_api.auth.exceptions import AuthorizationError
from sp_api.base.exceptions import (
    SellingApiException,
    SellingApiForbiddenException,
    SellingApiRequestThrottledException,
)

from planner.adapters.amazon.auth import TokenStore
from planner.adapters.amazon.errors import (
    AmazonAccessDenied,
    AmazonBadResponse,
    AmazonCredentialsRejected,
    AmazonNotFound,
    AmazonRequestRejected,
    AmazonThrottled,
    AmazonUnavailable,
    describe_error,
    error_codes,
)
from planner.adapters.amazon.specs import operation
from planner.adapters.amazon.throttle import RetryPolicy, TokenBucket

log = logging.getLogger(__name__)
T = TypeVar("T")
RATE_HEADER = "x-amzn-RateLimit-Limit"


@dataclass
class RequestStats:
    """What one gateway sent: requests and retries per operation, 429s, seconds paced."""

    requests: Counter[str] = field(default_factory=Counter)
    retries: Counter[str] = field(default_factory=Counter)
    throttled: int = 0
    paced_seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.requests.values())


def _rate(headers: Mapping[str, str] | None) -> float | None:
    try:
        value = (headers or {}).get(RATE_HEADER)
        return float(value) if value else None
    except (TypeError, ValueError):
        return None


def _expired(exc: SellingApiException) -> bool:
    text = describe_error(getattr(exc, "error", "")).lower()
    return "expired" in text


class _Retry(Exception):
    def __init__(self, reason: str, *, at_least: float = 0.0, throttled: bool = False) -> None:
        super().__init__(reason)
        self.reason, self.at_least, self.throttled = reason, at_least, throttled


@dataclass
class CallRunner:
    """Sends calls for one connection: one token bucket per operation, shared retry policy."""

    retry: RetryPolicy
    tokens: TokenStore
    stats: RequestStats = field(default_factory=RequestStats)
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    _buckets: dict[str, TokenBucket] = field(default_factory=dict)

    def bucket(self, name: str) -> TokenBucket:
        if name not in self._buckets:
            spec = operation(name)
            self._buckets[name] = TokenBucket(
                spec.rate, spec.burst, clock=self.clock, sleep=self.sleep
            )
        return self._buckets[name]

    def __call__(self, operation: str, send: Callable[[], Any], check: Callable[[Any], T]) -> T:
        name = operation
        bucket = self.bucket(name)
        started = self.clock()
        attempt = 0
        throttled = False
        while True:
            attempt += 1
            self.stats.paced_seconds += bucket.acquire()
            self.stats.requests[name] += 1
            try:
                return self._once(name, bucket, send, check, attempt)
            except _Retry as retry:
                reason, at_least = retry.reason, retry.at_least
                # Only 429s all along: Amazon never took the request (a kind of its own).
                throttled = retry.throttled and (attempt == 1 or throttled)
            self.stats.retries[name] += 1
            delay = self.retry.delay(attempt, at_least=at_least)
            spent = self.clock() - started
            if attempt >= self.retry.attempts or spent + delay > self.retry.total_seconds:
                gave_up = AmazonThrottled if throttled else AmazonUnavailable
                raise gave_up(
                    f"Amazon {name} still failing after {attempt} attempt(s) in {spent:.0f} s: "
                    f"{reason}",
                    hint="Amazon may be busy or down; the next sync will try again",
                )
            log.info("%s: %s; retry %d in %.1f s", name, reason, attempt, delay)
            self.sleep(delay)

    def _once(
        self,
        name: str,
        bucket: TokenBucket,
        send: Callable[[], Any],
        check: Callable[[Any], T],
        attempt: int,
    ) -> T:
        try:
            response = send()
        except SellingApiRequestThrottledException as exc:
            bucket.settle()
            bucket.empty()
            self.stats.throttled += 1
            rate = _rate(exc.headers)
            if rate:
                bucket.set_rate(rate)
            at_least = 1.0 / rate if rate else 0.0
            raise _Retry("throttled (HTTP 429)", at_least=at_least, throttled=True) from None
        except SellingApiForbiddenException as exc:
            bucket.settle()
            if _expired(exc) and attempt <= 2:
                self.tokens.forget()  # Amazon says the access token expired: fetch a new one
                raise _Retry("access token expired") from None
            raise AmazonAccessDenied(
                f"Amazon refused {name}: {describe_error(exc.error)}",
                hint="check that the seller authorised this app with the roles it needs",
            ) from None
        except SellingApiException as exc:
            bucket.settle()
            code = int(getattr(exc, "code", 0) or 0)
            if code >= 500 or code == 999:
                raise _Retry(
                    f"HTTP {code if code != 999 else 'error'}: {describe_error(exc.error)}"
                ) from None
            rejected = AmazonNotFound if code == 404 else AmazonRequestRejected
            raise rejected(
                f"Amazon rejected {name} (HTTP {code}): {describe_error(exc.error)}",
                codes=error_codes(exc.error),
            ) from None
        except AuthorizationError as exc:
            bucket.settle()
            status = int(getattr(exc, "status_code", 0) or 0)
            if status >= 500 or status == 429:
                raise _Retry(f"Login with Amazon answered HTTP {status}") from None
            raise AmazonCredentialsRejected(
                f"Login with Amazon refused the credentials ({exc.error_code}: {exc.message})",
                hint="check the client id/secret and the connection's refresh token variables",
            ) from None
        except httpx.TimeoutException:
            bucket.settle()
            raise _Retry("timed out") from None
        except (httpx.TransportError, ValueError) as exc:
            # ValueError: an answer that is not JSON (a proxy's error page, a cut-off body).
            bucket.settle()
            raise _Retry(f"connection failed ({type(exc).__name__})") from None
        bucket.settle()
        rate = _rate(getattr(response, "headers", None))
        if rate:
            bucket.set_rate(rate)
        try:
            return check(response)
        except AmazonBadResponse as exc:
            raise _Retry(exc.message) from None
