"""The scheduler `planner serve` runs: APScheduler with a persistent job store in our database.

Jobs are plain module functions with a config path argument, so the SQLAlchemy job store can
keep them across restarts. Coalescing folds missed runs into one, `max_instances=1` keeps a job
from overlapping itself, and a misfire grace time lets a run missed during a short outage
still happen when the process comes back.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine, inspect, select

from planner.bootstrap import App, build_app

log = logging.getLogger(__name__)

MISFIRE_GRACE_SECONDS = 3 * 3600
CYCLE_JOB, DIGEST_JOB = "daily-cycle", "daily-digest"
JOBS_TABLE = "scheduler_jobs"
JOB_NAMES = {CYCLE_JOB: "daily cycle (sync → plan → publish)", DIGEST_JOB: "daily digest"}


def _local_today(app: App) -> date:
    return datetime.now(ZoneInfo(app.config.schedule.timezone)).date()


def daily_cycle_job(config_path: str | None) -> None:
    """sync → plan → publish (the digest runs on its own schedule)."""
    from planner.services.daily import run_daily_cycle

    app = build_app(config_path)
    try:
        run = run_daily_cycle(
            app.daily_cycle(),
            today=_local_today(app),
            trigger="scheduler",
            actor="scheduler",
            skip=("digest",),
        )
        log.info("daily cycle run %s: %s", run.id, run.status.value)
    finally:
        app.close()


def daily_digest_job(config_path: str | None) -> None:
    """The digest, naming any step of today's cycle that failed."""
    from planner.services.daily import run_daily_cycle

    app = build_app(config_path)
    try:
        run_daily_cycle(
            app.daily_cycle(),
            today=_local_today(app),
            trigger="scheduler",
            actor="scheduler",
            skip=("sync", "plan", "publish"),
        )
    finally:
        app.close()


def build_scheduler(app: App, config_path: str | None) -> BackgroundScheduler:
    """A scheduler with the daily jobs from [schedule], stored in planner's database."""
    app.migrate()
    schedule = app.config.schedule
    tz = ZoneInfo(schedule.timezone)
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=app.engine, tablename=JOBS_TABLE)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": MISFIRE_GRACE_SECONDS,
        },
        timezone=tz,
    )
    for job_id, func, cron in (
        (CYCLE_JOB, daily_cycle_job, schedule.sync_cron),
        (DIGEST_JOB, daily_digest_job, schedule.digest_cron),
    ):
        scheduler.add_job(
            func,
            CronTrigger.from_crontab(cron, timezone=tz),
            id=job_id,
            args=[config_path],
            replace_existing=True,  # a changed cron in the config takes effect on restart
            name=f"{job_id} ({cron} {schedule.timezone})",
        )
    return scheduler


def describe(scheduler: BackgroundScheduler) -> list[str]:
    """One line per job: its name and next run time."""
    return [
        f"{job.name}: next at {job.next_run_time:%Y-%m-%d %H:%M %Z}" for job in scheduler.get_jobs()
    ]


def scheduled_jobs(engine: Engine) -> list[tuple[str, datetime | None]]:
    """The daily jobs a scheduler stored, with their next run (None: paused); [] if none ran."""
    if not inspect(engine).has_table(JOBS_TABLE):
        return []
    jobs = SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE).jobs_t
    with engine.connect() as conn:
        rows = conn.execute(select(jobs.c.id, jobs.c.next_run_time).order_by(jobs.c.id)).all()
    return [
        (JOB_NAMES.get(job_id, job_id), None if at is None else datetime.fromtimestamp(at, UTC))
        for job_id, at in rows
    ]
