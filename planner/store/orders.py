"""Repository for stock orders and their lines."""

from __future__ import annotations

import builtins
import time
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import Connection, case, delete, func, insert, literal, select, update

from planner.domain.errors import DomainRuleViolation, NotFound, OrderLocked
from planner.domain.orders import (
    AmazonLink,
    OrderKind,
    OrderLine,
    OrderStatus,
    StockOrder,
)
from planner.domain.push import PLANNED, STEPS, PushStage, PushState, edited
from planner.store import tables as t
from planner.store.lease import saving
from planner.store.lookup import Lookup
from planner.store.push_claims import push_state, push_values

FIRST_NUMBER = 1001


class SqlOrders:
    def __init__(self, conn: Connection, lookup: Lookup) -> None:
        self._conn, self._lookup = conn, lookup
        # The push state of each order as it was loaded: a save is conditional on its claim and
        # plan id, so an order read before a push claimed it or committed its plan id cannot
        # write over them (a push walking its plan's steps does not hold a save up).
        self._loaded: dict[int, PushState | None] = {}

    def next_number(self, kind: OrderKind) -> str:
        """Allocate the next order number of a kind (PO-1001, TO-1001, AO-1001…)."""
        c = t.counters
        name = f"order:{kind.value}"
        current = self._conn.execute(select(c.c.value).where(c.c.name == name)).scalar()
        if current is None:
            value = FIRST_NUMBER
            self._conn.execute(insert(c).values(name=name, value=value))
        else:
            value = int(current) + 1
            # Compare-and-set: a concurrent allocator makes this update match no row.
            done = self._conn.execute(
                update(c).where(c.c.name == name, c.c.value == current).values(value=value)
            )
            if done.rowcount != 1:
                raise DomainRuleViolation("order numbers are being allocated elsewhere; retry")
        return f"{kind.prefix}-{value}"

    def _head(self, order: StockOrder) -> dict[str, Any]:
        vendor_id = warehouse_id = None
        if order.source is not None:
            if order.kind is OrderKind.PURCHASE:
                vendor_id = self._lookup.id("vendor", order.source)
            else:
                warehouse_id = self._lookup.id("warehouse", order.source)
        link = order.amazon
        return {
            "kind": order.kind.value,
            "status": order.status.value,
            "destination_id": self._lookup.id("warehouse", order.destination),
            "source_vendor_id": vendor_id,
            "source_warehouse_id": warehouse_id,
            "expected_on": order.expected_on,
            "created_at": order.created_at,
            "created_by": order.created_by,
            "external_ref": order.external_ref,
            "note": order.note,
            "amazon_plan_id": link.inbound_plan_id if link else None,
            "amazon_shipment_ids": list(link.shipment_ids) if link else None,
            "amazon_confirmation_ids": list(link.confirmation_ids) if link else None,
            "amazon_split": link.split if link else None,
            "amazon_pushed_at": link.pushed_at if link else None,
            "received_on": order.received_on,
        }

    def add(self, order: StockOrder) -> StockOrder:
        if not order.number:
            order.number = self.next_number(order.kind)
        exists = self._conn.execute(
            select(t.stock_orders.c.id).where(t.stock_orders.c.number == order.number)
        ).first()
        if exists is not None:
            raise DomainRuleViolation(f"order {order.number} already exists")
        head, state = self._head(order), _linked(order.amazon)
        if state is not None:
            head.update(push_values(state))
        result = self._conn.execute(insert(t.stock_orders).values(number=order.number, **head))
        order.id = int(result.inserted_primary_key[0])  # type: ignore[index]
        self._loaded[order.id] = _linked(order.amazon)
        self._write_lines(order)
        return order

    def save(self, order: StockOrder) -> None:
        if order.id is None:
            order.id = self._id(order.number)
        head, so = self._head(order), t.stock_orders
        was = self._loaded.get(order.id, _UNKNOWN)
        link, after = order.amazon, None
        if isinstance(was, _Unknown):
            pass  # saved blind: the push's columns are kept (see _keep_push_columns)
        elif link is None:
            after = edited(was, push_running=self._running(order.number, was))
        elif was is None or was.plan_id != link.inbound_plan_id:
            after = _linked(link)  # linked to a plan outside a push (the demo's, a test's)
        _keep_push_columns(head, link, after=after)
        condition = [so.c.id == order.id]
        if not isinstance(was, _Unknown):
            condition.extend(_same_claim(was))
        done = self._conn.execute(update(so).where(*condition).values(**head))
        if done.rowcount != 1:
            raise OrderLocked(
                f"order {order.number} is being saved to Amazon right now",
                hint="wait for the push to finish, then make the change again",
            )
        if not isinstance(was, _Unknown):
            self._loaded[order.id] = after if after is not None else was
        self._conn.execute(
            delete(t.stock_order_lines).where(t.stock_order_lines.c.order_id == order.id)
        )
        self._write_lines(order)

    def _running(self, number: str, was: PushState | None) -> bool:
        """A live push holds the order's lease behind its running claim."""
        return was is not None and was.running_claim and number in self._saving([number])

    def _write_lines(self, order: StockOrder) -> None:
        rows = [
            {
                "order_id": order.id,
                "variant_id": self._lookup.id("variant", line.sku),
                "ordered": line.ordered,
                "received": line.received,
                "unit_cost": line.unit_cost,
            }
            for line in order.lines
        ]
        if rows:
            self._conn.execute(insert(t.stock_order_lines), rows)

    def _id(self, number: str) -> int:
        found = self._conn.execute(
            select(t.stock_orders.c.id).where(t.stock_orders.c.number == number)
        ).scalar()
        if found is None:
            raise NotFound(f"unknown order {number!r}")
        return int(found)

    def get(self, number: str) -> StockOrder:
        orders = self._select(t.stock_orders.c.number == number)
        if not orders:
            raise NotFound(f"unknown order {number!r}", hint="`planner orders` lists them")
        return orders[0]

    def list(
        self,
        *,
        kind: OrderKind | None = None,
        statuses: Iterable[OrderStatus] | None = None,
        received_since: date | None = None,
    ) -> builtins.list[StockOrder]:
        so = t.stock_orders
        conditions = []
        if kind is not None:
            conditions.append(so.c.kind == kind.value)
        if statuses is not None:
            conditions.append(so.c.status.in_([s.value for s in statuses]))
        if received_since is not None:
            conditions.append(so.c.received_on >= received_since)
        return self._select(*conditions)

    def _select(self, *conditions: Any) -> builtins.list[StockOrder]:
        so, sl = t.stock_orders, t.stock_order_lines
        heads = self._conn.execute(select(so).where(*conditions).order_by(so.c.id)).all()
        lines: dict[int, list[OrderLine]] = {h.id: [] for h in heads}
        if heads:
            query = select(sl).order_by(sl.c.order_id, sl.c.variant_id)
            if conditions:
                query = query.where(sl.c.order_id.in_(list(lines)))
            for r in self._conn.execute(query):
                if r.order_id in lines:
                    lines[r.order_id].append(
                        OrderLine(
                            sku=self._lookup.key("variant", r.variant_id) or "",
                            ordered=r.ordered,
                            received=r.received,
                            unit_cost=r.unit_cost,
                        )
                    )
        saving = self._saving([h.number for h in heads])
        return [self._order(h._mapping, lines[h.id], h.number in saving) for h in heads]

    def _saving(self, numbers: builtins.list[str]) -> set[str]:
        """The orders a live push holds the lease of right now (a killed push holds none)."""
        return saving(self._conn, numbers, now=int(time.time())) if numbers else set()

    def _order(self, r: Any, lines: builtins.list[OrderLine], saving: bool) -> StockOrder:
        kind = OrderKind(r["kind"])
        if kind is OrderKind.PURCHASE:
            source = self._lookup.key("vendor", r["source_vendor_id"])
        else:
            source = self._lookup.key("warehouse", r["source_warehouse_id"])
        state = self._loaded[r["id"]] = push_state(r)
        link = None
        if r["amazon_plan_id"]:  # only ever an inbound plan id (a push's claim has its columns)
            link = AmazonLink(
                inbound_plan_id=r["amazon_plan_id"],
                shipment_ids=tuple(r["amazon_shipment_ids"] or ()),
                confirmation_ids=tuple(r["amazon_confirmation_ids"] or ()),
                split=True if r["amazon_split"] is None else bool(r["amazon_split"]),
                pushed_at=r["amazon_pushed_at"],
            )
        return StockOrder(
            number=r["number"],
            kind=kind,
            destination=self._lookup.key("warehouse", r["destination_id"]) or "",
            source=source,
            status=OrderStatus(r["status"]),
            lines=lines,
            expected_on=r["expected_on"],
            created_at=r["created_at"],
            created_by=r["created_by"],
            amazon=link,
            external_ref=r["external_ref"],
            note=r["note"],
            id=r["id"],
            saving=saving,
            received_on=r["received_on"],
            push_step=_unfinished_step(state),
        )


