"""A seller that is not the demo seller: Ridge Cycle Parts, built by hand, for the Amazon sandbox.

Every other Amazon test uses the generated tea seller; this one sells bicycle parts through two
accounts of its own (ridge-na: US, CA; ridge-eu: GB, DE), has no vendors, costs or bills of
materials (Amazon knows nothing of those), and is deterministic for a given `today`.

Use it from a test as a person would: start its sandbox, write planner.toml with
`planner init --yes`, point the file at the sandbox, then run the CLI:

    sandbox = start_stranger_sandbox(stranger_today())
    config = stranger_config(tmp_path, sandbox)  # then main(["--config", str(config), "sync"])
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pytest
from amazon_support import FAST

from planner.adapters.amazon.sandbox import AmazonSandbox, SandboxSeller, SandboxSettings
from planner.cli import main
from planner.config import load_config
from planner.demo import DemoSeller
from planner.domain.activity import StockLevel
from planner.domain.catalog import Listing, Variant
from planner.domain.marketplaces import Region, marketplace
from planner.domain.orders import OrderKind, OrderLine, OrderStatus, StockOrder
from planner.domain.series import SeriesKey
from planner.domain.warehouses import Connection, Warehouse
from planner.ports.history import SeriesHistory

RIDGE_NA, RIDGE_EU = "ridge-na", "ridge-eu"
HISTORY_DAYS = 400
SEED = 20_240_611  # any fixed seed: the daily noise is the same on every run


@dataclass(frozen=True, slots=True)
class Part:
    """One product: its SKU, what Amazon shows, and its base US FBA sales per day."""

    sku: str
    title: str
    price: float
    per_day: float
    launched_ago: int | None = None  # days before today it went on sale; None: long ago


PARTS: tuple[Part, ...] = (
    Part("BK-CHAIN-11", "11-speed chain, 116 links", 34.99, 3.0),
    Part("BK-TUBE-700", "Inner tube 700x25-32c, Presta 48 mm", 8.99, 9.0),
    Part("BK-TUBE-26", "Inner tube 26x1.9-2.3, Schrader", 7.99, 2.5),
    Part("BK-LIGHT-F", "Front light, 800 lumen, USB-C", 39.99, 2.2),
    Part("BK-LIGHT-R", "Rear light, 100 lumen, USB-C", 24.99, 1.8, launched_ago=150),
    Part("BK-LOCK-U", "U-lock with 1.2 m cable", 44.99, 1.2),
    Part("BK-PUMP-MINI", "Mini pump, Presta and Schrader", 22.99, 1.6),
    Part("BK-TOOL-MULTI", "Multi-tool, 16 functions", 27.99, 1.1),
    Part("BK-PATCH-KIT", "Puncture repair kit, glueless", 5.99, 4.0),
    Part("BK-BELL", "Brass bell, 22.2 mm clamp", 12.99, 0.8),
    Part("BK-KIT-COMMUTE", "Commuter kit: lights, U-lock, bell", 109.99, 0.7),
    Part("BK-KIT-TOURING", "Touring kit: 2 tubes, pump, multi-tool, patches", 69.99, 0.5),
)
SKUS = tuple(p.sku for p in PARTS)

# What the two kits are built from, for a test to enter as bills of materials through planner's
# settings (Amazon sells the kits but does not know this; the seller is created with boms=[]).
KITS: dict[str, tuple[tuple[str, int], ...]] = {
    "BK-KIT-COMMUTE": (("BK-LIGHT-F", 1), ("BK-LIGHT-R", 1), ("BK-LOCK-U", 1), ("BK-BELL", 1)),
    "BK-KIT-TOURING": (
        ("BK-TUBE-700", 2),
        ("BK-PUMP-MINI", 1),
        ("BK-TOOL-MULTI", 1),
        ("BK-PATCH-KIT", 1),
    ),
}


def _same(skus: str) -> dict[str, str]:
    """Offers (space-separated SKUs) whose seller SKU is the product's own SKU."""
    return {s: s for s in skus.split()}


