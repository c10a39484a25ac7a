"""Queue benchmark: N accounts × M series planned through the task queue by W worker processes.

    python bench/queue.py --accounts 3 --series 30000 --workers 2 [--json] [--workdir DIR]
        [--redis redis://127.0.0.1:6379/14] [--days 730] [--series-per-task 5000]

Builds (or reuses, in --workdir) a deployment of `--accounts` accounts, each a generated demo
seller of about `--series` SKU-warehouse series in its own SQLite file, with `[queue]` on Redis.
Then, for 1 worker and for W, starts that many `planner worker` processes, enqueues every
account's daily cycle with sync, publish and digest skipped (the forecast in partitions, the
calibration and the plan run: the work that grows with series), and waits until every account's
run has finished. Reports the seconds from enqueue to the last account done, series per second,
and the speed-up of W workers over one.

The figures are of this machine (see `cpus`): on 2 cores, 2 workers can at best halve the time.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as `python bench/queue.py`, this file's folder comes first on the path and its name would
# hide the standard library's `queue` from everything imported after (psycopg, redis, threads).
# Another bench script run from this folder imports this file as `queue`: it gets the standard
# library's module instead.
if __name__ != "__main__":
    import importlib.util
    import sysconfig

    _spec = importlib.util.spec_from_file_location(
        "queue", Path(sysconfig.get_paths()["stdlib"]) / "queue.py"
    )
    assert _spec is not None and _spec.loader is not None
    _stdlib_queue = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(_stdlib_queue)
    sys.modules["queue"] = _stdlib_queue
else:
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]

import argparse
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from typing import Any

SERIES_PER_VARIANT = 4.1  # as bench/plan_store.py measures on the demo seller
PLANNER = [sys.executable, "-m", "planner"]


def write_deployment(
    workdir: Path, *, accounts: int, redis: str, series_per_task: int
) -> tuple[Path, list[str]]:
    """The deployment's planner.toml and one file per account; returns (config, names)."""
    names = [f"bench{i + 1}" for i in range(accounts)]
    lines = [
        "[paths]",
        f'data_dir = "{workdir / "data"}"',
        "[queue]",
        f'url = "{redis}"',
        f"series_per_task = {series_per_task}",
        "heartbeat_seconds = 30",
    ]
    for name in names:
        (workdir / f"{name}.toml").write_text("[planning]\nhistory_days = 730\n", encoding="utf-8")
        lines += [f"[accounts.{name}]", f'config = "{workdir / f"{name}.toml"}"']
    config = workdir / "planner.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config, names


def seed(config: Path, names: list[str], *, series: int, days: int) -> dict[str, Any]:
    """Each account a demo seller of its own (another seed each), reused when already there."""
    from planner.bootstrap import Deployment
    from planner.demo import generate_seller
    from planner.demo.seeding import load_seller

    deployment = Deployment.load(config)
    variants = max(20, round(series / SERIES_PER_VARIANT))
    today = datetime.now(UTC).date()
    built: dict[str, Any] = {"variants_per_account": variants, "seeded": []}
    try:
        for i, name in enumerate(names):
            app = deployment.app(name)
            with app.uow() as uow:
                if uow.variants.count():
                    continue
                seller = generate_seller(seed=11 + i, variants=variants, today=today,
                                         history_days=days)  # fmt: skip
                load_seller(uow, seller)
                uow.commit()
            built["seeded"].append(name)
    finally:
        deployment.close()
    return built


def start_workers(config: Path, count: int, log: Path) -> list[subprocess.Popen[bytes]]:
    out = log.open("ab")
    return [
        subprocess.Popen(
            [*PLANNER, "--config", str(config), "worker", "--concurrency", "1"],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for _ in range(count)
    ]


def stop_workers(workers: list[subprocess.Popen[bytes]]) -> None:
    for w in workers:
        if w.poll() is None:
            os.killpg(w.pid, signal.SIGTERM)
    for w in workers:
        try:
            w.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(w.pid, signal.SIGKILL)
            w.wait()


def timed_run(config: Path, workers: int, log: Path) -> dict[str, Any]:
    """Enqueue every account's cycle (plan only) and wait for all of them, W workers running."""
    procs = start_workers(config, workers, log)
    try:
        t0 = time.perf_counter()
        done = subprocess.run(
            [*PLANNER, "--config", str(config), "run", *SKIP_FLAGS, "--json"],
            capture_output=True,
            text=True,
            check=False,
        )
        seconds = time.perf_counter() - t0
    finally:
        stop_workers(procs)
    if done.returncode != 0:
        raise SystemExit(f"the queued run failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return {"seconds": round(seconds, 2), "run": json.loads(done.stdout)}


SKIP_FLAGS = ["--skip", "sync", "--skip", "publish", "--skip", "digest"]


def planned_series(result: dict[str, Any]) -> int:
    """The series the runs forecast, from the steps' details (every account)."""
    total = 0
    for entry in result["run"].get("accounts", []):
        for step in entry.get("steps", []):
            if step.get("name") == "plan":
                total += int((step.get("counts") or {}).get("series", 0))
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=3)
    parser.add_argument("--series", type=int, default=30000, help="series per account")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--series-per-task", type=int, default=5000)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/14")
    parser.add_argument("--workdir", default=None, help="keep the deployment here for reuse")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.accounts < 1 or args.series < 100 or args.workers < 1:
        parser.error("--accounts ≥ 1, --series ≥ 100 and --workers ≥ 1")
    tmp = None
    if args.workdir:
        workdir = Path(args.workdir).resolve()
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        tmp = tempfile.mkdtemp(prefix="queue-bench-")
        workdir = Path(tmp)
    try:
        config, names = write_deployment(workdir, accounts=args.accounts, redis=args.redis,
                                         series_per_task=args.series_per_task)  # fmt: skip
        t0 = time.perf_counter()
        built = seed(config, names, series=args.series, days=args.days)
        built["seed_seconds"] = round(time.perf_counter() - t0, 1)
        log = workdir / "workers.log"
        one = timed_run(config, 1, log)
        many = one if args.workers == 1 else timed_run(config, args.workers, log)
        series = planned_series(many) or planned_series(one)
        report = {
            "accounts": args.accounts,
            "series": series,
            "workers": args.workers,
            "seconds": many["seconds"],
            "series_per_second": round(series / many["seconds"], 1) if many["seconds"] else 0.0,
            "seconds_one_worker": one["seconds"],
            "series_per_second_one_worker": round(series / one["seconds"], 1),
            "speedup": round(one["seconds"] / many["seconds"], 2),
            "series_per_task": args.series_per_task,
            "cpus": os.cpu_count(),
            **built,
        }
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        for key, value in report.items():
            print(f"{key:>30}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
