"""Push claims: a compare-and-set on stock_orders.amazon_plan_id, each in its own transaction.

The column holds nothing (not pushed), a claim (`push:<unix time>:<token>`, a push is about to
create the inbound plan) or the inbound plan id. A conditional UPDATE lets exactly one of two
concurrent pushes claim an order, and the plan id is committed the moment Amazon gives it.

A lease keeps a second push of the same order from running any step while the first one runs:
a cycle lease (cycle_lease.py) named `push:<order>`, i.e. the counters rows `push:<order>:until`
(its expiry, unix seconds), `…:pid` and `…:host` (who holds it). It is free once it expires or,
on this machine, as soon as its process is gone: a push killed with SIGKILL (a crash, a redeploy
of `planner serve`) does not make the next push of the order wait for the expiry.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable

from sqlalchemy import Connection, Engine, select, update

from planner.domain.errors import NotFound
from planner.store import tables as t
from planner.store.cycle_lease import HOST, PID, UNTIL, SqlCycleLease, holder_alive, row_names_fit

CLAIM = "push:"  # a claim, not an inbound plan id: `push:<unix time>:<token>`
EXPIRED_CLAIM = "push:0:"  # a push that ended before Amazon's answer (its plan may exist)
# A dead push's claim on an order changed since: a plan Amazon made under it is to be cancelled.
STALE_CLAIM = "push:stale:"
LEASE = "push:"  # the push lease of an order: the cycle lease named `push:<order>`


class SqlPushClaims:
    def __init__(self, engine: Engine, *, pid: int | None = None) -> None:
        self._engine = engine
        self._pid = pid  # the process holding the leases this takes (None: this one)

    def current(self, order_number: str) -> str | None:
        so = t.stock_orders
        with self._engine.connect() as conn:
            row = conn.execute(
                select(so.c.amazon_plan_id).where(so.c.number == order_number)
            ).first()
        if row is None:
            raise NotFound(f"unknown order {order_number!r}", hint="`planner orders` lists them")
        return row[0]

    def swap(
        self, order_number: str, *, expected: str | None, new: str | None, split: bool | None = None
    ) -> bool:
        so = t.stock_orders
        held = (
            so.c.amazon_plan_id.is_(None) if expected is None else so.c.amazon_plan_id == expected
        )
        # Whatever the column now holds, the push that set it has not finished.
        values: dict[str, object] = {"amazon_plan_id": new, "amazon_pushed_at": None}
        if split is not None:
            values["amazon_split"] = split
        with self._engine.begin() as conn:
            done = conn.execute(update(so).where(so.c.number == order_number, held).values(values))
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


def stale_claim(claim: str) -> str:
    """A dead push's claim once the order changed: same token (plan name), never adopted."""
    return f"{STALE_CLAIM}{claim.rsplit(':', 1)[-1]}"


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