# Where each product is listed: (country, fulfilled by Amazon) -> {seller SKU: variant SKU}.
# Two seller SKUs differ from their variant: an FBM offer of the U-lock in the US, and the chain
# relabelled for Europe in DE. A fresh sync cannot know they are the same products.
LISTED: dict[tuple[str, bool], dict[str, str]] = {
    ("US", True): _same(" ".join(s for s in SKUS if s != "BK-BELL")),
    ("US", False): {"BK-LOCK-U-FBM": "BK-LOCK-U", "BK-BELL": "BK-BELL"},
    ("CA", True): _same("BK-CHAIN-11 BK-TUBE-700 BK-LIGHT-F BK-LIGHT-R BK-LOCK-U BK-KIT-COMMUTE"),
    ("GB", True): _same(
        "BK-CHAIN-11 BK-TUBE-700 BK-LIGHT-F BK-LIGHT-R BK-PUMP-MINI BK-TOOL-MULTI BK-KIT-TOURING"
    ),
    ("DE", True): {
        "BK-CHAIN-11-EU": "BK-CHAIN-11",
        **_same("BK-TUBE-700 BK-LIGHT-F BK-LOCK-U BK-PATCH-KIT BK-KIT-TOURING BK-KIT-COMMUTE"),
    },
    ("DE", False): _same("BK-TUBE-26"),
}
# Sales relative to the US, per marketplace; seller-fulfilled offers sell less than FBA ones.
SHARE = {"US": 1.0, "CA": 0.25, "GB": 0.45, "DE": 0.6}
FBM_SHARE = 0.35
# Stretches with no stock at Amazon (days before today, first and last inclusive): no sales.
# The mini pump is out in the US now (its last stretch runs to yesterday).
STOCKOUTS = (
    ("BK-LIGHT-F", "FBA-US", 210, 191),
    ("BK-TUBE-700", "FBA-GB", 75, 62),
    ("BK-PUMP-MINI", "FBA-US", 9, 1),
)
# FBA shipments on their way (the sandbox serves them as Amazon's inbound shipments).
SHIPMENTS = (
    ("FBA15RDGUS01", "FBA-US", OrderStatus.OPEN, 5, 9,
     (("BK-CHAIN-11", 60, 0), ("BK-TUBE-700", 120, 0), ("BK-PUMP-MINI", 48, 0))),
    ("FBA15RDGDE02", "FBA-DE", OrderStatus.PARTIALLY_RECEIVED, 20, -1,
     (("BK-KIT-TOURING", 40, 15), ("BK-TUBE-700", 100, 100))),
)  # fmt: skip


def stranger_today() -> date:
    """The day a test's stranger describes: yesterday, so its 06:00 stock count is in the past."""
    return date.today() - timedelta(days=1)


def stranger_connections() -> list[Connection]:
    """Ridge's two seller accounts, as their Seller Central shows them."""
    return [
        Connection(
            name=RIDGE_NA,
            region=Region.NA,
            marketplace_ids=[marketplace(c).marketplace_id for c in ("US", "CA")],
            seller_id="A1RIDGECYCLNA",
        ),
        Connection(
            name=RIDGE_EU,
            region=Region.EU,
            marketplace_ids=[marketplace(c).marketplace_id for c in ("GB", "DE")],
            seller_id="A1RIDGECYCLEU",
        ),
    ]


def _warehouse(country: str, fba: bool) -> str:
    return f"FBA-{country}" if fba else f"FBM-{marketplace(country).region}"


def _listings() -> list[Listing]:
    """Every Amazon listing with an ASIN per product and an FNSKU per FBA listing."""
    asin = {sku: f"B0RDG{i:05d}" for i, sku in enumerate(SKUS)}
    out = []
    for n, ((country, fba), offers) in enumerate(LISTED.items()):
        conn = RIDGE_NA if marketplace(country).region is Region.NA else RIDGE_EU
        market_id = marketplace(country).marketplace_id
        for k, (seller_sku, variant) in enumerate(offers.items()):
            fnsku = f"X0RDG{n:02d}{k:03d}" if fba else None
            out.append(
                Listing(conn, market_id, seller_sku, variant, asin=asin[variant], fnsku=fnsku)
            )
    return out


