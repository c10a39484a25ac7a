"""Push claims: a compare-and-set on an order's push state, each in its own transaction.

The state (planner.domain.push.PushState) lives in its own columns of stock_orders: push_state,
push_token, push_claimed_at, push_step, and the inbound plan id in amazon_plan_id (which holds
nothing else). A conditional UPDATE on all of them lets exactly one of two concurrent pushes
claim an order, and the plan id is committed the moment Amazon gives it. This module only reads
and swaps the state; the push (services/push.py) decides what it becomes.

A lease keeps a second push of the same order from running any step while the first one runs:
a cycle lease (cycle_lease.py) named `push:<order>`, i.e. the counters rows `push:<order>:until`
(its expiry, unix seconds), `…:pid` and `…:host` (who holds it). It is free once it expires or,
on this machine, as soon as its process is gone: a push killed with SIGKILL (a crash, a redeploy
of `planner serve`) does not make the next push of the order wait for the expiry.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Column, ColumnElement, Connection, Engine, func, select, update

from planner.domain.errors import NotFound
from planner.domain.push import PushStage, PushState
from planner.store import tables as t
from planner.store.cycle_lease import HOST, PID, UNTIL, SqlCycleLease, holder_alive, row_names_fit

LEASE = "push:"  # the push lease of an order: the cycle lease named `push:<order>`


class SqlPushClaims:
    def __init__(self, engine: Engine, *, pid: int | None = None) -> None:
        self._engine = engine
        self._pid = pid  # the process holding the leases this takes (None: this one)

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

    def lease(self, order_number: str, *, now: int, seconds: int) -> int | None:
        """Take the order's push lease until now + seconds; None while a live push holds it."""
        held = SqlCycleLease(self._engine, pid=self._pid, name=lease_key(order_number))
        return now + seconds if held.take(now=now, seconds=seconds) else None

    def renew(self, order_number: str, *, until: int, now: int, seconds: int) -> int | None:
        """Extend the lease this push holds (expiring at `until`); None: another push took it."""
        c, later = t.counters, now + seconds
        with self._engine.begin() as conn:
            done = conn.execute(
                update(c)
                .where(c.c.name == lease_name(order_number), c.c.value == until)
                .values(value=later)
            )
        return later if done.rowcount == 1 else None

    def release(self, order_number: str, *, until: int) -> None:
        c = t.counters
        with self._engine.begin() as conn:
            conn.execute(
                update(c)
                .where(c.c.name == lease_name(order_number), c.c.value == until)
                .values(value=0)
            )


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


def lease_key(order_number: str) -> str:
    """The name of the order's push lease; a long order number is cut, with a hash of it."""
    key = f"{LEASE}{order_number}"
    if row_names_fit(key):
        return key
    digest = f"{zlib.crc32(order_number.encode()):08x}"
    for keep in range(len(order_number), -1, -1):
        key = f"{LEASE}{order_number[:keep]}~{digest}"
        if row_names_fit(key):
            return key
    raise ValueError("the counters table cannot hold a push lease")


def lease_name(order_number: str) -> str:
    """The counters row holding the order's push lease expiry (unix seconds)."""
    return f"{lease_key(order_number)}:{UNTIL}"


def saving(conn: Connection, numbers: Iterable[str], *, now: int) -> set[str]:
    """The orders a live push holds the lease of right now (a killed push holds none)."""
    keys = {lease_key(n): n for n in numbers}
    rows = {f"{k}:{part}": (k, part) for k in keys for part in (UNTIL, PID, HOST)}
    if not rows:
        return set()
    c = t.counters
    held: dict[str, dict[str, int]] = {k: {} for k in keys}
    for name, value in conn.execute(select(c.c.name, c.c.value).where(c.c.name.in_(list(rows)))):
        key, part = rows[name]
        held[key][part] = int(value)
    return {
        keys[k]
        for k, h in held.items()
        if h.get(UNTIL, 0) > now and holder_alive(h.get(PID), h.get(HOST))
    }
