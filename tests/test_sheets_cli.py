"""`planner publish` and `planner approve` as people run them, on both kinds of sheet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from openpyxl import load_workbook
from sheets_standin import running
from test_sheets_google import ACCOUNT
from test_sheets_review import A, B, edit, save_plan, seed_catalog, standard_recs

from planner.cli import main
from planner.store.database import make_engine
from planner.store.migrate import upgrade
from planner.store.uow import SqlUnitOfWork


def run(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--config", str(config), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def setup_store(tmp_path: Path, *, plan: bool = True) -> str:
    url = f"sqlite:///{tmp_path / 'planner.db'}"
    engine = make_engine(url)
    upgrade(engine)
    uow = SqlUnitOfWork(engine)
    seed_catalog(uow)
    if plan:
        save_plan(uow, standard_recs())
    engine.dispose()
    return url


@pytest.fixture
def xlsx_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    url = setup_store(tmp_path)
    config = tmp_path / "planner.toml"
    config.write_text(f'[database]\nurl = "{url}"\n\n[sheets]\nbackend = "xlsx"\npath = "r.xlsx"\n')
    return config


def test_publish_then_approve_with_a_refused_row_exits_zero(
    xlsx_config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, xlsx_config, "publish")
    assert code == 0, err
    workbook = tmp_path / "r.xlsx"
    header = [c.value for c in load_workbook(workbook)["Purchases"][1]]
    assert {"Row key", "SKU", "Warehouse", "Order qty", "Approve", "Status"} <= set(header)
    edit(workbook, "Purchases", {A: {"Approve": True}, B: {"Approve": True, "Order qty": "ten"}})

    code, out, _ = run(capsys, xlsx_config, "approve", "--dry-run")
    assert code == 0 and "would create 1 order" in out and "nothing was changed" in out

    code, out, _ = run(capsys, xlsx_config, "approve", "--as", "bob", "--json")
    report = json.loads(out)
    assert code == 0 and [o["number"] for o in report["created"]] == ["PO-1001"]
    assert report["refused"][0]["row_key"] == B and "not a number" in report["refused"][0]["reason"]

    code, out, _ = run(capsys, xlsx_config, "approve")
    assert code == 0 and "already ordered" in out
    code, out, _ = run(capsys, xlsx_config, "orders", "all", "--json")
    assert [o["number"] for o in json.loads(out)] == ["PO-1001"]


def test_publish_without_a_plan_says_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    url = setup_store(tmp_path, plan=False)
    config = tmp_path / "planner.toml"
    config.write_text(f'[database]\nurl = "{url}"\n')
    code, _, err = run(capsys, config, "publish")
    assert code == 1 and "planner plan" in err


def test_publish_to_google_through_the_configured_stand_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    url = setup_store(tmp_path)
    pem = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with running() as (state, base):
        account = tmp_path / "sa.json"
        account.write_text(
            json.dumps(
                {
                    "type": "service_account",
                    "private_key": pem.decode(),
                    "client_email": ACCOUNT,
                    "token_uri": f"{base}/token",
                }
            )
        )
        key = state.create()
        config = tmp_path / "planner.toml"
        config.write_text(
            f'[database]\nurl = "{url}"\n\n[sheets]\nbackend = "google"\n'
            f'spreadsheet_key = "{key}"\nservice_account_file = "{account}"\n'
            f'api_base_url = "{base}"\n'
        )
        code, out, err = run(capsys, config, "publish")
        assert code == 0, err
        assert f"google-sheet:{key}" in out
        assert state.values(key, "Purchases")[1][1] == "TEA-A"