def _history(today: date) -> SeriesHistory:
    """Daily units by (variant, warehouse, marketplace domain) for HISTORY_DAYS up to yesterday."""
    start = today - timedelta(days=HISTORY_DAYS)
    days = np.arange(HISTORY_DAYS)
    dates = [start + timedelta(days=int(d)) for d in days]
    # Bicycle parts sell in summer (northern hemisphere), more at weekends, a little more each year.
    season = np.array(
        [1 + 0.45 * np.sin(2 * np.pi * (d.timetuple().tm_yday - 110) / 365) for d in dates]
    )
    weekend = np.array([1.3 if d.weekday() >= 5 else 0.9 for d in dates])
    trend = 1 + 0.2 * days / HISTORY_DAYS
    shape = season * weekend * trend
    parts = {p.sku: p for p in PARTS}
    rng = np.random.default_rng(SEED)
    keys: list[SeriesKey] = []
    units, in_stock = [], []
    for (country, fba), offers in LISTED.items():
        warehouse = _warehouse(country, fba)
        for variant in dict.fromkeys(offers.values()):
            part = parts[variant]
            rate = part.per_day * SHARE[country] * (1.0 if fba else FBM_SHARE) * shape
            sold = rng.poisson(rate).astype(np.float32)
            stocked = np.ones(HISTORY_DAYS, dtype=np.float32)
            if part.launched_ago is not None:
                sold[: HISTORY_DAYS - part.launched_ago] = 0
            for sku, wh, first, last in STOCKOUTS:
                if (sku, wh) == (variant, warehouse):
                    stocked[HISTORY_DAYS - first : HISTORY_DAYS - last + 1] = 0
            sold[stocked == 0] = 0
            keys.append(SeriesKey(variant, warehouse, marketplace(country).domain))
            units.append(sold)
            in_stock.append(stocked)
    u = np.array(units, dtype=np.float32)
    prices = np.array([parts[k.sku].price for k in keys], dtype=np.float32)
    return SeriesHistory(keys, start, u, np.array(in_stock, dtype=np.float32), u * prices[:, None])


def _stock(history: SeriesHistory, orders: list[StockOrder], at: datetime) -> list[StockLevel]:
    """Stock per (variant, warehouse) it sells from: some weeks of recent sales, none if out."""
    recent: dict[tuple[str, str], float] = {}
    out_now = {(sku, wh) for sku, wh, _, last in STOCKOUTS if last <= 1}
    for i, k in enumerate(history.keys):
        pair = (k.sku, k.warehouse)
        recent[pair] = recent.get(pair, 0.0) + float(history.units[i, -28:].mean())
    levels: dict[tuple[str, str], StockLevel] = {}
    for n, ((sku, wh), rate) in enumerate(sorted(recent.items())):
        cover = 18 + 9 * (n % 6)  # 18 to 63 days: some SKUs need ordering now, some do not
        available = 0 if (sku, wh) in out_now else max(1, round(rate * cover))
        held = available // 25 if wh.startswith("FBA-") else 0  # open customer orders
        levels[(sku, wh)] = StockLevel(sku, wh, available - held, held, updated_at=at)
    for order in orders:  # Amazon reports shipments on their way as inbound stock
        for line in order.lines:
            level = levels.setdefault(
                (line.sku, order.destination), StockLevel(line.sku, order.destination)
            )
            if order.status is OrderStatus.PARTIALLY_RECEIVED:
                level.inbound_receiving += line.outstanding
            else:
                level.inbound_shipped += line.outstanding
    return list(levels.values())