def _unfinished_step(state: PushState | None) -> PushStage | None:
    """The step an unfinished push of the order stopped at (failed there, or killed in it)."""
    if state is None or state.stage not in (*STEPS, PushStage.STOPPED):
        return None
    return state.step if state.stage is PushStage.STOPPED else state.stage


class _Unknown:
    """An order this repository did not load: its save is unconditional."""


_UNKNOWN = _Unknown()


def _linked(link: AmazonLink | None) -> PushState | None:
    """The state of an order added with a plan (one the push did not make: the demo's)."""
    if link is None:
        return None
    stage = PushStage.DONE if link.finished else PushStage.PLAN_CREATED
    return PushState(stage, plan_id=link.inbound_plan_id)


def _same_claim(was: PushState | None) -> list[Any]:
    """The row still holds the claim and plan id the order was loaded with (NULL-safe).

    Only those: a push moving through its plan's steps does not change them.
    """
    so = t.stock_orders
    if was is None:
        return [so.c.amazon_plan_id.is_(None), so.c.push_token.is_(None)]
    return [
        so.c.amazon_plan_id.is_not_distinct_from(was.plan_id),
        so.c.push_token.is_not_distinct_from(was.token),
        func.coalesce(so.c.push_claimed_at, 0) == was.claimed_at,
    ]


