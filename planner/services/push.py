"""Save an FBA-bound purchase or transfer order to Amazon as an inbound plan (exactly once).

The order's Amazon plan id column is the claim: a conditional update (compare-and-set, in its
own committed transaction) lets one push at a time start a plan, and the plan id is committed
the moment createInboundPlan answers. A retry after a crash, timeout or failed step therefore
continues the same plan; a push that died before Amazon's answer arrived finds its plan again by
its unique name. Amazon's state (packing and placement options already accepted) tells which
steps are left, so every step can be repeated safely.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from planner.domain.activity import AuditEntry
from planner.domain.errors import DomainRuleViolation, InvalidTransition, PlannerError
from planner.domain.orders import AmazonLink, OrderKind, OrderStatus, StockOrder
from planner.domain.warehouses import WarehouseKind
from planner.ports import (
    InboundOperationFailed,
    InboundPlanGateway,
    InboundPlanItem,
    MarketplaceError,
    PlacementChoice,
    PushClaims,
    PushResult,
    ShipFromAddress,
    UnitOfWork,
)

CLAIM = "push:"
NO_SINGLE_DESTINATION = (
    "Do not split shipments needs Amazon's inventory placement service enabled: Amazon offered "
    "no single-destination placement for order {number}"
)


class PushRefused(PlannerError):
    """The order cannot be saved to Amazon as asked; it is unchanged and still editable."""


class PushInProgress(PlannerError):
    """Another push of the same order is running now."""


@dataclass(frozen=True)
class PushSettings:
    """Ship-from defaults (warehouses and vendors hold no address yet), prep and label owner."""

    ship_from: ShipFromAddress = field(
        default_factory=lambda: ShipFromAddress(
            name="Warehouse",
            line1="1 Warehouse Way",
            city="Reno",
            country_code="US",
            postal_code="89501",
            phone="+1 775 555 0100",
            state_or_province="NV",
        )
    )
    prep_owner: str = "SELLER"
    label_owner: str = "SELLER"
    # A claim older than this belongs to a push that died before Amazon answered.
    claim_seconds: float = 600.0
    # While a push runs no other push of the order starts (a crashed one's lease runs out).
    lease_seconds: float = 900.0


@dataclass(frozen=True)
class _Target:
    order: StockOrder
    connection: str
    marketplace_id: str
    items: tuple[InboundPlanItem, ...]
    source: ShipFromAddress


class ShipmentPush:
    """The ShipmentPusher port: `push(order, split=…, actor=…)` from the CLI, bot and demo."""

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        claims: PushClaims,
        gateway: Callable[[str], InboundPlanGateway],
        settings: PushSettings | None = None,
        *,
        origin: str = "cli",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._uow, self._claims, self._gateway = uow, claims, gateway
        self._settings = settings or PushSettings()
        self._origin, self._clock = origin, clock

    def push(self, order_number: str, *, split: bool, actor: str) -> PushResult:
        """Save the order to Amazon; continues a plan an earlier attempt started."""
        target = self._target(order_number)
        link = target.order.amazon
        if link is not None and link.shipment_ids:
            return PushResult(
                order_number, link.inbound_plan_id, link.shipment_ids, link.split, already=True
            )
        now = int(self._clock())
        lease = self._claims.lease(order_number, now=now, seconds=int(self._settings.lease_seconds))
        if lease is None:
            raise PushInProgress(
                f"order {order_number} is being saved to Amazon by another push",
                hint="wait a minute, then push it again to see the result",
            )
        try:
            return self._push(order_number, split=split, actor=actor)
        finally:
            self._claims.release(order_number, until=lease)

    def _push(self, order_number: str, *, split: bool, actor: str) -> PushResult:
        target = self._target(order_number)  # read again now that this push holds the lease
        current = target.order.amazon
        if current is not None and current.shipment_ids:
            return PushResult(
                order_number,
                current.inbound_plan_id,
                current.shipment_ids,
                current.split,
                already=True,
            )
        gateway = self._gateway(target.connection)
        try:
            plan_id = self._plan(gateway, target)
            if plan_id is None:  # the plan Amazon held was void: start a new one
                plan_id = self._plan(gateway, target)
                assert plan_id is not None
            gateway.confirm_packing(plan_id)
            chosen = self._placement(gateway, target.order.number, plan_id, split=split)
            if chosen.status != "ACCEPTED":
                gateway.confirm_placement(plan_id, chosen.option_id)
            found = gateway.inbound_plans([plan_id])
        finally:
            gateway.close()
        shipment_ids = found[0].shipment_ids if found else chosen.shipment_ids
        confirmations = found[0].confirmation_ids if found else ()
        self._save(
            order_number, AmazonLink(plan_id, shipment_ids, confirmations, split), actor=actor
        )
        return PushResult(order_number, plan_id, shipment_ids, split)

    # -- what is pushed -------------------------------------------------------------------------

    def _target(self, number: str) -> _Target:
        with self._uow() as uow:
            order = uow.orders.get(number)
            if order.kind is OrderKind.ASSEMBLY:
                raise PushRefused(f"order {number} is an assembly order; only purchase and "
                                  "transfer orders can be saved to Amazon")  # fmt: skip
            dest = uow.warehouses.get(order.destination)
            if dest.kind is not WarehouseKind.FBA or not dest.connection or not dest.marketplace_id:
                raise PushRefused(
                    f"order {number} goes to {dest.code}, not to an FBA warehouse of a connection",
                    hint="only orders bound for FBA can be saved to Amazon",
                )
            if order.amazon is None and order.status not in (OrderStatus.DRAFT, OrderStatus.OPEN):
                raise InvalidTransition(
                    f"order {number} is {order.status}; only open orders can be saved to Amazon"
                )
            if order.external_ref:
                raise PushRefused(
                    f"order {number} came from Amazon (shipment {order.external_ref}); "
                    "it is already there"
                )
            if not order.lines:
                raise DomainRuleViolation(f"order {number} has no lines")
            listings = uow.listings.list()
            source_name = self._source_name(uow, order)
        skus: dict[str, str] = {}
        here = [
            x
            for x in listings
            if (x.channel, x.marketplace_id) == (dest.connection, dest.marketplace_id)
        ]
        for x in here:
            if x.variant_sku not in skus or x.fnsku:  # prefer the FBA listing of a variant
                skus[x.variant_sku] = x.seller_sku
        s = self._settings
        items = tuple(
            InboundPlanItem(skus.get(line.sku, line.sku), line.ordered, s.prep_owner, s.label_owner)
            for line in order.lines
        )
        ship_from = s.ship_from
        if source_name:
            ship_from = ShipFromAddress(
                source_name, ship_from.line1, ship_from.city, ship_from.country_code,
                ship_from.postal_code, ship_from.phone, ship_from.state_or_province,
            )  # fmt: skip
        return _Target(order, dest.connection, dest.marketplace_id, items, ship_from)

    @staticmethod
    def _source_name(uow: UnitOfWork, order: StockOrder) -> str | None:
        if order.source is None:
            return None
        if order.kind is OrderKind.TRANSFER:
            return uow.warehouses.get(order.source).name or order.source
        return uow.vendors.get(order.source).name

    # -- exactly one inbound plan ---------------------------------------------------------------

    def _plan(self, gateway: InboundPlanGateway, target: _Target) -> str | None:
        """The order's inbound plan: the one already started, or a new one (claimed first)."""
        number = target.order.number
        held = self._claims.current(number)
        if held is not None and not held.startswith(CLAIM):
            status = gateway.inbound_plan_status(held)
            if status in ("ACTIVE", "SHIPPED"):
                return held
            self._claims.swap(number, expected=held, new=None)
            return None
        token = f"{CLAIM}{int(self._clock())}:{uuid.uuid4().hex[:12]}"
        if held is not None and self._clock() - _claimed_at(held) < self._settings.claim_seconds:
            raise PushInProgress(
                f"order {number} is being saved to Amazon by another push",
                hint="wait a minute, then push it again to see the result",
            )
        if not self._claims.swap(number, expected=held, new=token):
            raise PushInProgress(
                f"order {number} is being saved to Amazon by another push",
                hint="wait a minute, then push it again to see the result",
            )
        if held is not None:  # a push died before Amazon's answer: its plan may exist
            adopted = gateway.find_inbound_plan(_plan_name(number, held))
            if adopted is not None and self._claims.swap(number, expected=token, new=adopted):
                return adopted
        return self._create(gateway, target, token)

    def _create(self, gateway: InboundPlanGateway, target: _Target, token: str) -> str:
        number = target.order.number
        try:
            plan_id, operation = gateway.create_inbound_plan(
                target.marketplace_id,
                name=_plan_name(number, token),
                source=target.source,
                items=target.items,
            )
        except MarketplaceError as exc:
            # No answer (timeout, 5xx): Amazon may have made the plan under this claim's name.
            adopted = None if _refused(exc) else self._adopt(gateway, number, token)
            if adopted is None:
                after = None if _refused(exc) else _expired(token)
                self._claims.swap(number, expected=token, new=after)
                raise
            plan_id, operation = adopted, None
        except BaseException:
            self._claims.swap(number, expected=token, new=_expired(token))
            raise
        if not self._claims.swap(number, expected=token, new=plan_id):
            raise PushInProgress(f"order {number} was claimed by another push meanwhile")
        try:
            if operation is not None:
                gateway.wait_for_operation(operation, step="createInboundPlan")
        except InboundOperationFailed as exc:
            self._claims.swap(number, expected=plan_id, new=None)
            raise InboundOperationFailed(
                f"order {number} was not saved to Amazon: {exc.message}",
                problems=exc.problems,
                hint=exc.hint,
            ) from None
        return plan_id

    def _adopt(self, gateway: InboundPlanGateway, number: str, token: str) -> str | None:
        try:
            return gateway.find_inbound_plan(_plan_name(number, token))
        except MarketplaceError:
            return None

    def _placement(
        self, gateway: InboundPlanGateway, number: str, plan_id: str, *, split: bool
    ) -> PlacementChoice:
        options = gateway.placement_options(plan_id)
        accepted = [o for o in options if o.status == "ACCEPTED"]
        if accepted:
            return accepted[0]
        offered = [o for o in options if o.status == "OFFERED"]
        if not split:
            offered = [o for o in offered if o.single_destination]
            if not offered:
                gateway.cancel_inbound_plan(plan_id)
                self._claims.swap(number, expected=plan_id, new=None)
                raise PushRefused(
                    NO_SINGLE_DESTINATION.format(number=number),
                    hint="turn on the inventory placement service in Seller Central, or push "
                    "with --split; the order is unchanged and can still be edited",
                )
        if not offered:
            raise PushRefused(f"Amazon offered no placement for order {number}'s inbound plan")
        return offered[0]

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


def _refused(exc: MarketplaceError) -> bool:
    """Amazon answered 4xx: no plan was made, nothing to look for later."""
    return "rejected" in exc.message.lower() or "refused" in exc.message.lower()


def _claimed_at(claim: str) -> float:
    try:
        return float(claim.split(":")[1])
    except (IndexError, ValueError):
        return 0.0


def _expired(claim: str) -> str:
    """The same claim (same plan name), marked as no longer running."""
    return f"{CLAIM}0:{claim.rsplit(':', 1)[-1]}"


def _plan_name(number: str, claim: str) -> str:
    """A plan name unique to this claim, so a lost createInboundPlan answer can be found."""
    return f"planner {number} {claim.rsplit(':', 1)[-1]}"[:40]
