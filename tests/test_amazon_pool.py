"""Pan-European pooled FBA stock, through the real SP-API client and the sandbox's pooled EU
account: Amazon answers the pool's quantity for every marketplace of it, planner counts it once."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from amazon_support import (
    FAST,
    connection,
    fixture_demo_seller,  # noqa: F401  (a fixture)
    fixture_sandbox,  # noqa: F401  (a fixture)
    gateway,
    load_planner,
    run_sync,
    sync_now,
)
from sqlalchemy import Engine, select

from planner.adapters.amazon.sandbox import AmazonSandbox, SandboxSeller
from planner.cli import main
from planner.config import Config, load_config
from planner.demo import DemoSeller
from planner.domain.errors import ConfigError
from planner.domain.marketplaces import marketplace
from planner.domain.pools import NA_REMOTE, PAN_EU, UK, pool_of, remote_pool_of, split_pooled
from planner.services.plan_inputs import PlanningOptions
from planner.services.planning import make_plan
from planner.services.supply import linked_to_amazon, on_the_way
from planner.store import tables as t
from planner.store.database import make_engine
from planner.store.uow import SqlUnitOfWork

EU = "amazon-eu"
NA = "amazon-na"
POOLED = ("DE", "FR", "IT", "ES")
REMOTE = ("US", "CA", "MX")


def _amazon_pool(
    sandbox: AmazonSandbox, countries: tuple[str, ...], *, field: str = "fulfillable"
) -> Counter[str]:
    """Units per seller SKU as Amazon reports them for the pool (once per SKU)."""
    out: Counter[str] = Counter()
    seen: set[str] = set()
    ids = {marketplace(c).marketplace_id for c in countries}
    for x in sandbox.seller.listings:
        if x.fba and x.marketplace_id in ids and x.seller_sku not in seen:
            seen.add(x.seller_sku)
            level = sandbox.seller.stock.get((x.marketplace_id, x.seller_sku))
            if level is None:
                continue
            if field == "inbound":
                out[x.seller_sku] += (
                    level.inbound_working + level.inbound_shipped + level.inbound_receiving
                )
            else:
                out[x.seller_sku] += getattr(level, field)
    return out


def _listed_elsewhere(sandbox: AmazonSandbox) -> Counter[str]:
    """Seller SKUs listed with FBA in a planned country of the pool (DE, FR, ES): every one."""
    ids = {marketplace(c).marketplace_id for c in ("DE", "FR", "ES")}
    skus = {x.seller_sku for x in sandbox.seller.listings if x.fba and x.marketplace_id in ids}
    return Counter({sku: 10**9 for sku in skus})


def _by_variant(engine: Engine, per_sku: Counter[str], channel: str = EU) -> Counter[str]:
    with SqlUnitOfWork(engine) as uow:
        owner = {x.seller_sku: x.variant_sku for x in uow.listings.list() if x.channel == channel}
    out: Counter[str] = Counter()
    for seller_sku, units in per_sku.items():
        out[owner[seller_sku]] += units
    return out


def _synced(engine: Engine, codes: tuple[str, ...]) -> Counter[str]:
    with SqlUnitOfWork(engine) as uow:
        levels = [s for s in uow.stock.list() if s.warehouse in codes]
    out: Counter[str] = Counter()
    for s in levels:
        out[s.sku] += s.available
    return out


def test_the_sandbox_answers_the_pool_for_every_pooled_marketplace(
    sandbox: AmazonSandbox, demo_seller: DemoSeller
) -> None:
    de, fr = marketplace("DE").marketplace_id, marketplace("FR").marketplace_id
    both = {x.seller_sku for x in sandbox.seller.listings_in(de) if x.fba} & {
        x.seller_sku for x in sandbox.seller.listings_in(fr) if x.fba
    }
    assert both
    sku = sorted(both)[0]
    assert sandbox.seller.stock[(de, sku)] is sandbox.seller.stock[(fr, sku)]
    # The demo's per-country stock is one pool at Amazon: their sum.
    gb = marketplace("GB").marketplace_id
    unpooled = SandboxSeller(demo_seller, pooled=False)
    assert sandbox.seller.stock[(de, sku)].fulfillable == sum(
        unpooled.stock[(marketplace(c).marketplace_id, sku)].fulfillable
        for c in POOLED
        if (marketplace(c).marketplace_id, sku) in unpooled.stock
    )
    assert sandbox.seller.stock.get((gb, sku)) is not sandbox.seller.stock[(de, sku)]


def test_a_change_in_one_pooled_country_is_answered_for_every_one(
    sandbox: AmazonSandbox, demo_seller: DemoSeller
) -> None:
    de, fr, gb = (marketplace(c).marketplace_id for c in ("DE", "FR", "GB"))
    listed = {
        m: {x.seller_sku for x in sandbox.seller.listings_in(m) if x.fba} for m in (de, fr, gb)
    }
    sku = sorted(listed[de] & listed[fr])[0]
    uk_sku = sorted(listed[gb] & listed[de])[0]
    pooled = sandbox.seller.stock[(de, uk_sku)].fulfillable
    sandbox.seller.set_stock(de, sku, fulfillable=1234)  # a receipt into Germany, say
    sandbox.seller.set_stock(gb, uk_sku, fulfillable=pooled + 7)
    gw = gateway(sandbox, EU)
    try:
        answers = {
            m: {r.seller_sku: r for page in gw.fba_inventory(m) for r in page} for m in listed
        }
    finally:
        gw.close()
    assert answers[de][sku].fulfillable == answers[fr][sku].fulfillable == 1234
    assert answers[gb][uk_sku].fulfillable == pooled + 7
    assert answers[de][uk_sku].fulfillable == pooled  # the UK's stock is not the pool's
    assert sandbox.stats.rejections == []


def test_pooled_eu_stock_is_counted_once_and_the_plan_adds_up_to_amazons_pool(
    engine: Engine, sandbox: AmazonSandbox, demo_seller: DemoSeller
) -> None:
    load_planner(engine, demo_seller)
    now = sync_now(demo_seller)
    result, gw = run_sync(engine, sandbox, connection(demo_seller, EU), now=now)
    assert result.ok, result.failure
    # The pool costs no extra request: one inventory pager per marketplace, as before.
    assert gw.stats.requests["getInventorySummaries"] == len(
        connection(demo_seller, EU).marketplace_ids
    )
    inventory = next(s for s in result.steps if s.step == "inventory")
    assert inventory.counts["pooled"] > 0

    pool_codes = tuple(f"FBA-{c}" for c in POOLED)
    want = _by_variant(engine, _amazon_pool(sandbox, POOLED))
    assert sum(want.values()) > 0
    got = _synced(engine, pool_codes)
    assert {k: v for k, v in got.items() if v} == {k: v for k, v in want.items() if v}
    # Counted four times before: the old sync wrote the pool into each country.
    assert sum(got.values()) < 2 * sum(want.values())
    # FBA-IT is not planned in the demo: a SKU listed in a planned country of the pool too
    # has its share there; only a SKU Amazon lists in Italy alone keeps its stock in FBA-IT.
    italy_only = _by_variant(engine, _amazon_pool(sandbox, ("IT",)) - _listed_elsewhere(sandbox))
    assert {k: v for k, v in _synced(engine, ("FBA-IT",)).items() if v} == {
        k: v for k, v in italy_only.items() if v
    }
    # The UK is a pool of its own: its stock is its own.
    uk = _by_variant(engine, _amazon_pool(sandbox, ("GB",)))
    assert {k: v for k, v in _synced(engine, ("FBA-GB",)).items() if v} == {
        k: v for k, v in uk.items() if v
    }

    with SqlUnitOfWork(engine) as uow:
        run = make_plan(uow, today=demo_seller.today, options=PlanningOptions())
    planned: Counter[str] = Counter()
    for m in run.plan.compare:
        if m.warehouse in pool_codes:
            planned[m.sku] += m.available
    with SqlUnitOfWork(engine) as uow:
        active = {v.sku for v in uow.variants.list() if v.active}
    assert {k: v for k, v in planned.items() if v} == {
        k: v for k, v in (want - italy_only).items() if v and k in active
    }
    rows: Counter[str] = Counter()
    for r in run.plan.recommendations:
        if r.warehouse in pool_codes and r.kind.value == "purchase":
            rows[r.sku] += r.available
    for sku, units in rows.items():
        assert units <= want[sku], sku


def test_the_next_sync_shares_the_pool_by_each_countrys_sales(
    engine: Engine, sandbox: AmazonSandbox, demo_seller: DemoSeller
) -> None:
    load_planner(engine, demo_seller)
    conn = connection(demo_seller, EU)
    now = sync_now(demo_seller)
    assert run_sync(engine, sandbox, conn, now=now)[0].ok  # brings the sales
    assert run_sync(engine, sandbox, conn, now=now + timedelta(hours=1), steps=("inventory",))[0].ok
    codes = ("FBA-DE", "FBA-FR", "FBA-ES")
    italy_only = _amazon_pool(sandbox, ("IT",)) - _listed_elsewhere(sandbox)
    want = _by_variant(engine, _amazon_pool(sandbox, POOLED)) - _by_variant(engine, italy_only)
    got = _synced(engine, codes)
    assert {k: v for k, v in got.items() if v} == {k: v for k, v in want.items() if v}
    with SqlUnitOfWork(engine) as uow:
        end = demo_seller.today - timedelta(days=1)
        history = uow.history.read(end - timedelta(days=89), end, warehouses=list(codes))
        stock = {(s.sku, s.warehouse): s.available for s in uow.stock.list()}
    sold: Counter[tuple[str, str]] = Counter()
    for key, units in zip(history.keys, history.units.sum(axis=1).tolist(), strict=True):
        sold[(key.sku, key.warehouse)] += units
    # Where a SKU sold in one country only, that country holds the whole pool.
    checked = 0
    for sku, units in want.items():
        selling = [c for c in codes if sold[(sku, c)] > 0]
        if len(selling) == 1 and units:
            assert stock.get((sku, selling[0])) == units, sku
            checked += 1
        elif len(selling) > 1 and units > 20:
            best = max(codes, key=lambda c: sold[(sku, c)])
            assert stock.get((sku, best), 0) >= max(stock.get((sku, c), 0) for c in codes)
            checked += 1
    assert checked


def test_an_unpooled_account_keeps_each_countrys_own_stock(
    engine: Engine, demo_seller: DemoSeller
) -> None:
    box = AmazonSandbox(SandboxSeller(demo_seller, pooled=False), FAST).start()
    try:
        load_planner(engine, demo_seller)
        result, _ = run_sync(engine, box, connection(demo_seller, EU), now=sync_now(demo_seller))
        assert result.ok, result.failure
        inventory = next(s for s in result.steps if s.step == "inventory")
        assert inventory.counts["pooled"] == 0
    finally:
        box.stop()
    with SqlUnitOfWork(engine) as uow:
        stock = {(s.sku, s.warehouse): s for s in uow.stock.list()}
    for level in demo_seller.stock:
        if level.warehouse in {f"FBA-{c}" for c in POOLED}:
            assert stock[(level.sku, level.warehouse)].available == level.available, level


def test_pools_and_shares() -> None:
    assert [pool_of(c) for c in ("de", "FR", "GB", "US", "JP")] == [PAN_EU, PAN_EU, UK, None, None]
    assert split_pooled(10, [1, 1, 1]) == [4, 3, 3]
    assert split_pooled(7, [0, 0]) == [4, 3]
    assert split_pooled(100, [3, 1, 0]) == [75, 25, 0]
    assert split_pooled(0, [2, 5]) == [0, 0]
    for total in range(0, 50, 7):
        assert sum(split_pooled(total, [0.3, 2.9, 1.1, 0])) == total
    with pytest.raises(ValueError):
        split_pooled(3, [])


def test_after_the_demo_the_plan_counts_each_eu_pool_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PLANNER_LOG_LEVEL", raising=False)
    assert main(["demo", "--seller-only", "--variants", "20"]) == 0
    capsys.readouterr()

    assert main(["warehouses", "--json"]) == 0
    warehouses = {w["code"]: w for w in json.loads(capsys.readouterr().out)}
    for code in ("FBA-DE", "FBA-FR", "FBA-IT", "FBA-ES"):
        assert (warehouses[code]["region"], warehouses[code]["pool"]) == ("EU", PAN_EU)
    assert (warehouses["FBA-GB"]["region"], warehouses["FBA-GB"]["pool"]) == ("EU", UK)
    assert (warehouses["FBA-US"]["region"], warehouses["FBA-US"]["pool"]) == ("NA", None)
    assert (warehouses["FBM-EU"]["region"], warehouses["FBM-EU"]["pool"]) == ("EU", None)
    assert (warehouses["IP-MAIN"]["region"], warehouses["IP-MAIN"]["pool"]) == (None, None)
    assert {"code", "name", "kind", "enabled", "connection", "members"} <= set(warehouses["FBA-DE"])

    # What Amazon reported for the pool: the same quantity in every pooled marketplace, once.
    engine = make_engine(f"sqlite:///{tmp_path / 'planner-data' / 'planner.db'}")
    country = {marketplace(c).marketplace_id: c for c in POOLED}
    reported: dict[str, set[int]] = {}
    in_planned: set[str] = set()  # seller SKUs listed in a planned warehouse of the pool
    with SqlUnitOfWork(engine) as uow:
        owner = {x.seller_sku: x.variant_sku for x in uow.listings.list() if x.channel == EU}
        planned = {w.code for w in uow.warehouses.list(enabled_only=True)}
    inv = t.amazon_inventory.c
    with engine.connect() as conn:
        found = conn.execute(select(inv.marketplace_id, inv.seller_sku, inv.fulfillable)).all()
    engine.dispose()
    for market_id, seller_sku, fulfillable in found:
        if market_id in country:
            reported.setdefault(seller_sku, set()).add(fulfillable)
            if f"FBA-{country[market_id]}" in planned:
                in_planned.add(seller_sku)
    assert all(len(units) == 1 for units in reported.values())
    amazon: Counter[str] = Counter()
    for seller_sku in in_planned:
        amazon[owner[seller_sku]] += next(iter(reported[seller_sku]))
    assert sum(amazon.values()) > 0

    assert main(["plan", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert main(["compare", "--json"]) == 0
    compared = json.loads(capsys.readouterr().out)["warehouses"]
    codes = {f"FBA-{c}" for c in POOLED}
    in_plan: Counter[str] = Counter()
    for m in compared:
        if m["warehouse"] in codes:
            in_plan[m["sku"]] += m["available"]
    assert +in_plan == +amazon
    by_rows: Counter[str] = Counter()
    for r in rows:
        if r["warehouse"] in codes and r["kind"] != "transfer":
            by_rows[r["sku"]] += r["available"]
    assert all(by_rows[sku] <= units for sku, units in amazon.items())


def test_pooled_inbound_units_go_where_their_shipments_go(
    engine: Engine, sandbox: AmazonSandbox, demo_seller: DemoSeller
) -> None:
    load_planner(engine, demo_seller)
    assert run_sync(engine, sandbox, connection(demo_seller, EU), now=sync_now(demo_seller))[0].ok
    codes = tuple(f"FBA-{c}" for c in POOLED)
    with SqlUnitOfWork(engine) as uow:
        stock = {(s.sku, s.warehouse): s for s in uow.stock.list() if s.warehouse in codes}
        orders = [o for o in uow.orders.list() if o.status.is_open and o.destination in codes]
        ledger = on_the_way(stock, orders, fba=set(codes), today=demo_seller.today)
    linked: dict[str, Counter[str]] = {}
    for o in orders:
        if linked_to_amazon(o):
            for line in o.lines:
                linked.setdefault(line.sku, Counter())[o.destination] += line.outstanding
    amazon = _by_variant(engine, _amazon_pool(sandbox, POOLED, field="inbound"))
    checked = 0
    for sku, units in amazon.items():
        held = Counter({w: s.inbound for (v, w), s in stock.items() if v == sku and s.inbound})
        assert held.total() == units, sku
        going = +linked.get(sku, Counter())
        if units and going:
            # Only where its shipments go, and each unit on its way once.
            assert set(held) <= set(going), sku
            way = sum(n for (v, _), days in ledger.items() if v == sku for n in days.values())
            assert way == max(units, going.total()), sku
            checked += 1
    assert checked


def test_a_connection_without_pan_eu_is_never_pooled(
    engine: Engine, sandbox: AmazonSandbox, demo_seller: DemoSeller, tmp_path: Path
) -> None:
    toml = (
        '[amazon]\nmode = "sp-api"\n[[amazon.connections]]\nname = "eu"\nregion = "EU"\n'
        'marketplaces = ["DE", "FR"]\nrefresh_token_env = "EU_TOKEN"\npooled_fba = false\n'
    )
    (tmp_path / "planner.toml").write_text(toml, encoding="utf-8")
    environ = {
        "SP_API_CLIENT_ID": "amzn1.application-oa2-client.abc123",
        "SP_API_CLIENT_SECRET": "client-secret-value-42",
        "EU_TOKEN": "Atzr|refresh-token-value-99",
    }
    config = load_config(None, cwd=tmp_path, environ=environ)
    assert config.amazon.connections[0].pooled_fba is False

    load_planner(engine, demo_seller)
    conn = replace(connection(demo_seller, EU), pooled_fba=False)
    result, _ = run_sync(engine, sandbox, conn, now=sync_now(demo_seller))
    assert result.ok, result.failure
    assert next(s for s in result.steps if s.step == "inventory").counts["pooled"] == 0
    with SqlUnitOfWork(engine) as uow:
        stored = uow.connections.get(EU)
        de = uow.warehouses.get("FBA-DE")
    assert stored.pooled_fba is False and stored.pool_of(de) is None and de.pool == PAN_EU


# -- North America's Remote Fulfillment with FBA (opt-in) ----------------------------------------


def test_remote_fulfilment_is_answered_for_us_ca_and_mx_and_counted_once(
    engine: Engine, demo_seller: DemoSeller
) -> None:
    """US stock serving CA and MX: Amazon answers the same quantity for a SKU in each
    (selling-partner-api-docs #294); a connection with remote_fulfillment counts it once."""
    box = AmazonSandbox(SandboxSeller(demo_seller, remote_fulfillment=True), FAST).start()
    try:
        us, ca = marketplace("US").marketplace_id, marketplace("CA").marketplace_id
        both = {x.seller_sku for x in box.seller.listings_in(us) if x.fba} & {
            x.seller_sku for x in box.seller.listings_in(ca) if x.fba
        }
        assert both
        gw = gateway(box, NA)
        try:
            answers = {
                m: {r.seller_sku: r for page in gw.fba_inventory(m) for r in page} for m in (us, ca)
            }
        finally:
            gw.close()
        stocked = [s for s in sorted(both) if answers[us][s].fulfillable > 0]
        assert stocked
        for sku in stocked:
            assert answers[us][sku].fulfillable == answers[ca][sku].fulfillable
        load_planner(engine, demo_seller)
        conn = replace(connection(demo_seller, NA), remote_fulfillment=True)
        result, gw = run_sync(engine, box, conn, now=sync_now(demo_seller))
        assert result.ok, result.failures
        inventory = next(s for s in result.steps if s.step == "inventory")
        assert inventory.counts["pooled"] > 0
        # One inventory pager per marketplace, as without the pool.
        assert gw.stats.requests["getInventorySummaries"] >= len(REMOTE)
        want = _by_variant(engine, _amazon_pool(box, REMOTE), NA)
    finally:
        box.stop()
    got = _synced(engine, tuple(f"FBA-{c}" for c in REMOTE))
    assert +got == +want
    with SqlUnitOfWork(engine) as uow:
        stored = uow.connections.get(NA)
        fba_us = uow.warehouses.get("FBA-US")
    assert stored.remote_fulfillment is True and stored.pool_of(fba_us) == NA_REMOTE


def test_without_remote_fulfilment_north_america_is_never_pooled(
    engine: Engine, sandbox: AmazonSandbox, demo_seller: DemoSeller
) -> None:
    """Remote fulfilment is opt-in: an NA account keeps each country's own stock, even where
    two countries happen to answer the same quantities."""
    load_planner(engine, demo_seller)
    result, _ = run_sync(engine, sandbox, connection(demo_seller, NA), now=sync_now(demo_seller))
    assert result.ok, result.failures
    assert next(s for s in result.steps if s.step == "inventory").counts["pooled"] == 0
    with SqlUnitOfWork(engine) as uow:
        stored = uow.connections.get(NA)
        fba_us = uow.warehouses.get("FBA-US")
    assert fba_us.pool == NA_REMOTE and stored.pool_of(fba_us) is None
    assert [remote_pool_of(c) for c in ("us", "CA", "MX", "DE", "GB")] == [NA_REMOTE] * 3 + [
        None,
        None,
    ]


def _load(tmp_path: Path, region: str, markets: str, extra: str) -> Config:
    toml = (
        '[amazon]\nmode = "sp-api"\n[[amazon.connections]]\nname = "c"\n'
        f'region = "{region}"\nmarketplaces = [{markets}]\nrefresh_token_env = "TOKEN"\n{extra}'
    )
    (tmp_path / "planner.toml").write_text(toml, encoding="utf-8")
    environ = {
        "SP_API_CLIENT_ID": "amzn1.application-oa2-client.abc123",
        "SP_API_CLIENT_SECRET": "client-secret-value-42",
        "TOKEN": "Atzr|refresh-token-value-99",
    }
    return load_config(None, cwd=tmp_path, environ=environ)


def test_remote_fulfilment_is_a_north_american_setting(tmp_path: Path) -> None:
    config = _load(tmp_path, "NA", '"US", "CA"', "remote_fulfillment = true\n")
    assert config.amazon.connections[0].remote_fulfillment is True
    config = _load(tmp_path, "NA", '"US", "CA"', "")
    assert config.amazon.connections[0].remote_fulfillment is False
    with pytest.raises(ConfigError, match="remote_fulfillment is North America's"):
        _load(tmp_path, "EU", '"DE", "FR"', "remote_fulfillment = true\n")
