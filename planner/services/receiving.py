"""Receiving a stock order into an IP warehouse: units move, none appear from nowhere.

A purchase adds its units to the warehouse's stock. An assembly takes its components (bill of
materials quantity × assemblies received) out of the same warehouse's stock as it adds the
assemblies; a transfer from another IP warehouse takes its units out of that one. When what is
taken is not there the receipt is refused, naming each short SKU, unless forced: the stock then
goes to 0, never below, and the shortfall is written to the audit log with the receipt.

Only IP warehouses hold stock planner itself keeps; Amazon receives FBA shipments and the sync
brings the receipts in. Setting the source of orders found in Amazon is
`planner.services.amazon_inbound.set_source`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from planner.domain.activity import AuditEntry, StockLevel
from planner.domain.errors import DomainRuleViolation, InvalidInput
from planner.domain.orders import ComponentUse, OrderKind, StockOrder, components_used
from planner.domain.warehouses import Warehouse
from planner.ports import OrderWork

FORCE_HINT = (
    "receive fewer, or bring the missing stock in first; --force (in Slack: `force`) takes "
    "what is there (that stock goes to 0, never below)"
)


@dataclass(frozen=True, slots=True)
class ReceiveResult:
    number: str
    warehouse: str
    received: dict[str, int]  # units received now, by SKU
    stock: dict[str, int]  # available stock after the receipt, by SKU
    status: str
    outstanding: int  # units still to come
    taken_from: str | None = None  # where `taken` came from (the assembly site, a source)
    taken: dict[str, int] = field(default_factory=dict)  # units taken out, by SKU
    left: dict[str, int] = field(default_factory=dict)  # what is left of them there
    forced: dict[str, int] = field(default_factory=dict)  # short units a --force wrote off


@dataclass(frozen=True, slots=True)
class _Taking:
    """What a receipt takes out of a warehouse: components, or a transfer's units."""

    site: str
    uses: list[ComponentUse]
    same_site: bool  # taken where the order is received (an assembly's components)


def receive_order(
    work: Callable[[], OrderWork],
    number: str,
    *,
    quantities: Mapping[str, int] | None = None,
    force: bool = False,
    actor: str,
    origin: str = "cli",
    now: datetime | None = None,
) -> ReceiveResult:
    """Receive an order (all outstanding units, or the given ones) into its IP warehouse.

    Commits the receipt, or nothing of it. Raises NotFound, InvalidInput or DomainRuleViolation
    with a message a person can act on; `force` takes short components (or transfer units)
    down to 0.
    """
    with work() as uow:
        result = _receive(uow, number, quantities, force=force, actor=actor, origin=origin,
                          moment=now or datetime.now(UTC))  # fmt: skip
        uow.commit()
    return result


def _receive(
    uow: OrderWork,
    number: str,
    quantities: Mapping[str, int] | None,
    *,
    force: bool,
    actor: str,
    origin: str,
    moment: datetime,
) -> ReceiveResult:
    order = uow.orders.get(number)
    warehouse = uow.warehouses.get(order.destination)
    _check_receives_here(number, warehouse)
    wanted = _wanted(order, quantities)
    order.receive(wanted, on=moment.date())  # checks the status, the SKUs and the quantities
    taking = _taking(uow, order, wanted)
    stock = _Stock(uow)
    for sku, qty in wanted.items():
        stock.add(sku, warehouse.code, qty)
    forced = stock.take(order.number, taking, arrived=wanted, force=force) if taking else {}
    uow.stock.set_many([replace(level, updated_at=moment) for level in stock.levels.values()])
    uow.orders.save(order)
    result = _result(order, wanted, stock, taking, forced)
    uow.audit.record(
        AuditEntry(
            actor=actor,
            action="order.receive",
            objects=(number, *wanted, *(sku for sku in result.taken if sku not in wanted)),
            origin=origin,
            at=moment,
            details=_details(result),
        )
    )
    return result


