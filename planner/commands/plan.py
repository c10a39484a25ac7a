"""`planner plan` and `planner compare`: recommendations from the stored data."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

import click
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from planner.adapters.files import check_writable, write_csv
from planner.cli import State, cli, emit_json, err, out, pass_state, table
from planner.cli import today as current_day
from planner.domain.errors import NotFound
from planner.domain.orders import OrderKind
from planner.domain.plan import Plan, Recommendation
from planner.services.exports import PLAN_COLUMNS, plan_rows
from planner.services.names import resolve_optional, resolve_sku

JSON_FIELDS = (
    "sku", "warehouse", "kind", "source", "title", "vendor", "lead_time_days", "days_of_stock",
    "daily_forecast", "forecast_units", "available", "reserved", "on_order", "safety_stock",
    "replenishment_qty", "to_order_qty", "days_of_cover", "stockout_date", "lost_sales_units",
    "overstock_units", "overstock_value", "unit_cost", "method", "explanation",
    "lead_time_std_days", "currency", "rounding_units", "cover_days_after_order", "moved",
)  # fmt: skip


def _as_json(rec: Recommendation, transfers: list[dict[str, Any]], made_on: date) -> dict[str, Any]:
    data = {name: getattr(rec, name) for name in JSON_FIELDS}
    order_by = rec.order_by(made_on)
    data["order_by"] = order_by.isoformat() if order_by else None
    data["kind"] = rec.kind.value
    data["stockout_date"] = rec.stockout_date.isoformat() if rec.stockout_date else None
    data["moved"] = round(rec.moved, 3) if rec.moved_on else None
    data["moved_on"] = rec.moved_on.isoformat() if rec.moved_on else None
    data["value"] = rec.value
    data["urgency"] = rec.urgency
    data["key"] = rec.key
    data["transfers_in"] = transfers
    data["settings_source"] = rec.sources
    data["reporting_value"] = rec.reporting_value
    return data


def _filter(plan: Plan, warehouse: str | None, vendor: str | None) -> list[Recommendation]:
    rows = plan.recommendations
    if warehouse:
        if not any(r.warehouse == warehouse for r in rows):
            raise NotFound(f"the plan has no rows for warehouse {warehouse!r}")
        rows = [r for r in rows if r.warehouse == warehouse]
    if vendor:
        if not any(r.vendor == vendor for r in rows):
            raise NotFound(f"the plan has no rows for vendor {vendor!r}")
        rows = [r for r in rows if r.vendor == vendor]
    return rows


def _shown(plan: Plan, rows: list[Recommendation], show_all: bool) -> list[Recommendation]:
    """The rows the table shows: those with something to order, most urgent first (or all)."""
    if show_all:
        return rows
    kept = set(rows)
    return [r for r in plan.actionable() if r in kept]


@cli.command("plan")
@click.option("--warehouse", help="Only this warehouse (code).")
@click.option("--vendor", help="Only this vendor (name).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: every field of every row.")
@click.option(
    "--all", "show_all", is_flag=True, help="Table and CSV: include rows with nothing to order."
)
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write the rows the table shows (transfers too) with every number as a CSV file.",
)
@click.option(
    "--today", type=click.DateTime(["%Y-%m-%d"]), help="Plan as of this day (default: today)."
)
@pass_state
def plan_cmd(
    state: State,
    warehouse: str | None,
    vendor: str | None,
    as_json: bool,
    show_all: bool,
    today: Any,
    csv_path: Path | None,
) -> None:
    """Forecast, then recommend what to buy, assemble and transfer; keep it for review."""
    if csv_path is not None:
        check_writable(csv_path)
    app = state.app
    day: date = today.date() if today else current_day()
    with app.uow() as uow:  # a typo is refused before the minutes of forecasting
        warehouse = resolve_optional(uow, warehouse, "warehouse")
        vendor = resolve_optional(uow, vendor, "vendor")
    from planner.services.planning import plan_and_save  # numpy, scikit-learn

    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
        console=err, transient=True,
    ) as progress:  # fmt: skip
        progress.add_task("Forecasting and planning…", total=None)
        run = plan_and_save(
            app.uow, today=day, options=app.planning_options(), what_if=day != current_day()
        )
    rows = _filter(run.plan, warehouse, vendor)
    if run.plan.what_if:
        err.print(
            f"what-if plan for {day}: kept apart; the review sheet, the digest and the bot "
            "keep using the live plan (`planner plan` without --today makes one)"
        )
    if csv_path is not None:
        shown = _shown(run.plan, rows, show_all)
        count = write_csv(
            csv_path,
            PLAN_COLUMNS,
            plan_rows(shown, made_on=run.plan.made_on, reporting_currency=run.plan.currency),
        )
        (err if as_json else out).print(f"wrote {count} plan row(s) to {csv_path}")
        if not as_json:
            return
    if as_json:
        inbound: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for r in rows:
            if r.kind is OrderKind.TRANSFER:
                inbound.setdefault((r.sku, r.warehouse), []).append(
                    {"from": r.source, "qty": r.to_order_qty, "days": r.lead_time_days}
                )
        emit_json(
            [
                _as_json(r, inbound.get((r.sku, r.warehouse), []), run.plan.made_on)
                for r in rows
                if r.kind is not OrderKind.TRANSFER
            ]
        )
        return
    shown = _shown(run.plan, rows, show_all)
    units = sum(r.to_order_qty for r in shown)
    value = sum(r.reporting_value for r in shown)
    out.print(
        table(
            f"Plan for {day}: {len(shown)} row(s) to order, {units:,} units, "
            f"{value:,.2f} {run.plan.currency}; most urgent first (by the day to order by)",
            [
                "urgency",
                "order by",
                "kind",
                "sku",
                "warehouse",
                "from",
                "to order",
                "need",
                "cover (d)",
                "stockout",
                "forecast/day",
                "method",
            ],
            [
                (
                    r.urgency,
                    r.order_by(run.plan.made_on),
                    r.kind.value,
                    r.sku,
                    r.warehouse,
                    r.source or "",
                    r.to_order_qty,
                    r.replenishment_qty,
                    r.days_of_cover,
                    r.stockout_date,
                    r.daily_forecast,
                    r.method,
                )
                for r in shown
            ],
        )
    )
    if run.ignored_shipments:
        out.print(
            "Ignored as unreceived past their grace period: " + ", ".join(run.ignored_shipments)
        )


@cli.command("compare")
@click.option("--sku", help="Only this SKU.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@pass_state
def compare_cmd(state: State, sku: str | None, as_json: bool) -> None:
    """Compare warehouses side by side (from the latest plan), with transfer suggestions."""
    with state.app.uow() as uow:
        sku = resolve_sku(uow, sku) if sku else None
        plan = uow.plans.latest()
    if plan is None:
        raise NotFound("no plan yet", hint="run `planner plan` first")
    metrics = [m for m in plan.compare if sku is None or m.sku == sku]
    if sku and not metrics:
        raise NotFound(f"the latest plan has no warehouse rows for SKU {sku!r}")
    transfers = [
        r for r in plan.recommendations
        if r.kind is OrderKind.TRANSFER and (sku is None or r.sku == sku)
    ]  # fmt: skip
    if as_json:
        emit_json(
            {
                "warehouses": [asdict(m) for m in metrics],
                "transfers": [
                    {"sku": r.sku, "from": r.source, "to": r.warehouse, "qty": r.to_order_qty}
                    for r in transfers
                ],
            }
        )
        return
    out.print(
        table(
            "Compare warehouses",
            [
                "sku",
                "warehouse",
                "available",
                "on order",
                "forecast/day",
                "cover (d)",
                "need",
                "surplus",
            ],
            [
                (
                    m.sku,
                    m.warehouse,
                    m.available,
                    m.on_order,
                    m.daily_forecast,
                    m.days_of_cover,
                    m.need,
                    m.surplus,
                )
                for m in metrics
            ],
        )
    )
    out.print(
        table(
            f"{len(transfers)} transfer(s) suggested before buying",
            ["sku", "from", "to", "qty"],
            [(r.sku, r.source, r.warehouse, r.to_order_qty) for r in transfers],
        )
    )
