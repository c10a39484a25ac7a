"""The built-in sandbox speaks SP-API as the models define it, and the connector speaks it back."""

from __future__ import annotations

import gzip
import json
import time as clock
from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from typing import Any

import httpx
import pytest
from amazon_support import (
    fixture_demo_seller,  # noqa: F401  (a fixture)
    gateway,
    start_sandbox,
)
from sp_api.api import Reports
from sp_api.auth import access_token_client
from sp_api.base import Marketplaces, SellingApiBadRequestException
from sp_api.base.credential_provider import FromCodeCredentialProvider

from planner.adapters.amazon import specs
from planner.adapters.amazon.auth import TokenStore, token_client_class
from planner.adapters.amazon.sandbox import AmazonSandbox, SandboxSettings
from planner.demo import DemoSeller
from planner.ports import OrderReportKind, TimeWindow

US = "ATVPDKIKX0DER"


@pytest.fixture
def box(demo_seller: DemoSeller) -> Iterator[AmazonSandbox]:
    sandbox = start_sandbox(demo_seller, SandboxSettings(speed=1.0, validate_responses=True))
    yield sandbox
    sandbox.stop()


def _token(box: AmazonSandbox, connection: str = "amazon-na") -> str:
    creds = box.credentials(connection)
    answer = httpx.post(
        box.token_url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": creds.refresh_token,
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
        },
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def _call(box: AmazonSandbox, method: str, path: str, token: str, **kw: Any) -> httpx.Response:
    return httpx.request(method, box.url + path, headers={"x-amz-access-token": token}, **kw)


def test_reports_go_through_their_life_cycle_to_a_gzip_tsv(box: AmazonSandbox) -> None:
    token = _token(box)
    body = {"reportType": "GET_MERCHANT_LISTINGS_ALL_DATA", "marketplaceIds": [US]}
    created = _call(box, "POST", "/reports/2021-06-30/reports", token, json=body)
    assert created.status_code == 202
    report_id = created.json()["reportId"]
    first = _call(box, "GET", f"/reports/2021-06-30/reports/{report_id}", token).json()
    assert first["processingStatus"] == "IN_QUEUE"
    box.operations.reports[report_id].created_at -= 30  # 30 s later at Amazon's pace
    assert (
        _call(box, "GET", f"/reports/2021-06-30/reports/{report_id}", token).json()[
            "processingStatus"
        ]
        == "IN_PROGRESS"
    )
    box.operations.reports[report_id].created_at -= 60
    done = _call(box, "GET", f"/reports/2021-06-30/reports/{report_id}", token).json()
    assert done["processingStatus"] == "DONE"
    meta = _call(
        box, "GET", f"/reports/2021-06-30/documents/{done['reportDocumentId']}", token
    ).json()
    assert meta["compressionAlgorithm"] == "GZIP"
    download = httpx.get(meta["url"])
    data = gzip.decompress(download.content)
    # North America's listings report: UTF-8 with a byte-order mark, as Amazon sends it.
    assert data.startswith(b"\xef\xbb\xbf") and "charset=UTF-8" in download.headers["content-type"]
    header = data.decode("utf-8-sig").split("\n")[0].split("\t")
    assert header[:4] == ["item-name", "item-description", "listing-id", "seller-sku"]
    assert box.stats.rejections == [] and box.stats.response_problems == []


def test_an_order_report_without_orders_is_cancelled_as_at_amazon(
    demo_seller: DemoSeller,
) -> None:
    box = start_sandbox(demo_seller)
    try:
        gw = gateway(box, "amazon-na")
        first = datetime.combine(demo_seller.history.start, time(0), tzinfo=UTC)
        windows = [TimeWindow(first - timedelta(days=400), first - timedelta(days=300))]
        got = list(gw.sold_lines([US], windows, by=OrderReportKind.ORDER_DATE))
        gw.close()
        assert got == [(windows[0], [])]
        report = next(iter(box.operations.reports.values()))
        assert report.outcome == "CANCELLED" and report.document_id is None
    finally:
        box.stop()


