"""The seller the sandbox serves, as Amazon holds it: accounts, listings, FBA stock, orders,
inbound shipments and plans — derived from a generated demo seller.

Orders are synthesised from the demo's daily history (per day, seller SKU and channel, split into
a few orders), plus cancelled orders and multi-channel (non-Amazon) orders that must not count, so
that after a sync the store's daily sales equal the demo history. Tests change the seller (new
orders, cancellations, shipment receipts) through the methods at the bottom.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from numpy.typing import NDArray

from planner.demo import DemoSeller
from planner.domain.marketplaces import Marketplace, all_marketplaces, marketplace
from planner.domain.orders import OrderStatus

DAY = 86_400
ORDER_STATUSES = ("Shipped", "Pending", "Unshipped", "Cancelled")
SHIPPED, PENDING, UNSHIPPED, CANCELLED = range(4)
CANCELLED_SHARE = 0.02  # extra cancelled orders, per day-SKU cell with sales
MCF_SHARE = 0.01  # extra multi-channel (Shopify via FBA) orders on FBA cells
SPLIT_AT = 8  # a day's units of one SKU come in two orders from this many on
NON_AMAZON = "Non-Amazon"
CURRENCIES = {
    "US": "USD", "CA": "CAD", "MX": "MXN", "BR": "BRL", "GB": "GBP", "SE": "SEK", "PL": "PLN",
    "TR": "TRY", "AE": "AED", "SA": "SAR", "EG": "EGP", "IN": "INR", "ZA": "ZAR", "JP": "JPY",
    "AU": "AUD", "SG": "SGD",
}  # fmt: skip


def currency(country_code: str) -> str:
    return CURRENCIES.get(country_code, "EUR")


def digest(*parts: object) -> int:
    text = "|".join(str(p) for p in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def moment(seconds: int) -> datetime:
    return datetime.fromtimestamp(int(seconds), tz=UTC)


@dataclass(frozen=True, slots=True)
class Account:
    """One seller account (a connection) in one region."""

    name: str
    seller_id: str
    marketplace_ids: tuple[str, ...]
    refresh_token: str


@dataclass(slots=True)
class SandboxListing:
    marketplace_id: str
    seller_sku: str
    asin: str
    title: str
    price: float
    fnsku: str | None  # FBA listings have one
    opened: date
    quantity: int = 0  # seller-fulfilled quantity (FBM listings)

    @property
    def fba(self) -> bool:
        return self.fnsku is not None


@dataclass(slots=True)
class SandboxStock:
    fulfillable: int = 0
    reserved: int = 0
    inbound_working: int = 0
    inbound_shipped: int = 0
    inbound_receiving: int = 0
    unfulfillable: int = 0
    researching: int = 0
    updated: datetime | None = None


@dataclass(slots=True)
class SandboxItem:
    seller_sku: str
    fnsku: str | None
    shipped: int
    received: int = 0


@dataclass(slots=True)
class SandboxShipment:
    shipment_id: str
    marketplace_id: str
    name: str
    status: str  # a v0 ShipmentStatus
    items: list[SandboxItem]
    updated: datetime
    need_by: date | None = None
    plan_id: str | None = None  # set when the shipment belongs to a 2024-03-20 inbound plan


@dataclass(slots=True)
class SandboxPlan:
    plan_id: str
    name: str
    status: str  # ACTIVE, SHIPPED, VOIDED
    marketplace_ids: tuple[str, ...]
    created: datetime
    updated: datetime
    shipments: list[tuple[str, str]] = field(default_factory=list)  # (shipmentId, confirmation)


@dataclass
class Orders:
    """Order lines as columns (millions of lines stay cheap)."""

    seller_skus: list[str]
    markets: list[Marketplace]
    sku: NDArray[np.int32]
    market: NDArray[np.int16]
    fba: NDArray[np.bool_]
    channel_amazon: NDArray[np.bool_]  # False: a multi-channel order (sales channel Non-Amazon)
    purchased: NDArray[np.int64]  # epoch seconds
    updated: NDArray[np.int64]
    status: NDArray[np.int8]
    quantity: NDArray[np.int32]
    revenue: NDArray[np.float64]
    number: NDArray[np.int64]  # makes the order id

    def __len__(self) -> int:
        return len(self.sku)

    def order_id(self, i: int) -> str:
        n = int(self.number[i])
        prefix = 111 + int(self.market[i]) % 800
        return f"{prefix:03d}-{n // 10_000_000 % 10_000_000:07d}-{n % 10_000_000:07d}"

    def append(self, other: Orders) -> None:
        for name in (
            "sku",
            "market",
            "fba",
            "channel_amazon",
            "purchased",
            "updated",
            "status",
            "quantity",
            "revenue",
            "number",
        ):
            setattr(self, name, np.concatenate([getattr(self, name), getattr(other, name)]))


def plan_id_for(seed: str) -> str:
    """A 38-character inbound plan id in Amazon's shape (wf + uuid-like)."""
    h = hashlib.sha256(seed.encode()).hexdigest()
    return f"wf{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def shipment_id_for(seed: str) -> str:
    h = hashlib.sha256(("shipment:" + seed).encode()).hexdigest()
    return f"sh{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


