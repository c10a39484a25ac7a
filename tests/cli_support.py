"""Running planner's command line in-process on a copy of the demo seller, as the tests of
commands people type share it."""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from slack_standin import demo_store, write_config
from sqlalchemy.engine import Engine

from planner.cli import main
from planner.store.admin import reset
from planner.store.database import make_engine


def run(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> tuple[int, str, str]:
    """`planner --config CONFIG ARGS…`: exit code, stdout, stderr."""
    code = main(["--config", str(config), *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_joined(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> tuple[int, str]:
    """As `run`, with stdout and stderr as one text (what a person sees in the terminal)."""
    code, out, err = run(capsys, config, *args)
    return code, out + err


def empty_store(tmp_path: Path) -> tuple[Engine, Path]:
    """A new, empty store in TMP/data and the planner.toml that names it: (engine, config)."""
    data = tmp_path / "data"
    data.mkdir()
    engine = make_engine(f"sqlite:///{data / 'planner.db'}")
    reset(engine)
    config = tmp_path / "planner.toml"
    config.write_text(f'[paths]\ndata_dir = "{data}"\n', "utf-8")
    return engine, config


@pytest.fixture(name="seller_db", scope="module")
def fixture_seller_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo seller's database (no plan yet), built once; each test works on a copy."""
    directory = tmp_path_factory.mktemp("seller")
    config = directory / "planner.toml"
    config.write_text(f'[paths]\ndata_dir = "{directory / "data"}"\n', "utf-8")
    assert main(["--config", str(config), "demo", "--seller-only", "--variants", "20"]) == 0
    return directory / "data" / "planner.db"


@pytest.fixture(name="shop")
def fixture_shop(seller_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A config on this test's own copy of the demo seller."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(seller_db, data / "planner.db")
    config = tmp_path / "planner.toml"
    config.write_text(f'[paths]\ndata_dir = "{data}"\n', "utf-8")
    capsys.readouterr()
    return config


@pytest.fixture(name="config")
def fixture_console_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The demo store with the bot in console mode (no Slack at all: nothing answers at the
    Web API address), run from tmp_path."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PLANNER_LOG_LEVEL", raising=False)
    demo_store(tmp_path)
    return write_config(tmp_path, "http://127.0.0.1:9/api/", port=3000, mode="console")


@pytest.fixture(name="restore_logging")
def fixture_restore_logging(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The root logger's handlers and level as they were (a command configures logging), the
    libraries' levels planner quiets put back, and no PLANNER_LOG_LEVEL from the environment."""
    monkeypatch.delenv("PLANNER_LOG_LEVEL", raising=False)
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    for name in ("urllib3", "sp_api", "slack_sdk", "slack_bolt"):
        logging.getLogger(name).setLevel(logging.NOTSET)
