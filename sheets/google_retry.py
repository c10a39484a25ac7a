"""Retries for Google's Sheets and Drive APIs: a time budget that outlasts the per-minute quota
window, and requests that are not safe to repeat checked before they are sent again.

The retry loop is tenacity's (stop, wait, retry predicate, injectable sleep); planner only says
what is retryable and how a batchUpdate that may already be applied is recognised.
docs/google-sheets.md §8 cites the behaviours relied on.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from gspread.exceptions import APIError
from gspread.http_client import HTTPClient
from gspread.urls import SPREADSHEET_URL
from tenacity import RetryCallState, Retrying, retry_if_exception, wait_exponential_jitter

# spreadsheets.batchUpdate requests that leave the same spreadsheet when applied twice.
REPEATABLE = frozenset(
    {
        "updateSheetProperties",
        "updateSpreadsheetProperties",
        "updateDimensionProperties",
        "repeatCell",
        "updateCells",
        "updateBorders",
        "setDataValidation",
        "setBasicFilter",
        "clearBasicFilter",
    }
)
_BATCH = re.compile(r"/v4/spreadsheets/([^/:?]+):batchUpdate$")
_WITNESS_FIELDS = "sheets(properties.sheetId,protectedRanges.protectedRangeId)"


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with jitter, 1, 2, 4 … s capped at `cap`, while the waits add up to
    at most `budget` seconds (more than the minute Google's per-minute quotas take to refill)."""

    budget: float = 120.0
    cap: float = 32.0
    jitter: float = 1.0
    sleep: Callable[[float], None] = time.sleep

    def wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        after = _retry_after(error)
        if after is not None:
            return min(after, self.cap)
        return float(wait_exponential_jitter(max=self.cap, jitter=self.jitter)(state))

    def stop(self, state: RetryCallState) -> bool:
        return state.idle_for + state.upcoming_sleep > self.budget


def _retry_after(error: BaseException | None) -> float | None:
    if not isinstance(error, APIError):
        return None
    value = error.response.headers.get("Retry-After", "")
    return float(value) if value.strip().isdigit() else None


def refused(error: BaseException) -> bool:
    """Google turned the request away unapplied (quota): sending it again is always safe."""
    if not isinstance(error, APIError):
        return False
    if error.code == 429:
        return True
    # Drive answers 403 for its rate limits, with a reason saying so.
    reasons = {str(e.get("reason", "")) for e in error.error.get("errors", []) or []}
    return error.code == 403 and bool(reasons & {"rateLimitExceeded", "userRateLimitExceeded"})


def unanswered(error: BaseException) -> bool:
    """No answer or a server error: the request may or may not have been applied."""
    if isinstance(error, APIError):
        return error.code == 408 or error.code >= 500
    return isinstance(error, requests.Timeout | requests.ConnectionError)


def _sent_for_sure(error: BaseException) -> bool:
    return not isinstance(error, requests.ConnectTimeout)


@dataclass(frozen=True, slots=True)
class Witness:
    """What an applied batchUpdate leaves behind (it is all or nothing): the sheets it adds,
    the protected ranges and sheets it deletes."""

    key: str
    added: frozenset[int]
    deleted_ranges: frozenset[int]
    deleted_sheets: frozenset[int]

    @property
    def usable(self) -> bool:
        return bool(self.added or self.deleted_ranges or self.deleted_sheets)

    def applied(self, meta: Mapping[str, Any]) -> bool:
        sheets = meta.get("sheets", [])
        ids = {s["properties"]["sheetId"] for s in sheets}
        ranges = {p["protectedRangeId"] for s in sheets for p in s.get("protectedRanges", [])}
        return (
            self.added <= ids
            and not (self.deleted_ranges & ranges)
            and not (self.deleted_sheets & ids)
        )


def witness(method: str, url: str, body: Any) -> Witness | None:
    """None for a request safe to send twice; else how to tell whether it was applied."""
    found = _BATCH.search(url or "")
    if method.upper() != "POST" or not found or not isinstance(body, Mapping):
        return None
    requests_ = body.get("requests", [])
    if all(set(r) <= REPEATABLE for r in requests_):
        return None

    def ids(kind: str, get: Callable[[dict[str, Any]], Any]) -> frozenset[int]:
        return frozenset(get(r[kind]) for r in requests_ if kind in r and get(r[kind]) is not None)

    return Witness(
        found.group(1),
        ids("addSheet", lambda a: a.get("properties", {}).get("sheetId")),
        ids("deleteProtectedRange", lambda a: a.get("protectedRangeId")),
        ids("deleteSheet", lambda a: a.get("sheetId")),
    )


def _applied_reply(key: str) -> requests.Response:
    """What planner takes for the answer of a batchUpdate found applied (its replies lost)."""
    reply = requests.Response()
    reply.status_code = 200
    reply.headers["Content-Type"] = "application/json; charset=UTF-8"
    reply._content = json.dumps({"spreadsheetId": key, "replies": []}).encode()
    return reply


@dataclass
class _Attempts:
    """One request's attempts: after an unanswered non-repeatable one, look before resending."""

    client: RetryingHTTPClient
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    check: Witness | None
    look_first: bool = False
    give_up: bool = False

    def __call__(self) -> requests.Response:
        if self.look_first and self.check is not None:
            meta = HTTPClient.request(
                self.client,
                "get",
                SPREADSHEET_URL % self.check.key,
                params={"fields": _WITNESS_FIELDS},
            ).json()
            if self.check.applied(meta):
                self.client.found_applied += 1
                return _applied_reply(self.check.key)
        try:
            return HTTPClient.request(self.client, *self.args, **self.kwargs)
        except (APIError, requests.RequestException) as error:
            if self.check is not None and unanswered(error) and _sent_for_sure(error):
                self.look_first = True
                self.give_up = not self.check.usable  # cannot tell: never send it twice
            raise

    def retryable(self, error: BaseException) -> bool:
        return not self.give_up and (refused(error) or unanswered(error))


class RetryingHTTPClient(HTTPClient):
    """gspread's HTTP client, each request retried within `backoff`'s budget (see module doc).

    gspread's own BackOffHTTPClient is not used: it calls itself "not production ready", waits
    2…128 s without jitter or an injectable sleep, does not retry timeouts, and repeats every
    request blindly, addSheet included."""

    backoff: Backoff = Backoff()
    retries: int = 0
    found_applied: int = 0

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:
        method = str(args[0] if args else kwargs.get("method", ""))
        url = str(args[1] if len(args) > 1 else kwargs.get("endpoint", ""))
        attempts = _Attempts(self, args, kwargs, witness(method, url, kwargs.get("json")))
        retrying = Retrying(
            retry=retry_if_exception(attempts.retryable),
            wait=self.backoff.wait,
            stop=self.backoff.stop,
            sleep=self.backoff.sleep,
            before_sleep=self._count,
            reraise=True,
        )
        return retrying(attempts)

    def _count(self, state: RetryCallState) -> None:
        self.retries += 1
