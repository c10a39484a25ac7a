"""The `/planner` subcommands: parse the words, check the role, answer."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from functools import partial

from bot import approval, pushing, reports
from bot.blocks.help import CommandHelp, help_blocks
from bot.blocks.orders import (
    destination_blocks,
    orders_blocks,
    received_blocks,
    source_set_blocks,
)
from bot.blocks.reorder import reorder_blocks
from bot.blocks.settings import settings_blocks, vendors_blocks
from bot.blocks.sku import chart_text, sku_blocks, sku_suggestions_blocks
from bot.blocks.sync import sync_failed_blocks, sync_progress_blocks, sync_result_blocks
from bot.blocks.transfers import TransferRow, transfers_blocks
from bot.blocks.vendor_orders import slug, vendor_months_blocks, vendor_summary, vendor_title
from bot.documents import order_cmd
from bot.handling import CommandSpec, Context, Outcome
from bot.progress import MessageProgress
from bot.queries import (
    ORDER_VIEWS,
    find_sku,
    latest_plan,
    pick_orders,
    sku_report,
    source_options,
)
from bot.replies import Caller, Chart, Delivery, Reply
from bot.roles import Role
from planner.domain.errors import InvalidInput, NotFound, PlannerError
from planner.domain.orders import OrderKind
from planner.services.amazon_inbound import set_source
from planner.services.forecast_chart import forecast_title
from planner.services.order_edits import OrderEdit, edit_order
from planner.services.receiving import receive_order
from planner.services.settings_view import sku_settings, vendor_list
from planner.services.vendor_orders import vendor_months

ORDER_NUMBER = re.compile(r"^[A-Z]{2}-\d+$", re.IGNORECASE)
FORCE_WORDS = ("force", "--force")


def help_cmd(ctx: Context, caller: Caller, args: list[str], out: Delivery) -> Outcome:
    out.reply(help_reply(ctx.command))
    return Outcome()


def help_reply(command: str, problem: str | None = None) -> Reply:
    docs = [CommandHelp(s.usage, s.summary, s.role) for s in COMMANDS.values()]
    return Reply(f"{command} help", help_blocks(docs, command=command, problem=problem))


def reorder(ctx: Context, caller: Caller, args: list[str], out: Delivery) -> Outcome:
    with ctx.services.queries() as uow:
        plan = latest_plan(uow)
        codes = {w.code.casefold(): w.code for w in uow.warehouses.list()}
        vendors = {v.name.casefold(): v.name for v in uow.vendors.list()}
    warehouse = codes.get(args[0].casefold()) if args else None
    rest = " ".join(args[1:] if warehouse else args).strip()
    vendor = vendors.get(rest.casefold()) if rest else None
    if rest and vendor is None:
        known = ", ".join(sorted(vendors.values())[:10])
        raise NotFound(f"no warehouse or vendor named {rest!r}", hint=f"vendors: {known}")
    rows = [
        r
        for r in plan.actionable()
        if (warehouse is None or r.warehouse == warehouse)
        and (vendor is None or vendor in (r.vendor, r.source))
    ]
    assert plan.id is not None
    blocks = reorder_blocks(
        rows,
        plan_id=plan.id,
        made_on=plan.made_on,
        warehouse=warehouse,
        vendor=vendor,
        sheet=ctx.services.sheet_location,
    )
    out.reply(Reply(f"{len(rows)} row(s) to order", blocks))
    return Outcome((f"plan:{plan.id}",), {"warehouse": warehouse, "vendor": vendor})


def sku(ctx: Context, caller: Caller, args: list[str], out: Delivery) -> Outcome:
    query = " ".join(args).strip()
    return show_sku(ctx, caller, query, out)


def show_sku(ctx: Context, caller: Caller, query: str, out: Delivery) -> Outcome:
    """One SKU's picture; the chart goes to the channel (files cannot be private)."""
    today = ctx.services.today()
    with ctx.services.queries() as uow:
        match = find_sku(uow, query)
        report = sku_report(uow, match.variant, today=today) if match.variant else None
    if report is None:
        out.reply(Reply(f"No SKU {query!r}", sku_suggestions_blocks(query, match.suggestions)))
        return Outcome((query,), {"suggestions": [v.sku for v in match.suggestions]}, "not found")
    sku_code = report.variant.sku
    note = "forecast chart below" if report.chart else "no sales history to chart"
    out.reply(Reply(f"{sku_code}: stock, forecast and orders", sku_blocks(report, chart_note=note)))
    if report.chart is not None:
        from planner.adapters.charts import forecast_chart  # matplotlib: only when drawing

        png = forecast_chart(report.chart, title=forecast_title(sku_code, report.variant.title))
        chart = Chart(png, f"{sku_code}-forecast.png", chart_text(sku_code))
        _upload(out, chart, comment=f"{caller.mention} asked for `{sku_code}`")
    return Outcome((sku_code,))


