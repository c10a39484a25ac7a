"""`planner worker`: run the daily cycle's tasks from the task queue ([queue], Dramatiq on Redis).

Each worker process runs one task at a time (forecasting is CPU-bound: processes, not threads,
use the cores) and takes one message ahead at most, so parts spread over all the workers.
`--concurrency N` starts N such processes; run workers on as many machines as you like, each
with the same config file at the same path (the messages name it), sharing Redis and the
database.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
import time
from datetime import date
from pathlib import Path
from types import FrameType

import dramatiq

from planner.adapters.queue import ACTOR, MAX_RETRIES, QUEUE, TASK_TIME_LIMIT_MS
from planner.bootstrap import Deployment
from planner.forecast.parallel import share_cpus
from planner.services.queued_cycle import resume, run_task

log = logging.getLogger("planner.worker")

_loaded: dict[tuple[str, str], Deployment] = {}


def _deployment(config: str, cwd: str) -> Deployment:
    """The deployment a message names, read once per worker process."""
    key = (config, cwd)
    if key not in _loaded:
        _loaded[key] = Deployment.load(config, cwd=Path(cwd))
    return _loaded[key]


def handle_task(config: str, cwd: str, account: str, run: int, key: str, today: str) -> None:
    """The actor: run task `key` of run `run` of `account` (see planner.services.queued_cycle)."""
    deployment = _deployment(config, cwd)
    run_task(deployment.queued_cycle(account), run, key, date.fromisoformat(today))


def resume_stalled(deployment: Deployment, *, older_than: float) -> list[str]:
    """Send again the tasks of every account's queued runs that stopped moving."""
    sent = []
    for name in deployment.names:
        q = deployment.queued_cycle(name)
        today = deployment.app(name).local_today()
        again = resume(q, today, older_than=older_than, now=time.time())
        sent += [f"{name}:{s}" for s in again]
    return sent


def work(deployment: Deployment, *, stop: threading.Event) -> None:
    """Run tasks in this process until `stop` is set (one at a time, one message ahead)."""
    broker = deployment.task_queue().broker
    declare = dramatiq.actor(
        actor_name=ACTOR,
        queue_name=QUEUE,
        broker=broker,
        max_retries=MAX_RETRIES,
        time_limit=TASK_TIME_LIMIT_MS,
    )
    declare(handle_task)
    worker = dramatiq.Worker(broker, queues={QUEUE}, worker_threads=1)
    worker.queue_prefetch = 1  # a worker busy with a long part leaves the next ones to others
    worker.start()
    log.info("worker %s: taking tasks from %s", os.getpid(), QUEUE)
    try:
        stop.wait()
    finally:
        log.info("worker %s: stopping after its current task", os.getpid())
        worker.stop()


def run_workers(deployment: Deployment, concurrency: int) -> None:
    """`planner worker`: `concurrency` worker processes until SIGINT/SIGTERM."""
    deployment.task_queue()  # a clear error now if Redis does not answer
    assert deployment.config.queue is not None
    stale = 10.0 * deployment.config.queue.heartbeat_seconds
    again = resume_stalled(deployment, older_than=stale)
    if again:
        log.info("sent again the tasks of runs that had stopped moving: %s", ", ".join(again))
    stop = threading.Event()

    def stopping(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, stopping)
    signal.signal(signal.SIGINT, stopping)
    if concurrency == 1:
        work(deployment, stop=stop)
        return
    context = multiprocessing.get_context("spawn")
    children = [
        context.Process(
            target=_child,
            args=(str(deployment.path), str(deployment.cwd), concurrency),
            daemon=False,
        )
        for _ in range(concurrency)
    ]
    for child in children:
        child.start()
    while not stop.wait(1.0):
        if not any(c.is_alive() for c in children):
            break
    for child in children:
        if child.is_alive() and child.pid is not None:
            child.terminate()  # SIGTERM: each finishes its current task, then stops
    for child in children:
        child.join()


def _child(config: str, cwd: str, processes: int) -> None:
    share_cpus(processes)  # each worker forecasts on its share of the threads
    deployment = _deployment(config, cwd)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent passes Ctrl-C on as SIGTERM
    work(deployment, stop=stop)
