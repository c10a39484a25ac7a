"""Approve from the review sheet: preview → Confirm (once) → orders → Save to Amazon (once)."""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Sequence

from bot.actions import ActionId, ApproveTicket, PushRequest
from bot.blocks.approve import (
    DraftLine,
    OrderCard,
    Refusal,
    approve_closed_blocks,
    approve_preview_blocks,
    order_numbers,
    orders_created_blocks,
    push_unavailable_blocks,
)
from bot.blocks.common import context
from bot.documents import share_created
from bot.handling import Context, Outcome, Press
from bot.pushing import PushRunning, push_once
from bot.replies import Caller, Delivery, Reply
from bot.roles import Role
from planner.domain.errors import NotFound
from planner.domain.orders import OrderKind
from planner.domain.plan import Plan
from planner.domain.warehouses import WarehouseKind
from planner.ports import BotQueries
from planner.services.review import ApproveResult, approve
from planner.services.setup.service import SetupOptions

DOING = "approve orders"


def _dry_run(ctx: Context, caller: Caller, *, reorder: bool = False) -> tuple[ApproveResult, Plan]:
    s = ctx.services
    result = approve(
        s.approve, s.review_sheet(), approver=caller.actor, origin=caller.origin, dry_run=True,
        reorder=reorder, now=s.now(), setup=SetupOptions(currency=s.options.currency),
    )  # fmt: skip
    with s.queries() as uow:
        plan = uow.plans.latest()
    if plan is None or plan.id is None:
        raise NotFound("there is no plan to review yet", hint="run `planner plan` first")
    return result, plan


def fingerprint(result: ApproveResult) -> str:
    """What Confirm would create, in 16 hex digits: a changed sheet gives another."""
    drafts = sorted(
        (d.kind.value, d.source or "", d.destination, d.units, sorted(d.keys))
        for d in result.created
    )
    return hashlib.sha256(json.dumps(drafts).encode()).hexdigest()[:16]


def draft_lines(result: ApproveResult, plan: Plan) -> list[DraftLine]:
    """The preview's orders with their value (estimated when someone changed a quantity)."""
    recs = plan.by_key()
    lines = []
    for d in result.created:
        rows = [recs[k] for k in d.keys if k in recs]
        planned = sum(r.to_order_qty for r in rows)
        cost = sum(r.to_order_qty * r.unit_cost for r in rows)
        approx = False
        if planned != d.units:
            if len(rows) == 1:
                cost = d.units * rows[0].unit_cost
            else:
                cost, approx = (cost * d.units / planned if planned else 0.0), True
        lines.append(
            DraftLine(
                d.kind.value,
                d.source,
                d.destination,
                d.lines,
                d.units,
                round(cost, 2),
                approx,
                d.number,
            )
        )
    return lines


def already_in(result: ApproveResult) -> list[str]:
    """The orders that ticked rows were already turned into."""
    return sorted({number for _, number in result.already})


def _preview_reply(
    result: ApproveResult,
    plan: Plan,
    *,
    sheet: str | None,
    changed: bool,
    replace: bool,
    again: ApproveResult | None = None,
) -> Reply:
    """The preview; ``again`` is the same sheet read with reorders allowed (Order again)."""
    assert plan.id is not None
    ticket = ApproveTicket(plan.id, fingerprint(result), secrets.token_hex(8))
    reorder = None
    if again is not None and result.reorders:
        reorder = ApproveTicket(plan.id, fingerprint(again), secrets.token_hex(8), reorder=True)
    drafts = draft_lines(result, plan)
    refused = [
        Refusal(f"{row.tab} row {row.line}" + (f" ({row.sku})" if row.sku else ""), why)
        for row, why in result.refused
    ]
    blocks = approve_preview_blocks(
        drafts,
        refused=refused,
        already=len(result.already),
        already_in=already_in(result),
        edits=result.edits_saved,
        edits_refused=len(result.edits_refused),
        ticket=ticket,
        sheet=sheet,
        changed=changed,
        reorders=[(key, number, qty) for key, number, qty in result.reorders],
        reorder_ticket=reorder,
    )
    text = f"Approve preview: {len(drafts)} order(s), {len(refused)} refused row(s)"
    return Reply(text, blocks, replace=replace)


def preview(ctx: Context, caller: Caller, out: Delivery, *, replace: bool = False) -> Outcome:
    """Read the ticked rows and show what Confirm would create (nothing changes)."""
    ctx.require(caller, Role.APPROVER, DOING)
    result, plan = _dry_run(ctx, caller)
    again = _dry_run(ctx, caller, reorder=True)[0] if result.reorders else None
    out.reply(
        _preview_reply(
            result, plan, sheet=ctx.services.sheet_location, changed=False, replace=replace,
            again=again,
        )
    )  # fmt: skip
    return Outcome(
        (f"plan:{plan.id}",), {"orders": len(result.created), "refused": len(result.refused)}
    )


def start(ctx: Context, caller: Caller, press: Press, out: Delivery) -> Outcome:
    return preview(ctx, caller, out)


