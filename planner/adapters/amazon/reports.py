"""Reports API 2021-06-30: create → poll getReport → getReportDocument → download, several at once.

Amazon takes minutes to produce a report, so a few are kept in flight and polled in turn; each
document is yielded as soon as it is ready. A report Amazon cancels (no data in the window) is an
empty result, not an error. A truncated or malformed document is downloaded again a few times.
A report still unfinished when the wait ends is handed back (ReportsPending) with its id, and a
later run polls that id instead of asking for the report again.
"""

from __future__ import annotations

import gzip
import time
import zlib
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from functools import partial
from typing import Any, Generic, Protocol, TypeVar

import httpx

from planner.adapters.amazon.errors import (
    AmazonBadResponse,
    AmazonReportFailed,
    AmazonRequestRejected,
)
from planner.adapters.amazon.flatfiles import decode_document
from planner.adapters.amazon.throttle import PollPolicy, RetryPolicy
from planner.ports import PendingReport, ReportsPending

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
    # An earlier run's report for this request (unfinished then): polled, not asked for again.
    report_id: str | None = None
    requested_at: datetime | None = None  # when that earlier report was asked for
    # Read a document that declares no charset and is not UTF-8 with this one.
    fallback_charset: str = "cp1252"

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

    def pending(self, report_id: str, requested_at: datetime) -> PendingReport:
        return PendingReport(
            report_id, self.report_type, self.marketplace_ids, requested_at, self.start, self.end
        )


def _anew(request: ReportRequest[K]) -> ReportRequest[K]:
    """The same request, to be asked for again (an earlier report failed or is gone)."""
    return replace(request, report_id=None, requested_at=None)


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
    requested_at: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass
class ReportRunner:
    """Runs report requests through their life cycle; at most `in_flight` at a time.

    One report's trouble stops that report only: the others are still polled and yielded.
    At the end, reports Amazon had not finished within the wait raise ReportsPending (with
    their ids, so the next run picks them up), and reports that failed raise AmazonReportFailed.
    """

    api: ReportsApi
    call: Caller
    http: httpx.Client
    poll: PollPolicy
    retry: RetryPolicy
    in_flight: int = 4
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    downloads: int = field(default=0, init=False)

    def run(
        self, requests: Sequence[ReportRequest[K]], parse: Callable[[ReportRequest[K], str], T]
    ) -> Iterator[tuple[ReportRequest[K], T | None]]:
        """Each request with its parsed document (None when Amazon cancelled it: no data)."""
        pending: deque[tuple[ReportRequest[K], int]] = deque((r, 0) for r in requests)
        active: dict[str, _Active[K]] = {}
        unfinished: list[PendingReport] = []
        failed: list[str] = []
        intervals = self.poll.intervals()
        while pending or active:
            while pending and len(active) < self.in_flight:
                request, fatal = pending.popleft()
                now = self.clock()
                if request.report_id is not None:
                    report_id, first = request.report_id, now  # picked up: poll it at once
                else:
                    report_id, first = self._create(request), now + intervals[0]
                active[report_id] = _Active(
                    request, report_id, now, first, 0, fatal, request.requested_at or self.now()
                )
            current = min(active.values(), key=lambda a: a.next_poll)
            pause = current.next_poll - self.clock()
            if pause > 0:
                self.sleep(pause)
            try:
                report = self._get(current.report_id)
            except AmazonRequestRejected:
                if current.request.report_id is None:
                    raise
                # Amazon no longer knows an earlier run's report: ask for it again.
                del active[current.report_id]
                pending.appendleft((_anew(current.request), current.fatal))
                continue
            status = report["processingStatus"]
            if status in ("IN_QUEUE", "IN_PROGRESS"):
                current.polls += 1
                if current.polls >= len(intervals):
                    del active[current.report_id]
                    unfinished.append(
                        current.request.pending(current.report_id, current.requested_at)
                    )
                    continue
                current.next_poll = self.clock() + intervals[current.polls]
                continue
            del active[current.report_id]
            again = _anew(current.request)
            if status == "CANCELLED":
                yield current.request, None
            elif status == "DONE" and report.get("reportDocumentId"):
                try:
                    document = self._document(
                        report["reportDocumentId"],
                        partial(parse, current.request),
                        current.request.fallback_charset,
                    )
                except AmazonReportFailed as exc:
                    failed.append(exc.message)
                    continue
                yield current.request, document
            elif current.fatal < FATAL_RETRIES:
                pending.appendleft((again, current.fatal + 1))
            else:
                failed.append(
                    f"Amazon could not produce the {current.request.report_type} report "
                    f"(status {status}, report {current.report_id})"
                )
        if unfinished:  # kept even when another report failed: the next run picks them up
            ids = ", ".join(f"{p.report_type} {p.report_id}" for p in unfinished)
            raise ReportsPending(
                "; ".join(
                    [
                        f"Amazon has not finished {len(unfinished)} report(s) after "
                        f"{self.poll.give_up_after:.0f} s ({ids})",
                        *failed,
                    ]
                ),
                unfinished,
                hint="the next sync picks these reports up instead of asking for them again",
            )
        if failed:
            raise AmazonReportFailed(
                "; ".join(failed), hint="Amazon's side failed; try the sync again later"
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

    def _document(self, document_id: str, parse: Callable[[str], T], fallback: str) -> T:
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
                return parse(self._download(meta, fallback))
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

    def _download(self, meta: dict[str, Any], fallback: str) -> str:
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
        return decode_document(data, response.headers.get("content-type", ""), fallback=fallback)
