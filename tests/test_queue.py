"""The daily cycle on the real task queue: Redis (the machine's, 127.0.0.1:6379, database 14),
two `planner worker` processes and `planner run`, for a deployment of four accounts on SQLite.

What a user would notice: every account's run completes; an account whose Amazon sync fails
(its refresh token was revoked) fails alone and the others plan, publish and send their digests;
a worker killed with SIGKILL in the middle of forecasting leaves its part to the other worker,
and every account still ends with exactly one plan for that run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from planner.adapters.amazon.sandbox import AmazonSandbox, SandboxSeller, SandboxSettings
from planner.cli import main
from planner.demo import generate_seller

REDIS_URL = "redis://127.0.0.1:6379/14"
HEALTHY = ("alpha", "beta", "gamma")
BROKEN = "revoked"
ACCOUNTS = (*HEALTHY, BROKEN)
PLANNER = [sys.executable, "-m", "planner"]


def _redis() -> object:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.RedisError as exc:
        pytest.skip(f"these tests need Redis at {REDIS_URL} ({type(exc).__name__})")
    return client


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    """Four accounts: three on the built-in sandbox, one whose SP-API refresh token is refused
    by a strict sandbox; each seeded with a small seller of its own."""
    client = _redis()
    client.flushdb()  # type: ignore[attr-defined]
    work = tmp_path_factory.mktemp("queue")
    strict = AmazonSandbox(
        SandboxSeller(generate_seller(seed=9, variants=20, today=date.today())),
        SandboxSettings(speed=1000.0, strict_credentials=True),
    ).start()
    lines = [
        "[database]",
        f'url = "sqlite:///{work / "db" / "planner.db"}"',
        "[queue]",
        f'url = "{REDIS_URL}"',
        "heartbeat_seconds = 2",
        "series_per_task = 40",
    ]
    for name in ACCOUNTS:
        lines += [f"[accounts.{name}]", f'config = "{work / (name + ".toml")}"']
        body = "[planning]\nhistory_days = 400\n"
        if name == BROKEN:
            body += (
                '[amazon]\nmode = "sp-api"\n'
                f'endpoint = "{strict.url}"\nlwa_endpoint = "{strict.token_url}"\n'
                '[[amazon.connections]]\nname = "amazon-na"\nregion = "NA"\n'
                'marketplaces = ["US"]\nrefresh_token_env = "REVOKED_REFRESH_TOKEN"\n'
            )
        (work / f"{name}.toml").write_text(body, encoding="utf-8")
    config = work / "planner.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    creds = strict.credentials("amazon-na")
    env = {
        **os.environ,
        "SP_API_CLIENT_ID": creds.client_id,
        "SP_API_CLIENT_SECRET": creds.client_secret,
        "REVOKED_REFRESH_TOKEN": "Atzr|this-token-was-revoked",
        "PLANNER_LOG_LEVEL": "INFO",
    }
    seed_env = {k: env[k] for k in ("SP_API_CLIENT_ID", "SP_API_CLIENT_SECRET",
                                    "REVOKED_REFRESH_TOKEN")}  # fmt: skip
    old = {k: os.environ.get(k) for k in seed_env}
    os.environ.update(seed_env)
    try:
        for i, name in enumerate(ACCOUNTS):
            args = ["--config", str(config), "--account", name, "demo", "--seller-only"]
            assert main([*args, "--variants", "20", "--seed", str(21 + i)]) == 0, name
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    yield config, env
    strict.stop()
    client.flushdb()  # type: ignore[attr-defined]


def start_worker(config: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*PLANNER, "--config", str(config), "worker"],
        cwd=config.parent, env=env, stdout=log.open("ab"), stderr=subprocess.STDOUT,
    )  # fmt: skip


@pytest.fixture
def workers(deployment: tuple[Path, dict[str, str]]) -> Iterator[list[subprocess.Popen[bytes]]]:
    config, env = deployment
    started = [start_worker(config, env, config.parent / f"worker{i}.log") for i in range(2)]
    yield started
    for proc in started:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    for proc in started:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()


def account_db(config: Path, name: str) -> str:
    return f"sqlite:///{config.parent / 'db' / 'accounts' / f'{name}.db'}"


def count(config: Path, name: str, sql: str, **params: object) -> int:
    engine = create_engine(account_db(config, name))
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql), params).scalar_one())
    finally:
        engine.dispose()


def run_json(proc: subprocess.Popen[bytes], timeout: float) -> dict[str, dict[str, object]]:
    out, err = proc.communicate(timeout=timeout)
    assert out, err.decode()
    return {a["account"]: a for a in json.loads(out)["accounts"]}


def test_every_account_completes_and_a_failing_sync_holds_back_only_its_own_account(
    deployment: tuple[Path, dict[str, str]], workers: list[subprocess.Popen[bytes]]
) -> None:
    config, env = deployment
    proc = subprocess.Popen(
        [*PLANNER, "--config", str(config), "run", "--json"], cwd=config.parent, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    runs = run_json(proc, timeout=240)
    assert proc.returncode == 1  # one account's cycle did not complete, and it says so
    for name in HEALTHY:
        run = runs[name]
        assert run["status"] == "ok", run
        steps = {s["name"]: s for s in run["steps"]}  # type: ignore[attr-defined]
        assert [s for s in steps] == ["sync", "plan", "publish", "digest"]
        assert all(s["status"] == "ok" for s in steps.values())
        assert steps["plan"]["counts"]["parts"] >= 2  # forecast in parts by the workers
        assert count(config, name, "SELECT count(*) FROM plans") == 1
    broken = {s["name"]: s for s in runs[BROKEN]["steps"]}  # type: ignore[attr-defined]
    assert runs[BROKEN]["status"] == "failed"
    assert broken["sync"]["status"] == "failed" and "amazon-na" in broken["sync"]["error"]
    assert broken["plan"]["status"] == "skipped" and broken["digest"]["status"] == "ok"
    assert count(config, BROKEN, "SELECT count(*) FROM plans") == 0
    # `planner status --json`: one entry per account run, with the fields it always had.
    status = subprocess.run(
        [*PLANNER, "--config", str(config), "status", "--json"], cwd=config.parent, env=env,
        capture_output=True, check=True,
    )  # fmt: skip
    listed = json.loads(status.stdout)
    assert sorted(r["account"] for r in listed["runs"]) == sorted(ACCOUNTS)
    assert all({"id", "status", "steps", "queued"} <= set(r) for r in listed["runs"])


def test_a_worker_killed_mid_forecast_leaves_its_part_to_the_other_and_nothing_is_done_twice(
    deployment: tuple[Path, dict[str, str]], workers: list[subprocess.Popen[bytes]]
) -> None:
    config, env = deployment
    before = {n: count(config, n, "SELECT count(*) FROM plans") for n in ACCOUNTS}
    proc = subprocess.Popen(
        [*PLANNER, "--config", str(config), "run", "--skip", "sync", "--json"],
        cwd=config.parent, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    pids = {w.pid for w in workers}
    killed: tuple[str, int, str] | None = None
    deadline = time.monotonic() + 120
    while killed is None and time.monotonic() < deadline and proc.poll() is None:
        for name in ACCOUNTS:
            engine = create_engine(account_db(config, name))
            with engine.connect() as conn:
                rows = conn.execute(text(
                    "SELECT t.run_id, t.key, c.value FROM run_tasks t JOIN counters c"
                    " ON c.name = 'task:' || t.run_id || ':' || t.key || :pid"
                    " WHERE t.status = 'running' AND t.key LIKE 'part:%'"
                ), {"pid": ":pid"}).all()  # fmt: skip
            engine.dispose()
            victim = next((r for r in rows if r.value in pids), None)
            if victim is not None:
                os.kill(victim.value, signal.SIGKILL)
                next(w for w in workers if w.pid == victim.value).wait()  # as its parent would
                killed = (name, victim.run_id, victim.key)
                break
        time.sleep(0.02)
    assert killed is not None, "no worker was caught forecasting a part"
    runs = run_json(proc, timeout=240)
    assert proc.returncode == 0
    name, run_id, key = killed
    attempts = count(config, name, "SELECT attempts FROM run_tasks WHERE run_id = :r AND key = :k",
                     r=run_id, k=key)  # fmt: skip
    assert attempts == 2  # started by the killed worker, done again by the other
    for each in ACCOUNTS:
        assert runs[each]["status"] == "ok", runs[each]
        assert count(config, each, "SELECT count(*) FROM plans") == before[each] + 1


def test_a_push_goes_to_a_worker_and_an_order_is_saved_to_amazon_once(
    deployment: tuple[Path, dict[str, str]], workers: list[subprocess.Popen[bytes]]
) -> None:
    config, env = deployment
    push = [*PLANNER, "--config", str(config), "--account", "beta", "push", "TO-1002"]
    first = subprocess.run(push, cwd=config.parent, env=env, capture_output=True, timeout=120)
    assert first.returncode == 0, first.stderr.decode()
    assert b"Order TO-1002 saved to Amazon" in first.stdout
    assert b"sent to the queue" in first.stderr
    again = subprocess.run(push, cwd=config.parent, env=env, capture_output=True, timeout=120)
    assert again.returncode == 0 and b"was already saved" in again.stdout

    def plan_id(out: bytes) -> str:
        line = next(x for x in out.decode().splitlines() if "inbound plan id:" in x)
        return line.split(":", 1)[1].strip()

    assert plan_id(first.stdout) == plan_id(again.stdout)  # one plan at Amazon, read back
    pushes = count(config, "beta", "SELECT count(*) FROM runs WHERE \"trigger\" = 'push'")
    assert pushes == 2