def confirm(ctx: Context, caller: Caller, press: Press, out: Delivery) -> Outcome:
    """Create the previewed orders, once however often Confirm is pressed."""
    ctx.require(caller, Role.APPROVER, DOING)
    ticket = ApproveTicket.parse(press.value)
    key = f"approve:{ticket.nonce}"
    if not ctx.claims.claim(key):
        out.reply(Reply("This approval was already confirmed; nothing more was created."))
        return Outcome((f"plan:{ticket.plan_id}",), {"double_click": True}, "ignored")
    try:
        dry, plan = _dry_run(ctx, caller, reorder=ticket.reorder)
        if plan.id != ticket.plan_id or fingerprint(dry) != ticket.fingerprint:
            out.reply(
                _preview_reply(
                    dry, plan, sheet=ctx.services.sheet_location, changed=True, replace=True
                )
            )
            return Outcome((f"plan:{ticket.plan_id}",), {"changed": True}, "changed")
        s = ctx.services
        result = approve(
            s.approve, s.review_sheet(), approver=caller.actor, origin=caller.origin, now=s.now(),
            reorder=ticket.reorder, setup=SetupOptions(currency=s.options.currency),
        )  # fmt: skip
    except BaseException:
        ctx.claims.release(key)  # nothing was committed: the person may try again
        raise
    numbers = [d.number for d in result.created]
    with ctx.services.queries() as uow:
        cards = order_cards(uow, numbers)
    done = f":white_check_mark: Confirmed by {caller.mention}: {len(numbers)} order(s) created."
    if result.already and not numbers:
        done = (
            f":information_source: These rows were already ordered "
            f"({', '.join(already_in(result))}); nothing new was created."
        )
    setup = result.setup
    if setup.changed or setup.refused or setup.problems:
        why = " (the reason is in each row's planner status)." if setup.refused else "."
        done += f" Settings tabs: {setup.changed} row(s) applied, {len(setup.refused)} refused{why}"
    out.reply(Reply(done, approve_closed_blocks(done), replace=True))
    if cards:
        blocks = orders_created_blocks(cards, by=caller.mention)
        out.reply(Reply(f"{len(cards)} order(s) created", blocks, public=True))
        share_created(ctx, caller, numbers, out)  # each purchase order's PDF, for its vendor
    return Outcome(
        (f"plan:{ticket.plan_id}", *numbers),
        {"created": numbers, "refused": len(result.refused), "already": len(result.already)},
    )


def cancel(ctx: Context, caller: Caller, press: Press, out: Delivery) -> Outcome:
    ticket = ApproveTicket.parse(press.value)
    ctx.claims.claim(f"approve:{ticket.nonce}")  # a Confirm after Cancel does nothing
    text = f"Cancelled by {caller.mention}; nothing was created."
    out.reply(Reply(text, approve_closed_blocks(text), replace=True))
    return Outcome((f"plan:{ticket.plan_id}",))


def order_cards(uow: BotQueries, numbers: Sequence[str]) -> list[OrderCard]:
    """Created orders as cards; FBA-bound purchases and transfers can go to Amazon."""
    warehouses = {w.code: w for w in uow.warehouses.list()}
    cards = []
    for number in numbers:
        o = uow.orders.get(number)
        w = warehouses.get(o.destination)
        fba = w is not None and w.kind is WarehouseKind.FBA and o.kind is not OrderKind.ASSEMBLY
        link = o.amazon
        cards.append(
            OrderCard(
                o.number,
                o.kind.value,
                o.source,
                o.destination,
                len(o.lines),
                o.units,
                round(o.value, 2),
                fba,
                o.locked,
                link.inbound_plan_id if link else None,
                link.split if link else None,
            )
        )
    return cards


def push(ctx: Context, caller: Caller, press: Press, out: Delivery) -> Outcome:
    """Save an order to Amazon (split or not), once; the message then shows it locked."""
    ctx.require(caller, Role.APPROVER, "save orders to Amazon")
    request = PushRequest.parse(press.value)
    if ActionId.of(press.action_id) is ActionId.PUSH_NO_SPLIT and request.split:
        request = PushRequest(request.order, False)
    pusher = ctx.services.pusher
    if pusher is None:
        out.reply(
            Reply("Saving to Amazon is not available yet", push_unavailable_blocks(request.order))
        )
        return Outcome((request.order,), {"split": request.split}, "unavailable")
    try:
        result = push_once(ctx, request.order, split=request.split, actor=caller.actor)
    except PushRunning as exc:  # a double click: the first press answers
        out.reply(Reply(f"{exc.message}."))
        return Outcome((request.order,), {"double_click": True}, "ignored")
    plan_id, already = result.inbound_plan_id, result.already
    numbers = order_numbers(press.message_blocks) or [request.order]
    with ctx.services.queries() as uow:
        cards = order_cards(uow, numbers)
    lead = f"{caller.mention} saved *{request.order}* to Amazon as {plan_id}."
    if already:
        lead = f"*{request.order}* was already saved to Amazon as {plan_id}; nothing new was sent."
    blocks = orders_created_blocks(cards, by="planner")
    if press.message_blocks and press.message_blocks[0].get("type") == "section":
        blocks[0] = dict(press.message_blocks[0])  # keep who created the orders
    blocks.append(context(lead))
    out.reply(Reply(lead, blocks, public=True, replace=True))
    return Outcome((request.order, plan_id), {"split": request.split, "already": already})
