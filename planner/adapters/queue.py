"""The task queue: Dramatiq on Redis (docs/queue.md says why this engine and what it promises).

planner sends one kind of message, `planner_task(config, account, run, key, today)`: "run task
`key` of queued run `run` of `account`". What the task does is in
planner/services/queued_cycle.py; `planner worker` (planner/worker.py) declares the actor that
runs it. Sending needs no actor in this process, so the scheduler and `planner run` only send.

Dramatiq acknowledges a message after its actor returns (late acknowledgement); the Redis
broker keeps each worker's unacknowledged messages apart and, when a worker's heartbeats stop
for `heartbeat_seconds`, another worker's maintenance puts them back on the queue.
"""

from __future__ import annotations

from datetime import date

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.middleware import (
    AgeLimit,
    Callbacks,
    Pipelines,
    Retries,
    ShutdownNotifications,
    TimeLimit,
)
from redis.exceptions import RedisError

from planner.domain.errors import ConfigError

QUEUE = "planner"
ACTOR = "planner_task"
NAMESPACE = "planner"
# Out of a million fetches: one in ten also looks for messages of dead workers, so a killed
# worker's task goes back to the queue within seconds of its heartbeat timing out.
MAINTENANCE_CHANCE = 100_000
TASK_TIME_LIMIT_MS = 6 * 3600 * 1000  # a sync of a large account's two years takes hours
MAX_RETRIES = 3  # for an exception the task could not record (its database was unreachable)


def make_broker(url: str, *, heartbeat_seconds: int) -> RedisBroker:
    """A Redis broker for `url` (not yet contacted)."""
    middleware = [
        AgeLimit(),
        TimeLimit(time_limit=TASK_TIME_LIMIT_MS),
        ShutdownNotifications(),
        Callbacks(),
        Pipelines(),
        Retries(max_retries=MAX_RETRIES, min_backoff=5_000, max_backoff=300_000),
    ]
    return RedisBroker(
        url=url,
        namespace=NAMESPACE,
        middleware=middleware,
        heartbeat_timeout=heartbeat_seconds * 1000,
        maintenance_chance=MAINTENANCE_CHANCE,
    )


class TaskQueue:
    """Sends planner's task messages to the queue at `url`."""

    def __init__(self, url: str, *, heartbeat_seconds: int = 60) -> None:
        self.url = url
        self.broker = make_broker(url, heartbeat_seconds=heartbeat_seconds)

    def check(self) -> None:
        """Raise ConfigError (naming [queue] url) if Redis does not answer."""
        try:
            self.broker.client.ping()
        except RedisError as exc:
            raise ConfigError(
                f"[queue] url: the task queue's Redis does not answer ({type(exc).__name__})",
                hint="start Redis, fix [queue] url, or remove [queue] to run the cycle in-process",
            ) from None

    def send(
        self,
        *,
        config: str,
        cwd: str,
        account: str,
        run: int,
        key: str,
        today: date,
        delay: float = 0.0,
    ) -> None:
        """Send task `key` of run `run` (to be taken after `delay` seconds)."""
        message: dramatiq.Message[object] = dramatiq.Message(
            queue_name=QUEUE,
            actor_name=ACTOR,
            args=(),
            kwargs={
                "config": config,
                "cwd": cwd,
                "account": account,
                "run": run,
                "key": key,
                "today": today.isoformat(),
            },
            options={},
        )
        try:
            self.broker.enqueue(message, delay=int(delay * 1000) if delay > 0 else None)
        except RedisError as exc:
            raise ConfigError(
                f"[queue] url: could not send task {key} of run {run} ({type(exc).__name__})",
                hint="start Redis or fix [queue] url; `planner run` sends the run's tasks again",
            ) from None

    def close(self) -> None:
        self.broker.close()
