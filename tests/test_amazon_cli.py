"""`planner sync`, `planner amazon …` and `planner sandbox serve` as a person runs them."""

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
from amazon_support import (
    fixture_demo_seller,  # noqa: F401  (a fixture)
    start_sandbox,
)

from planner.adapters.amazon.sandbox import AmazonSandbox
from planner.cli import main
from planner.demo import DemoSeller


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PLANNER_LOG_LEVEL", raising=False)
    return tmp_path


@pytest.fixture
def box(demo_seller: DemoSeller) -> Iterator[AmazonSandbox]:
    sandbox = start_sandbox(demo_seller)
    yield sandbox
    sandbox.stop()


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def sp_api_config(workdir: Path, box: AmazonSandbox, monkeypatch: pytest.MonkeyPatch) -> str:
    """planner.toml in sp-api mode pointed at the sandbox; credentials in the environment."""
    creds = box.credentials("amazon-na")
    (workdir / "planner.toml").write_text(
        "[amazon]\n"
        'mode = "sp-api"\n'
        f'endpoint = "{box.url}"\n'
        f'lwa_endpoint = "{box.token_url}"\n'
        "[[amazon.connections]]\n"
        'name = "amazon-na"\n'
        'region = "NA"\n'
        'marketplaces = ["US", "CA", "MX"]\n'
        'refresh_token_env = "TEST_REFRESH_TOKEN_NA"\n'
    )
    monkeypatch.setenv("SP_API_CLIENT_ID", creds.client_id)
    monkeypatch.setenv("SP_API_CLIENT_SECRET", creds.client_secret)
    monkeypatch.setenv("TEST_REFRESH_TOKEN_NA", creds.refresh_token)
    return creds.client_secret


