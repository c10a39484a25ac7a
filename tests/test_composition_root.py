"""The composition root builds each thing once, from one configuration, and hands it out again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from planner.adapters.clock import SystemClock
from planner.bootstrap import App, build_app


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[App]:
    monkeypatch.chdir(tmp_path)  # the embedded defaults, a database under tmp_path
    built = build_app(None, cwd=tmp_path)
    try:
        yield built
    finally:
        built.close()


def test_options_location_cycle_pusher_and_bot_services_are_built_once(app: App) -> None:
    assert app.planning_options() is app.planning_options()
    assert app.setup_options() is app.setup_options()
    assert app.review_sheet_location() is app.review_sheet_location()
    cycle = app.daily_cycle()
    assert cycle is app.daily_cycle() and cycle.options is app.planning_options()
    assert cycle.setup is app.setup_options()
    cli_pusher = app.shipment_pusher()
    assert cli_pusher is app.shipment_pusher(origin="cli")
    assert app.shipment_pusher(origin="slack") is not cli_pusher  # one per origin
    services = app.bot_services()
    assert services is app.bot_services()
    assert services.pusher is app.shipment_pusher(origin="slack")
    assert services.options is app.planning_options()


def test_one_clock_says_what_time_it_is(app: App) -> None:
    assert isinstance(app.clock, SystemClock) and app.clock is app.clock
    services = app.bot_services()
    assert services.now == app.clock.now and services.today == app.clock.today
    assert app.clock.now().tzinfo is not None


def test_the_scheduler_runs_the_roots_jobs(app: App) -> None:
    from planner.bootstrap import daily_cycle_job, daily_digest_job
    from planner.scheduler import CYCLE_JOB, DIGEST_JOB

    scheduler = app.scheduler(None)
    scheduler.start(paused=True)
    try:
        jobs = {job.id: job.func for job in scheduler.get_jobs()}
        assert jobs == {CYCLE_JOB: daily_cycle_job, DIGEST_JOB: daily_digest_job}
    finally:
        scheduler.shutdown(wait=False)


def test_nothing_is_built_before_it_is_asked_for(tmp_path: Path) -> None:
    from planner.config import load_config

    app = App(load_config(None, cwd=tmp_path, environ={}))
    assert app._built == {} and "engine" not in app.__dict__ and "clock" not in app.__dict__
