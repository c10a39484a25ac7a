"""The seller the sandbox serves, as Amazon holds it: accounts, listings, FBA stock, orders,
inbound shipments and plans — derived from a generated demo seller.

The records are in `state`; `from_demo` and `order_history` build them from the demo seller.
Tests change the seller (new orders, cancellations, shipment receipts) through the methods at
the bottom.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time, timedelta

import numpy as np
from numpy.typing import NDArray

from planner.adapters.amazon.sandbox.from_demo import (
    PooledStock,
    awkward_titles,
    demo_listings,
    demo_shipments,
    demo_stock,
    stock_pools,
)
from planner.adapters.amazon.sandbox.inbound_stock import (
    FULFILLABLE,
    RECEIVING,
    Processing,
    add,
    footprint,
    received_units,
    shift,
)
from planner.adapters.amazon.sandbox.order_history import demo_orders
from planner.adapters.amazon.sandbox.state import (
    CANCELLED,
    DAY,
    NON_AMAZON,
    ORDER_STATUSES,
    PENDING,
    SHIPPED,
    Account,
    Orders,
    SandboxItem,
    SandboxListing,
    SandboxPlan,
    SandboxShipment,
    SandboxStock,
    currency,
    digest,
    epoch,
    plan_id_for,
    shipment_id_for,
)
from planner.demo import DemoSeller
from planner.domain.marketplaces import marketplace

__all__ = [  # what the other sandbox modules and the tests import from here
    "NON_AMAZON",
    "ORDER_STATUSES",
    "Account",
    "SandboxItem",
    "SandboxListing",
    "SandboxPlan",
    "SandboxSeller",
    "SandboxShipment",
    "SandboxStock",
    "currency",
    "digest",
    "order_quantities",
    "plan_id_for",
    "shipment_id_for",
]


class SandboxSeller:
    """Everything Amazon knows about the demo seller; thread-safe for the server."""

    def __init__(
        self,
        demo: DemoSeller,
        *,
        now: datetime | None = None,
        pooled: bool = True,
        remote_fulfillment: bool = False,
    ) -> None:
        """`pooled`: accounts selling in several Pan-EU marketplaces hold one stock for them
        (Pan-European FBA), answered for each; False: every marketplace holds its own.
        `remote_fulfillment`: the North American account's US, CA and MX stock is one too
        (Remote Fulfillment with FBA, answered for each), with `pooled` only."""
        self.lock = threading.RLock()
        self.demo = demo
        self.today = demo.today
        self.now = now or datetime.combine(demo.today, time(6, 0), tzinfo=UTC)
        self.accounts = [
            Account(
                name=c.name,
                seller_id=c.seller_id or f"A{digest(c.name) % 10**12:012d}",
                marketplace_ids=tuple(c.marketplace_ids),
                refresh_token=f"Atzr|planner-sandbox-{c.name}",
            )
            for c in demo.connections
        ]
        self.store_name = "Leafwise Tea Co"
        self.listings = demo_listings(demo)
        awkward_titles(self.listings)
        pools = (
            stock_pools((a.marketplace_ids for a in self.accounts), remote=remote_fulfillment)
            if pooled
            else {}
        )
        self.stock = PooledStock.merged(demo_stock(demo, self.listings, self.now), pools)
        self.orders = demo_orders(demo, self.listings)
        # The demo's shipments are already counted in its stock's inbound quantities.
        self.shipments, self.plans = demo_shipments(demo, self.listings)
        self.processing: list[Processing] = []  # received, not yet fulfillable
        self._next_number = int(self.orders.number.max(initial=0)) + 1

    # -- what the server reads ----------------------------------------------------------------

    def account(self, refresh_token: str) -> Account | None:
        return next((a for a in self.accounts if a.refresh_token == refresh_token), None)

    def whole_seller(self) -> Account:
        """Every marketplace of every account (an unknown refresh token in open mode)."""
        ids = tuple(m for a in self.accounts for m in a.marketplace_ids)
        return Account("sandbox", "ASANDBOXSELLER", ids, "")

    def listings_in(self, marketplace_id: str) -> list[SandboxListing]:
        return [x for x in self.listings if x.marketplace_id == marketplace_id]

    def order_rows(
        self,
        marketplace_ids: Iterable[str],
        start: datetime | None,
        end: datetime | None,
        *,
        by_update: bool,
    ) -> NDArray[np.int64]:
        """Indices of the order lines in these marketplaces whose date falls in [start, end)."""
        o = self.orders
        wanted = {i for i, m in enumerate(o.markets) if m.marketplace_id in set(marketplace_ids)}
        mask = np.isin(o.market, np.array(sorted(wanted), dtype=np.int16))
        when = o.updated if by_update else o.purchased
        if start is not None:
            mask &= when >= epoch(start)
        if end is not None:
            mask &= when < epoch(end)
        return np.flatnonzero(mask)

    # -- how tests change the seller ---------------------------------------------------------

    def add_order(
        self,
        *,
        seller_sku: str,
        marketplace_id: str,
        quantity: int,
        revenue: float,
        at: datetime,
        fba: bool = True,
        status: str = "Pending",
    ) -> str:
        """A new order line (purchased and last updated at `at`); returns its order id."""
        with self.lock:
            o = self.orders
            if seller_sku not in o.seller_skus:
                o.seller_skus.append(seller_sku)
            markets = [m.marketplace_id for m in o.markets]
            if marketplace_id not in markets:
                o.markets.append(marketplace(marketplace_id))
                markets.append(marketplace_id)
            number = self._next_number
            self._next_number += 1
            o.append(
                Orders(
                    o.seller_skus,
                    o.markets,
                    sku=np.array([o.seller_skus.index(seller_sku)], dtype=np.int32),
                    market=np.array([markets.index(marketplace_id)], dtype=np.int16),
                    fba=np.array([fba]),
                    channel_amazon=np.array([True]),
                    purchased=np.array([epoch(at)], dtype=np.int64),
                    updated=np.array([epoch(at)], dtype=np.int64),
                    status=np.array([ORDER_STATUSES.index(status)], dtype=np.int8),
                    quantity=np.array([quantity], dtype=np.int32),
                    revenue=np.array([revenue], dtype=np.float64),
                    number=np.array([number], dtype=np.int64),
                )
            )
            return o.order_id(len(o) - 1)

    def next_day(self) -> int:
        """A day passes: yesterday's orders happen again today (pending); returns how many."""
        with self.lock:
            o = self.orders
            start = epoch(
                datetime.combine(self.now.date() - timedelta(days=1), time(0), tzinfo=UTC)
            )
            rows = np.flatnonzero((o.purchased >= start) & (o.purchased < start + DAY))
            self.now += timedelta(days=1)
            n = len(rows)
            purchased = o.purchased[rows] + DAY
            o.append(
                Orders(
                    o.seller_skus,
                    o.markets,
                    o.sku[rows],
                    o.market[rows],
                    o.fba[rows],
                    o.channel_amazon[rows],
                    purchased,
                    np.minimum(purchased + 1800, epoch(self.now) - 60),
                    np.where(o.status[rows] == CANCELLED, CANCELLED, PENDING).astype(np.int8),
                    o.quantity[rows],
                    o.revenue[rows],
                    self._next_number + np.arange(n, dtype=np.int64),
                )
            )
            self._next_number += n
            self.stow(self.now)
            return n

    def cancel_order(self, order_id: str, *, at: datetime) -> None:
        with self.lock:
            o = self.orders
            hits = [i for i in range(len(o)) if o.order_id(i) == order_id]
            if not hits:
                raise KeyError(order_id)
            for i in hits:
                o.status[i] = CANCELLED
                o.updated[i] = epoch(at)

    def find_order(
        self, marketplace_id: str, *, before: datetime, status: int = SHIPPED, fba: bool = True
    ) -> int:
        """The index of the latest order line matching these (for tests to change it)."""
        o = self.orders
        market = next(i for i, m in enumerate(o.markets) if m.marketplace_id == marketplace_id)
        hits = np.flatnonzero(
            (o.status == status)
            & (o.fba == fba)
            & o.channel_amazon
            & (o.market == market)
            & (o.purchased < epoch(before))
        )
        return int(hits[-1])

    def set_stock(self, marketplace_id: str, seller_sku: str, **quantities: int) -> None:
        with self.lock:
            level = self.stock.setdefault((marketplace_id, seller_sku), SandboxStock())
            for name, value in quantities.items():
                setattr(level, name, value)
            level.updated = self.now

    def receive(
        self,
        shipment_id: str,
        received: dict[str, int],
        *,
        status: str,
        at: datetime,
        processing_days: int = 0,
    ) -> None:
        """Amazon checks units in (received totals by seller SKU) and moves the shipment on.

        Units not yet received move to the new status's inbound quantity; newly received ones
        become fulfillable, after `processing_days` still shown as receiving (see inbound_stock).
        """
        with self.lock:
            shipment = self._shipment(shipment_id)
            before, was = footprint(shipment), received_units(shipment)
            for item in shipment.items:
                if item.seller_sku in received:
                    item.received = received[item.seller_sku]
            shipment.status, shipment.updated = status, at
            shift(self.stock, before, footprint(shipment), at=at)
            now = received_units(shipment)
            for seller_sku in sorted(set(was) | set(now)):
                units = now[seller_sku] - was[seller_sku]
                self._checked_in(shipment.marketplace_id, seller_sku, units, at, processing_days)

    def _checked_in(
        self, market_id: str, seller_sku: str, units: int, at: datetime, processing_days: int
    ) -> None:
        if units > 0 and processing_days > 0:
            add(self.stock, (market_id, seller_sku, RECEIVING), units, at=at)
            ready = at + timedelta(days=processing_days)
            self.processing.append(Processing(market_id, seller_sku, units, ready))
        elif units:  # a correction downwards takes sellable units back
            add(self.stock, (market_id, seller_sku, FULFILLABLE), units, at=at)

    def set_shipment_status(self, shipment_id: str, status: str, *, at: datetime) -> None:
        """The shipment moves on (shipped, cancelled…); its units move with it."""
        self.receive(shipment_id, {}, status=status, at=at)

    def stow(self, until: datetime) -> int:
        """Units received and processed by `until` leave receiving and become fulfillable."""
        with self.lock:
            done = [p for p in self.processing if p.ready <= until]
            self.processing = [p for p in self.processing if p.ready > until]
            for p in done:
                add(self.stock, (p.marketplace_id, p.seller_sku, RECEIVING), -p.units, at=p.ready)
                add(self.stock, (p.marketplace_id, p.seller_sku, FULFILLABLE), p.units, at=p.ready)
            return sum(p.units for p in done)

    def _shipment(self, shipment_id: str) -> SandboxShipment:
        return next(s for s in self.shipments if s.shipment_id == shipment_id)

    def add_shipment(self, shipment: SandboxShipment) -> None:
        """A new shipment: its units are inbound at Amazon from now on."""
        with self.lock:
            self.shipments.append(shipment)
            shift(self.stock, Counter(), footprint(shipment), at=shipment.updated)

    def add_plan(self, plan: SandboxPlan) -> None:
        with self.lock:
            self.plans.append(plan)

    def add_account(self, account: Account, listings: Sequence[SandboxListing]) -> None:
        """Another seller account (another region) with its listings."""
        with self.lock:
            self.accounts.append(account)
            self.listings.extend(listings)


def order_quantities(seller: SandboxSeller, indices: Sequence[int]) -> int:
    return int(seller.orders.quantity[np.asarray(indices, dtype=np.int64)].sum())