def _upload(out: Delivery, chart: Chart, *, comment: str) -> None:
    if out.upload(chart, comment=comment) is None:
        out.reply(Reply("The chart could not be posted here; invite the planner app."))


def settings(ctx: Context, caller: Caller, args: list[str], out: Delivery) -> Outcome:
    query = " ".join(args).strip()
    if not query:
        raise InvalidInput("name the SKU whose settings to show", hint="/planner settings TEA-1")
    with ctx.services.queries() as uow:
        found = sku_settings(uow, query, ctx.services.options)
    blocks = settings_blocks(found, sheet=ctx.services.sheet_location)
    out.reply(Reply(f"{found.sku}: settings and where they came from", blocks))
    return Outcome((found.sku,), {"warehouses": len(found.warehouses)})


def vendors(ctx: Context, caller: Caller, args: list[str], out: Delivery) -> Outcome:
    name = " ".join(args).strip()
    if name:
        return vendor_chart(ctx, caller, name, out)
    with ctx.services.queries() as uow:
        found = vendor_list(uow, ctx.services.options)
    blocks = vendors_blocks(found, sheet=ctx.services.sheet_location)
    out.reply(Reply(f"{len(found)} vendor(s) and their defaults", blocks))
    return Outcome((), {"vendors": len(found)})


def vendor_chart(ctx: Context, caller: Caller, name: str, out: Delivery) -> Outcome:
    """One vendor's purchase orders by month: a line of totals, and the chart in the channel."""
    from planner.adapters.charts import vendor_orders_chart  # matplotlib: only when drawing

    with ctx.services.queries() as uow:
        data = vendor_months(uow, name, today=ctx.services.today())
    out.reply(Reply(vendor_summary(data), vendor_months_blocks(data)))
    if any(data.values):
        png = vendor_orders_chart(data, title=vendor_title(data))
        chart = Chart(png, f"{slug(data.vendor)}-orders.png", vendor_title(data))
        _upload(out, chart, comment=f"{caller.mention} asked for `{data.vendor}`")
    return Outcome((data.vendor,), {"orders": sum(data.orders)})


def orders(ctx: Context, caller: Caller, args: list[str], out: Delivery) -> Outcome:
    view = args[0].casefold() if args else "open"
    with ctx.services.queries() as uow:
        found = pick_orders(uow, view, today=ctx.services.today())
        sources = source_options(uow) if view == "unknown-source" else None
    out.reply(Reply(f"{len(found)} {view} order(s)", orders_blocks(view, found, sources=sources)))
    return Outcome((view,), {"orders": len(found)})


def approve_cmd(ctx: Context, caller: Caller, args: list[str], out: Delivery) -> Outcome:
    return approval.preview(ctx, caller, out)


def transfers(ctx: Context, caller: Caller, args: list[str], out: Delivery) -> Outcome:
    with ctx.services.queries() as uow:
        plan = latest_plan(uow)
        moves = sorted(
            (
                r
                for r in plan.recommendations
                if r.kind is OrderKind.TRANSFER and r.to_order_qty > 0
            ),
            key=lambda r: (r.urgency_days, -r.value, r.sku),
        )
        done = {a.row_key: a.order_number for a in uow.reviews.approvals(r.key for r in moves)
                if a.plan_id == plan.id}  # fmt: skip
    metrics = {(m.sku, m.warehouse): m for m in plan.compare}
    rows = []
    for r in moves:
        at_source = metrics.get((r.sku, r.source or ""))
        rows.append(
            TransferRow(
                r,
                source_cover=at_source.days_of_cover if at_source else None,
                source_surplus=at_source.surplus if at_source else 0,
                ordered_as=done.get(r.key),
            )
        )
    assert plan.id is not None
    out.reply(
        Reply(
            f"{len(rows)} transfer(s)",
            transfers_blocks(rows, plan_id=plan.id, made_on=plan.made_on),
        )
    )
    return Outcome((f"plan:{plan.id}",), {"transfers": len(rows)})


