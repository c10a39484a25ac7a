"""The scheduler `planner serve` runs: APScheduler with a persistent job store in our database.

Jobs are plain module functions of a config path (and an account's name), so the SQLAlchemy
job store can keep them across restarts; the composition root (planner.bootstrap) gives them,
as this module imports nothing of it. Coalescing folds missed runs into one, `max_instances=1`
keeps a job from overlapping itself, and a misfire grace time lets a run missed during a short
outage still happen when the process comes back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import Engine, inspect, select

from planner.config.models import ScheduleSettings

MISFIRE_GRACE_SECONDS = 3 * 3600
CYCLE_JOB, DIGEST_JOB = "daily-cycle", "daily-digest"
JOBS_TABLE = "scheduler_jobs"
JOB_NAMES = {CYCLE_JOB: "daily cycle (sync → plan → publish)", DIGEST_JOB: "daily digest"}

# A job: a module-level function of the config path and the account (None: the config's only
# one), which the job store keeps by reference.
Job = Callable[[str | None, str | None], None]


@dataclass(frozen=True)
class DailyJobs:
    """What the daily jobs run; the composition root gives its own (planner.bootstrap)."""

    cycle: Job  # sync → plan → publish (the digest runs on its own schedule)
    digest: Job  # the digest, naming any step of today's cycle that failed


def build_scheduler(
    engine: Engine,
    schedule: ScheduleSettings,
    jobs: DailyJobs,
    config_path: str | None,
    *,
    account: str | None = None,
) -> BackgroundScheduler:
    """A scheduler with the daily jobs from [schedule], stored in planner's (migrated) database;
    each job gets the config path and, when the config serves several accounts, the account's
    name (its jobs are in its own database, and build its App, not another's)."""
    tz = ZoneInfo(schedule.timezone)
    scheduler = BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=JOBS_TABLE)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": MISFIRE_GRACE_SECONDS,
        },
        timezone=tz,
    )
    for job_id, func, cron in (
        (CYCLE_JOB, jobs.cycle, schedule.sync_cron),
        (DIGEST_JOB, jobs.digest, schedule.digest_cron),
    ):
        scheduler.add_job(
            func,
            CronTrigger.from_crontab(cron, timezone=tz),
            id=job_id,
            args=[config_path] if account is None else [config_path, account],
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
