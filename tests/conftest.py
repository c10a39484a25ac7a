"""Shared fixtures: a migrated store on SQLite and, where reachable, on PostgreSQL."""

from __future__ import annotations

import os
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from planner.store.admin import reset
from planner.store.database import make_engine, normalise_url
from planner.store.uow import SqlUnitOfWork

PG_DEFAULT = "postgresql://postgres@127.0.0.1:5432/test"

# A shell that starts the suite in the background (`make test &`, nohup) hands it an ignored
# Ctrl-C, and every command a test starts inherits that: the tests that stop `planner sandbox
# serve` or `planner serve` with SIGINT would then wait on a process that cannot hear it. Give
# the suite, and through it the commands it starts, Ctrl-C back.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


# The files that take longest run first, so the two workers of `make unit` (pytest-xdist, one
# file at a time each) finish together instead of one running a two-minute file alone at the end.
# Longest first, from a full run's timings on 2026-12-07 (seconds summed over each file's tests:
# 154, 154, 92, 89, 88, 66, 53, 51, 50, 49); every other file follows in its usual order. `make
# unit` passes --no-loadscope-reorder, or xdist would order files by how many tests they hold.
SLOWEST_FIRST = (
    "test_supply_ledger_machine",
    "test_readme",
    "test_queue",
    "test_amazon_push_recovery",
    "test_amazon_push_killed",
    "test_killed",
    "test_amazon_push_shipments",
    "test_amazon_push_choices",
    "test_demo_story",
    "test_amazon_push",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.stem, len(rank)))  # stable: the rest keep order


def _postgres_url() -> str:
    return os.environ.get("PLANNER_TEST_DATABASE_URL", PG_DEFAULT)


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """The test PostgreSQL server's URL (PLANNER_TEST_DATABASE_URL, else the local default)."""
    return _postgres_url()


@pytest.fixture(scope="session")
def postgres_schema_url() -> Iterator[str]:
    """A private schema on the test PostgreSQL server for this test session."""
    url = normalise_url(_postgres_url())
    admin = create_engine(url)
    try:
        with admin.connect():
            pass
    except OperationalError as exc:
        admin.dispose()
        pytest.skip(
            f"PostgreSQL not reachable at {url} ({exc.orig}); "
            "set PLANNER_TEST_DATABASE_URL to run the PostgreSQL store tests"
        )
    schema = f"planner_test_{uuid.uuid4().hex[:10]}"
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    yield f"{url}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty, migrated planner database of each kind."""
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'planner.db'}")
    else:
        eng = make_engine(request.getfixturevalue("postgres_schema_url"))
    reset(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def uow(engine: Engine) -> SqlUnitOfWork:
    return SqlUnitOfWork(engine)
