"""A purchase order as the document sent to its vendor: who, where to, what, at what price.

Only the data: planner/adapters/documents.py draws it as an xlsx workbook or a PDF.
Transfer and assembly orders are refused: nobody outside the seller receives them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from planner.domain.errors import DomainRuleViolation
from planner.domain.orders import OrderKind
from planner.domain.warehouses import Warehouse, WarehouseKind
from planner.ports import OrderQueries
from planner.services.order_view import OrderView, order_view

ADDRESS_NOT_SET = "address not set"


@dataclass(frozen=True, slots=True)
class Party:
    """A name and its postal address, one line per line (none: not known to planner)."""

    name: str
    address: tuple[str, ...] = ()
    email: str | None = None
    note: str | None = None  # said instead of an address (an FBA warehouse's is on its labels)


@dataclass(frozen=True, slots=True)
class DocumentLine:
    sku: str
    vendor_sku: str | None
    description: str
    quantity: int
    unit_cost: float

    @property
    def total(self) -> float:
        return round(self.quantity * self.unit_cost, 2)


@dataclass(frozen=True, slots=True)
class PurchaseOrderDocument:
    """Everything the vendor's copy of a purchase order shows."""

    number: str
    status: str
    vendor: Party
    ship_to: Party
    ordered_on: date | None
    expected_on: date | None
    currency: str
    lines: tuple[DocumentLine, ...]

    @property
    def total(self) -> float:
        return round(sum(line.total for line in self.lines), 2)

    @property
    def units(self) -> int:
        return sum(line.quantity for line in self.lines)

    @property
    def has_vendor_skus(self) -> bool:
        """Some line has the vendor's own code: the documents show that column only then."""
        return any(line.vendor_sku for line in self.lines)


def po_document(uow: OrderQueries, number: str, *, currency: str) -> PurchaseOrderDocument:
    """The document of one purchase order (`currency`: the reporting one, used when neither
    the vendor nor the SKUs say); refused for transfers, assemblies and vendorless orders."""
    return document_of(order_view(uow, number, currency=currency), currency=currency)


def document_of(view: OrderView, *, currency: str) -> PurchaseOrderDocument:
    """The document of a purchase order already read (see `po_document`)."""
    o = view.order
    if o.kind is not OrderKind.PURCHASE:
        raise DomainRuleViolation(
            f"{o.number} is {'an' if o.kind is OrderKind.ASSEMBLY else 'a'} {o.kind.value} "
            "order; purchase order documents are for "
            "purchase orders, which go to a vendor",
            hint=f"`planner order show {o.number}` shows it",
        )
    if o.source is None:
        raise DomainRuleViolation(
            f"{o.number} has no vendor (a shipment found in Amazon without a source)",
            hint=f"name it first: planner order set-source {o.number} --source VENDOR",
        )
    vendor = view.vendor
    return PurchaseOrderDocument(
        number=o.number,
        status=o.status.value,
        vendor=Party(
            name=vendor.name if vendor else o.source,
            address=_lines(vendor.address if vendor else None),
            email=vendor.email if vendor else None,
        ),
        ship_to=ship_to(view.destination, o.destination, view.shipments),
        ordered_on=view.ordered_on,
        expected_on=o.expected_on,
        currency=view.currency or currency,
        lines=tuple(
            DocumentLine(x.sku, x.vendor_sku, x.title, x.ordered, x.unit_cost) for x in view.lines
        ),
    )


def _lines(text: str | None) -> tuple[str, ...]:
    return tuple(line.strip() for line in (text or "").splitlines() if line.strip())


def ship_to(warehouse: Warehouse | None, code: str, shipments: tuple[str, ...]) -> Party:
    """The destination warehouse with its address, as far as planner knows it."""
    if warehouse is None:
        return Party(code)
    name = warehouse.name if warehouse.name and warehouse.name != code else ""
    title = f"{name} ({code})" if name else code
    if warehouse.kind is WarehouseKind.FBA:
        where = f"shipment {', '.join(shipments)}" if shipments else "the FBA shipment"
        return Party(title, note=f"Amazon fulfilment centre named on the labels of {where}")
    return Party(title, address=warehouse_lines(warehouse.address))


def warehouse_lines(address: Mapping[str, str] | None) -> tuple[str, ...]:
    """A warehouse's address (the Warehouses tab's columns) as postal lines."""
    if not address:
        return ()
    a = {k: (v or "").strip() for k, v in address.items()}
    town = " ".join(p for p in (a.get("postal_code"), a.get("city")) if p)
    if a.get("state_or_province"):
        town = f"{town}, {a['state_or_province']}" if town else a["state_or_province"]
    phone = f"phone {a['phone']}" if a.get("phone") else ""
    street = (a.get("address_line1", ""), a.get("address_line2", ""))
    return tuple(line for line in (*street, town, a.get("country_code", ""), phone) if line)
