"""`planner warehouses` and `planner merge`: the catalog and its places."""

from __future__ import annotations

import getpass

import click

from planner.cli import State, cli, emit_json, out, pass_state, table
from planner.domain.marketplaces import marketplace
from planner.domain.warehouses import Connection, Warehouse
from planner.services.catalog import merge_variants
from planner.services.names import resolve_sku


@cli.command("warehouses")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_state
def warehouses_cmd(state: State, as_json: bool) -> None:
    """List warehouses, their kind, whether they are planned, and combined members."""
    with state.app.uow() as uow:
        found = uow.warehouses.list()
        connections = {c.name: c for c in uow.connections.list()}
    regions = {name: c.region.value for name, c in connections.items()}
    if as_json:
        emit_json(
            [
                {
                    "code": w.code,
                    "name": w.name,
                    "kind": w.kind.value,
                    "enabled": w.enabled,
                    "connection": w.connection,
                    # The Amazon region (an FBA warehouse's marketplace, an FBM one's account).
                    "region": _region(w, regions),
                    # The pooled-inventory group (PAN-EU, UK), null when never pooled.
                    "pool": _pool(w, connections),
                    "members": [
                        {
                            "warehouse": m.warehouse,
                            "include_sales": m.include_sales,
                            "include_stock": m.include_stock,
                        }
                        for m in w.members
                    ],
                }
                for w in found
            ]
        )
        return

    def members(w: object) -> str:
        parts = []
        for m in getattr(w, "members", []):
            flags = "+".join(
                f for f, on in (("sales", m.include_sales), ("stock", m.include_stock)) if on
            )
            parts.append(f"{m.warehouse} ({flags})")
        return ", ".join(parts)

    rows = [
        (
            w.code,
            w.name,
            w.kind.value,
            "yes" if w.enabled else "no",
            w.connection,
            _pool(w, connections) or "",
            members(w),
        )
        for w in found
    ]
    out.print(
        table(
            "Warehouses",
            ["code", "name", "kind", "planned", "connection", "pool", "members"],
            rows,
        )
    )


def _pool(w: Warehouse, connections: dict[str, Connection]) -> str | None:
    conn = connections.get(w.connection) if w.connection else None
    return conn.pool_of(w) if conn is not None else w.pool


def _region(w: Warehouse, regions: dict[str, str]) -> str | None:
    if w.marketplace_id:
        return marketplace(w.marketplace_id).region.value
    return regions.get(w.connection) if w.connection else None


@cli.command("merge")
@click.argument("target")
@click.argument("duplicates", nargs=-1, required=True)
@pass_state
def merge_cmd(state: State, target: str, duplicates: tuple[str, ...]) -> None:
    """Merge duplicate variants' listings, history and stock into TARGET."""
    with state.app.uow() as uow:
        target = resolve_sku(uow, target)
        found = [resolve_sku(uow, d) for d in duplicates]
    result = merge_variants(state.app.uow, target, found, actor=getpass.getuser())
    out.print(
        f"merged {', '.join(result.merged)} into {result.target}: "
        f"{result.listings_moved} listing(s), {result.history_rows_moved} day(s) of sales moved"
    )
