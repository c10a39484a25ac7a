"""Save an FBA-bound purchase or transfer order to Amazon as an inbound plan (exactly once).

The push's state is typed (planner.domain.push) and kept by the PushClaims port in its own
columns; every decision about it is made here. A claim (a compare-and-set, in its own committed
transaction) lets one push at a time start a plan, and the plan id is committed the moment
createInboundPlan answers. A retry after a crash, timeout or failed step therefore continues the
same plan; a push that died before Amazon's answer arrived finds its plan again by its unique name,
unless the order was changed since (a stale claim): a plan Amazon made under that name is then
cancelled and a new one made. Amazon's state (packing and placement options accepted, boxes
listed, carrier and delivery windows selected; see push_steps.py) tells which steps are left, so
every step can be repeated safely and none is sent twice once it took; the state records the step
the push is at, and where it stopped. A claim is no Amazon link: an order whose push failed
before Amazon made the plan stays editable. The push lease (push_lease.py), renewed before every
step, keeps a second push from running the same steps meanwhile. Only the push's last act marks the
order finished (`AmazonLink.pushed_at`): shipment ids the daily sync copied from a half-done plan
are no such mark, so a retry of it runs the steps left.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial

from planner.domain.activity import AuditEntry
from planner.domain.errors import DomainRuleViolation, InvalidTransition, PlannerError
from planner.domain.orders import AmazonLink, OrderKind, OrderStatus, StockOrder
from planner.domain.push import (
    STEPS,
    PushStage,
    PushState,
    cancel,
    claim,
    created,
    expire,
    finish,
    plan_name,
    reach,
    resume,
    step_words,
    stop,
)
from planner.domain.warehouses import Warehouse, WarehouseKind
from planner.ports import (
    FailureKind,
    InboundOperationFailed,
    InboundPlanGateway,
    InboundPlanItem,
    Lease,
    MarketplaceError,
    PlacementChoice,
    PushClaims,
    PushResult,
    PushWork,
    ShipFromAddress,
)
from planner.services.push_choices import (
    check_sizes,
    choose_placement,
    confirm_packing,
    prepare_items,
)
from planner.services.push_lease import BEING_SAVED, WAIT_HINT, PushLease
from planner.services.push_settings import (
    PushInProgress,
    PushRefused,
    PushSettings,
    warehouse_address,
)
from planner.services.push_steps import (
    Quoter,
    box_packing_groups,
    finish_shipments,
    quote_placements,
)
from planner.services.steplog import logged

__all__ = [
    "PushInProgress",
    "PushRefused",
    "PushSettings",
    "PushTarget",
    "PushWorkflow",
    "ShipmentPush",
]

# How often a push looks for a plan a dead push's lost createInboundPlan may still make.
LOOK_AGAIN_SECONDS = 2.0
PUSH_AGAIN = "push the order again in a few minutes; it continues the same inbound plan"
NO_SINGLE_DESTINATION = (
    "Do not split shipments needs Amazon's inventory placement service enabled: Amazon offered "
    "no single-destination placement for order {number}"
)


@dataclass(frozen=True)
class PushTarget:
    """What one push sends: the order, where it goes, its seller SKUs, ship-from and packs."""

    order: StockOrder
    connection: str
    marketplace_id: str
    items: tuple[InboundPlanItem, ...]
    source: ShipFromAddress
    packs: dict[str, int]  # seller SKU -> units in a case pack (1: no case pack)


def _pushed(result: PushResult) -> str:
    shipments = ", ".join(result.shipment_ids) or "none yet"
    again = " (saved before: nothing sent)" if result.already else ""
    words = result.cost_words()
    fee = f", {words}" if words else ""
    return (
        f"{result.order_number} as inbound plan {result.inbound_plan_id},"
        f" shipment(s) {shipments}{fee}{again}"
    )


class ShipmentPush:
    """The ShipmentPusher port: `push(order, split=…, actor=…)` from the CLI, bot and demo."""

    def __init__(
        self,
        uow: Callable[[], PushWork],
        claims: PushClaims,
        gateway: Callable[[str], InboundPlanGateway],
        settings: PushSettings | None = None,
        *,
        leases: Callable[[str], Lease],
        origin: str = "cli",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._uow, self._claims, self._gateway = uow, claims, gateway
        self._leases = leases  # an order's push lease, by its number
        self._settings = settings or PushSettings()
        self._origin, self._clock = origin, clock

    @logged("push", _pushed)
    def push(self, order_number: str, *, split: bool, actor: str) -> PushResult:
        """Save the order to Amazon; continues a plan an earlier attempt started."""
        target = self._target(order_number)
        done = _already(target.order)
        if done is not None:
            return done
        gateway = self._gateway(target.connection)
        try:
            seconds = max(self._settings.lease_seconds, gateway.step_seconds())
            held = self._leases(order_number)
            lease = PushLease(held, order_number, seconds=seconds, clock=self._clock)
            lease.take()
            try:
                return self._push(gateway, order_number, split=split, actor=actor, beat=lease.renew)
            finally:
                lease.release()
        finally:
            gateway.close()

    def _push(
        self,
        gateway: InboundPlanGateway,
        order_number: str,
        *,
        split: bool,
        actor: str,
        beat: Callable[[], None],
    ) -> PushResult:
        target = self._target(order_number)  # read again now that this push holds the lease
        done = _already(target.order)
        if done is not None:
            return done
        # Each SKU's prep and label owner as Amazon allows, and its boxes: refused per SKU
        # before anything is created.
        sizes = check_sizes(target.items, target.packs, self._settings)
        items = prepare_items(gateway, target.marketplace_id, target.items, self._settings,
                              number=order_number, extra=sizes)  # fmt: skip
        target = replace(target, items=items)
        flow = PushWorkflow(self._claims, gateway, order_number, clock=self._clock, beat=beat)
        try:
            plan_id, chosen, fcs = flow.walk(target, split=split, settings=self._settings)
            found = gateway.inbound_plans([plan_id])
        except MarketplaceError as exc:
            # The connector's words are for the daily sync; a push is retried by pushing again
            # (a stopped push's error says so already, with its step and plan).
            if exc.kind.later and not flow.stopped:
                exc.hint = PUSH_AGAIN
            raise
        shipment_ids = found[0].shipment_ids if found else chosen.shipment_ids
        confirmations = found[0].confirmation_ids if found else ()
        earlier = target.order.amazon
        if chosen.status == "ACCEPTED" and earlier is not None:
            split = earlier.split  # the placement an earlier attempt chose, by its split choice
        finished = datetime.fromtimestamp(self._clock(), UTC)
        link = AmazonLink(plan_id, shipment_ids, confirmations, split, pushed_at=finished)
        self._save(order_number, link, actor=actor)
        flow.finish()
        return PushResult(
            order_number, plan_id, shipment_ids, split, destinations=fcs,
            placement_cost=max(chosen.cost, 0.0), transport_cost=chosen.quote or 0.0,
        )  # fmt: skip

    # -- what is pushed -------------------------------------------------------------------------

    def _target(self, number: str) -> PushTarget:
        with self._uow() as uow:
            order = uow.orders.get(number)
            dest = uow.warehouses.get(order.destination)
            _check_pushable(order, dest)
            assert dest.connection is not None and dest.marketplace_id is not None
            listings = uow.listings.list()
            packs = {line.sku: _pack_size(uow, line.sku) for line in order.lines}
            places = {w.code: w for w in uow.warehouses.list()}
            known = [v.name for v in uow.vendors.list()] + list(places)
        self._settings.check_sources(known)
        origin = places.get(order.source or "")
        own = warehouse_address(origin.name, origin.address) if origin else None
        source = self._settings.address_for(number, order.source, own=own)
        skus: dict[str, str] = {}
        for x in listings:
            if (x.channel, x.marketplace_id) != (dest.connection, dest.marketplace_id):
                continue
            if x.variant_sku not in skus or x.fnsku:  # prefer the FBA listing of a variant
                skus[x.variant_sku] = x.seller_sku
        s = self._settings
        items = tuple(
            InboundPlanItem(skus.get(line.sku, line.sku), line.ordered, s.prep_owner, s.label_owner)
            for line in order.lines
        )
        by_seller_sku = {skus.get(sku, sku): pack for sku, pack in packs.items()}
        return PushTarget(order, dest.connection, dest.marketplace_id, items, source, by_seller_sku)

    def _save(self, number: str, link: AmazonLink, *, actor: str) -> None:
        with self._uow() as uow:
            order = uow.orders.get(number)
            if order.status is OrderStatus.DRAFT:
                order.move_to(OrderStatus.OPEN)  # saved to Amazon: it is sent
            order.link_to_amazon(link)
            uow.orders.save(order)
            uow.audit.record(
                AuditEntry(
                    actor=actor,
                    action="orders.push",
                    objects=(number,),
                    origin=self._origin,
                    details={
                        "inbound_plan_id": link.inbound_plan_id,
                        "shipment_ids": list(link.shipment_ids),
                        "confirmation_ids": list(link.confirmation_ids),
                        "split": link.split,
                    },
                )
            )
            uow.commit()


def _already(order: StockOrder) -> PushResult | None:
    """The result of a push that ran to its end; a half-done one (even synced) is continued."""
    link = order.amazon
    if link is None or not link.finished:
        return None
    return PushResult(
        order.number, link.inbound_plan_id, link.shipment_ids, link.split, already=True
    )


def _check_pushable(order: StockOrder, dest: Warehouse) -> None:
    """Refuse what cannot go to Amazon before anything is sent."""
    number = order.number
    if order.kind is OrderKind.ASSEMBLY:
        raise PushRefused(f"order {number} is an assembly order; only purchase and "
                          "transfer orders can be saved to Amazon")  # fmt: skip
    if dest.is_combined:
        members = ", ".join(dest.stock_sources())
        raise PushRefused(
            f"order {number} goes to combined warehouse {dest.code}, a planning view, not a "
            "place Amazon can receive at",
            hint=f"run `planner order edit {number} --destination W` first (W: one of {members})",
        )
    if dest.kind is not WarehouseKind.FBA or not dest.connection or not dest.marketplace_id:
        raise PushRefused(
            f"order {number} goes to {dest.code}, not to an FBA warehouse of a connection",
            hint="only orders bound for FBA can be saved to Amazon",
        )
    if order.amazon is None and order.status not in (OrderStatus.DRAFT, OrderStatus.OPEN):
        raise InvalidTransition(
            f"order {number} is {order.status}; only open orders can be saved to Amazon",
            hint="`planner orders open` lists the orders that can be",
        )
    if order.external_ref:
        raise PushRefused(
            f"order {number} came from Amazon (shipment {order.external_ref}); it is already there"
        )
    if not order.lines:
        raise DomainRuleViolation(f"order {number} has no lines")


def _pack_size(uow: PushWork, sku: str) -> int:
    """Units in a case pack of the variant (its own, else its vendor's; 1: none)."""
    variant = uow.variants.get(sku)
    if variant.pack_size:
        return variant.pack_size
    return uow.vendors.get(variant.vendor).pack_size if variant.vendor else 1


def _refused(exc: MarketplaceError) -> bool:
    """Amazon answered no (or not now): no plan was made, nothing to look for later."""
    return exc.kind.nothing_done or exc.kind is FailureKind.FAILED


def _say_stopped(exc: BaseException, number: str, state: PushState) -> None:
    """The error of a push that stopped part-way says where, and that pushing again continues."""
    if not isinstance(exc, PlannerError) or state.step is None:
        return
    step = step_words(state.step)
    exc.message = (
        f"order {number} is being saved to Amazon, stopped at {step} (inbound plan "
        f"{state.plan_id} is kept): {exc.message}"
    )
    again = f"`planner push {number}` continues that plan from {step}"
    if isinstance(exc, MarketplaceError) and exc.kind.later:
        exc.hint = f"push the order again in a few minutes: {again}"
    elif exc.hint:
        exc.hint = f"{exc.hint}: {again}"
    else:
        exc.hint = f"push the order again when that is fixed: {again}"


class PushWorkflow:
    """One push's walk through an order's inbound plan; it decides every change of its state.

    It holds the order's push lease (`beat` renews it before each step); the PushClaims port
    only keeps the state and swaps it, compare-and-set.
    """

    def __init__(
        self,
        claims: PushClaims,
        gateway: InboundPlanGateway,
        order_number: str,
        *,
        clock: Callable[[], float],
        beat: Callable[[], None],
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._claims, self._gateway, self._number = claims, gateway, order_number
        self._clock, self._beat, self._sleep = clock, beat, sleep
        self.state: PushState | None = None  # as this push last read or wrote it
        # Names under which Amazon may still list a plan a dead push's create made (a continued
        # claim's, a stale claim's): at the end every such plan but the order's is cancelled.
        self._twin_names: list[str] = []

    def walk(
        self, target: PushTarget, *, split: bool, settings: PushSettings
    ) -> tuple[str, PlacementChoice, tuple[str, ...]]:
        """Every workflow step Amazon has not done yet: plan id, placement, destination FCs."""
        gateway = self._gateway
        try:
            self._beat()
            plan_id = self.plan(target, split=split)
            self.at(PushStage.PACKING)
            packing = confirm_packing(gateway, plan_id, settings, number=self._number)
            now = datetime.fromtimestamp(self._clock(), UTC)
            quote: Quoter | None = None
            if packing.groups:
                # Boxes per packing group before placement, so that Amazon quotes each
                # placement option's carriers and the placement is chosen by its total.
                if not self._placed(plan_id):
                    self.at(PushStage.BOX_CONTENTS)
                    box_packing_groups(gateway, plan_id, packing, packs=target.packs,
                                       items=target.items, settings=settings)  # fmt: skip
                quote = partial(quote_placements, gateway, plan_id, source=target.source,
                                settings=settings, now=now, beat=self._beat)  # fmt: skip
            self.at(PushStage.PLACEMENT)
            chosen = self._placement(plan_id, split=split, quote=quote)
            if chosen.status != "ACCEPTED":
                self.at(PushStage.PLACEMENT)
                gateway.confirm_placement(plan_id, chosen.option_id)
            fcs = finish_shipments(
                gateway,
                plan_id,
                chosen,
                packs=target.packs,
                items=target.items,
                source=target.source,
                settings=settings,
                now=datetime.fromtimestamp(self._clock(), UTC),
                at=self.at,
            )
        except PushInProgress:
            raise  # another push has the order now: its state is not this push's to write
        except BaseException as exc:
            if self.state is not None and self.state.stage in STEPS:
                if self._try(stop(self.state)):  # the plan stays: the next push continues it
                    _say_stopped(exc, self._number, self.state)
                self._cancel_twins(quietly=True)
            raise
        self._cancel_twins()
        return plan_id, chosen, fcs

    @property
    def stopped(self) -> bool:
        """This push stopped part-way (its error says where; the plan is kept)."""
        return self.state is not None and self.state.stage is PushStage.STOPPED

    def at(self, stage: PushStage) -> None:
        """Before a step: renew the lease, and record the step the push is at."""
        self._beat()
        assert self.state is not None
        if self.state.stage is not stage:
            self._swap(reach(self.state, stage))

    def finish(self) -> None:
        """The push's last act (after the order's link is saved): every step is taken."""
        if self.state is not None and self.state.stage in STEPS:
            self._try(finish(self.state))

    # -- exactly one inbound plan ---------------------------------------------------------------

    def plan(self, target: PushTarget, *, split: bool) -> str:
        """The order's inbound plan: the one already started, or a new one (claimed first).

        This push holds the order's push lease, so a claim it finds is a dead push's (killed or
        failed before Amazon's answer): its plan, if Amazon made one, is continued, or cancelled
        if the order was changed since (a stale claim) and a new one made for the order as it is.
        """
        held = self.state = self._claims.current(self._number)
        if held is not None and held.plan_id is not None:
            if self._gateway.inbound_plan_status(held.plan_id) in ("ACTIVE", "SHIPPED"):
                if held.stage is not PushStage.PLAN_CREATED:
                    self._swap(resume(held))
                return held.plan_id
            # The plan Amazon held is void: start a new one.
            self._try(cancel(held))
            held = self.state = self._claims.current(self._number)
            if held is not None and held.plan_id is not None:
                raise PushInProgress(BEING_SAVED.format(number=self._number), hint=WAIT_HINT)
        if held is not None and held.stage is PushStage.STALE:
            self._cancel_orphan(held)
            self._twin_names.append(self._name(held))  # its plan may be listed later still
        claimed = claim(held, now=int(self._clock()), token=uuid.uuid4().hex[:12])
        self._swap(claimed, split=split)
        if held is not None and held.continues:  # a push died before Amazon's answer
            self._twin_names.append(self._name(claimed))
            # A dead push's createInboundPlan may still be in flight, and Amazon lists the plan
            # it makes only later: no plan under the name means none only once that is over.
            until = held.claimed_at + self._gateway.create_seconds() if held.claimed_at else 0
            adopted = self._look_up(claimed, until=until)
            if adopted is not None:
                self._swap(created(claimed, adopted))
                return adopted
        return self._create(target, claimed)

    def _swap(self, new: PushState, *, split: bool | None = None) -> None:
        """Move to `new`, or stop: another push (or an edit) changed the state first."""
        if not self._try(new, split=split):
            raise PushInProgress(BEING_SAVED.format(number=self._number), hint=WAIT_HINT)

    def _try(self, new: PushState, *, split: bool | None = None) -> bool:
        done = self._claims.swap(self._number, expected=self.state, new=new, split=split)
        if done:
            self.state = new
        return done

    def _name(self, state: PushState) -> str:
        assert state.token is not None
        return plan_name(self._number, state.token)

    def _cancel_twins(self, *, quietly: bool = False) -> None:
        """Cancel every other active plan under a dead push's name (its create, listed too late
        to be adopted or cancelled before): the order keeps exactly one plan."""
        state = self.state
        if state is None or state.plan_id is None:
            return
        try:
            while self._twin_names:
                for twin in self._gateway.inbound_plans_named(self._twin_names[0]):
                    if twin.plan_id != state.plan_id and twin.status == "ACTIVE":
                        self._gateway.cancel_inbound_plan(twin.plan_id)
                self._twin_names.pop(0)
        except MarketplaceError:
            if not quietly:
                raise

    def _cancel_orphan(self, stale: PushState) -> None:
        """Cancel the plan a dead push may have made for what the order was before an edit."""
        orphan = self._gateway.find_inbound_plan(self._name(stale))
        if orphan is not None and self._gateway.inbound_plan_status(orphan) == "ACTIVE":
            self._gateway.cancel_inbound_plan(orphan)

    def _look_up(self, claimed: PushState, *, until: float) -> str | None:
        """The plan an earlier push made under this claim's name, looked for until `until` (unix
        seconds) while none is listed; the claim expires on failure."""
        try:
            while True:
                found = self._gateway.find_inbound_plan(self._name(claimed))
                left = until - self._clock()
                if found is not None or left <= 0:
                    return found
                self._sleep(min(LOOK_AGAIN_SECONDS, left))
                self._beat()
        except BaseException:
            # Unknown whether the plan exists: leave the claim (and its name) for the next push.
            self._try(expire(claimed))
            raise

    def _create(self, target: PushTarget, claimed: PushState) -> str:
        gateway = self._gateway
        try:
            plan_id, operation = gateway.create_inbound_plan(
                target.marketplace_id,
                name=self._name(claimed),
                source=target.source,
                items=target.items,
            )
        except MarketplaceError as exc:
            # No answer (timeout, 5xx): Amazon may have made the plan under this claim's name.
            adopted = None if _refused(exc) else self._adopt(claimed)
            if adopted is None:
                self._try(cancel(claimed) if _refused(exc) else expire(claimed))
                raise
            plan_id, operation = adopted, None
        except BaseException:
            self._try(expire(claimed))
            raise
        self._swap(created(claimed, plan_id))
        try:
            if operation is not None:
                gateway.wait_for_operation(operation, step="createInboundPlan")
        except InboundOperationFailed as exc:
            assert self.state is not None
            self._try(cancel(self.state))
            raise InboundOperationFailed(
                f"order {self._number} was not saved to Amazon: {exc.message}",
                problems=exc.problems,
                hint=exc.hint,
            ) from None
        return plan_id

    def _adopt(self, claimed: PushState) -> str | None:
        try:
            return self._gateway.find_inbound_plan(self._name(claimed))
        except MarketplaceError:
            return None

    def _placed(self, plan_id: str) -> bool:
        """Amazon lists a confirmed placement for the plan (an earlier push got that far)."""
        options = self._gateway.placement_options(plan_id, generate=False)
        return any(o.status == "ACCEPTED" for o in options)

    def _placement(self, plan_id: str, *, split: bool, quote: Quoter | None) -> PlacementChoice:
        gateway, number = self._gateway, self._number
        options = gateway.placement_options(plan_id)
        accepted = [o for o in options if o.status == "ACCEPTED"]
        if accepted:
            return accepted[0]
        offered = [o for o in options if o.status == "OFFERED"]
        if not split:
            offered = [o for o in offered if o.single_destination]
            if not offered:
                gateway.cancel_inbound_plan(plan_id)
                assert self.state is not None
                self._try(cancel(self.state))
                raise PushRefused(
                    NO_SINGLE_DESTINATION.format(number=number),
                    hint="turn on the inventory placement service in Seller Central, or push "
                    "with --split; the order is unchanged and can still be edited",
                )
        if quote is not None and offered:
            offered = quote(offered)  # each with its carrier quote; unusable ones left out
        chosen = choose_placement(offered)  # the lowest fees minus discounts plus quotes
        if chosen is None:
            raise PushRefused(f"Amazon offered no placement for order {number}'s inbound plan")
        return chosen
