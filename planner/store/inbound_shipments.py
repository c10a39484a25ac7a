"""Repository of each stock order's Amazon shipments (the sync adds a split plan's up)."""

from __future__ import annotations

import builtins
from typing import Any

from sqlalchemy import Connection, delete, insert, select

from planner.domain.errors import NotFound
from planner.ports import InboundItem, InboundShipment, InboundStatus
from planner.store import tables as t
from planner.store.lookup import Lookup


class SqlInboundShipments:
    def __init__(self, conn: Connection, lookup: Lookup) -> None:
        self._conn, self._lookup = conn, lookup

    def _order_id(self, number: str) -> int:
        so = t.stock_orders
        found = self._conn.execute(select(so.c.id).where(so.c.number == number)).scalar()
        if found is None:
            raise NotFound(f"unknown order {number!r}")
        return int(found)

    def put(self, order_number: str, shipment: InboundShipment) -> None:
        """Keep what Amazon says of this shipment now (replacing what it said before)."""
        table, order_id = t.order_amazon_shipments, self._order_id(order_number)
        self._conn.execute(
            delete(table).where(
                table.c.order_id == order_id, table.c.shipment_id == shipment.shipment_id
            )
        )
        self._conn.execute(
            insert(table).values(
                order_id=order_id,
                shipment_id=shipment.shipment_id,
                marketplace_id=shipment.marketplace_id,
                name=shipment.name[:255],
                status=shipment.status.value,
                expected_on=shipment.expected_on,
                items=[[i.seller_sku, i.fnsku, i.shipped, i.received] for i in shipment.items],
            )
        )

    def of_order(self, order_number: str) -> builtins.list[InboundShipment]:
        table, order_id = t.order_amazon_shipments, self._order_id(order_number)
        rows = self._conn.execute(
            select(table).where(table.c.order_id == order_id).order_by(table.c.shipment_id)
        )
        return [_shipment(r._mapping) for r in rows]

    def ids_by_order(self) -> dict[str, set[str]]:
        table, so = t.order_amazon_shipments, t.stock_orders
        rows = self._conn.execute(
            select(so.c.number, table.c.shipment_id).join(so, so.c.id == table.c.order_id)
        )
        out: dict[str, set[str]] = {}
        for number, shipment_id in rows:
            out.setdefault(number, set()).add(shipment_id)
        return out


def _shipment(r: Any) -> InboundShipment:
    return InboundShipment(
        shipment_id=r["shipment_id"],
        marketplace_id=r["marketplace_id"],
        name=r["name"],
        status=InboundStatus(r["status"]),
        expected_on=r["expected_on"],
        items=tuple(
            InboundItem(seller_sku=sku, shipped=int(shipped), received=int(received), fnsku=fnsku)
            for sku, fnsku, shipped, received in r["items"] or ()
        ),
    )
