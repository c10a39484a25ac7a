"""`planner serve` as an operator runs it: a real process, stopped with SIGTERM or Ctrl-C.

The process answers signed Slack requests at /slack/events while its scheduler holds the daily
jobs in the database; a stop signal ends both cleanly (exit 0, "stopped"), and a restart finds
the same jobs rather than a second copy of them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from slack_requests import SlackSide, slash_body
from slack_standin import SECRET_ENV, TOKEN_ENV, Standin, free_port, write_config

from planner.scheduler import CYCLE_JOB, DIGEST_JOB

SECRET = "serve-test-signing-secret"


@pytest.fixture
def slack() -> Iterator[Standin]:
    standin = Standin().start()
    yield standin
    standin.stop()


def _start(config: Path, standin: Standin) -> subprocess.Popen[str]:
    env = {**os.environ, SECRET_ENV: SECRET, TOKEN_ENV: standin.token}
    return subprocess.Popen(
        [sys.executable, "-m", "planner", "--config", str(config), "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_answering(side: SlackSide, process: subprocess.Popen[str]) -> tuple[int, str]:
    """Post `/planner help` until the bot answers (the process needs a moment to start)."""
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, process.communicate()[0]
        try:
            status, body, _ = side.post(slash_body("help", user="U0VIEWER", response_url=""))
            return status, body
        except OSError:
            assert time.monotonic() < deadline, "planner serve never answered"
            time.sleep(0.2)


def _jobs(directory: Path) -> list[str]:
    engine = sa.create_engine(f"sqlite:///{directory / 'planner.db'}")
    try:
        with engine.connect() as c:
            return sorted(r[0] for r in c.execute(sa.text("SELECT id FROM scheduler_jobs")))
    finally:
        engine.dispose()


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_serve_answers_slack_and_stops_cleanly_on_a_signal(
    tmp_path: Path, slack: Standin, stop: signal.Signals
) -> None:
    port = free_port()
    config = write_config(tmp_path, slack.api_url, port=port)
    side = SlackSide(f"http://127.0.0.1:{port}/slack/events", SECRET)
    process = _start(config, slack)
    try:
        status, body = _wait_answering(side, process)
        assert status == 200 and "/planner" in body  # help comes back in the ack itself
        assert len(_jobs(tmp_path)) == 2  # the daily cycle and the digest, in the database
        process.send_signal(stop)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, output
    assert "Slack bot answering at" in output and "scheduler (" in output
    assert output.rstrip().endswith("stopped") and "Traceback" not in output
    with pytest.raises(OSError):  # nothing is left listening
        side.post(slash_body("help", user="U0VIEWER", response_url=""))


def test_a_restarted_serve_keeps_one_copy_of_each_job(tmp_path: Path, slack: Standin) -> None:
    for _ in range(2):
        port = free_port()
        config = write_config(tmp_path, slack.api_url, port=port)
        side = SlackSide(f"http://127.0.0.1:{port}/slack/events", SECRET)
        process = _start(config, slack)
        try:
            _wait_answering(side, process)
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=30) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.communicate()
    assert _jobs(tmp_path) == sorted([CYCLE_JOB, DIGEST_JOB])
