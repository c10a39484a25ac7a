"""Reports in the sandbox: createReport, getReport (queued, then done) and getReportDocument."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from planner.adapters.amazon.flatfiles import LISTINGS, ORDERS_BY_LAST_UPDATE, ORDERS_BY_ORDER_DATE
from planner.adapters.amazon.sandbox import documents
from planner.adapters.amazon.sandbox.answers import Answer, OperationsBase, _error, _iso, _parse
from planner.adapters.amazon.sandbox.seller import Account
from planner.adapters.amazon.sandbox.wire import DOCUMENT_PREFIX


@dataclass
class Document:
    text: str
    data: bytes  # compressed, in `charset`
    charset: str = "UTF-8"  # as Amazon names it in the download's Content-Type
    bom: bool = False


@dataclass
class Report:
    report_id: str
    report_type: str
    marketplace_ids: list[str]
    start: str | None
    end: str | None
    created: datetime
    created_at: float
    account: str
    outcome: str  # DONE, CANCELLED or FATAL
    document_id: str | None
    extra_seconds: float = 0.0  # a long report: this much longer in progress (real seconds)


class ReportOperations(OperationsBase):
    """The reports API; the reports and their documents live on the Operations."""

    reports: dict[str, Report]
    documents: dict[str, Document]
    _ids: Iterator[int]

    def op_createReport(self, account: Account, params: Any, body: dict[str, Any]) -> Answer:
        report_type, markets = body["reportType"], list(body["marketplaceIds"])
        refused = self._allowed(account, markets)
        if refused:
            return refused
        if report_type == LISTINGS and len(markets) != 1:
            return _error(400, "InvalidInput", f"{LISTINGS} takes exactly one marketplace.")
        start, end = body.get("dataStartTime"), body.get("dataEndTime")
        outcome, text = "DONE", None
        if report_type == LISTINGS:
            options = body.get("reportOptions") or {}
            english = (
                self.sandbox.settings.honour_report_locale
                and options.get("preferredReportDocumentLocale") == "en_US"
            )
            text = documents.listings_document(self.seller, markets[0], english=english)
        elif report_type in (ORDERS_BY_ORDER_DATE, ORDERS_BY_LAST_UPDATE):
            text, count = documents.orders_document(
                self.seller, markets, _parse(start), _parse(end), report_type
            )
            outcome = "DONE" if count else "CANCELLED"  # Amazon cancels reports without data
        else:
            outcome = "FATAL"
        if self.sandbox.fault_for("createReport", ("fatal",)) is not None:
            outcome = "FATAL"
        long = self.sandbox.fault_for("createReport", ("long_report",))
        report_id = str(next(self._ids))
        document_id = None
        if outcome == "DONE" and text is not None:
            document_id = f"amzn1.spdoc.1.4.na.{report_id}.T{int(time.time())}"
            charset, bom = documents.charset_of(report_type, markets)
            data = documents.compress(text, charset, bom=bom)
            self.documents[document_id] = Document(text, data, charset, bom)
        self.reports[report_id] = Report(
            report_id, report_type, markets, start, end, datetime.now(UTC), time.monotonic(),
            account.name, outcome, document_id, long.seconds if long is not None else 0.0,
        )  # fmt: skip
        return 202, {"reportId": report_id}

    def op_getReport(self, account: Account, params: dict[str, Any], body: Any) -> Answer:
        report = self.reports.get(params["reportId"])
        if report is None:
            return _error(404, "NotFound", f"Report {params['reportId']} not found.")
        s = self.sandbox.settings
        queued, working = s.queue_seconds / s.speed, s.processing_seconds / s.speed
        elapsed = time.monotonic() - report.created_at
        status = report.outcome
        if elapsed < queued:
            status = "IN_QUEUE"
        elif elapsed < queued + working + report.extra_seconds:
            status = "IN_PROGRESS"
        out: dict[str, Any] = {
            "reportId": report.report_id,
            "reportType": report.report_type,
            "marketplaceIds": report.marketplace_ids,
            "createdTime": _iso(report.created),
            "processingStatus": status,
        }
        if report.start:
            out["dataStartTime"] = report.start
        if report.end:
            out["dataEndTime"] = report.end
        if status != "IN_QUEUE":
            out["processingStartTime"] = _iso(report.created)
        if status in ("DONE", "CANCELLED", "FATAL"):
            out["processingEndTime"] = _iso(datetime.now(UTC))
        if status == "DONE" and report.document_id:
            out["reportDocumentId"] = report.document_id
        return 200, out

    def op_getReportDocument(self, account: Account, params: dict[str, Any], body: Any) -> Answer:
        document_id = params["reportDocumentId"]
        if document_id not in self.documents:
            return _error(404, "NotFound", f"Document {document_id} not found.")
        url = f"{self.sandbox.url}{DOCUMENT_PREFIX}{document_id}"
        return 200, {"reportDocumentId": document_id, "url": url, "compressionAlgorithm": "GZIP"}
