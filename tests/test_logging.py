"""planner.log as a person reads it: every step with counts and time, rotated, no secrets; a
secret too short to redact is refused; a crash names the log file really configured."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from cli_support import (  # noqa: F401  (fixtures)
    fixture_restore_logging,
    fixture_seller_db,
    fixture_shop,
    run,
)

from planner.cli import State, cli, main
from planner.config import load_config
from planner.logging_setup import configure_logging

pytestmark = pytest.mark.usefixtures("restore_logging")


def log_of(config: Path) -> str:
    return (config.parent / "data" / "planner.log").read_text(encoding="utf-8")


def test_sync_plan_and_publish_each_log_a_start_and_an_end_with_counts(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in ("sync", "plan", "publish"):
        code, _, err = run(capsys, shop, command)
        assert code == 0, err
        assert "INFO" not in err  # the terminal is not flooded: the steps are in the file

    text = log_of(shop)
    for connection in ("amazon-na", "amazon-eu"):
        assert f"sync {connection}: started" in text
        end = re.search(
            rf"sync {connection}: (\d+) requests, (\d+) listings, (\d+) order lines, "
            r"(\d+) shipments, \d+\.\d s$",
            text,
            re.MULTILINE,
        )
        assert end is not None, text
        assert int(end[1]) > 0 and int(end[3]) > 0
        assert re.search(rf"sync {connection} orders: \d+ reports, .*, \d+\.\d s$", text, re.M)
    planned = re.search(r"plan: plan 1 for \S+: (\d+) rows, (\d+) to order, \d+\.\d s$", text, re.M)
    assert planned is not None, text
    assert int(planned[1]) >= int(planned[2]) > 0
    assert text.index("plan: started") < planned.start()
    published = re.search(r"publish: plan 1 to (.+review\.xlsx): (.+), \d+\.\d s$", text, re.M)
    assert published is not None, text
    assert (shop.parent / "data" / "review.xlsx").exists()


def test_approve_and_a_refused_push_are_in_the_log(
    shop: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, shop, "plan")[0] == 0
    assert run(capsys, shop, "publish")[0] == 0
    assert run(capsys, shop, "approve")[0] == 0
    assert run(capsys, shop, "push", "PO-9999")[0] != 0

    text = log_of(shop)
    assert re.search(r"approve: created 0 order\(s\), 0 row\(s\) refused, .*\d\.\d s$", text, re.M)
    assert re.search(r"INFO .*push: FAILED after \d+\.\d s: .*PO-9999", text), text


def test_the_log_file_rotates_at_the_configured_size(tmp_path: Path) -> None:
    (tmp_path / "planner.toml").write_text(
        "[logging]\nmax_bytes = 2000\nbackup_count = 2\n", encoding="utf-8"
    )
    settings = load_config(None, cwd=tmp_path, environ={}).logging
    assert (settings.max_bytes, settings.backup_count) == (2000, 2)

    configure_logging(
        "INFO",
        log_file=settings.file,
        secrets=[],
        max_bytes=settings.max_bytes,
        backup_count=settings.backup_count,
    )
    for n in range(200):
        logging.getLogger("planner.test").info("line %d of a long day's work", n)

    files = sorted(p.name for p in settings.file.parent.glob("planner.log*"))
    assert files == ["planner.log", "planner.log.1", "planner.log.2"]
    assert all(p.stat().st_size <= 2000 for p in settings.file.parent.glob("planner.log*"))
    assert "line 199 of" in settings.file.read_text(encoding="utf-8")


def test_rotation_settings_must_be_sensible(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "planner.toml"
    config.write_text("[logging]\nmax_bytes = 0\n", encoding="utf-8")

    code, _, err = run(capsys, config, "status")

    assert code == 2
    assert "logging.max_bytes" in err


@pytest.mark.parametrize(
    ("variable", "value", "names"),
    [
        ("SP_API_CLIENT_SECRET", "x", "[amazon] client_secret_env names SP_API_CLIENT_SECRET"),
        ("SLACK_BOT_TOKEN", "xoxb-1", "[slack] bot_token_env names SLACK_BOT_TOKEN"),
    ],
)
def test_a_secret_too_short_to_redact_is_refused_at_start_up(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    variable: str,
    value: str,
    names: str,
) -> None:
    monkeypatch.setenv(variable, value)
    config = tmp_path / "planner.toml"
    config.write_text(f'[paths]\ndata_dir = "{tmp_path / "data"}"\n', encoding="utf-8")

    code, out, err = run(capsys, config, "status")

    assert code == 2
    assert names in err
    assert f"only {len(value)} character(s); a secret needs at least 8" in err
    assert "Traceback" not in err and out == ""
    assert not (tmp_path / "data").exists()  # refused before anything was written


def test_a_short_database_password_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "planner.toml"
    config.write_text('[database]\nurl = "postgresql://planner:pw@db/planner"\n', "utf-8")

    code, _, err = run(capsys, config, "status")

    assert code == 2
    assert "database.url: the password in the URL has only 2 character(s)" in err


@pytest.fixture
def crashing_command() -> Iterator[str]:
    """A command (of this test only) that hits a bug after the application is built."""

    @click.command("crash-for-test")
    @click.pass_obj
    def crash(state: State) -> None:
        assert state.app is not None
        raise RuntimeError("something planner did not expect")

    cli.add_command(crash)
    yield "crash-for-test"
    cli.commands.pop("crash-for-test")


def test_a_crash_names_the_log_file_that_is_configured(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], crashing_command: str
) -> None:
    log_file = tmp_path / "logs" / "ops.log"
    config = tmp_path / "planner.toml"
    config.write_text(
        f'[paths]\ndata_dir = "{tmp_path / "data"}"\n[logging]\nfile = "{log_file}"\n', "utf-8"
    )

    code = main(["--config", str(config), crashing_command])
    err = capsys.readouterr().err

    assert code == 1
    assert f"the log file has the details ({log_file})" in err
    assert "planner-data/planner.log" not in err
    assert "Traceback" not in err  # the terminal has the gist; the file has the traceback
    logged = log_file.read_text("utf-8")
    assert "Traceback" in logged
    assert "RuntimeError: something planner did not expect" in logged
