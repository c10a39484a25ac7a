"""Push claims: a compare-and-set on an order's push state, each in its own transaction.

The state (planner.domain.push.PushState) lives in its own columns of stock_orders: push_state,
push_token, push_claimed_at, push_step, and the inbound plan id in amazon_plan_id (which holds
nothing else). A conditional UPDATE on all of them lets exactly one of two concurrent pushes
claim an order, and the plan id is committed the moment Amazon gives it. This module only reads
and swaps the state; the push (services/push.py) decides what it becomes.

The push lease that keeps a second push of the order from running any step meanwhile is
store/lease.py's, named `push:<order>`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Column, ColumnElement, Engine, func, select, update

from planner.domain.errors import NotFound
from planner.domain.push import PushStage, PushState
from planner.store import tables as t


class SqlPushClaims:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def current(self, order_number: str) -> PushState | None:
        so = t.stock_orders
        with self._engine.connect() as conn:
            row = conn.execute(select(*push_columns()).where(so.c.number == order_number)).first()
        if row is None:
            raise NotFound(f"unknown order {order_number!r}", hint="`planner orders` lists them")
        return push_state(row._mapping)

    def swap(
        self,
        order_number: str,
        *,
        expected: PushState | None,
        new: PushState,
        split: bool | None = None,
    ) -> bool:
        so = t.stock_orders
        values: dict[str, object] = push_values(new)
        if new.stage is not PushStage.DONE:
            values["amazon_pushed_at"] = None  # whatever the state now, the push is not finished
        if split is not None:
            values["amazon_split"] = split
        with self._engine.begin() as conn:
            done = conn.execute(
                update(so).where(so.c.number == order_number, *held(expected)).values(values)
            )
            return bool(done.rowcount == 1)


def push_columns() -> tuple[Column[Any], ...]:
    so = t.stock_orders
    return (so.c.push_state, so.c.push_token, so.c.push_claimed_at, so.c.amazon_plan_id,
            so.c.push_step)  # fmt: skip


def push_state(row: Mapping[Any, Any]) -> PushState | None:
    """The state kept in a stock_orders row (None: never pushed)."""
    if row["push_state"] is None:
        return None
    step = row["push_step"]
    return PushState(
        PushStage(row["push_state"]),
        token=row["push_token"],
        claimed_at=int(row["push_claimed_at"] or 0),
        plan_id=row["amazon_plan_id"],
        step=PushStage(step) if step is not None else None,
    )


def push_values(state: PushState) -> dict[str, object]:
    """The columns of a state, to write."""
    return {
        "push_state": state.stage.value,
        "push_token": state.token,
        "push_claimed_at": state.claimed_at,
        "amazon_plan_id": state.plan_id,
        "push_step": state.step.value if state.step is not None else None,
    }


def held(state: PushState | None) -> list[ColumnElement[bool]]:
    """The row holds exactly this state (NULL-safe on SQLite and PostgreSQL)."""
    so = t.stock_orders
    if state is None:
        return [so.c.push_state.is_(None), so.c.amazon_plan_id.is_(None)]
    values = push_values(state)
    return [
        func.coalesce(column, 0) == values[column.name]
        if column.name == "push_claimed_at"
        else column.is_not_distinct_from(values[column.name])
        for column in push_columns()
    ]
