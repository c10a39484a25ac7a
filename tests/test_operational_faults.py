"""Faults of the machine, not of planner: a read-only or corrupt database, PostgreSQL down, a data
directory under a file, a log that cannot be written. Each is one message naming the fix, a
non-zero exit, and the data as it was; never a traceback or "this is a bug in planner"."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cli_support import fixture_seller_db, run  # noqa: F401  (fixture)

ROOT = os.geteuid() == 0 if hasattr(os, "geteuid") else False


def assert_one_clear_message(err: str, *, says: str, fix: str) -> None:
    """One error line (and its fix), saying what went wrong and what to do."""
    lines = [line for line in err.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1, err
    assert says in errors[0], err
    assert any(line.strip().startswith("fix:") and fix in line for line in lines), err
    assert "Traceback" not in err and "bug in planner" not in err, err
    assert len(lines) <= 2, err


def write_config(tmp_path: Path, body: str) -> Path:
    config = tmp_path / "planner.toml"
    config.write_text(body, encoding="utf-8")
    return config


@pytest.fixture(name="seller_copy")
def fixture_seller_copy(seller_db: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "store" / "planner.db"
    copy.parent.mkdir()
    shutil.copy(seller_db, copy)
    return copy


@pytest.mark.parametrize("how", ["read-only connection", "read-only file"])
def test_a_read_only_database_names_the_fix_and_is_left_unchanged(
    seller_copy: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    if how == "read-only file":
        if ROOT:
            pytest.skip("root writes read-only files anyway")
        seller_copy.chmod(0o444)
        seller_copy.parent.chmod(0o555)
        url = f"sqlite:///{seller_copy}"
    else:  # what a read-only mount or file looks like to SQLite, whoever runs the test
        url = f"sqlite:///file:{seller_copy}?mode=ro&uri=true"
    before = seller_copy.read_bytes()
    config = write_config(
        tmp_path, f'[database]\nurl = "{url}"\n[paths]\ndata_dir = "{tmp_path / "data"}"\n'
    )

    try:
        code, _, err = run(capsys, config, "plan")
    finally:
        seller_copy.parent.chmod(0o755)

    assert code == 1
    assert_one_clear_message(
        err, says="attempt to write a readonly database", fix="make the database file"
    )
    assert str(seller_copy) in err
    assert seller_copy.read_bytes() == before


def test_a_corrupt_database_file_is_named_and_not_touched(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    database = data / "planner.db"
    database.write_bytes(os.urandom(64 * 1024))
    before = database.read_bytes()
    config = write_config(tmp_path, f'[paths]\ndata_dir = "{data}"\n')

    done = subprocess.run(
        [sys.executable, "-m", "planner", "--config", str(config), "status"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert done.returncode == 1
    assert_one_clear_message(
        done.stderr, says=f"the database {database} is damaged or not a database", fix="backup"
    )
    assert database.read_bytes() == before


def test_postgresql_down_says_to_start_the_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write_config(
        tmp_path,
        '[database]\nurl = "postgresql://planner@127.0.0.1:1/planner"\n'
        f'[paths]\ndata_dir = "{tmp_path / "data"}"\n',
    )

    code, out, err = run(capsys, config, "orders")

    assert code == 1
    assert_one_clear_message(
        err, says="postgresql+psycopg://planner@127.0.0.1:1/planner", fix="start the database"
    )
    assert "Connection refused" in err and out == ""


def test_a_data_dir_under_a_regular_file_names_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file, not a directory\n", encoding="utf-8")
    config = write_config(tmp_path, f'[paths]\ndata_dir = "{blocker / "data"}"\n')

    code, _, err = run(capsys, config, "status")

    assert code == 2
    assert_one_clear_message(err, says="paths.data_dir", fix="[paths] data_dir")
    assert blocker.read_text(encoding="utf-8") == "a file, not a directory\n"


@pytest.mark.parametrize("how", ["under a file", "read-only directory"])
def test_a_log_that_cannot_be_written_names_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    if how == "under a file":
        blocker = tmp_path / "logs"
        blocker.write_text("", encoding="utf-8")
        log_file = blocker / "planner.log"
    else:
        if ROOT:
            pytest.skip("root writes into read-only directories anyway")
        locked = tmp_path / "logs"
        locked.mkdir(mode=0o555)
        log_file = locked / "planner.log"
    config = write_config(
        tmp_path,
        f'[paths]\ndata_dir = "{tmp_path / "data"}"\n[logging]\nfile = "{log_file}"\n',
    )

    code, _, err = run(capsys, config, "status")

    assert code == 2
    assert_one_clear_message(err, says=f"logging.file: cannot write the log file {log_file}",
                             fix="[logging] file")  # fmt: skip
    assert not log_file.exists()