class SandboxSeller:
    """Everything Amazon knows about the demo seller; thread-safe for the server."""

    def __init__(self, demo: DemoSeller, *, now: datetime | None = None) -> None:
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
        self.listings = _listings(demo)
        self.stock = _stock(demo, self.listings, self.now)
        self.orders = _orders(demo, self.listings)
        self.shipments, self.plans = _shipments(demo, self.listings)
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
        self, shipment_id: str, received: dict[str, int], *, status: str, at: datetime
    ) -> None:
        """Amazon checks units in (received totals by seller SKU) and moves the shipment on."""
        with self.lock:
            shipment = next(s for s in self.shipments if s.shipment_id == shipment_id)
            for item in shipment.items:
                if item.seller_sku in received:
                    item.received = received[item.seller_sku]
            shipment.status = status
            shipment.updated = at

    def add_shipment(self, shipment: SandboxShipment) -> None:
        with self.lock:
            self.shipments.append(shipment)

    def add_plan(self, plan: SandboxPlan) -> None:
        with self.lock:
            self.plans.append(plan)


# -- building it from the demo seller ----------------------------------------------------------


def _listings(demo: DemoSeller) -> list[SandboxListing]:
    variants = {v.sku: v for v in demo.variants}
    out = []
    for x in demo.listings:
        if x.marketplace_id is None or not x.asin:
            continue  # not an Amazon listing (Shopify)
        v = variants[x.variant_sku]
        opened = v.launched_on or demo.today - timedelta(days=900 + digest(x.seller_sku) % 400)
        out.append(
            SandboxListing(
                marketplace_id=x.marketplace_id,
                seller_sku=x.seller_sku,
                asin=x.asin,
                title=v.title or v.sku,
                price=round(v.price, 2),
                fnsku=x.fnsku,
                opened=opened,
            )
        )
    return out


def _region_fbm(marketplace_id: str) -> str:
    return f"FBM-{marketplace(marketplace_id).region}"


def _stock(
    demo: DemoSeller, listings: list[SandboxListing], now: datetime
) -> dict[tuple[str, str], SandboxStock]:
    """FBA stock per (marketplace, seller SKU); FBM quantities go onto the listings."""
    levels = {(s.sku, s.warehouse): s for s in demo.stock}
    owner = {
        (x.marketplace_id, x.seller_sku): x.variant_sku for x in demo.listings if x.marketplace_id
    }
    by_variant: dict[tuple[str, str], list[SandboxListing]] = {}
    for x in listings:
        by_variant.setdefault(
            (owner[(x.marketplace_id, x.seller_sku)], x.marketplace_id), []
        ).append(x)
    out: dict[tuple[str, str], SandboxStock] = {}
    for (sku, market_id), group in by_variant.items():
        fba = sorted((x for x in group if x.fba), key=lambda x: (x.seller_sku != sku, x.seller_sku))
        for x in group:
            if not x.fba:
                level = levels.get((sku, _region_fbm(market_id)))
                x.quantity = level.available if level else 0
        if not fba:
            continue
        code = f"FBA-{marketplace(market_id).country_code}"
        level = levels.get((sku, code))
        stocks = [SandboxStock(updated=now) for _ in fba]
        if level is not None:
            # A relabelled duplicate listing holds a quarter of the sellable units.
            share = level.available // 4 if len(fba) > 1 else 0
            stocks[0].fulfillable = level.available - share
            if len(fba) > 1:
                stocks[1].fulfillable = share
            stocks[0].reserved = level.reserved
            stocks[0].inbound_working = level.inbound_working
            stocks[0].inbound_shipped = level.inbound_shipped
            stocks[0].inbound_receiving = level.inbound_receiving
        for x, stock in zip(fba, stocks, strict=True):
            stock.unfulfillable = digest("damaged", x.seller_sku, market_id) % 4
            stock.researching = int(digest("research", x.seller_sku) % 17 == 0)
            out[(market_id, x.seller_sku)] = stock
    return out


