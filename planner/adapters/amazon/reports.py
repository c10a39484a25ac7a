"""Reports API 2021-06-30: create → poll getReport → getReportDocument → download, several at once.

Amazon takes minutes to produce a report, so a few are kept in flight and polled in turn; each
document is yielded as soon as it is ready. A report Amazon cancels (no data in the window) is an
empty result, not an error. A truncated or malformed document is downloaded again a few times.
"""

from __future__ import annotations

import gzip
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, Generic, Protocol, TypeVar

import httpx

from planner.adapters.amazon.errors import AmazonBadResponse, AmazonReportFailed
from planner.adapters.amazon.throttle import PollPolicy, RetryPolicy

T = TypeVar("T")
K = TypeVar("K")

FATAL_RETRIES = 1
DOWNLOAD_ATTEMPTS = 3


class Caller(Protocol):
    def __call__(self, operation: str, send: Callable[[], Any], check: Callable[[Any], T]) -> T: ...


class ReportsApi(Protocol):
    def create_report(self, **body: Any) -> Any: ...
    def get_report_exact(self, report_id: str) -> Any: ...
    def get_report_document(self, report_document_id: str) -> Any: ...


@dataclass(frozen=True, slots=True)
class ReportRequest(Generic[K]):
    key: K
    report_type: str
    marketplace_ids: tuple[str, ...]
    start: datetime | None = None
    end: datetime | None = None
    options: dict[str, str] | None = None

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "reportType": self.report_type,
            "marketplaceIds": list(self.marketplace_ids),
        }
        if self.start is not None:
            out["dataStartTime"] = iso(self.start)
        if self.end is not None:
            out["dataEndTime"] = iso(self.end)
        if self.options:
            out["reportOptions"] = dict(self.options)
        return out


def iso(moment: datetime) -> str:
    """ISO 8601 in UTC with a Z, as Amazon writes it."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class _Active(Generic[K]):
    request: ReportRequest[K]
    report_id: str
    created: float
    next_poll: float
    polls: int = 0
    fatal: int = 0


@dataclass
class ReportRunner:
    """Runs report requests through their life cycle; at most `in_flight` at a time."""

    api: ReportsApi
    call: Caller
    http: httpx.Client
    poll: PollPolicy
    retry: RetryPolicy
    in_flight: int = 4
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    downloads: int = field(default=0, init=False)

    def run(
        self, requests: Sequence[ReportRequest[K]], parse: Callable[[ReportRequest[K], str], T]
    ) -> Iterator[tuple[ReportRequest[K], T | None]]:
        """Each request with its parsed document (None when Amazon cancelled it: no data)."""
        pending: deque[tuple[ReportRequest[K], int]] = deque((r, 0) for r in requests)
        active: dict[str, _Active[K]] = {}
        intervals = self.poll.intervals()
        while pending or active:
            while pending and len(active) < self.in_flight:
                request, fatal = pending.popleft()
                report_id = self._create(request)
                now = self.clock()
                active[report_id] = _Active(request, report_id, now, now + intervals[0], 0, fatal)
            current = min(active.values(), key=lambda a: a.next_poll)
            pause = current.next_poll - self.clock()
            if pause > 0:
                self.sleep(pause)
            report = self._get(current.report_id)
            status = report["processingStatus"]
            if status in ("IN_QUEUE", "IN_PROGRESS"):
                current.polls += 1
                if current.polls >= len(intervals):
                    raise AmazonReportFailed(
                        f"Amazon has not finished the {current.request.report_type} report "
                        f"{current.report_id} after {self.poll.give_up_after:.0f} s",
                        hint="try the sync again later",
                    )
                current.next_poll = self.clock() + intervals[current.polls]
                continue
            del active[current.report_id]
            if status == "CANCELLED":
                yield current.request, None
            elif status == "DONE" and report.get("reportDocumentId"):
                yield (
                    current.request,
                    self._document(report["reportDocumentId"], partial(parse, current.request)),
                )
            elif current.fatal < FATAL_RETRIES:
                pending.appendleft((current.request, current.fatal + 1))
            else:
                raise AmazonReportFailed(
                    f"Amazon could not produce the {current.request.report_type} report "
                    f"(status {status}, report {current.report_id})",
                    hint="Amazon's side failed; try the sync again later",
                )

    def _create(self, request: ReportRequest[Any]) -> str:
        def check(response: Any) -> str:
            report_id = (response.payload or {}).get("reportId")
            if not report_id:
                raise AmazonBadResponse("createReport answered without a reportId")
            return str(report_id)

        return self.call("createReport", lambda: self.api.create_report(**request.body()), check)

    def _get(self, report_id: str) -> dict[str, Any]:
        def check(response: Any) -> dict[str, Any]:
            report = response.payload or {}
            if report.get("processingStatus") not in (
                "IN_QUEUE",
                "IN_PROGRESS",
                "DONE",
                "CANCELLED",
                "FATAL",
            ):
                raise AmazonBadResponse(f"getReport {report_id} answered without a status")
            return dict(report)

        return self.call("getReport", lambda: self.api.get_report_exact(report_id), check)

    def _document(self, document_id: str, parse: Callable[[str], T]) -> T:
        def check(response: Any) -> dict[str, Any]:
            meta = response.payload or {}
            if not meta.get("url"):
                raise AmazonBadResponse(f"getReportDocument {document_id} answered without a url")
            return dict(meta)

        meta = self.call(
            "getReportDocument", lambda: self.api.get_report_document(document_id), check
        )
        problem: Exception | None = None
        for attempt in range(1, DOWNLOAD_ATTEMPTS + 1):
            try:
                return parse(self._download(meta))
            except (httpx.HTTPError, AmazonBadResponse) as exc:
                problem = exc
                if attempt < DOWNLOAD_ATTEMPTS:
                    self.sleep(self.retry.delay(attempt))
        reason = problem.message if isinstance(problem, AmazonBadResponse) else repr(problem)
        raise AmazonReportFailed(
            f"could not read report document {document_id} after {DOWNLOAD_ATTEMPTS} "
            f"downloads: {reason}",
            hint="Amazon sent a damaged file; try the sync again later",
        )

    def _download(self, meta: dict[str, Any]) -> str:
        self.downloads += 1
        response = self.http.get(meta["url"])
        if response.status_code != 200:
            raise AmazonBadResponse(f"the document download answered HTTP {response.status_code}")
        data = response.content
        if (meta.get("compressionAlgorithm") or "").upper() == "GZIP":
            try:
                data = gzip.decompress(data)
            except (OSError, EOFError, zlib.error) as exc:
                raise AmazonBadResponse(f"the GZIP document is damaged ({exc})") from None
        return _decode(data, response.headers.get("content-type", ""))


def _decode(data: bytes, content_type: str) -> str:
    """Text in the charset the download names, else UTF-8, else Windows-1252 (NA/EU files)."""
    for part in content_type.split(";"):
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            try:
                return data.decode(value.strip('"'))
            except (LookupError, UnicodeDecodeError):
                break
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")
