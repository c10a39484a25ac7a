"""Buttons and selects: each action id's handler."""

from __future__ import annotations

from bot import approval
from bot.actions import ActionId, SkuPick, SourceChoice, TransferPick
from bot.blocks.orders import orders_blocks, source_set_blocks
from bot.blocks.transfers import transfer_created_blocks
from bot.commands import show_sku
from bot.handling import ActionHandler, Context, Outcome, Press
from bot.queries import pick_orders, source_options
from bot.replies import Caller, Delivery, Reply
from bot.roles import Role
from planner.services.amazon_inbound import set_source
from planner.services.transfer_orders import create_transfer


def show(ctx: Context, caller: Caller, press: Press, out: Delivery) -> Outcome:
    ctx.require(caller, Role.VIEWER, "see SKUs")
    return show_sku(ctx, caller, SkuPick.parse(press.value).sku, out)


def choose_source(ctx: Context, caller: Caller, press: Press, out: Delivery) -> Outcome:
    ctx.require(caller, Role.APPROVER, "set the source of orders")
    choice = SourceChoice.parse(press.value)
    changed = set_source(
        ctx.services.orders, [choice.order], choice.source, actor=caller.actor,
        origin=caller.origin,
    )  # fmt: skip
    with ctx.services.queries() as uow:
        left = pick_orders(uow, "unknown-source", today=ctx.services.today())
        sources = source_options(uow)
    done = source_set_blocks([choice.order], choice.source, changed, caller.mention)
    blocks = [*done, *orders_blocks("unknown-source", left, sources=sources)]
    out.reply(Reply(f"{choice.order}: source {choice.source}", blocks, replace=True))
    return Outcome((choice.order,), {"source": choice.source, "changed": changed})


def make_transfer(ctx: Context, caller: Caller, press: Press, out: Delivery) -> Outcome:
    ctx.require(caller, Role.APPROVER, "create transfers")
    pick = TransferPick.parse(press.value)
    key = f"transfer:{pick.plan_id}:{pick.key}"
    if not ctx.claims.claim(key):
        out.reply(Reply("This transfer is being created already."))
        return Outcome((pick.key,), {"double_click": True}, "ignored")
    try:
        made = create_transfer(
            ctx.services.approve, plan_id=pick.plan_id, key=pick.key, actor=caller.actor,
            origin=caller.origin, now=ctx.services.now(),
        )  # fmt: skip
    finally:
        ctx.claims.release(key)
    row = made.rec
    if row is None:
        out.reply(Reply(f"{made.order.number} created"))
    else:
        blocks = transfer_created_blocks(
            made.order.number, row, caller.mention, created=made.created
        )
        out.reply(Reply(f"transfer {made.order.number}", blocks, public=made.created))
    return Outcome((made.order.number, pick.key), {"created": made.created})


def open_sheet(ctx: Context, caller: Caller, press: Press, out: Delivery) -> Outcome:
    return Outcome(result="link")  # Slack opened the link; nothing to do


ACTIONS: dict[ActionId, ActionHandler] = {
    ActionId.APPROVE_START: approval.start,
    ActionId.APPROVE_CONFIRM: approval.confirm,
    ActionId.APPROVE_CANCEL: approval.cancel,
    ActionId.PUSH_SPLIT: approval.push,
    ActionId.PUSH_NO_SPLIT: approval.push,
    ActionId.SET_SOURCE: choose_source,
    ActionId.CREATE_TRANSFER: make_transfer,
    ActionId.SHOW_SKU: show,
    ActionId.OPEN_SHEET: open_sheet,
}