def _series_listing(
    demo: DemoSeller, listings: list[SandboxListing]
) -> dict[tuple[str, str, bool], list[str]]:
    """(variant, marketplace, fba) → its seller SKUs, the one named like the variant first."""
    owner = {
        (x.marketplace_id, x.seller_sku): x.variant_sku for x in demo.listings if x.marketplace_id
    }
    out: dict[tuple[str, str, bool], list[str]] = {}
    for x in listings:
        variant = owner[(x.marketplace_id, x.seller_sku)]
        out.setdefault((variant, x.marketplace_id, x.fba), []).append(x.seller_sku)
    for key, skus in out.items():
        skus.sort(key=lambda s: (s != key[0], s))
    return out


def _orders(demo: DemoSeller, listings: list[SandboxListing]) -> Orders:
    h = demo.history
    by_domain = {m.domain: m for m in all_marketplaces()}
    sellers = _series_listing(demo, listings)
    seller_skus = sorted({x.seller_sku for x in listings})
    sku_index = {s: i for i, s in enumerate(seller_skus)}
    markets = [
        m for m in all_marketplaces() if any(x.marketplace_id == m.marketplace_id for x in listings)
    ]
    market_index = {m.marketplace_id: i for i, m in enumerate(markets)}
    # Which series are Amazon's, and the seller SKUs their units are sold under.
    rows, primary, second, market, fba = [], [], [], [], []
    for r, key in enumerate(h.keys):
        m = by_domain.get(key.channel)
        if m is None or not key.warehouse.startswith(("FBA-", "FBM-")):
            continue
        fba_series = key.warehouse.startswith("FBA-")
        skus = sellers.get((key.sku, m.marketplace_id, fba_series))
        if not skus:
            continue
        rows.append(r)
        primary.append(sku_index[skus[0]])
        second.append(sku_index[skus[1]] if len(skus) > 1 else -1)
        market.append(market_index[m.marketplace_id])
        fba.append(fba_series)
    if not rows:
        return _empty_orders(seller_skus, markets)
    units = np.rint(h.units[rows]).astype(np.int64)
    revenue = (h.revenue[rows] if h.revenue is not None else np.zeros_like(h.units[rows])).astype(
        np.float64
    )
    r_idx, d_idx = np.nonzero(units > 0)
    q = units[r_idx, d_idx]
    rev = revenue[r_idx, d_idx]
    # Each day-SKU cell becomes an order line; busy cells two (kept lean: a report of a big
    # seller already holds hundreds of thousands of lines).
    k = 1 + (q >= SPLIT_AT)
    cell = np.repeat(np.arange(len(q)), k)
    first = np.cumsum(k) - k
    j = np.arange(len(cell)) - np.repeat(first, k)
    qty = q[cell] // k[cell] + (j < q[cell] % k[cell])
    line_rev = np.round(rev[cell] * qty / q[cell], 2)
    # A relabelled duplicate listing sells the second order of busy days, and every fifth day.
    sec = np.array(second, dtype=np.int64)[r_idx[cell]]
    day = d_idx[cell]
    relabelled = (sec >= 0) & ((j == 1) | (day % 5 == 0))
    sku = np.where(relabelled, sec, np.array(primary, dtype=np.int64)[r_idx[cell]])
    start = epoch(datetime.combine(h.start, time(0), tzinfo=UTC))
    n = len(cell)
    noise = _noise(n, 1)
    purchased = start + day * DAY + (noise % 86_000)
    mk = np.array(market, dtype=np.int16)[r_idx[cell]]
    is_fba = np.array(fba, dtype=bool)[r_idx[cell]]
    base = Orders(
        seller_skus, markets, sku.astype(np.int32), mk, is_fba, np.ones(n, dtype=bool),
        purchased, purchased, np.zeros(n, dtype=np.int8), qty.astype(np.int32), line_rev,
        np.arange(n, dtype=np.int64),
    )  # fmt: skip
    extras = _extras(
        base,
        cells=(r_idx, d_idx),
        rows_market=np.array(market),
        rows_fba=np.array(fba),
        primary=np.array(primary),
        start=start,
    )
    base.append(extras)
    _statuses(base, today=demo.today)
    return base


def _noise(n: int, salt: int) -> NDArray[np.int64]:
    x = (np.arange(n, dtype=np.int64) + salt * 7919) * 2654435761 % (1 << 31)
    return (x * 48271 % 2147483647).astype(np.int64)


