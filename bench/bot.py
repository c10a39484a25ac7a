"""Slack bot benchmark: ack latency of signed slash commands over HTTP, under concurrency.

    python bench/bot.py --requests 200 --concurrency 20 [--json] [--commands "reorder,help"]

Runs `planner serve` ([slack] mode http: uvicorn + Starlette) in its own process on 127.0.0.1
against a demo store, with the Web API and response_url webhooks served by the local Slack
stand-in (tests/slack_standin.py) in this process, then sends
signed `/planner …` requests from C threads. The ack is what Slack waits 3 s for; the slow work
goes on in lazy listeners (their answers are counted too). Target on the project's 2-core
machine: p99 ≤ 300 ms, zero errors.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parents[1]
# The stand-in lives with the tests; bench/ itself must not shadow packages (bench/sheets.py).
sys.path[0] = str(ROOT / "tests")

from slack_requests import SlackSide, slash_body  # noqa: E402
from slack_standin import (  # noqa: E402
    SECRET_ENV,
    TOKEN_ENV,
    Standin,
    demo_store,
    free_port,
    write_config,
)

SECRET = "bench-signing-secret"
ADMIN = "U0ADMIN"


def wait_until_up(
    url: str, server: subprocess.Popen[bytes], log: Path, timeout: float = 120.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"planner serve exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            with urlopen(url, timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("planner serve did not start")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=20)
    parser.add_argument(
        "--commands",
        default="reorder,sku TEA-0001,orders open,help,transfers",
        help="comma-separated /planner subcommands, sent in turn",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.requests < 1 or args.concurrency < 1:
        parser.error("--requests and --concurrency must be at least 1")
    commands = [c.strip() for c in args.commands.split(",") if c.strip()]

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        setup_started = time.monotonic()
        demo_store(work)
        standin = Standin().start()
        port = free_port()
        config = write_config(work, standin.api_url, port=port)
        log = work / "serve.stderr"
        # The bot runs as `planner serve` in its own process, as in production; this process
        # plays Slack (the requests) and the Web API stand-in (the answers).
        env = {**os.environ, SECRET_ENV: SECRET, TOKEN_ENV: standin.token}
        server = subprocess.Popen(
            [sys.executable, "-m", "planner", "--config", str(config), "serve"],
            env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=log.open("wb"),
        )  # fmt: skip
        wait_until_up(f"http://127.0.0.1:{port}/slack/health", server, log)
        slack = SlackSide(f"http://127.0.0.1:{port}/slack/events", SECRET)
        setup_seconds = time.monotonic() - setup_started

        def send(i: int) -> tuple[float, bool, bool]:
            text = commands[i % len(commands)]
            body = slash_body(text, user=ADMIN, response_url=standin.response_url(f"b{i}"))
            try:
                status, _, seconds = slack.post(body)
            except OSError:
                return 0.0, False, False
            return seconds, status == 200, text != "help"

        warm_up = [send(-1 - i) for i in range(5)]  # auth.test, first queries, caches
        lazy = sum(1 for _, ok, is_lazy in warm_up if ok and is_lazy)
        standin.wait_for(lambda: len(standin.responses) >= lazy or not lazy, timeout=60)
        warm = len(standin.responses)

        started = time.monotonic()
        with ThreadPoolExecutor(args.concurrency) as pool:
            results = list(pool.map(send, range(args.requests)))
        sent_seconds = time.monotonic() - started
        expected = sum(1 for _, ok, lazy in results if ok and lazy)
        with contextlib.suppress(AssertionError):
            standin.wait_for(lambda: len(standin.responses) - warm >= expected, timeout=300)
        drained_seconds = time.monotonic() - started
        answered = len(standin.responses) - warm
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        standin.stop()

    latencies = [s * 1000 for s, ok, _ in results if ok]
    errors = sum(1 for _, ok, _ in results if not ok)
    report = {
        "requests": args.requests,
        "concurrency": args.concurrency,
        "commands": commands,
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p90_ms": round(percentile(latencies, 90), 1) if latencies else None,
        "p99_ms": round(percentile(latencies, 99), 1) if latencies else None,
        "max_ms": round(max(latencies), 1) if latencies else None,
        "errors": errors,
        "acks_per_second": round(args.requests / sent_seconds, 1),
        "lazy_answers": answered,
        "lazy_answers_expected": expected,
        "all_answered_seconds": round(drained_seconds, 2),
        "setup_seconds": round(setup_seconds, 1),
    }
    if args.json:
        print(json.dumps(report))
    else:
        for key, value in report.items():
            print(f"{key:>24}: {value}")
    return 0 if errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