def _sync_progress(by: str, lines: Sequence[str]) -> Reply:
    return Reply("Amazon sync running", sync_progress_blocks(by, lines))


def sync(ctx: Context, caller: Caller, args: list[str], out: Delivery) -> Outcome:
    runner = ctx.services.sync
    if runner is None:
        raise PlannerError("the Amazon sync is not set up for the bot", hint="check [amazon]")
    if not ctx.claims.claim("sync"):
        out.reply(Reply("A sync is running already; its message shows how far it got."))
        return Outcome((), {}, "busy")
    try:
        started = time.monotonic()
        handle = out.post(Reply("Amazon sync started", sync_progress_blocks(caller.mention, [])))
        progress = MessageProgress(out, handle, partial(_sync_progress, caller.mention)).posted()
        try:
            results = runner(progress, caller.actor)
        except PlannerError as exc:  # e.g. another sync holds the lease: the channel is told
            if handle is not None:  # the failure replaces the progress blocks (Slack keeps them)
                text = f"Amazon sync by {caller.mention} did not run: {exc.message}"
                out.update(handle, Reply(text, sync_failed_blocks(caller.mention, exc)))
            raise
        progress.finish(
            Reply(
                "Amazon sync finished",
                sync_result_blocks(caller.mention, results, time.monotonic() - started),
            )
        )
    finally:
        ctx.claims.release("sync")
    failed = [r.connection for r in results if not r.ok]
    return Outcome(
        tuple(r.connection for r in results), {"failed": failed}, "failed" if failed else "ok"
    )


def parse_quantities(words: Sequence[str]) -> dict[str, int] | None:
    """`SKU=QTY` words; none means everything outstanding."""
    quantities: dict[str, int] = {}
    for word in words:
        sku_code, sep, qty = word.partition("=")
        if not sep or not sku_code or not qty.strip().isdigit():
            raise InvalidInput(f"{word!r} is not SKU=QTY", hint="/planner receive PO-12 TEA-A=40")
        quantities[sku_code] = int(qty)
    return quantities or None


def receive(ctx: Context, caller: Caller, args: list[str], out: Delivery) -> Outcome:
    if not args:
        raise InvalidInput("name the order to receive", hint="/planner receive PO-12 [SKU=QTY …]")
    # `force` receives an assembly whose components are short (their stock goes to 0).
    force = any(a.casefold() in FORCE_WORDS for a in args[1:])
    words = [a for a in args[1:] if a.casefold() not in FORCE_WORDS]
    number, quantities = args[0].upper(), parse_quantities(words)
    result = receive_order(
        ctx.services.orders, number, quantities=quantities, force=force, actor=caller.actor,
        origin=caller.origin, now=ctx.services.now(),
    )  # fmt: skip
    out.reply(Reply(f"{number} received", received_blocks(result, caller.mention), public=True))
    return Outcome((number,), {"received": result.received, "status": result.status})


def set_source_cmd(ctx: Context, caller: Caller, args: list[str], out: Delivery) -> Outcome:
    numbers = [a.upper() for a in args if ORDER_NUMBER.match(a)]
    source = " ".join(a for a in args if not ORDER_NUMBER.match(a)).strip()
    if not numbers or not source:
        raise InvalidInput(
            "name the orders and the source", hint="/planner set-source PO-12 PO-13 Acme Tea"
        )
    changed = set_source(
        ctx.services.orders, numbers, source, actor=caller.actor, origin=caller.origin
    )
    blocks = source_set_blocks(numbers, source, changed, caller.mention)
    out.reply(Reply(f"source set to {source}", blocks, public=True))
    return Outcome(tuple(numbers), {"source": source, "changed": changed})


