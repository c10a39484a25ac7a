"""`planner serve`'s scheduler: daily jobs from the config, kept in the database, run on time."""

from __future__ import annotations

import pickle
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import MetaData, Table, inspect, select, update

from planner.bootstrap import build_app
from planner.domain.runs import StepStatus
from planner.scheduler import CYCLE_JOB, DIGEST_JOB


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "planner.toml"
    path.write_text(
        '[schedule]\ntimezone = "Europe/Berlin"\nsync_cron = "15 4 * * mon-fri"\n'
        'digest_cron = "30 7 * * *"\n'
    )
    return path


def test_jobs_follow_the_configured_crons_in_the_configured_timezone(config: Path) -> None:
    app = build_app(config)
    scheduler = app.scheduler(str(config))
    scheduler.start(paused=True)
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {CYCLE_JOB, DIGEST_JOB}
        nxt = jobs[DIGEST_JOB].next_run_time
        assert (nxt.hour, nxt.minute, str(nxt.tzinfo)) == (7, 30, "Europe/Berlin")
        assert jobs[CYCLE_JOB].next_run_time.weekday() < 5
        assert jobs[CYCLE_JOB].coalesce and jobs[CYCLE_JOB].max_instances == 1
        assert inspect(app.engine).has_table("scheduler_jobs")  # persistent job store
    finally:
        scheduler.shutdown(wait=False)
        app.close()


def test_a_due_job_runs_and_lands_in_the_run_history(config: Path) -> None:
    app = build_app(config)
    scheduler = app.scheduler(str(config))
    scheduler.start()
    try:
        soon = datetime.now(ZoneInfo("Europe/Berlin")) + timedelta(seconds=1)
        scheduler.modify_job(DIGEST_JOB, next_run_time=soon)
        deadline = time.monotonic() + 60
        runs = []
        while time.monotonic() < deadline:
            with app.uow() as uow:
                runs = [r for r in uow.runs.list() if r.trigger == "scheduler" and r.finished_at]
            if runs:
                break
            time.sleep(0.5)
    finally:
        scheduler.shutdown(wait=True)
        app.close()
    assert runs, "the digest job did not run"
    assert [(s.name, s.status) for s in runs[0].steps] == [("digest", StepStatus.OK)]


def test_the_digest_on_its_own_schedule_names_the_cycles_failed_step(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from planner.domain.runs import Run, RunStatus, StepResult
    from planner.services.daily import run_daily_cycle

    app = build_app(config)
    try:
        app.migrate()
        with app.uow() as uow:  # this morning's cycle: the sync failed, so nothing was published
            uow.runs.save(
                Run("scheduler", datetime.now(ZoneInfo("UTC")) - timedelta(hours=2),
                    status=RunStatus.FAILED, finished_at=datetime.now(ZoneInfo("UTC")),
                    steps=[StepResult("sync", StepStatus.FAILED, error="Amazon answered 503",
                                      hint="the previous data is kept; the next run retries"),
                           StepResult("plan", StepStatus.SKIPPED,
                                      error="skipped because sync did not succeed")])
            )  # fmt: skip
            uow.commit()
        capsys.readouterr()
        run = run_daily_cycle(
            app.daily_cycle(), today=datetime.now().date(), trigger="scheduler", actor="scheduler",
            skip=("sync", "plan", "publish"),
        )  # fmt: skip
    finally:
        app.close()
    printed = capsys.readouterr().out
    assert run.status is RunStatus.OK
    assert "sync failed: Amazon answered 503" in printed and "the next run retries" in printed
    assert "plan was skipped" in printed


def test_the_digest_says_a_cycle_that_died_is_not_still_running(
    config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from planner.domain.runs import Run, StepResult
    from planner.services.daily import run_daily_cycle

    app = build_app(config)
    try:
        app.migrate()
        with app.uow() as uow:  # killed during its plan step: no process holds the lease
            uow.runs.save(Run("scheduler", datetime.now(ZoneInfo("UTC")) - timedelta(hours=3),
                              steps=[StepResult("sync", StepStatus.OK),
                                     StepResult("plan", StepStatus.RUNNING)]))  # fmt: skip
            uow.commit()
        capsys.readouterr()
        run_daily_cycle(
            app.daily_cycle(), today=datetime.now().date(), trigger="scheduler", actor="scheduler",
            skip=("sync", "plan", "publish"),
        )  # fmt: skip
    finally:
        app.close()
    printed = capsys.readouterr().out
    assert "still running" not in printed
    assert "stopped before it finished (killed or crashed)" in printed


def test_jobs_stored_by_an_older_planner_are_replaced_not_lost(config: Path) -> None:
    """Before this release the jobs' functions lived in planner.scheduler; a database holding
    those rows starts with today's jobs, due at the configured times."""
    app = build_app(config)
    scheduler = app.scheduler(str(config))
    scheduler.start(paused=True)
    scheduler.shutdown(wait=False)
    table = Table("scheduler_jobs", MetaData(), autoload_with=app.engine)
    with app.engine.begin() as conn:
        for job_id, state in conn.execute(select(table.c.id, table.c.job_state)).all():
            old = pickle.loads(state)
            old["func"] = old["func"].replace("planner.bootstrap:", "planner.scheduler:")
            conn.execute(
                update(table).where(table.c.id == job_id).values(job_state=pickle.dumps(old))
            )
    app.close()

    app = build_app(config)
    scheduler = app.scheduler(str(config))
    scheduler.start(paused=True)
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {CYCLE_JOB, DIGEST_JOB}
        assert all(job.func_ref.startswith("planner.bootstrap:") for job in jobs.values())
        nxt = jobs[DIGEST_JOB].next_run_time
        assert (nxt.hour, nxt.minute) == (7, 30)
    finally:
        scheduler.shutdown(wait=False)
        app.close()
