"""Start-up time of the `planner` command: the median wall time of a few quick commands.

    python bench/startup.py [--runs 7] [--json]

Each command runs --runs times as a fresh process (the console script beside this Python, as
people run it) in an empty temporary directory, so `planner chat` answers on the embedded
defaults. Target: `--help` and `--version` under 0.5 s. `python -X importtime -m planner …`
shows where a slow start goes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMANDS: tuple[tuple[str, ...], ...] = (
    ("--version",),
    ("--help",),
    ("plan", "--help"),
    ("chat", "/planner help"),
)


def planner_command() -> list[str]:
    """The installed console script next to this interpreter, else `python -m planner`."""
    script = Path(sys.executable).with_name("planner")
    return [str(script)] if script.exists() else [sys.executable, "-m", "planner"]


def median_seconds(args: tuple[str, ...], *, runs: int, cwd: Path) -> float:
    """Median wall time of `planner ARGS` over `runs` fresh processes; a failure stops."""
    env = {k: v for k, v in os.environ.items() if k != "PLANNER_LOG_LEVEL"}
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(
            [*planner_command(), *args], cwd=cwd, env=env, capture_output=True, check=False
        )
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"planner {' '.join(args)} failed: {done.stderr.decode()[-500:]}")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="Runs per command (default 7).")
    parser.add_argument("--json", action="store_true", help="Print JSON.")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="planner-startup-") as directory:
        results = {
            "planner " + " ".join(args): median_seconds(
                args, runs=max(options.runs, 1), cwd=Path(directory)
            )
            for args in COMMANDS
        }
    if options.json:
        print(json.dumps({"runs": options.runs, "median_seconds": results}, indent=2))
        return
    for command, seconds in results.items():
        print(f"{seconds:6.2f} s  {command}")


if __name__ == "__main__":
    main()