def _extras(
    base: Orders,
    *,
    cells: tuple[NDArray[np.intp], NDArray[np.intp]],
    rows_market: NDArray[np.int64],
    rows_fba: NDArray[np.bool_],
    primary: NDArray[np.int64],
    start: int,
) -> Orders:
    """Cancelled orders on some cells, and multi-channel orders on some FBA cells."""
    r_idx, d_idx = cells
    noise = _noise(len(r_idx), 3)
    cancel = noise % 1000 < CANCELLED_SHARE * 1000
    mcf = (noise // 1000 % 1000 < MCF_SHARE * 1000) & rows_fba[r_idx]
    pick = np.flatnonzero(cancel | mcf)
    n = len(pick)
    purchased = start + d_idx[pick] * DAY + _noise(n, 5) % 86_000
    is_mcf = mcf[pick] & ~cancel[pick]
    return Orders(
        base.seller_skus,
        base.markets,
        primary[r_idx[pick]].astype(np.int32),
        rows_market[r_idx[pick]].astype(np.int16),
        rows_fba[r_idx[pick]].astype(bool),
        ~is_mcf,
        purchased,
        purchased,
        np.where(is_mcf, SHIPPED, CANCELLED).astype(np.int8),
        np.ones(n, dtype=np.int32),
        np.full(n, 9.99),
        len(base) + np.arange(n, dtype=np.int64),
    )


def _statuses(o: Orders, *, today: date) -> None:
    """Recent orders are still pending or unshipped; the others shipped a day after purchase."""
    now = epoch(datetime.combine(today, time(6, 0), tzinfo=UTC))
    age = now - o.purchased
    counted = o.status != CANCELLED
    o.status[counted & (age < DAY)] = PENDING
    o.status[counted & (age >= DAY) & (age < 2 * DAY) & ~o.fba] = UNSHIPPED
    shipped = o.status == SHIPPED
    o.updated = np.where(shipped, o.purchased + DAY - 600, o.purchased + 1800)
    o.updated = np.where(o.status == CANCELLED, o.purchased + 7200, o.updated)
    o.updated = np.minimum(o.updated, now - 60)


def _empty_orders(skus: list[str], markets: list[Marketplace]) -> Orders:
    z = np.zeros(0, dtype=np.int64)
    return Orders(
        skus, markets, z.astype(np.int32), z.astype(np.int16), z.astype(bool), z.astype(bool),
        z, z, z.astype(np.int8), z.astype(np.int32), z.astype(np.float64), z,
    )  # fmt: skip


def _shipments(
    demo: DemoSeller, listings: list[SandboxListing]
) -> tuple[list[SandboxShipment], list[SandboxPlan]]:
    """FBA shipments found in Amazon, and the one planner saved there (with its inbound plan)."""
    fnsku = {(x.marketplace_id, x.seller_sku): x.fnsku for x in listings}
    by_code = {f"FBA-{m.country_code}": m.marketplace_id for m in all_marketplaces()}
    shipments, plans = [], []
    for order in demo.orders:
        ref = order.external_ref or (
            order.amazon.shipment_ids[0] if order.amazon and order.amazon.shipment_ids else None
        )
        market_id = by_code.get(order.destination)
        if ref is None or market_id is None:
            continue
        created = order.created_at or datetime.combine(demo.today, time(9), tzinfo=UTC)
        items = [
            SandboxItem(line.sku, fnsku.get((market_id, line.sku)), line.ordered, line.received)
            for line in order.lines
        ]
        if order.amazon is not None:
            status = "WORKING"
        elif order.status is OrderStatus.PARTIALLY_RECEIVED:
            status = "RECEIVING"
        elif order.status is OrderStatus.RECEIVED:
            status = "CLOSED"
        else:
            status = "IN_TRANSIT"
        shipment = SandboxShipment(
            shipment_id=ref,
            marketplace_id=market_id,
            name=f"FBA ({created:%m/%d/%Y %H:%M}) - {ref[-4:]}",
            status=status,
            items=items,
            updated=created,
            need_by=order.expected_on,
        )
        if order.amazon is not None:
            plan = SandboxPlan(
                plan_id=plan_id_for(order.amazon.inbound_plan_id),
                name=f"FBA ({created:%m/%d/%Y %H:%M})",
                status="ACTIVE",
                marketplace_ids=(market_id,),
                created=created,
                updated=created,
                shipments=[(shipment_id_for(ref), ref)],
            )
            shipment.plan_id = plan.plan_id
            plans.append(plan)
        shipments.append(shipment)
    return shipments, plans


def order_quantities(seller: SandboxSeller, indices: Sequence[int]) -> int:
    return int(seller.orders.quantity[np.asarray(indices, dtype=np.int64)].sum())
