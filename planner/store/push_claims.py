"""Push claims: a compare-and-set on stock_orders.amazon_plan_id, each in its own transaction.

The column holds nothing (not pushed), a claim (`push:<unix time>:<token>`, a push is about to
create the inbound plan) or the inbound plan id. A conditional UPDATE lets exactly one of two
concurrent pushes claim an order, and the plan id is committed the moment Amazon gives it.

The push lease that keeps a second push of the order from running any step meanwhile is
store/lease.py's, named `push:<order>`.
"""

from __future__ import annotations

from sqlalchemy import Engine, select, update

from planner.domain.errors import NotFound
from planner.store import tables as t

CLAIM = "push:"  # a claim, not an inbound plan id: `push:<unix time>:<token>`
EXPIRED_CLAIM = "push:0:"  # a push that ended before Amazon's answer (its plan may exist)
# A dead push's claim on an order changed since: a plan Amazon made under it is to be cancelled.
STALE_CLAIM = "push:stale:"


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


def stale_claim(claim: str) -> str:
    """A dead push's claim once the order changed: same token (plan name), never adopted."""
    return f"{STALE_CLAIM}{claim.rsplit(':', 1)[-1]}"
