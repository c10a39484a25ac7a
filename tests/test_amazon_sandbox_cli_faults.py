"""`planner sandbox serve --fault …`: a misbehaving Amazon from the command line, and the
sandbox's request validation as strict as the models (RFC 3339 date-times with seconds)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from amazon_support import FAST_POLL, FAST_RETRY

from planner.adapters.amazon.errors import AmazonPagingBroken
from planner.adapters.amazon.gateway import GatewaySettings, SpApiGateway
from planner.adapters.amazon.sandbox.validation import Rejected, validate_request
from planner.cli import main

US = "ATVPDKIKX0DER"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(name="served")
def fixture_served(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`planner sandbox serve` as a real process with two faults, until the test ends."""
    port = _free_port()
    script = Path(sys.executable).with_name("planner")
    env = {k: v for k, v in os.environ.items() if k != "PLANNER_LOG_LEVEL"}
    faults = [
        "getMarketplaceParticipations:error503:1",
        "getInventorySummaries:repeat_token:always",
    ]
    args = [str(script), "sandbox", "serve", "--port", str(port), "--variants", "20"]
    for spec in faults:
        args += ["--fault", spec]
    server = subprocess.Popen(
        args, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                httpx.get(base + "/")
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "the sandbox did not start"
                time.sleep(0.2)
        yield base, server
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=30)


def _gateway(base: str) -> SpApiGateway:
    return SpApiGateway(
        GatewaySettings(
            endpoint=base,
            token_url=base + "/auth/o2/token",
            client_id="any-client",
            client_secret="any-secret",
            refresh_token="any-refresh-token",  # open mode: the whole seller
            timeout=10.0,
            poll=FAST_POLL,
            retry=FAST_RETRY,
        )
    )


def test_a_fault_given_on_the_command_line_is_what_a_client_sees(
    served: tuple[str, subprocess.Popen[str]],
) -> None:
    base, server = served
    gw = _gateway(base)
    try:
        markets = gw.participations()  # the first answer is a 503; the retry gets through
        assert {m.country_code for m in markets} >= {"US", "DE"}
        assert gw.stats.retries["getMarketplaceParticipations"] == 1
        with pytest.raises(AmazonPagingBroken, match="getInventorySummaries gave the same page"):
            list(gw.fba_inventory(US))
    finally:
        gw.close()
    server.send_signal(signal.SIGINT)
    out, _ = server.communicate(timeout=30)
    assert "fault: getMarketplaceParticipations answers error503, 1 time(s)" in out
    assert "fault: getInventorySummaries answers repeat_token, every time" in out
    assert server.returncode == 0 and "stopped" in out


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("nosuchOperation:throttle", "unknown operation 'nosuchOperation'; one of *, lwa"),
        ("getReport:sometimes", "unknown fault kind 'sometimes'; one of throttle, error500"),
        ("getReport", "is not OPERATION:KIND[:TIMES[:SECONDS]]"),
        ("getReport:throttle:0", "TIMES must be a whole number from 1 or 'always'"),
        ("getReport:slow:1:soon", "SECONDS must be a number from 0 to 3600"),
        ("getReport:fatal", "a fatal fault applies only to createReport"),
        ("getReport:repeat_token", "a repeat_token fault applies only to *, getInventorySummaries"),
        ("document:throttle", "document can fail only as truncate, malformed"),
    ],
)
def test_a_bad_fault_spec_is_refused_naming_what_is_valid(
    capsys: pytest.CaptureFixture[str], spec: str, says: str
) -> None:
    code = main(["sandbox", "serve", "--port", "0", "--fault", spec])
    err = capsys.readouterr().err
    assert code == 2
    assert "Invalid value for '--fault'" in err and says in err
    assert "Traceback" not in err


def _transport_body(start: str) -> bytes:
    shipment = {"shipmentId": "sh" + "0" * 36, "readyToShipWindow": {"start": start}}
    body = {
        "placementOptionId": "pl" + "0" * 36,
        "shipmentTransportationConfigurations": [shipment],
    }
    return json.dumps(body).encode()


PATH = {"inboundPlanId": "wf" + "0" * 36}


def test_a_date_time_without_seconds_is_refused_as_the_model_says() -> None:
    with pytest.raises(
        Rejected, match="readyToShipWindow/start: '2026-12-07T08:56Z' is not a 'date-time'"
    ):
        validate_request(
            "generateTransportationOptions", PATH, "", {}, _transport_body("2026-12-07T08:56Z")
        )
    for start in ("2026-12-07T08:56:00Z", "2026-12-07T09:56:00.5+01:00"):
        _, body = validate_request(
            "generateTransportationOptions", PATH, "", {}, _transport_body(start)
        )
        assert body["shipmentTransportationConfigurations"][0]["readyToShipWindow"]["start"]


def test_a_query_date_time_without_an_offset_is_refused() -> None:
    query = "QueryType=DATE_RANGE&MarketplaceId=ATVPDKIKX0DER&LastUpdatedAfter=2026-12-01T00:00:00"
    query += "&LastUpdatedBefore=2026-12-02T00:00:00Z"
    with pytest.raises(Rejected, match="LastUpdatedAfter"):
        validate_request("getShipments", {}, query, {}, b"")


def test_the_help_names_every_fault_kind_the_sandbox_has(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from planner.adapters.amazon.sandbox.settings import FAULT_KINDS

    assert main(["sandbox", "serve", "--help"]) == 0
    shown = " ".join(capsys.readouterr().out.split())
    assert [k for k in FAULT_KINDS if k not in shown] == []