def _shipments(today: date) -> list[StockOrder]:
    """FBA shipments found in Amazon: purchases of unknown source, known by shipment id."""
    out = []
    for ref, destination, status, created_ago, due_in, lines in SHIPMENTS:
        out.append(
            StockOrder(
                number="",
                kind=OrderKind.PURCHASE,
                destination=destination,
                status=status,
                lines=[OrderLine(sku, ordered, received) for sku, ordered, received in lines],
                expected_on=today + timedelta(days=due_in),
                created_at=datetime.combine(
                    today - timedelta(days=created_ago), time(9), tzinfo=UTC
                ),
                created_by="amazon-sync",
                external_ref=ref,
            )
        )
    return out


def stranger_seller(today: date) -> DemoSeller:
    """Ridge Cycle Parts as Amazon knows it on `today`: no vendors, costs or bills of materials."""
    connections = stranger_connections()
    warehouses: list[Warehouse] = [w for c in connections for w in c.warehouses_to_create()]
    variants = [
        Variant(
            sku=p.sku,
            title=p.title,
            price=p.price,
            launched_on=today - timedelta(days=p.launched_ago) if p.launched_ago else None,
        )
        for p in PARTS
    ]
    history = _history(today)
    orders = _shipments(today)
    counted = datetime.combine(today, time(6), tzinfo=UTC)  # as the demo: 06:00 on `today`
    return DemoSeller(
        today=today,
        connections=connections,
        warehouses=warehouses,
        vendors=[],
        variants=variants,
        listings=_listings(),
        boms=[],
        stock=_stock(history, orders, counted),
        history=history,
        orders=orders,
        settings=[],
        forecast_edits=[],
        duplicates=[],
    )


def start_stranger_sandbox(
    today: date, settings: SandboxSettings = FAST, *, port: int = 0
) -> AmazonSandbox:
    """A started sandbox on 127.0.0.1 serving the stranger (fast: reports ready at once)."""
    return AmazonSandbox(SandboxSeller(stranger_seller(today)), settings, port=port).start()


@pytest.fixture(name="stranger_sandbox")
def fixture_stranger_sandbox() -> Iterator[AmazonSandbox]:
    """The stranger's sandbox for one test, as of yesterday (see stranger_today)."""
    sandbox = start_stranger_sandbox(stranger_today())
    yield sandbox
    sandbox.stop()


def stranger_config(tmp_path: Path, sandbox: AmazonSandbox) -> Path:
    """planner.toml from `planner init --yes`, edited to sync the stranger's accounts.

    As a person would: add the sandbox's endpoint under [amazon] (mode stays "sandbox") and
    replace the default demo accounts with one [[amazon.connections]] table per account.
    """
    path = tmp_path / "planner.toml"
    data_dir = tmp_path / "planner-data"
    code = main(["--config", str(path), "init", "--yes", "--data-dir", str(data_dir)])
    assert code == 0, "planner init failed"
    tables = []
    for account in sandbox.seller.accounts:
        markets = [marketplace(m) for m in account.marketplace_ids]
        countries = ", ".join(f'"{m.country_code}"' for m in markets)
        tables += [
            "",
            "[[amazon.connections]]",
            f'name = "{account.name}"',
            f'region = "{markets[0].region}"',
            f"marketplaces = [{countries}]",
            # Never read in sandbox mode (the sandbox's credentials come from the name).
            f'refresh_token_env = "SP_API_REFRESH_TOKEN_{account.name.upper().replace("-", "_")}"',
        ]
    lines = path.read_text(encoding="utf-8").splitlines()
    head = lines.index("[amazon]")
    end = next(i for i in range(head + 1, len(lines)) if lines[i].startswith("["))
    mode = next(i for i in range(head, end) if lines[i].startswith("mode ="))
    section = [
        *lines[head : mode + 1],
        f'endpoint = "{sandbox.url}"',
        f'lwa_endpoint = "{sandbox.token_url}"',
        *(x for x in lines[mode + 1 : end] if "[[amazon.connections]]" not in x),
    ]
    while section and not section[-1].strip():
        section.pop()  # the blank line before the next table comes after the connections
    lines[head:end] = [*section, *tables, ""]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    config = load_config(path, cwd=tmp_path)  # the file still loads, with the stranger's accounts
    assert [c.name for c in config.amazon.connections] == [a.name for a in sandbox.seller.accounts]
    return path