def _keep_push_columns(
    head: dict[str, Any], link: AmazonLink | None, *, after: PushState | None = None
) -> None:
    """Columns only a push changes: a save of what an order looked like never undoes them.

    `after`: the push state the save leaves, when it changes it (decided by the domain): a dead
    push's claim made stale by an edit (planner.domain.push.edited: the order was changed, so a
    plan Amazon may have made under that claim's name no longer matches it; the next push
    cancels that plan instead of adopting it), or the state of a plan the order was linked to
    outside a push. Otherwise the push's columns keep a running push's claim and any real plan
    id (a push may have committed one since the order was read); an order saved without having
    been loaded here turns an expired claim stale all the same, and a link is at least a plan's
    state. The split choice and the push's finish time are the push's to write: the sync saving
    a half-done push's link keeps both as they are.
    """
    so = t.stock_orders
    state = so.c.push_state
    if after is not None:
        head.update(push_values(after))
    if link is None:
        if after is None:
            head.pop("amazon_plan_id")
            expired = state == PushStage.EXPIRED.value
            head["push_state"] = case((expired, literal(PushStage.STALE.value)), else_=state)
        head["amazon_split"] = so.c.amazon_split
        head["amazon_pushed_at"] = so.c.amazon_pushed_at
        return
    if after is None:  # a link is a plan: its state is the push's, or at least a plan's
        made = literal(PushStage.DONE.value if link.finished else PushStage.PLAN_CREATED.value)
        head["push_state"] = case((state.in_([s.value for s in PLANNED]), state), else_=made)
    if link.pushed_at is None:
        head["amazon_split"] = func.coalesce(
            so.c.amazon_split, literal(link.split, so.c.amazon_split.type)
        )
        head["amazon_pushed_at"] = so.c.amazon_pushed_at  # never cleared by a stale link
    else:
        head["amazon_pushed_at"] = func.coalesce(
            so.c.amazon_pushed_at, literal(link.pushed_at, so.c.amazon_pushed_at.type)
        )
