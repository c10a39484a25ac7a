"""Push claims: a compare-and-set on stock_orders.amazon_plan_id, each in its own transaction.

The column holds nothing (not pushed), a claim (`push:<unix time>:<token>`, a push is about to
create the inbound plan) or the inbound plan id. A conditional UPDATE lets exactly one of two
concurrent pushes claim an order, and the plan id is committed the moment Amazon gives it.

A lease (a row `lease:<order>` in the counters table holding its expiry, unix seconds) keeps a
second push of the same order from running any step while the first one is running.
"""

from __future__ import annotations

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from planner.domain.errors import NotFound
from planner.store import tables as t

CLAIM = "push:"  # a claim, not an inbound plan id: `push:<unix time>:<token>`
EXPIRED_CLAIM = "push:0:"  # a push that ended before Amazon's answer (its plan may exist)


class SqlPushClaims:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

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
        """Take the order's push lease until now + seconds; None while another push holds it."""
        c, name, until = t.counters, lease_name(order_number), now + seconds
        with self._engine.begin() as conn:
            done = conn.execute(
                update(c).where(c.c.name == name, c.c.value <= now).values(value=until)
            )
            if done.rowcount == 1:
                return until
        try:
            with self._engine.begin() as conn:
                conn.execute(insert(c).values(name=name, value=until))
        except IntegrityError:  # held (or just taken) by another push
            return None
        return until

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


def lease_name(order_number: str) -> str:
    """The counters row holding the order's push lease (its expiry, unix seconds)."""
    return f"lease:{order_number}"[:32]
