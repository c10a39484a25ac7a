"""Repository for the run history."""

from __future__ import annotations

import builtins
from dataclasses import asdict
from typing import Any

from sqlalchemy import Connection, Select, insert, select, update

from planner.domain.errors import NotFound
from planner.domain.runs import Run, RunStatus, StepResult, StepStatus
from planner.store import tables as t


def _steps(run: Run) -> list[dict[str, Any]]:
    return [asdict(s) | {"status": s.status.value} for s in run.steps]


class SqlRuns:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def save(self, run: Run) -> Run:
        values = {
            "trigger": run.trigger,
            "started_at": run.started_at,
            "finished_at": run.finished_at,
            "status": run.status.value,
            "steps": _steps(run),
            "exclusive": run.exclusive,
            "queued": run.queued,
        }
        if run.id is None:
            result = self._conn.execute(insert(t.runs).values(**values))
            run.id = int(result.inserted_primary_key[0])  # type: ignore[index]
        else:
            done = self._conn.execute(update(t.runs).where(t.runs.c.id == run.id).values(**values))
            if done.rowcount == 0:
                raise NotFound(f"no run {run.id}")
        return run

    def list(self, *, limit: int = 10) -> builtins.list[Run]:
        return self._runs(select(t.runs).order_by(t.runs.c.id.desc()).limit(limit))

    def get(self, run_id: int) -> Run:
        found = self._runs(select(t.runs).where(t.runs.c.id == run_id))
        if not found:
            raise NotFound(f"no run {run_id}")
        return found[0]

    def unfinished(self) -> builtins.list[Run]:
        """Runs still marked running, oldest first."""
        running = t.runs.c.status == RunStatus.RUNNING.value
        return self._runs(select(t.runs).where(running).order_by(t.runs.c.id))

    def _runs(self, query: Select[Any]) -> builtins.list[Run]:
        rows = self._conn.execute(query)
        return [
            Run(
                trigger=r.trigger,
                started_at=r.started_at,
                status=RunStatus(r.status),
                steps=[StepResult(**(s | {"status": StepStatus(s["status"])})) for s in r.steps],
                finished_at=r.finished_at,
                id=r.id,
                exclusive=bool(r.exclusive),
                queued=bool(r.queued),
            )
            for r in rows
        ]
