"""Repositories for vendors, variants, listings and bills of materials."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, bindparam, delete, func, insert, select, update

from planner.domain.catalog import BillOfMaterials, Component, Listing, Variant, Vendor
from planner.domain.errors import NotFound
from planner.store import tables as t
from planner.store.lookup import Lookup
from planner.store.rows import upsert


class SqlVendors:
    def __init__(self, conn: Connection, lookup: Lookup) -> None:
        self._conn, self._lookup = conn, lookup

    def add(self, vendor: Vendor) -> Vendor:
        values = {
            "lead_time_days": vendor.lead_time_days,
            "moq": vendor.moq,
            "pack_size": vendor.pack_size,
            "min_order_value": vendor.min_order_value,
            "order_days": ",".join(str(d) for d in vendor.order_days),
            "currency": vendor.currency,
            "email": vendor.email,
            "notes": vendor.notes,
            "pack_rounding": vendor.pack_rounding,
            "address": vendor.address,
        }
        vendor.id = upsert(self._conn, t.vendors, {"name": vendor.name}, values)
        self._lookup.remember("vendor", vendor.name, vendor.id)
        return vendor

    def get(self, name: str) -> Vendor:
        row = self._conn.execute(select(t.vendors).where(t.vendors.c.name == name)).first()
        if row is None:
            raise NotFound(f"unknown vendor {name!r}")
        return _vendor(row._mapping)

    def list(self) -> builtins.list[Vendor]:
        rows = self._conn.execute(select(t.vendors).order_by(t.vendors.c.name))
        return [_vendor(r._mapping) for r in rows]


def _vendor(r: Any) -> Vendor:
    days = tuple(int(d) for d in r["order_days"].split(",") if d)
    return Vendor(
        name=r["name"],
        lead_time_days=r["lead_time_days"],
        moq=r["moq"],
        pack_size=r["pack_size"],
        min_order_value=r["min_order_value"],
        order_days=days,
        currency=r["currency"],
        email=r["email"],
        notes=r["notes"] or "",
        pack_rounding=r["pack_rounding"] or "up",
        address=r["address"],
        id=r["id"],
    )


class SqlVariants:
    def __init__(self, conn: Connection, lookup: Lookup) -> None:
        self._conn, self._lookup = conn, lookup

    def _values(self, v: Variant, *, link: bool = True) -> dict[str, Any]:
        similar = self._lookup.optional_id("variant", v.similar_to) if link else None
        return {
            "title": v.title,
            "vendor_id": self._lookup.optional_id("vendor", v.vendor),
            "category": v.category,
            "brand": v.brand,
            "tags": ",".join(v.tags),
            "cost": v.cost,
            "price": v.price,
            "pack_size": v.pack_size,
            "is_assembly": v.is_assembly,
            "launched_on": v.launched_on,
            "similar_to_id": similar,
            "active": v.active,
            "vendor_sku": v.vendor_sku,
            "moq": v.moq,
            "discontinued": v.discontinued,
            "forecast_method": v.forecast_method,
        }

    def add(self, variant: Variant) -> Variant:
        variant.id = upsert(self._conn, t.variants, {"sku": variant.sku}, self._values(variant))
        self._lookup.remember("variant", variant.sku, variant.id)
        return variant

    def add_many(self, variants: Sequence[Variant]) -> None:
        """Insert new variants in one statement (similar_to may point within the batch)."""
        first = [{"sku": v.sku, **self._values(v, link=False)} for v in variants]
        if first:
            self._conn.execute(insert(t.variants), first)
        self._lookup.forget()
        linked = [v for v in variants if v.similar_to]
        if linked:
            self._conn.execute(
                update(t.variants)
                .where(t.variants.c.sku == bindparam("b_sku"))
                .values(similar_to_id=bindparam("b_similar")),
                [
                    {"b_sku": v.sku, "b_similar": self._lookup.id("variant", v.similar_to or "")}
                    for v in linked
                ],
            )

    def save_many(self, variants: Sequence[Variant]) -> None:
        """Insert new variants and update known ones, a statement per kind of write."""
        known = self._lookup.ids("variant")
        new = [v for v in variants if v.sku not in known]
        if new:
            self.add_many(new)
        old = [v for v in variants if v.sku in known]
        if old:
            rows = [
                {"b_id": known[v.sku], **{f"b_{k}": x for k, x in self._values(v).items()}}
                for v in old
            ]
            names = [k for k in rows[0] if k != "b_id"]
            self._conn.execute(
                update(t.variants)
                .where(t.variants.c.id == bindparam("b_id"))
                .values({n[2:]: bindparam(n) for n in names}),
                rows,
            )
        for v in variants:
            v.id = self._lookup.id("variant", v.sku)

    def get(self, sku: str) -> Variant:
        rows = self._select(t.variants.c.sku == sku)
        if not rows:
            raise NotFound(f"unknown SKU {sku!r}", hint="check the spelling, or run a sync first")
        return rows[0]

    def list(self, *, active_only: bool = False) -> builtins.list[Variant]:
        return self._select(t.variants.c.active.is_(True) if active_only else None)

    def count(self) -> int:
        return int(self._conn.execute(select(func.count()).select_from(t.variants)).scalar_one())

    def _select(self, where: Any) -> builtins.list[Variant]:
        query = select(t.variants).order_by(t.variants.c.sku)
        if where is not None:
            query = query.where(where)
        out = []
        for row in self._conn.execute(query):
            r = row._mapping
            out.append(
                Variant(
                    sku=r["sku"],
                    title=r["title"],
                    vendor=self._lookup.key("vendor", r["vendor_id"]),
                    category=r["category"],
                    brand=r["brand"],
                    tags=tuple(x for x in r["tags"].split(",") if x),
                    cost=r["cost"],
                    price=r["price"],
                    pack_size=r["pack_size"],
                    is_assembly=r["is_assembly"],
                    launched_on=r["launched_on"],
                    similar_to=self._lookup.key("variant", r["similar_to_id"]),
                    active=r["active"],
                    vendor_sku=r["vendor_sku"],
                    moq=r["moq"],
                    discontinued=r["discontinued"],
                    forecast_method=r["forecast_method"] or "auto",
                    id=r["id"],
                )
            )
        return out


class SqlListings:
    def __init__(self, conn: Connection, lookup: Lookup) -> None:
        self._conn, self._lookup = conn, lookup

    def _values(self, listing: Listing) -> dict[str, Any]:
        return {
            "variant_id": self._lookup.id("variant", listing.variant_sku),
            "asin": listing.asin,
            "fnsku": listing.fnsku,
        }

    def _key(self, listing: Listing) -> dict[str, Any]:
        return {
            "channel": listing.channel,
            "marketplace_id": listing.marketplace_id or "",
            "seller_sku": listing.seller_sku,
        }

    def add(self, listing: Listing) -> Listing:
        listing.id = upsert(self._conn, t.listings, self._key(listing), self._values(listing))
        return listing

    def add_many(self, listings: Sequence[Listing]) -> None:
        rows = [{**self._key(x), **self._values(x)} for x in listings]
        if rows:
            self._conn.execute(insert(t.listings), rows)

    def save(self, listings: Iterable[Listing]) -> None:
        for listing in listings:
            self.add(listing)

    def list(self, *, variant_sku: str | None = None) -> builtins.list[Listing]:
        query = select(t.listings).order_by(t.listings.c.id)
        if variant_sku is not None:
            query = query.where(t.listings.c.variant_id == self._lookup.id("variant", variant_sku))
        return [
            Listing(
                channel=r.channel,
                marketplace_id=r.marketplace_id or None,
                seller_sku=r.seller_sku,
                variant_sku=self._lookup.key("variant", r.variant_id) or "",
                asin=r.asin,
                fnsku=r.fnsku,
                id=r.id,
            )
            for r in self._conn.execute(query)
        ]


class SqlBoms:
    def __init__(self, conn: Connection, lookup: Lookup) -> None:
        self._conn, self._lookup = conn, lookup

    def add(self, bom: BillOfMaterials) -> BillOfMaterials:
        bom.id = upsert(
            self._conn,
            t.boms,
            {"assembly_id": self._lookup.id("variant", bom.assembly_sku)},
            {
                "assembly_time_days": bom.assembly_time_days,
                "assembly_cycle_days": bom.assembly_cycle_days,
            },
        )
        self._conn.execute(delete(t.bom_components).where(t.bom_components.c.bom_id == bom.id))
        rows = [
            {
                "bom_id": bom.id,
                "component_id": self._lookup.id("variant", c.sku),
                "quantity": c.quantity,
            }
            for c in bom.components
        ]
        if rows:
            self._conn.execute(insert(t.bom_components), rows)
        return bom

    def remove(self, assembly_sku: str) -> None:
        """The variant is no longer built from components."""
        head = t.boms.c.assembly_id == self._lookup.id("variant", assembly_sku)
        ids = select(t.boms.c.id).where(head).scalar_subquery()
        # Lines first: SQLite enforces no cascade unless its foreign keys are switched on.
        self._conn.execute(delete(t.bom_components).where(t.bom_components.c.bom_id.in_(ids)))
        self._conn.execute(delete(t.boms).where(head))

    def get(self, assembly_sku: str) -> BillOfMaterials:
        for bom in self._select(assembly_sku):
            return bom
        raise NotFound(f"{assembly_sku!r} has no bill of materials")

    def list(self) -> builtins.list[BillOfMaterials]:
        return self._select(None)

    def _select(self, assembly_sku: str | None) -> builtins.list[BillOfMaterials]:
        query = select(t.boms)
        if assembly_sku is not None:
            query = query.where(t.boms.c.assembly_id == self._lookup.id("variant", assembly_sku))
        heads = self._conn.execute(query).all()
        parts: dict[int, list[Component]] = {h.id: [] for h in heads}
        if heads:
            lines = self._conn.execute(
                select(t.bom_components)
                .where(t.bom_components.c.bom_id.in_(list(parts)))
                .order_by(t.bom_components.c.bom_id, t.bom_components.c.component_id)
            )
            for line in lines:
                sku = self._lookup.key("variant", line.component_id) or ""
                parts[line.bom_id].append(Component(sku, line.quantity))
        return [
            BillOfMaterials(
                assembly_sku=self._lookup.key("variant", h.assembly_id) or "",
                components=parts[h.id],
                assembly_time_days=h.assembly_time_days,
                assembly_cycle_days=h.assembly_cycle_days,
                id=h.id,
            )
            for h in heads
        ]
