"""The `planner` command as a person runs it: help everywhere, demo data, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from planner.cli import cli, main


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PLANNER_LOG_LEVEL", raising=False)
    return tmp_path


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every command, as click finds them (the top group imports a command when asked)."""
    paths = [prefix]
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        assert command is not None, name
        if isinstance(command, click.Group):
            paths += _command_paths(command, (*prefix, name))
        else:
            paths.append((*prefix, name))
    return paths


def test_every_command_has_help(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = _command_paths(cli)
    assert ("demo",) in paths and ("db", "upgrade") in paths
    for path in paths:
        code, out, _ = run(capsys, *path, "--help")
        assert code == 0, path
        assert "Usage:" in out
    assert not (workdir / "planner-data").exists(), "--help must not touch any data"


def test_demo_builds_the_seller_that_later_commands_read(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "demo", "--seller-only", "--variants", "40")
    assert code == 0, err
    assert "Demo seller" in out and "Variants" in out
    assert (workdir / "planner-data" / "planner.db").exists()

    code, out, _ = run(capsys, "warehouses", "--json")
    warehouses = {w["code"]: w for w in json.loads(out)}
    members = {m["warehouse"]: m for m in warehouses["NA-COMBINED"]["members"]}
    assert members["FBM-NA"] == {
        "warehouse": "FBM-NA",
        "include_sales": True,
        "include_stock": False,
    }
    assert warehouses["FBA-MX"]["enabled"] is False

    code, out, _ = run(capsys, "orders", "unknown-source", "--json")
    unknown = json.loads(out)
    assert code == 0 and unknown
    assert all(o["source"] is None and o["amazon_shipment"] for o in unknown)

    code, out, _ = run(capsys, "orders", "all", "--json")
    first = json.loads(out)
    # Rerunning the demo rebuilds the same seller rather than doubling it.
    assert run(capsys, "demo", "--seller-only", "--variants", "40")[0] == 0
    code, out, _ = run(capsys, "orders", "all", "--json")
    assert json.loads(out) == first


def test_demo_refuses_to_overwrite_someone_elses_data(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from planner.bootstrap import build_app
    from planner.domain.catalog import Variant

    (workdir / "planner.toml").write_text('[database]\nurl = "sqlite:///mine.db"\n')
    app = build_app(None)
    with app.uow() as uow:
        uow.variants.add(Variant("MY-OWN-SKU"))
        uow.commit()
    app.close()
    code, _, err = run(capsys, "demo", "--seller-only", "--variants", "20")
    assert code == 1
    assert "not the demo's" in err and "--force" in err
    app = build_app(None)
    with app.uow() as uow:
        assert [v.sku for v in uow.variants.list()] == ["MY-OWN-SKU"]
    app.close()


def test_config_typo_is_refused_with_the_key_and_exit_code_2(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "planner.toml").write_text('[sheets]\nbackedn = "xlsx"\n')
    code, out, err = run(capsys, "orders")
    assert code == 2
    assert "sheets.backedn" in err and "backend" in err
    assert "Traceback" not in out + err


def test_unknown_names_get_one_line_errors(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "demo", "--seller-only", "--variants", "20")[0] == 0
    code, _, err = run(capsys, "merge", "NO-SUCH-SKU", "ALSO-NOT")
    assert code == 1 and "unknown SKU 'NO-SUCH-SKU'" in err
    code, _, err = run(capsys, "orders", "sideways")
    assert code == 2 and "sideways" in err


def test_a_config_error_shows_the_table_names_it_mentions(
    workdir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    (workdir / "planner.toml").write_text('[slack]\nmode = "http"\n', "utf-8")
    code, _, err = run(capsys, "status")
    # "[slack]" is text to act on, not terminal markup to swallow.
    assert code == 2 and "planner.toml: [slack] bot_token_env names SLACK_BOT_TOKEN" in err


def test_db_upgrade_is_idempotent(workdir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "db", "upgrade")
    assert code == 0 and "upgraded from empty" in out
    code, out, _ = run(capsys, "db", "upgrade")
    assert code == 0 and "already at" in out
    code, out, _ = run(capsys, "db", "current")
    assert "up to date" in out


@pytest.mark.parametrize("how", ["script", "planner", "planner.cli"])
def test_the_command_reports_errors_without_traceback_however_it_is_run(
    tmp_path: Path, how: str
) -> None:
    # The installed console script, `python -m planner` and `python -m planner.cli` (which used
    # to import the module and exit 0 having done nothing) are the same command.
    script = Path(sys.executable).with_name("planner")
    assert script.exists(), "pip install -e . must install the planner command"
    command = [str(script)] if how == "script" else [sys.executable, "-m", how]
    done = subprocess.run(
        [*command, "--config", str(tmp_path / "missing.toml"), "orders"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "missing.toml" in done.stderr and "Traceback" not in done.stderr