def destination_cmd(ctx: Context, caller: Caller, args: list[str], out: Delivery) -> Outcome:
    """An order placed on a combined warehouse gets its true destination (then it can be pushed)."""
    if len(args) != 2 or not ORDER_NUMBER.match(args[0]):
        raise InvalidInput(
            "name the order and its warehouse", hint="/planner destination PO-12 FBA-US"
        )
    number = args[0].upper()
    with ctx.services.queries() as uow:
        was = uow.orders.get(number).destination
    order = edit_order(
        ctx.services.orders, number, OrderEdit(destination=args[1]), actor=caller.actor,
        origin=caller.origin, now=ctx.services.now(),
    )  # fmt: skip
    blocks = destination_blocks(number, was, order.destination, caller.mention)
    out.reply(Reply(f"{number} now goes to {order.destination}", blocks, public=True))
    return Outcome((number,), {"destination": order.destination, "was": was})


def _spec(
    name: str,
    usage: str,
    summary: str,
    role: Role,
    doing: str,
    handler: object,
    working: str | None = None,
) -> CommandSpec:
    return CommandSpec(name, usage, summary, role, doing, handler, working)  # type: ignore[arg-type]


COMMANDS: dict[str, CommandSpec] = {
    s.name: s
    for s in (
        _spec("help", "help", "this list", Role.NONE, "ask for help", help_cmd),
        _spec("reorder", "reorder [warehouse] [vendor]", "what to order now, most urgent first",
              Role.VIEWER, "see the plan", reorder),
        _spec("sku", "sku <SKU or words>", "stock, forecast, cover, orders and a chart of one SKU",
              Role.VIEWER, "see SKUs", sku),
        _spec("settings", "settings <SKU>",
              "one SKU's lead time, days of stock, MOQ, pack… and where each came from",
              Role.VIEWER, "see settings", settings),
        _spec("vendors", "vendors [vendor]",
              "vendors with their currency, lead time, MOQ, pack and SKUs; one vendor's orders "
              "by month, with a chart", Role.VIEWER, "see vendors", vendors),
        _spec("orders", f"orders [{'|'.join(ORDER_VIEWS)}]", "stock orders and FBA shipments",
              Role.VIEWER, "see orders", orders),
        _spec("approve", "approve", "preview the sheet's ticked rows, then confirm the orders",
              Role.APPROVER, "approve orders", approve_cmd, "Reading the review sheet…"),
        _spec("transfers", "transfers", "transfers between warehouses, with Create transfer",
              Role.VIEWER, "see transfers", transfers),
        _spec("sync", "sync", "sync Amazon now (one message shows the progress)",
              Role.ADMIN, "run a sync", sync, "Starting the Amazon sync…"),
        _spec("receive", "receive <order> [SKU=QTY …] [force]",
              "receive an order into an IP warehouse (an assembly takes its components)",
              Role.APPROVER, "receive orders", receive),
        _spec("set-source", "set-source <order…> <source>", "name where FBA shipments came from",
              Role.APPROVER, "set the source of orders", set_source_cmd),
        _spec("destination", "destination <order> <warehouse>",
              "give an order placed on a combined warehouse its true destination",
              Role.APPROVER, "change where orders go", destination_cmd),
        # Issue 19: the digest, run history, push and forecast from Slack.
        _spec("digest", "digest", "today's digest, only to you (the daily one still posts)",
              Role.VIEWER, "see the digest", reports.digest_cmd),
        _spec("status", "status [runs]",
              "the daily cycle's last runs and their steps, sync health, the next runs",
              Role.VIEWER, "see the run history", reports.status_cmd),
        _spec("push", "push <order> [split|no-split]",
              "save an FBA-bound order to Amazon (split unless no-split), once",
              Role.APPROVER, "save orders to Amazon", pushing.push_cmd,
              "Saving the order to Amazon… (a minute or so)"),
        _spec("forecast", "forecast <SKU> [warehouse]",
              "the SKU's forecast per month and warehouse, with a chart",
              Role.VIEWER, "see forecasts", reports.forecast_cmd, "Forecasting…"),
    )
}  # fmt: skip

# Issue 19, exports: one order, with its purchase order document (bot/documents.py).
COMMANDS["order"] = _spec(
    "order", "order <order>", "one stock order; a purchase order's PDF for its vendor",
    Role.VIEWER, "see orders", order_cmd,
)  # fmt: skip
