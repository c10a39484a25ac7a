"""Saving an order to Amazon from Slack, once: the button and `/planner push` share one claim.

The claim stops a second push of the same order in this process while one runs (a double click,
or the button and the command together); the push service's own lease and claim stop one from
another process, and answer "already" for an order saved before.
"""

from __future__ import annotations

from bot.blocks.push import push_done_blocks, push_text
from bot.handling import Context, Outcome
from bot.replies import Caller, Delivery, Reply
from planner.domain.errors import InvalidInput, NotFound, PlannerError
from planner.ports import PushResult
from planner.services.push_settings import PushInProgress

RUNNING = "a push of {number} is running; nothing more was sent (its answer follows)"
ELSEWHERE = (
    "a push of {number} is running in another planner process; nothing more was sent "
    "(push again in a minute to see its result)"
)


class PushRunning(PlannerError):
    """This process is saving the order to Amazon right now."""


def push_once(ctx: Context, number: str, *, split: bool, actor: str) -> PushResult:
    """Push the order unless a push of it runs here already (PushRunning then)."""
    pusher = ctx.services.pusher
    if pusher is None:
        raise PlannerError(
            "saving to Amazon is not set up for the bot", hint="check [amazon] in planner.toml"
        )
    key = f"push:{number}"
    if not ctx.claims.claim(key):
        raise PushRunning(RUNNING.format(number=number))
    try:
        # Always the pusher: it answers "already" only for a finished push, and continues one
        # that failed part-way (a plan without shipments) instead of calling it saved.
        return pusher.push(number, split=split, actor=actor)
    finally:
        ctx.claims.release(key)


SPLIT_WORDS = {"split": True, "--split": True, "no-split": False, "--no-split": False}


def parse_push(args: list[str]) -> tuple[str, bool]:
    """`ORDER [split|no-split]`; split by default, as `planner push` and the first button."""
    usage = "/planner push TO-1002 [split|no-split]"
    if not args or len(args) > 2:
        raise InvalidInput("name the order to save to Amazon", hint=usage)
    split = True
    if len(args) == 2:
        choice = SPLIT_WORDS.get(args[1].casefold())
        if choice is None:
            raise InvalidInput(f"{args[1]!r} is neither split nor no-split", hint=usage)
        split = choice
    return args[0].upper(), split


def push_cmd(ctx: Context, caller: Caller, args: list[str], out: Delivery) -> Outcome:
    """Save an FBA-bound order to Amazon (the Save to Amazon button's use case), once."""
    number, split = parse_push(args)
    with ctx.services.queries() as uow:
        try:
            uow.orders.get(number)
        except NotFound:
            raise NotFound(
                f"there is no order {number}", hint="`/planner orders open` lists the open ones"
            ) from None
    try:
        result = push_once(ctx, number, split=split, actor=caller.actor)
    except PushRunning as exc:
        out.reply(Reply(exc.message))
        return Outcome((number,), {"split": split}, "busy")
    except PushInProgress:  # another planner process holds the order's push lease
        out.reply(Reply(ELSEWHERE.format(number=number)))
        return Outcome((number,), {"split": split}, "busy")
    blocks = push_done_blocks(result, by=caller.mention)
    out.reply(Reply(push_text(result), blocks, public=not result.already))  # news: the channel
    return Outcome(
        (number, result.inbound_plan_id),
        {"split": result.split, "already": result.already,
         "shipments": list(result.shipment_ids), "destinations": list(result.destinations)},
    )  # fmt: skip