def test_the_sandbox_enforces_each_operations_usage_plan(box: AmazonSandbox) -> None:
    token = _token(box)
    spec = specs.operation("getInventorySummaries")
    assert (spec.rate, spec.burst) == (2.0, 2)  # from the model's usage plan table
    params = {"granularityType": "Marketplace", "granularityId": US, "marketplaceIds": US}
    answers = [
        _call(box, "GET", "/fba/inventory/v1/summaries", token, params=params) for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[2].headers["x-amzn-RateLimit-Limit"] == "2"
    assert answers[2].json()["errors"][0]["code"] == "QuotaExceeded"
    assert box.stats.throttled["getInventorySummaries"] == 1
    clock.sleep(0.6)  # half a second refills one token at 2 per second
    assert _call(box, "GET", "/fba/inventory/v1/summaries", token, params=params).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "says"),
    [
        (  # a required parameter missing
            "GET",
            "/fba/inventory/v1/summaries",
            {"params": {"granularityId": US, "marketplaceIds": US}},
            "Missing required parameter granularityType",
        ),
        (  # what python-amazon-sp-api adds on its own: parameters the model does not define
            "GET",
            "/reports/2021-06-30/reports/123",
            {"params": {"MarketplaceId": US, "marketplace_ids": US}},
            "Unknown query parameter",
        ),
        (  # a body field the model does not list
            "POST",
            "/reports/2021-06-30/reports",
            {
                "json": {
                    "reportType": "GET_MERCHANT_LISTINGS_ALL_DATA",
                    "marketplaceIds": [US],
                    "format": "tsv",
                }
            },
            "Additional properties are not allowed",
        ),
        (  # a wrong type
            "GET",
            "/inbound/fba/2024-03-20/inboundPlans",
            {"params": {"pageSize": "many"}},
            "must be a integer",
        ),
        (  # outside the model's bounds (an inbound plan id is 38 characters)
            "GET",
            "/inbound/fba/2024-03-20/inboundPlans/wf12345",
            {},
            "is too short",
        ),
    ],
)
def test_requests_the_model_refuses_get_amazons_400(
    box: AmazonSandbox, method: str, path: str, kwargs: dict[str, Any], says: str
) -> None:
    answer = _call(box, method, path, _token(box), **kwargs)
    assert answer.status_code == 400
    error = answer.json()["errors"][0]
    assert error["code"] == "InvalidInput" and says in error["message"]
    assert len(box.stats.rejections) == 1


def test_the_librarys_own_get_report_would_be_refused(box: AmazonSandbox) -> None:
    """Why the connector sends getReport itself: the library adds marketplace ids to it."""
    creds = box.credentials("amazon-na")
    with httpx.Client() as http:
        client = Reports(
            Marketplaces.US,
            refresh_token=creds.refresh_token,
            credentials={"lwa_app_id": creds.client_id, "lwa_client_secret": creds.client_secret},
            credential_providers=[FromCodeCredentialProvider],
            auth_token_client_class=token_client_class(
                box.token_url, TokenStore(), http, lambda: None
            ),
        )
        client.endpoint = box.url
        with pytest.raises(SellingApiBadRequestException):
            client.get_report("123")
        client.close()
    assert "Unknown query parameter" in box.stats.rejections[0][1]


_USED = (
    "getMarketplaceParticipations",
    "createReport",
    "getReport",
    "getReportDocument",
    "getShipments",
    "getShipmentItemsByShipmentId",
    "listInboundPlans",
    "getInboundPlan",
    "getShipment",
)


def test_the_models_static_examples_replay_against_the_sandbox(demo_seller: DemoSeller) -> None:
    box = start_sandbox(demo_seller, SandboxSettings(speed=10_000.0, static_examples=True))
    try:
        token = _token(box)
        replayed = 0
        for name in _USED:
            op = specs.operation(name)
            for example in op.static_examples:
                if example.status >= 400:
                    continue
                path, query, body = op.path, {}, None
                for p in op.parameters:
                    if p.name not in example.parameters:
                        continue
                    value = example.parameters[p.name]
                    if p.location == "path":
                        path = path.replace("{" + p.name + "}", str(value))
                    elif p.location == "query":
                        query[p.name] = (
                            ",".join(map(str, value)) if isinstance(value, list) else value
                        )
                    elif p.location == "body":
                        body = value
                answer = _call(box, op.method, path, token, params=query, json=body)
                assert answer.status_code == example.status, (name, answer.text)
                assert answer.json() == example.response, name
                replayed += 1
        assert replayed >= len(_USED)
        assert box.stats.rejections == []
    finally:
        box.stop()


def test_each_connector_keeps_its_own_access_token(demo_seller: DemoSeller) -> None:
    """The library caches tokens module-wide by refresh token; two sandboxes would share one."""
    first, second = start_sandbox(demo_seller), start_sandbox(demo_seller)
    try:
        for box in (first, second):
            gw = gateway(box, "amazon-na")
            assert [m.country_code for m in gw.participations()] == ["US", "CA", "MX"]
            assert gw.stats.requests["lwa:token"] == 1
            gw.close()
        assert len(access_token_client.cache) == 0
    finally:
        first.stop()
        second.stop()


def test_sp_api_default_marketplace_changes_nothing(
    demo_seller: DemoSeller, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SP_API_DEFAULT_MARKETPLACE", "JP")
    box = start_sandbox(demo_seller)
    try:
        gw = gateway(box, "amazon-eu")
        markets = [m for m, _ in gw.listings(["A1PA6795UKMFR9"])]
        rows = [r for page in gw.fba_inventory("A1PA6795UKMFR9") for r in page]
        gw.close()
        assert markets == ["A1PA6795UKMFR9"] and rows
        assert {r.marketplace_id for r in rows} == {"A1PA6795UKMFR9"}
        assert box.stats.rejections == []
    finally:
        box.stop()


def test_login_refuses_unknown_clients_in_amazons_words(box: AmazonSandbox) -> None:
    answer = httpx.post(
        box.token_url,
        data={
            "grant_type": "refresh_token",
            "refresh_token": "Atzr|nope",
            "client_id": "x",
            "client_secret": "y",
        },
    )
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"
    denied = _call(box, "GET", "/sellers/v1/marketplaceParticipations", "Atza|forged")
    assert denied.status_code == 403
    assert json.loads(denied.text)["errors"][0]["code"] == "Unauthorized"
