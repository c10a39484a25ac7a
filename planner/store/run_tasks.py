"""The tasks of queued runs (the RunTasks port), in the run_tasks table.

Adding is insert-if-absent, so of two workers that both see a stage finish, one adds (and
sends) the next tasks; the other's add returns nothing.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from sqlalchemy import Engine, and_, insert, select, update
from sqlalchemy.exc import IntegrityError

from planner.ports.runs import TaskState
from planner.store import tables as t

T = t.run_tasks


class SqlRunTasks:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def add(self, run_id: int, tasks: Sequence[TaskState]) -> list[str]:
        added = []
        for task in tasks:
            try:
                with self._engine.begin() as conn:
                    conn.execute(
                        insert(T).values(
                            run_id=run_id,
                            key=task.key,
                            status=task.status,
                            attempts=0,
                            detail=dict(task.detail),
                            error=task.error,
                            hint=task.hint,
                            updated_at=time.time(),
                        )
                    )
            except IntegrityError:
                continue  # another worker added it first
            added.append(task.key)
        return added

    def states(self, run_id: int) -> dict[str, TaskState]:
        columns = [
            T.c.key,
            T.c.status,
            T.c.attempts,
            T.c.detail,
            T.c.error,
            T.c.hint,
            T.c.seconds,
            T.c.updated_at,
            T.c.seconds,
        ]
        with self._engine.connect() as conn:
            rows = conn.execute(select(*columns).where(T.c.run_id == run_id).order_by(T.c.key))
            return {
                r.key: TaskState(
                    r.key,
                    r.status,
                    r.attempts,
                    dict(r.detail or {}),
                    r.error,
                    r.hint,
                    r.updated_at,
                    r.seconds,
                )
                for r in rows
            }

    def start(self, run_id: int, key: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(T)
                .where(and_(T.c.run_id == run_id, T.c.key == key))
                .values(status="running", attempts=T.c.attempts + 1, updated_at=time.time())
            )

    def finish(self, run_id: int, state: TaskState, result: bytes | None = None) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(T)
                .where(and_(T.c.run_id == run_id, T.c.key == state.key))
                .values(
                    status=state.status,
                    detail=dict(state.detail),
                    error=state.error,
                    hint=state.hint,
                    result=result,
                    updated_at=time.time(),
                    seconds=state.seconds,
                )
            )

    def results(self, run_id: int, prefix: str) -> list[tuple[str, bytes]]:
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(T.c.key, T.c.result)
                .where(and_(T.c.run_id == run_id, T.c.key.startswith(prefix, autoescape=True)))
                .order_by(T.c.key)
            )
            return [(r.key, bytes(r.result)) for r in rows if r.result is not None]