class _Stock:
    """The stock levels a receipt changes, loaded once, by (SKU, warehouse)."""

    def __init__(self, uow: OrderWork) -> None:
        self._uow = uow
        self.levels: dict[tuple[str, str], StockLevel] = {}

    def _get(self, sku: str, warehouse: str) -> StockLevel:
        key = (sku, warehouse)
        if key not in self.levels:
            self.levels[key] = self._uow.stock.get(sku, warehouse)
        return self.levels[key]

    def available(self, sku: str, warehouse: str) -> int:
        return self._get(sku, warehouse).available

    def add(self, sku: str, warehouse: str, units: int) -> None:
        level = self._get(sku, warehouse)
        self.levels[(sku, warehouse)] = replace(level, available=level.available + units)

    def take(
        self, number: str, taking: _Taking, *, arrived: Mapping[str, int], force: bool
    ) -> dict[str, int]:
        """Take what the receipt uses; refused when short unless forced (then down to 0).

        Returns the short units a force wrote off, by SKU. Arrivals (`arrived`, at the order's
        own warehouse) are added first, so a sub-assembly received on the same assembly order
        can go into its parent.
        """
        short: dict[str, int] = {}
        problems: list[str] = []
        for use in taking.uses:
            has = self.available(use.sku, taking.site)
            if has < use.units:
                short[use.sku] = use.units - has
                made_now = arrived.get(use.sku, 0) if taking.same_site else 0
                problems.append(_shortage(taking.site, use, has, made_now))
            self.add(use.sku, taking.site, -min(use.units, has))
        if problems and not force:
            raise DomainRuleViolation(f"{number}: {'; '.join(problems)}", hint=FORCE_HINT)
        return short


def _shortage(site: str, use: ComponentUse, has: int, made_now: int) -> str:
    """`needs 1975 × TEA-TIN-1 = 1975, IP-MAIN has 1200: short 775`."""
    shelf = f"{has}" if not made_now else f"{has - made_now} (+{made_now} received now)"
    return f"needs {use.describe()}, {site} has {shelf}: short {use.units - has}"


def _check_receives_here(number: str, warehouse: Warehouse) -> None:
    if not warehouse.holds_stock_in_planner:
        raise DomainRuleViolation(
            f"order {number} goes to {warehouse.code} ({warehouse.kind}); planner receives only "
            "into IP warehouses",
            hint="Amazon receives FBA shipments; the next sync brings the receipts in"
            if warehouse.kind == "fba"
            else "record the receipt where that warehouse's stock is kept",
        )


def _wanted(order: StockOrder, quantities: Mapping[str, int] | None) -> dict[str, int]:
    if quantities is None:
        wanted = {line.sku: line.outstanding for line in order.lines if line.outstanding}
    else:
        wanted = {sku: int(qty) for sku, qty in quantities.items() if int(qty) != 0}
    if not wanted:
        raise InvalidInput(
            f"order {order.number} has nothing outstanding to receive"
            if quantities is None
            else f"order {order.number}: give at least one quantity above 0"
        )
    return wanted


def _taking(uow: OrderWork, order: StockOrder, wanted: Mapping[str, int]) -> _Taking | None:
    """What the receipt takes out: an assembly's components, an IP-to-IP transfer's units."""
    if order.kind is OrderKind.ASSEMBLY:
        boms = {b.assembly_sku: b for b in uow.boms.list()}
        # order.receive already counted these units: the ones received before are the rest
        before = {x.sku: x.received - wanted.get(x.sku, 0) for x in order.lines}
        uses = components_used(order.number, wanted, boms, before=before)
        return _Taking(order.destination, uses, True)
    source = order.source if order.kind is OrderKind.TRANSFER else None
    if source is not None and uow.warehouses.get(source).holds_stock_in_planner:
        # Units planner counts at the source left it: they are not counted twice.
        uses = [ComponentUse(sku, n, ((sku, n, 1.0),)) for sku, n in wanted.items()]
        return _Taking(source, uses, False)
    return None


def _result(
    order: StockOrder,
    wanted: dict[str, int],
    stock: _Stock,
    taking: _Taking | None,
    forced: dict[str, int],
) -> ReceiveResult:
    uses, site = (taking.uses, taking.site) if taking else ([], None)
    return ReceiveResult(
        number=order.number,
        warehouse=order.destination,
        received=wanted,
        stock={sku: stock.available(sku, order.destination) for sku in wanted},
        status=order.status.value,
        outstanding=order.outstanding,
        taken_from=site,
        taken={u.sku: u.units - forced.get(u.sku, 0) for u in uses},
        left={u.sku: stock.available(u.sku, site) for u in uses} if site else {},
        forced=forced,
    )


def _details(result: ReceiveResult) -> dict[str, object]:
    out: dict[str, object] = {
        "warehouse": result.warehouse,
        "received": result.received,
        "status": result.status,
    }
    if result.taken:
        out |= {"taken_from": result.taken_from, "taken": result.taken}
    if result.forced:
        out["forced"] = result.forced
    return out