def test_sync_talks_to_the_sp_api_server_the_config_names(
    workdir: Path,
    box: AmazonSandbox,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sp_api_config(workdir, box, monkeypatch)
    code, out, err = run(capsys, "sync")
    assert code == 0, err
    assert "amazon-na" in out and "orders" in out and "SP-API requests" in out
    code, out, _ = run(capsys, "amazon", "status", "--json")
    assert {s["kind"] for s in json.loads(out)} == {"listings", "inventory", "orders", "inbound"}
    code, out, _ = run(capsys, "orders", "unknown-source", "--json")
    assert code == 0 and json.loads(out)
    code, out, _ = run(capsys, "amazon", "check", "--json")
    check = json.loads(out)[0]
    assert [m["country_code"] for m in check["marketplaces"]] == ["US", "CA", "MX"]
    assert {w["code"] for w in check["warehouses"]} == {"FBA-US", "FBA-CA", "FBA-MX", "FBM-NA"}
    assert box.stats.rejections == [] and dict(box.stats.throttled) == {}


def test_a_sync_while_another_is_running_is_refused_and_asks_nothing_of_amazon(
    workdir: Path,
    box: AmazonSandbox,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from planner.bootstrap import build_app

    sp_api_config(workdir, box, monkeypatch)
    app = build_app(workdir / "planner.toml")
    other = app.sync_lease()  # this live process stands in for the daily cycle's sync
    assert other.take(now=int(time.time()), seconds=120)
    before = dict(box.stats.requests)
    try:
        code, _, err = run(capsys, "sync")
    finally:
        other.release()
        app.close()
    assert code == 1 and "another Amazon sync is running right now" in err
    assert dict(box.stats.requests) == before
    assert run(capsys, "sync")[0] == 0  # once it is done, the next sync goes ahead


def test_a_failed_sync_says_which_step_in_one_line_without_secrets(
    workdir: Path,
    box: AmazonSandbox,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sp_api_config(workdir, box, monkeypatch)
    monkeypatch.setenv("SP_API_CLIENT_SECRET", "wrong-secret-value")
    code, out, err = run(capsys, "sync")
    assert code == 1
    assert "failed at step 'listings'" in err and "refused the credentials" in err
    assert "Traceback" not in out + err and "wrong-secret-value" not in out + err
    log = (workdir / "planner-data" / "planner.log").read_text()
    assert "wrong-secret-value" not in log


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_sandbox_serve_serves_the_demo_seller_until_stopped(tmp_path: Path) -> None:
    port = _free_port()
    script = Path(sys.executable).with_name("planner")
    env = {k: v for k, v in os.environ.items() if k != "PLANNER_LOG_LEVEL"}
    server = subprocess.Popen(
        [str(script), "sandbox", "serve", "--port", str(port), "--variants", "20"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            try:
                token = httpx.post(
                    f"{base}/auth/o2/token",
                    data={
                        "grant_type": "refresh_token",
                        "refresh_token": "any-refresh-token",
                        "client_id": "any-client",
                        "client_secret": "any-secret",
                    },
                )
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read() if server.stderr else ""
                assert time.monotonic() < deadline, "the sandbox did not start"
                time.sleep(0.2)
        assert token.status_code == 200
        access = token.json()["access_token"]
        markets = httpx.get(
            f"{base}/sellers/v1/marketplaceParticipations", headers={"x-amz-access-token": access}
        ).json()["payload"]
        assert {m["marketplace"]["countryCode"] for m in markets} >= {"US", "DE"}
    finally:
        server.send_signal(signal.SIGINT)
        out, _ = server.communicate(timeout=30)
    assert server.returncode == 0 and "stopped" in out


def test_amazon_check_shows_each_connections_pools(
    workdir: Path,
    box: AmazonSandbox,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Pan-EU (and EFN) pools DE, FR, IT, ES; the UK pools alone; NA only with remote
    fulfilment, which this NA account says it uses."""
    sp_api_config(workdir, box, monkeypatch)
    eu = box.credentials("amazon-eu")
    with (workdir / "planner.toml").open("a", encoding="utf-8") as f:
        f.write(
            "remote_fulfillment = true\n"
            "[[amazon.connections]]\n"
            'name = "amazon-eu"\n'
            'region = "EU"\n'
            'marketplaces = ["GB", "DE", "FR", "IT", "ES"]\n'
            'refresh_token_env = "TEST_REFRESH_TOKEN_EU"\n'
        )
    monkeypatch.setenv("TEST_REFRESH_TOKEN_EU", eu.refresh_token)
    code, out, err = run(capsys, "amazon", "check", "--json")
    assert code == 0, err
    checks = {c["connection"]: c for c in json.loads(out)}

    def pools(name: str) -> dict[str, set[str]]:
        return {p: set(codes) for p, codes in checks[name]["pools"].items()}

    assert pools("amazon-na") == {"NA-REMOTE": {"FBA-US", "FBA-CA", "FBA-MX"}}
    assert pools("amazon-eu") == {
        "PAN-EU": {"FBA-DE", "FBA-FR", "FBA-IT", "FBA-ES"},
        "UK": {"FBA-GB"},
    }
    of = {w["code"]: w["pool"] for w in checks["amazon-eu"]["warehouses"]}
    assert of["FBA-DE"] == "PAN-EU" and of["FBA-GB"] == "UK" and of["FBM-EU"] is None
    code, out, err = run(capsys, "amazon", "check")
    assert code == 0, err
    assert "amazon-eu: pool PAN-EU: Amazon answers one FBA stock for FBA-" in out
    assert "amazon-eu: pool UK: Amazon answers one FBA stock for FBA-GB;" in out
    assert "pool NA-REMOTE" in out
    assert box.stats.rejections == []


def test_amazon_check_says_when_nothing_is_pooled(
    workdir: Path,
    box: AmazonSandbox,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sp_api_config(workdir, box, monkeypatch)
    code, out, err = run(capsys, "amazon", "check", "--json")
    assert code == 0, err
    check = json.loads(out)[0]
    assert check["pools"] == {} and {w["pool"] for w in check["warehouses"]} == {None}
    code, out, _ = run(capsys, "amazon", "check")
    assert "amazon-na: no pooled FBA stock" in out
